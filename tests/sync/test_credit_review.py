"""The province reviews submitted credits; the county's next pull brings the decision home."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from desktop.db.models import CreditEntry
from desktop.errors import UserInputError
from desktop.services import credits
from desktop.services.demo_county import COUNTY_CODE
from desktop.sync.client import SyncClient, register
from guopei_common.vocab import CreditStatus
from server.cli import main as server_cli
from tests.sync.conftest import copy_county, requeue


@pytest.fixture(scope="module")
def county(server, quiet_demo, tmp_path_factory) -> Iterator[SyncClient]:
    """One copy of the demo county (with draft credits) for both tests, registered; its outbox is
    empty: the demo's 26,000 ops are not what they are about, only what each test sends."""
    db = copy_county(quiet_demo, tmp_path_factory.mktemp("review") / "county")
    yield SyncClient(db, server.url, register(db, server.url, server.code(COUNTY_CODE)))
    db.dispose()


def test_approved_and_rejected_credits_come_back_and_approved_ones_freeze(server, county, capsys):
    client, db = county, county.db
    with db.write() as session:
        drafts = [row.id for row in credits.entries(session, status=CreditStatus.DRAFT)]
        assert len(drafts) >= 2
        requeue(session, [session.get_one(CreditEntry, entry_id) for entry_id in drafts])
        credits.change_status(session, drafts, CreditStatus.SUBMITTED)
    assert client.push().rejected == []

    capsys.readouterr()
    assert server_cli(["credits", "--db", str(server.db_path), COUNTY_CODE]) == 0
    listing = capsys.readouterr().out
    assert all(entry_id in listing for entry_id in drafts)
    assert server_cli(["credits", "--db", str(server.db_path), COUNTY_CODE, "--reject", drafts[0]]) == 2
    assert "须写明原因" in capsys.readouterr().err
    assert (
        server_cli(
            [
                "credits",
                "--db",
                str(server.db_path),
                COUNTY_CODE,
                "--reject",
                drafts[0],
                "--reason",
                "缺少结业证明",
            ]
        )
        == 0
    )
    assert server_cli(["credits", "--db", str(server.db_path), COUNTY_CODE, "--approve"]) == 0

    assert client.pull() >= len(drafts)
    with db.read() as session:
        statuses = dict(session.execute(select(CreditEntry.id, CreditEntry.status)).all())
        rejected = session.get(CreditEntry, drafts[0])
    assert rejected.status == "rejected" and rejected.status_reason == "缺少结业证明"
    assert all(statuses[entry_id] == "approved" for entry_id in drafts[1:])
    with pytest.raises(UserInputError, match="不能在本地修改"), db.write() as session:
        credits.edit_entry(session, drafts[1], hours=1, credits=0.1)
    with db.write() as session:  # the rejected one goes back to draft to be corrected
        credits.change_status(session, drafts[:1], CreditStatus.DRAFT)


def test_a_certificate_is_checked_online_at_the_province(server, county):
    import datetime as dt

    import requests

    from desktop.db.models import Certificate, Enrollment
    from desktop.services import certificates
    from guopei_common.certificate_signing import check_code

    client, db = county, county.db
    with db.write() as session:
        project_id = session.scalar(select(Enrollment.project_id).where(Enrollment.status == "completed"))
        # What the certificates name reaches the server first.
        completed = Enrollment.project_id == project_id, Enrollment.status == "completed"
        requeue(session, session.scalars(select(Enrollment).where(*completed)).all())
        ids = certificates.issue_for_project(
            session, project_id, county_code=COUNTY_CODE, issued_on=dt.date(2026, 12, 1)
        )
        (serial, qr), (other, other_qr) = (
            (c.serial, c.verification_code) for c in (session.get(Certificate, i) for i in ids[:2])
        )
        certificates.revoke(session, other, reason="冒名顶替")
    assert client.push().rejected == []

    def check(serial: str, code: str) -> dict[str, str]:
        return requests.get(f"{server.url}/v1/certificates/{serial}", params={"code": code}, timeout=5).json()

    verdict = check(serial, check_code(qr))
    assert verdict["status"] == "valid" and "*" in verdict["holder"]
    assert check(other, check_code(other_qr).lower().replace("-", ""))["status"] == "revoked"  # as typed
    assert check("522727-2026-99999", check_code(qr))["status"] == "unknown"
    # Without its check code a serial is answered as one nobody issued: serials cannot be walked.
    assert check(serial, "")["status"] == check(serial, "AAAA-AAAA")["status"] == "unknown"
    page = requests.get(f"{server.url}/verify", params={"serial": serial, "code": check_code(qr)}, timeout=5)
    assert "有效" in page.text and serial in page.text
    # A phone that scanned the certificate's QR (the signed text) can ask with it as it is.
    assert "有效" in requests.get(f"{server.url}/verify", params={"qr": qr}, timeout=5).text
