"""Applications from the schools' lists (学校报名表): a spreadsheet of teachers applying to a project,
previewed row by row (who is in the roster, who is eligible and why not) and applied all or nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import Project, Teacher
from desktop.io.spreadsheet import find_header, read_sheet, records
from desktop.services import selection
from guopei_common.idnumber import InvalidIdNumber, mask_id_number, parse_id_number

COLUMNS = {
    "id_number": ("身份证号", "公民身份号码", "证件号码", "身份证号码"),
    "name": ("姓名", "教师姓名", "学员姓名"),
    "school": ("学校", "单位", "学校/单位", "工作单位"),
}


@dataclass
class ApplicationRow:
    row: int
    name: str
    masked_id_number: str
    teacher_id: str | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        return self.teacher_id is not None and not self.problems


@dataclass(frozen=True)
class ApplicationPreview:
    project_id: str
    project_name: str
    rows: tuple[ApplicationRow, ...]

    @property
    def accepted(self) -> list[ApplicationRow]:
        return [row for row in self.rows if row.accepted]

    def summary(self) -> str:
        refused = len(self.rows) - len(self.accepted)
        return f"可报名 {len(self.accepted)} 人，拒绝 {refused} 行"


def preview_applications(
    session: Session, project_id: str, path: Path, *, today: dt.date
) -> ApplicationPreview:
    project = session.get_one(Project, project_id)
    sheet = read_sheet(path)
    header = find_header(sheet, COLUMNS)
    rows: list[ApplicationRow] = []
    seen: dict[str, int] = {}
    for record in records(sheet, header):
        cell = record.cells.get("id_number")
        row = ApplicationRow(record.row, record.value("name"), record.value("id_number"))
        rows.append(row)
        try:
            number = parse_id_number(record.value("id_number"), today=today).value
        except InvalidIdNumber as error:
            row.problems.append(f"{cell.address if cell else ''}：{error.reason}")
            continue
        row.masked_id_number = mask_id_number(number)
        teacher = session.scalar(select(Teacher).where(Teacher.id_number == number))
        if teacher is None:
            row.problems.append("花名册中没有此人：请先在“教师”中导入或新增")
            continue
        if row.name and row.name != teacher.name:
            row.problems.append(f"姓名与花名册不符（花名册为“{teacher.name}”）")
            continue
        if number in seen:
            row.problems.append(f"与第 {seen[number]} 行重复")
            continue
        seen[number] = record.row
        row.name = teacher.name
        row.teacher_id = teacher.id
    decisions = selection.decisions_for(
        session, [r.teacher_id for r in rows if r.teacher_id and not r.problems], project
    )
    for row in rows:
        decision = decisions.get(row.teacher_id) if row.teacher_id else None
        if decision is not None and not decision.eligible:
            row.problems.append(decision.summary())
    return ApplicationPreview(project.id, project.name, tuple(rows))


def apply_applications(session: Session, preview: ApplicationPreview, *, actor: str, at: dt.datetime) -> int:
    """Enroll every accepted row (each checked again by `selection.enroll`) in one transaction."""
    for row in preview.accepted:
        assert row.teacher_id is not None
        selection.enroll(
            session, teacher_id=row.teacher_id, project_id=preview.project_id, actor=actor, at=at
        )
    return len(preview.accepted)
