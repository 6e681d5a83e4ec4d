"""The sync status area of the main window against a real server: register, sync, figures update."""

from __future__ import annotations

import os
import stat

from sqlalchemy import func, select

from desktop.db.models import OutboxEntry, School
from desktop.services.demo_county import COUNTY_CODE
from desktop.sync.credentials import FILENAME, load_credentials
from desktop.ui.app import create_application
from desktop.ui.sync_status import SyncStatus
from desktop.ui.tasks import TaskRunner
from tests.conftest import QuietContext
from tests.sync.conftest import as_real_county, without_outbox


def test_register_then_sync_from_the_status_area(qtbot, writable_demo, server):
    without_outbox(as_real_county(writable_demo))
    with writable_demo.write() as session:  # what this PC did since: three new schools wait to sync
        session.add_all(School(name=f"新建学校{n}", county_code=COUNTY_CODE) for n in range(3))
    create_application([])
    context = QuietContext(writable_demo)
    status = SyncStatus(context, runner=TaskRunner(synchronous=True))
    qtbot.addWidget(status)
    assert status.state.text() == "未连接省级平台"
    with writable_demo.read() as session:
        waiting = session.scalar(select(func.count()).select_from(OutboxEntry))
    assert waiting == 3 and status.waiting.text() == "待同步 3 条"

    assert not status.register(server.url, "WRONG-CODE")  # refused: said, nothing stored
    assert load_credentials(status.data_dir) is None and context.errors

    assert status.register(server.url, server.code(COUNTY_CODE))
    path = status.data_dir / FILENAME
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600  # the token is readable by the user only
    heard: list = []
    context.changed.connect(heard.append)
    status.sync_now()
    assert status.state.text().startswith("已同步")
    assert status.waiting.text() == "待同步 0 条"
    # What the sync wrote, read from its transactions (the acknowledged outbox rows went), not a list.
    assert len(heard) == 1 and heard[0].touches("outbox", "settings")
    assert status.button.isEnabled() and status.failures == 0
    assert status._schedule.remainingTime() > 9 * 60_000  # the next one on the regular schedule


def test_unreachable_server_shows_offline_in_plain_chinese(qtbot, writable_demo):
    from desktop.sync.credentials import Credentials, save_credentials

    create_application([])
    context = QuietContext(writable_demo)
    status = SyncStatus(context, runner=TaskRunner(synchronous=True))
    qtbot.addWidget(status)
    save_credentials(status.data_dir, Credentials("http://127.0.0.1:9", "token"))  # nothing listens
    with writable_demo.read() as session:
        waiting = session.scalar(select(func.count()).select_from(OutboxEntry))
    assert waiting > 1000 and status.waiting.text() == f"待同步 {waiting:,} 条"
    status.sync_now()
    assert status.state.text().startswith("离线：")
    assert "Traceback" not in status.state.text()
    # It will try again by itself, sooner than the regular schedule, and later after each failure.
    assert status.failures == 1 and status._schedule.isActive()
    # The first retry waits at most 30 s (not the ten-minute schedule); Qt's coarse timers may fire up
    # to 5 % late, which remainingTime() already counts.
    assert status._schedule.remainingTime() <= 30_000 * 1.05
    status.sync_now(automatic=True)
    assert status.failures == 2


def test_a_clock_far_from_the_provinces_is_pointed_out(qtbot, writable_demo):
    from desktop.db.models import Setting
    from desktop.sync.client import CLOCK_SKEW_KEY
    from desktop.ui.sync_status import clock_warning

    assert clock_warning(None) == "" and clock_warning(4 * 60_000) == ""
    assert clock_warning(-40 * 60_000) == "本机时钟比省级平台慢约 40 分钟，请校正系统时间"
    create_application([])
    with writable_demo.write() as session:  # as the last push measured it: ten years ahead
        session.merge(Setting(key=CLOCK_SKEW_KEY, value=3653 * 86_400_000))
    status = SyncStatus(QuietContext(writable_demo), runner=TaskRunner(synchronous=True))
    qtbot.addWidget(status)
    assert status.clock.text() == "本机时钟比省级平台快约 3653 天，请校正系统时间"
    assert not status.clock.isHidden()


def test_a_county_pc_registers_by_scanning_the_provinces_qr_code(qtbot, server, tmp_path):
    import subprocess

    from desktop.db.engine import create_database
    from desktop.ui.sync_status import RegisterDialog
    from server.cli import main as server_cli

    png = tmp_path / "register.png"
    assert (
        server_cli(["issue-code", "--db", server.db, COUNTY_CODE, "--url", server.url, "--qr", str(png)]) == 0
    )
    # What a scanner reads off the printed code.
    scanned = subprocess.run(
        ["zbarimg", "--quiet", "--raw", str(png)], capture_output=True, text=True, check=True
    ).stdout.strip()
    assert scanned.startswith("GPR1|")

    create_application([])
    # A PC of its own: the demo copies of this module share one device id, registered already.
    db = create_database(tmp_path / "county", county_code=COUNTY_CODE, county_name="平塘县")
    status = SyncStatus(QuietContext(db), runner=TaskRunner(synchronous=True))
    dialog = RegisterDialog(status)
    qtbot.addWidget(status)
    dialog.code.setFocus()
    qtbot.keyClicks(dialog.code, scanned)  # a USB scanner types into the field that has the focus
    assert dialog.url.text() == server.url
    assert dialog.code.text() == scanned.split("|")[2]
    assert status.register(dialog.url.text(), dialog.code.text())
    assert load_credentials(status.data_dir).server_url == server.url
    db.dispose()
