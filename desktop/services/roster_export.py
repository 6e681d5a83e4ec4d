"""Exporting a filtered teacher list to .xlsx; full ID numbers and phones only on request, and such
an export is written to the audit trail (who, when, which filter, how many people)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import School, Teacher
from desktop.domain.audit import AuditAction
from desktop.domain.codes import code_table
from desktop.domain.roles import Permission
from desktop.io.xlsx_writer import write_xlsx
from desktop.services import access, audit
from desktop.services.roster import TeacherFilter, filtered_teachers
from guopei_common.idnumber import mask_id_number, mask_phone
from guopei_common.vocab import BackboneLevel, EmploymentStatus, TeacherRole

HEADERS = [
    *("姓名", "身份证号", "性别", "民族", "学校/单位", "乡镇", "学段", "学科", "职称", "身份", "骨干级别"),
    *("手机", "参加工作年份", "状态"),
]


def _label(table: str, code: str) -> str:
    return code_table(table).label(code) if code else ""


def export_teachers(
    session: Session, flt: TeacherFilter, out: Path, *, full_numbers: bool = False, actor: str = ""
) -> int:
    """Write the teachers `flt` selects, in list order; returns how many were written."""
    access.require(session, Permission.EXPORT_PERSONAL if full_numbers else Permission.VIEW)
    ids = filtered_teachers(flt).subquery()
    rows = session.execute(
        select(Teacher, School.name, School.township)
        .join(School, Teacher.school_id == School.id)
        .join(ids, ids.c.id == Teacher.id)
        .order_by(Teacher.name_sort, Teacher.name, Teacher.id_number)
    )
    lines = (
        [
            t.name,
            t.id_number if full_numbers else mask_id_number(t.id_number),
            _label("gender", t.gender),
            _label("ethnicity", t.ethnicity),
            school_name,
            township,
            _label("stage", t.stage),
            _label("subject", t.subject),
            _label("title", t.title),
            TeacherRole(t.role).label,
            BackboneLevel(t.backbone_level).label,
            (t.phone if full_numbers else mask_phone(t.phone)) if t.phone else "",
            t.work_start_year or "",
            EmploymentStatus(t.employment_status).label,
        ]
        for t, school_name, township in rows
    )
    count = write_xlsx(
        out,
        sheet_title="教师名单",
        headers=HEADERS,
        rows=lines,
        widths=[10, 22, 6, 8, 24, 12, 10, 10, 12, 8, 10, 14, 12, 8],
    )
    if full_numbers:
        audit.record(
            session,
            AuditAction.EXPORT_FULL,
            detail={"file": str(out), "count": count, "filter": dataclasses.asdict(flt)},
            actor=actor,
        )
    return count
