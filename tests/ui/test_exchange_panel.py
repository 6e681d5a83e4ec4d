"""The 同步 page's 导出交换文件 / 导入交换文件: a preview that says what the file holds and who made it,
one confirmation, a summary; refusals shown as errors with nothing applied."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from desktop.ui.sync_page import SyncPage
from guopei_common.exchange_file import ExchangeRefused
from tests.conftest import QuietContext
from tests.sync.test_exchange import (
    PASSWORD,
    attendance_of,
    busiest_session,
    laptop,
    scan,
    starts,
)


@pytest.fixture
def laptops(demo_dir: Path, tmp_path: Path):
    a = laptop(demo_dir, tmp_path / "a", new_device=False)
    b = laptop(demo_dir, tmp_path / "b", new_device=True)
    yield a, b
    a.dispose()
    b.dispose()


def test_export_then_import_with_preview_and_summary(qtbot, laptops, tmp_path: Path) -> None:
    a, b = laptops
    session_id, trainees = busiest_session(a)
    at = dt.datetime.combine(busiest_day(a, session_id), starts(a, session_id))
    for index, enrollment_id in enumerate(trainees[:4]):
        scan(a, session_id, enrollment_id, at + dt.timedelta(minutes=index))
    here, there = QuietContext(a), QuietContext(b)
    page_a, page_b = SyncPage(here), SyncPage(there)
    qtbot.addWidget(page_a)
    qtbot.addWidget(page_b)
    target = tmp_path / "一号机.gpx"

    page_a.exchange.export_to(target, PASSWORD)
    assert target.exists() and "签到 4 条" in here.messages[-1]

    heard: list = []
    there.changed.connect(heard.append)
    page_b.exchange.import_from(target, PASSWORD)
    # What the import's transactions wrote, collected as they ran: the check-ins, this PC's own state.
    assert len(heard) == 1 and heard[0].touches("attendance", "settings")
    asked = there.confirmations[-1]
    assert a.device.device_id in asked and "签到 4 条" in asked and "核对上面的密钥指纹" in asked
    assert "新增或更新" in there.messages[-1] and not there.errors
    assert len(attendance_of(b, session_id)) == len(attendance_of(a, session_id))

    page_b.exchange.import_from(target, PASSWORD)
    assert "已经导入过" in there.messages[-1]

    there.answer = False  # Cancel at the preview: nothing happens
    page_b.exchange.import_from(target, "错误的口令")
    assert isinstance(there.errors[-1], ExchangeRefused)


def busiest_day(db, session_id: str) -> dt.date:
    from desktop.services import checkin

    with db.read() as session:
        return checkin.session_info(session, session_id).date
