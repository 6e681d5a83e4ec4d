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


def test_a_demo_county_that_never_synced_explains_its_waiting_changes(qtbot, demo_db):
    """Every row of a county that never connected waits for its first upload: the demo's 待同步 is the
    whole county (each synced row has its one outbox row), and the status area says why."""
    from sqlalchemy import func, select

    from desktop.db.models import OutboxEntry
    from desktop.ui.sync_status import SyncStatus

    create_application([])
    status = SyncStatus(QuietContext(demo_db))
    qtbot.addWidget(status)
    status._schedule.stop()  # no sync attempt from a test
    with demo_db.read() as session:
        waiting = session.scalar(select(func.count()).select_from(OutboxEntry))
    assert status.state.text() == "未连接省级平台" and status.waiting.text() == f"待同步 {waiting:,} 条"
    assert "还没有连接过省级平台" in status.waiting.toolTip() and "F9" in status.waiting.toolTip()
    assert f"{waiting:,}" in status.waiting.toolTip()
