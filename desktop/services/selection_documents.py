"""The publicity list (公示名单) and the per-school notices (参训通知) of a project, from the database."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import Enrollment, Project, School, Teacher, TrainingClass
from desktop.domain.codes import code_table
from desktop.errors import UserInputError
from desktop.printing import selection_docs
from desktop.printing.selection_docs import SelectedTrainee, SelectionDocument
from guopei_common.vocab import EnrollmentStatus, Program

# Trainees the bureau has approved: those on the public list and those told to attend.
LISTED = (EnrollmentStatus.APPROVED, EnrollmentStatus.PUBLICISED, EnrollmentStatus.ATTENDING)
DEFAULT_CONTACT = "县教师发展中心"


def _label(table: str, code: str) -> str:
    return code_table(table).label(code) if code else ""


def selection_document(
    session: Session, project_id: str, *, county_name: str, today: dt.date
) -> SelectionDocument:
    project = session.get_one(Project, project_id)
    rows = session.execute(
        select(Teacher, School.name)
        .join(Enrollment, Enrollment.teacher_id == Teacher.id)
        .join(School, Enrollment.sending_school_id == School.id)
        .where(
            Enrollment.project_id == project_id,
            Enrollment.deleted.is_(False),
            Enrollment.status.in_([s.value for s in LISTED]),
        )
        .order_by(School.township, School.name, Teacher.name_sort)
    ).all()
    if not rows:
        raise UserInputError(f"“{project.name}”还没有审核通过的学员，无法生成公示名单和参训通知")
    venue = session.scalar(
        select(TrainingClass.venue).where(
            TrainingClass.project_id == project_id, TrainingClass.deleted.is_(False)
        )
    )
    start = project.publicity_start or today
    return SelectionDocument(
        county_name=county_name,
        issuer=f"{county_name}教育局",
        project_code=project.code,
        project_name=project.name,
        program=Program(project.program).label,
        institution=project.institution,
        start_date=project.start_date,
        end_date=project.end_date,
        hours=project.hours,
        venue=venue or "另行通知",
        publicity_start=start,
        publicity_end=project.publicity_end or start + dt.timedelta(days=4),
        contact=f"{county_name}{DEFAULT_CONTACT}",
        trainees=tuple(
            SelectedTrainee(
                name=teacher.name,
                gender=_label("gender", teacher.gender),
                school=school_name,
                stage=_label("stage", teacher.stage),
                subject=_label("subject", teacher.subject),
                title=_label("title", teacher.title),
            )
            for teacher, school_name in rows
        ),
    )


@dataclass(frozen=True)
class WrittenDocuments:
    files: tuple[Path, ...]
    trainees: int
    schools: int


def write_selection_documents(
    session: Session, project_id: str, out_dir: Path, *, county_name: str, today: dt.date
) -> WrittenDocuments:
    """Both documents as PDF (for print) and .xlsx (for the schools' own records), in `out_dir`."""
    document = selection_document(session, project_id, county_name=county_name, today=today)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = document.project_code
    files = (
        out_dir / f"{stem}-公示名单.pdf",
        out_dir / f"{stem}-公示名单.xlsx",
        out_dir / f"{stem}-参训通知.pdf",
        out_dir / f"{stem}-参训通知.xlsx",
    )
    selection_docs.publicity_pdf(document, files[0])
    selection_docs.publicity_xlsx(document, files[1])
    selection_docs.school_notices_pdf(document, files[2])
    selection_docs.school_notices_xlsx(document, files[3])
    schools = len({trainee.school for trainee in document.trainees})
    return WrittenDocuments(files, len(document.trainees), schools)
