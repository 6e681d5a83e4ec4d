"""A conflict made the way it happens (an edit from a PC whose clock is behind, after another device
changed the same teacher) is kept and shown on the 同步 page."""

from __future__ import annotations

from sqlalchemy import select

from desktop.db.engine import create_database, open_database
from desktop.db.models import Setting, Teacher
from desktop.services.demo_county import COUNTY_CODE
from desktop.sync.client import CONFLICTS_KEY, REJECTED_KEY, REPAIRS_KEY, SyncClient, register
from desktop.ui.app import create_application
from desktop.ui.sync_page import SyncPage
from tests.conftest import QuietContext
from tests.sync.conftest import copy_county, requeue


def test_conflict_from_a_slow_clock_is_kept_and_shown(qtbot, server, quiet_demo, tmp_path):
    a = copy_county(quiet_demo, tmp_path / "a")
    with a.write() as session:  # one teacher and their school travel: the demo's other rows are not the point
        requeue(session, [session.scalars(select(Teacher).order_by(Teacher.id_number)).first()])
    a_client = SyncClient(a, server.url, register(a, server.url, server.code(COUNTY_CODE)))
    assert a_client.push().applied == 2
    b = create_database(tmp_path / "b", county_code=COUNTY_CODE, county_name="平塘县")
    b_client = SyncClient(b, server.url, register(b, server.url, server.code(COUNTY_CODE)))
    b_client.pull()
    with b.write() as session:
        teacher = session.scalars(select(Teacher).order_by(Teacher.id_number)).first()
        teacher_id, teacher.phone = teacher.id, "13900001234"
    b_client.push()
    a.dispose()
    # A's clock is back at 1970: its next edit of the same teacher is older than B's by HLC.
    slow = open_database(tmp_path / "a", wall_ms=lambda: 0)
    with slow.write() as session:
        session.get(Teacher, teacher_id).phone = "13700005678"
    slow_client = SyncClient(slow, server.url, a_client.token)
    summary = slow_client.push()
    assert len(summary.conflicts) == 1
    # The province's conflict log keeps the losing value; the county's PCs fetch it for the page.
    assert slow_client.fetch_conflicts() == 1
    assert slow_client.fetch_conflicts() == 0  # fetched once, not again
    with slow.read() as session:
        kept = session.get(Setting, CONFLICTS_KEY).value
    assert kept[0]["row_id"] == teacher_id and kept[0]["server_row"]["phone"] == "13900001234"

    with slow.write() as session:  # a refusal as the client keeps it (see test_sync for how it arises)
        session.add(
            Setting(
                key=REJECTED_KEY,
                value=[
                    {
                        "op_id": "x",
                        "entity": "certificate",
                        "row_id": "r1",
                        "reason": "该记录属于其他区县",
                        "payload": {"serial": "522727-2026-00001"},
                    }
                ],
            )
        )
    create_application([])
    page = SyncPage(QuietContext(slow))
    qtbot.addWidget(page)
    assert page.conflicts.rowCount() == 1
    assert page.conflicts.item(0, 0).text() == "教师" and page.conflicts.item(0, 2).text() == teacher_id
    assert page.rejected.item(0, 1).text() == "522727-2026-00001"
    assert page.rejected.item(0, 3).text() == "该记录属于其他区县"
    # It pushed but never compared its data with the province's: no check is claimed.
    assert page.repairs.text() == "数据校验：还没有与省级平台核对过（连接后自动进行）"
    with slow.write() as session:  # a repair as check_divergence records it
        session.add(Setting(key=REPAIRS_KEY, value=[{"at": "2026-11-29T08:00:00", "entities": ["school"]}]))
    page.reload()
    assert page.repairs.text().startswith("数据校验：2026-11-29 08:00 发现学校与省级平台不一致")
    log = [page.province_log.item(0, column).text() for column in range(1, 6)]
    assert log == ["教师", teacher_id, "手机号", "139****1234", "137****5678"]
    slow.dispose()
    b.dispose()
