"""The first-start page's first way in, against the real server: the province's registration QR code
scanned into the address field fills both fields, and the county another PC pushed arrives and opens."""

from __future__ import annotations

from desktop.db.engine import create_database
from desktop.db.models import School
from desktop.services.demo_county import COUNTY_CODE
from desktop.sync.client import SyncClient, register
from desktop.ui.app import create_application
from desktop.ui.first_start import FirstStartPage
from desktop.ui.launcher import Launcher
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner
from guopei_common.protocol import REGISTRATION_PREFIX
from tests.sync.conftest import Server


def test_a_scanned_registration_code_brings_the_county_down_and_opens_it(server: Server, tmp_path, qtbot):
    source = create_database(tmp_path / "office-pc", county_code=COUNTY_CODE, county_name="平塘县")
    with source.write() as session:
        session.add_all(
            School(name=name, county_code=COUNTY_CODE, township="平舟镇")
            for name in ("平塘县第一中学", "克度镇中心小学")
        )
    SyncClient(source, server.url, register(source, server.url, server.code(COUNTY_CODE))).sync()
    source.dispose()

    create_application([])
    start = Launcher(tmp_path / "venue-laptop", runner=TaskRunner(synchronous=True))
    page = start.start()
    qtbot.addWidget(page)
    assert isinstance(page, FirstStartPage)
    code = server.code(COUNTY_CODE)
    qtbot.mouseClick(page.connect_button, left())
    connect = page.connect_page
    connect.url.setFocus()
    # What a USB scanner types into the focused field when it reads the province's QR code.
    qtbot.keyClicks(connect.url, f"{REGISTRATION_PREFIX}|{server.url}|{code}")
    assert (connect.url.text(), connect.code.text()) == (server.url, code)
    qtbot.mouseClick(connect.start, left())
    qtbot.mouseClick(page.admin_page.skip, left())  # the optional first administrator

    window = start.window
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    assert window.context.db.device.county_code == COUNTY_CODE
    with window.context.db.read() as session:
        assert sorted(s.name for s in session.query(School)) == ["克度镇中心小学", "平塘县第一中学"]
    window.backup_on_close = False
    window.context.db.dispose()


def left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton
