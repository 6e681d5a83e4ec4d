"""The 同步 page tells a PC where it stands: never registered (and how to register), registered but
never synced, connected; and it claims no data check that never ran."""

from __future__ import annotations

from desktop.db.models import Setting
from desktop.sync.client import CURSOR_KEY
from desktop.sync.credentials import Credentials, save_credentials
from desktop.ui.app import create_application
from desktop.ui.sync_page import SyncPage
from tests.conftest import QuietContext


def test_a_pc_that_never_connected_is_told_how_to_register(qtbot, empty_db):
    create_application([])
    page = SyncPage(QuietContext(empty_db))
    qtbot.addWidget(page)
    assert "尚未连接省级平台" in page.connection.text() and "F9" in page.connection.text()
    assert page.repairs.text() == "数据校验：还没有与省级平台核对过（连接后自动进行）"
    assert "未发现" not in page.repairs.text()

    save_credentials(empty_db.path.parent, Credentials("https://guopei.example.gov.cn", "token"))
    page.reload()
    assert "还没有完成首次同步" in page.connection.text()
    with empty_db.write() as session:
        session.add(Setting(key=CURSOR_KEY, value=42))
    page.reload()
    assert page.connection.text().startswith("已连接省级平台：https://guopei.example.gov.cn")
