"""Printing certificates (one PDF for the printer, optionally one file per trainee) and a teacher's
transcript (学时学分证明), from the database."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import Certificate, CreditEntry, Project, School, Teacher
from desktop.errors import UserInputError
from desktop.printing.certificates import (
    CertificateData,
    TranscriptData,
    TranscriptLine,
    certificate_files,
    certificates_pdf,
    transcript_pdf,
)
from desktop.services import certificates
from guopei_common.idnumber import mask_id_number
from guopei_common.vocab import CreditStatus, Program, TrainingLevel


def certificate_data(
    session: Session, certificate_ids: Sequence[str], *, county_name: str
) -> list[CertificateData]:
    items = []
    for certificate_id in certificate_ids:
        c = session.get_one(Certificate, certificate_id)
        if c.revoked:
            raise UserInputError(f"证书 {c.serial} 已撤销（{c.revoked_reason}），不能打印")
        teacher = session.get_one(Teacher, c.teacher_id)
        project = session.get_one(Project, c.project_id)
        program = Program(project.program)
        items.append(
            CertificateData(
                serial=c.serial,
                holder_name=teacher.name,
                masked_id_number=mask_id_number(teacher.id_number),
                project_name=project.name,
                program_label=program.label,
                institution=project.institution,
                start_date=project.start_date,
                end_date=project.end_date,
                hours=project.hours,
                credits=project.credits,
                issuer=f"{county_name}教育局 {county_name}教师发展中心",
                issued_on=c.issued_on,
                qr_payload=c.verification_code,
                template="guopei" if program.is_guopei else "generic",
            )
        )
    return items


def print_certificates(
    session: Session,
    certificate_ids: Sequence[str],
    out: Path,
    *,
    county_name: str,
    per_trainee_dir: Path | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> int:
    """One PDF for the printer (and, if asked, one file per trainee), pages in ascending serial order
    (the order of the register of issued certificates); every print is counted."""
    items = certificate_data(session, certificate_ids, county_name=county_name)
    items.sort(key=lambda item: item.serial)
    pages = certificates_pdf(items, out, progress=progress, cancelled=cancelled)
    if per_trainee_dir is not None:
        certificate_files(items, per_trainee_dir, cancelled=cancelled)
    certificates.record_printed(session, certificate_ids)
    return pages


def transcript(session: Session, teacher_id: str, *, county_name: str, today: dt.date) -> TranscriptData:
    """The teacher's approved credits, year by year (submitted ones are not yet certified)."""
    teacher = session.get_one(Teacher, teacher_id)
    school = session.get_one(School, teacher.school_id)
    entries = session.scalars(
        select(CreditEntry)
        .where(
            CreditEntry.teacher_id == teacher_id,
            CreditEntry.deleted.is_(False),
            CreditEntry.status == CreditStatus.APPROVED.value,
        )
        .order_by(CreditEntry.year, CreditEntry.level)
    )
    lines = tuple(
        TranscriptLine(
            year=entry.year,
            level_label=TrainingLevel(entry.level).label,
            project_name=entry.description.split("：", 1)[0],
            hours=entry.hours,
            credits=entry.credits,
            status_label=CreditStatus.APPROVED.label,
        )
        for entry in entries
    )
    if not lines:
        raise UserInputError(f"{teacher.name}还没有经省级平台审核通过的学分，无法出具学时学分证明")
    return TranscriptData(
        holder_name=teacher.name,
        masked_id_number=mask_id_number(teacher.id_number),
        school=school.name,
        county_name=county_name,
        issued_on=today,
        lines=lines,
    )


def write_transcript(
    session: Session, teacher_id: str, out: Path, *, county_name: str, today: dt.date
) -> int:
    return transcript_pdf(transcript(session, teacher_id, county_name=county_name, today=today), out)
