"""Certificates: serials that continue and never repeat, signed QR payloads checked offline."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from desktop.db.models import Certificate, Enrollment, Project
from desktop.errors import UserInputError
from desktop.services import certificates
from guopei_common.certificate_signing import generate_key, parse_serial, public_key_of, sign_payload

ISSUED = dt.date(2026, 12, 5)


def completed_project(db) -> str:
    with db.read() as session:
        return session.scalar(
            select(Project.id)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "completed")
            .group_by(Project.id)
            .order_by(func.count().desc())
        )


def test_issue_continues_the_sequence_and_signs_each_certificate(writable_demo):
    db = writable_demo
    project_id = completed_project(db)
    with db.read() as session:
        device = certificates.serial_device(session)
        highest = certificates.next_sequence(session, "522727", 2026, device=device) - 1
    with db.write() as session:
        issued = certificates.issue_for_project(session, project_id, county_code="522727", issued_on=ISSUED)
        again = certificates.issue_for_project(session, project_id, county_code="522727", issued_on=ISSUED)
    assert issued and again == []  # one certificate per trainee
    with db.read() as session:
        rows = session.scalars(select(Certificate).where(Certificate.id.in_(issued))).all()
        sequences = sorted(parse_serial(row.serial).sequence for row in rows)
        assert sequences == list(range(highest + 1, highest + 1 + len(rows)))
        for row in rows:
            verdict = certificates.verify(session, row.verification_code)
            assert verdict.valid and verdict.claims.serial == row.serial
            assert "*" in verdict.claims.masked_id_number


def test_tampered_revoked_and_foreign_certificates_are_refused(writable_demo):
    db = writable_demo
    with db.write() as session:
        certificate_id = certificates.issue_for_project(
            session, completed_project(db), county_code="522727", issued_on=ISSUED
        )[0]
    with db.read() as session:
        certificate = session.get(Certificate, certificate_id)
        code, serial = certificate.verification_code, certificate.serial
        claims = certificates.verify(session, code).claims
    body, kid, signature = code.rsplit(".", 2)
    tampered = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1] + "." + kid + "." + signature
    foreign = sign_payload(claims, generate_key())  # another county's key, not registered here
    with db.read() as session:
        assert "篡改" in certificates.verify(session, tampered).reason
        assert "未登记" in certificates.verify(session, foreign).reason
        assert not certificates.verify(session, "hello").valid
    with pytest.raises(UserInputError, match="须填写原因"), db.write() as session:
        certificates.revoke(session, serial, reason="")
    with db.write() as session:
        certificates.revoke(session, serial, reason="学员冒名顶替")
    with db.read() as session:
        verdict = certificates.verify(session, code)
    assert not verdict.valid and verdict.reason == "证书已被撤销"
    with pytest.raises(UserInputError, match="已撤销"), db.write() as session:
        certificates.record_printed(session, [certificate_id])


def test_a_registered_key_of_another_county_verifies(writable_demo):
    db = writable_demo
    other = generate_key()
    with db.write() as session:
        certificates.register_public_key(session, public_key_of(other))
        claims = certificates.verify(
            session,
            session.get(
                Certificate,
                certificates.issue_for_project(
                    session, completed_project(db), county_code="522727", issued_on=ISSUED
                )[0],
            ).verification_code,
        ).claims
    with db.read() as session:
        assert certificates.verify(session, sign_payload(claims, other)).valid


def test_a_batch_prints_in_ascending_serial_order_to_a_file_of_its_own(writable_demo, tmp_path):
    import subprocess

    from desktop.printing.certificates import batch_filename
    from desktop.services.certificate_printing import print_certificates

    with writable_demo.read() as session:
        newest_first = session.scalars(select(Certificate).order_by(Certificate.serial.desc()).limit(5)).all()
    ids = [c.id for c in newest_first]
    out = tmp_path / batch_filename("“国培计划（2026）”——乡村教师/培训", dt.datetime(2026, 11, 4, 9, 30, 15))
    assert out.name == "结业证书-“国培计划（2026）”——乡村教师_培训-20261104-093015.pdf"
    assert batch_filename("县培", dt.datetime(2026, 11, 4, 9, 30, 16)) != batch_filename(
        "县培", dt.datetime(2026, 11, 4, 9, 30, 15)
    )
    with writable_demo.write() as session:
        assert print_certificates(session, ids, out, county_name="平塘县") == 5
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    serials = sorted(c.serial for c in newest_first)
    positions = [text.index(serial) for serial in serials]
    assert positions == sorted(positions)  # page order = serial order, whatever order they were picked in
