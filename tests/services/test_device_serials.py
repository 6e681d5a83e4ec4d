"""Serials that never collide: two PCs of one county issuing offline, registered (a number from the
province) or not (a tag from the device id), never hand out the same serial; revoking one PC's
certificate never touches another's."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
import uuid
from pathlib import Path

from sqlalchemy import func, select, update

from desktop.db.engine import Database, open_database
from desktop.db.models import Certificate, Enrollment, Project
from desktop.services import certificates
from guopei_common.certificate_signing import key_id, parse_serial, public_key_of

ISSUED = dt.date(2026, 12, 5)


def _laptop(demo_dir: Path, where: Path) -> Database:
    """A copy of the county on another PC: its own device id (and so its own signing key, made anew)."""
    shutil.copytree(demo_dir, where)
    with sqlite3.connect(where / "guopei.sqlite3") as connection:
        connection.execute("UPDATE device SET id = ?", (str(uuid.uuid4()),))
        connection.execute("DELETE FROM settings WHERE key = ?", (certificates.KEY_SETTING,))
    return open_database(where)


def _issue(db: Database, count: int) -> list[str]:
    """`count` certificates of the project with most completed trainees: issued, then tombstoned so
    the same trainees can be issued again (a tombstoned serial is never reused either)."""
    with db.read() as session:
        project_id = session.scalar(
            select(Project.id)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "completed")
            .group_by(Project.id)
            .order_by(func.count().desc())
        )
    serials: list[str] = []
    while len(serials) < count:
        with db.write() as session:
            ids = certificates.issue_for_project(session, project_id, county_code="522727", issued_on=ISSUED)
            rows = session.scalars(select(Certificate).where(Certificate.id.in_(ids))).all()
            serials += [row.serial for row in rows]
            session.execute(update(Certificate).where(Certificate.id.in_(ids)).values(deleted=True))
    return serials[:count]


def test_two_offline_laptops_never_issue_the_same_serial(demo_dir: Path, tmp_path: Path) -> None:
    a, b = _laptop(demo_dir, tmp_path / "a"), _laptop(demo_dir, tmp_path / "b")
    try:
        with b.write() as session:
            certificates.set_device_number(session, 2)  # B was registered; A never was
        first, second = _issue(a, 100), _issue(b, 100)
    finally:
        a.dispose()
        b.dispose()
    assert len(set(first)) == len(set(second)) == 100
    assert not set(first) & set(second)
    assert {parse_serial(serial).device for serial in second} == {"D02"}
    (tag,) = {parse_serial(serial).device for serial in first}
    assert tag.startswith("L") and len(tag) == 7
    # Each laptop continues its own sequence from 1, whatever the other did.
    assert sorted(parse_serial(serial).sequence for serial in second) == list(range(1, 101))


def test_revoking_one_laptops_certificate_leaves_the_others_valid(demo_dir: Path, tmp_path: Path) -> None:
    """Even under the same old-form serial (two PCs before device segments): a certificate is its
    serial with its issuing key."""
    a, b = _laptop(demo_dir, tmp_path / "a"), _laptop(demo_dir, tmp_path / "b")
    try:
        codes = {}
        for db in (a, b):
            with db.write() as session:
                (serial,) = _issue(db, 1)
                row = session.scalar(select(Certificate).where(Certificate.serial == serial))
                # The collision of the issue: both PCs issued 522727-2026-00041 to different people.
                row.serial, row.deleted = "522727-2026-00041", False
                codes[db] = row.verification_code
        with b.read() as session:
            b_public = public_key_of(certificates.signing_key(session))
        with a.write() as session:
            certificates.register_public_key(session, b_public)  # what the province distributes
            certificates.revoke(session, "522727-2026-00041", reason="信息有误")
        with a.read() as session:
            assert certificates.verify(session, codes[a]).reason == "证书已被撤销"
            other = certificates.verify(session, codes[b])
            assert other.valid and key_id(b_public) in codes[b]
    finally:
        a.dispose()
        b.dispose()
