"""The reports a county owes (覆盖情况, 培训统计, 参训情况通报, 学时汇总), each written as a formatted
.xlsx or as an A4 PDF ready to stamp, from one model (desktop.domain.report).

Every report masks ID numbers (names, schools and figures only), so it needs the permission to see
lists and reports, not the one for full values, and no audit entry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from desktop.db.engine import Database
from desktop.domain.report import Report
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.io.report_xlsx import write_report_xlsx
from desktop.printing.report_pdf import write_report_pdf
from desktop.services import access
from desktop.services.reports.coverage import coverage_report
from desktop.services.reports.credits import credits_report
from desktop.services.reports.school_notices import school_notices_report
from desktop.services.reports.statistics import statistics_report

KINDS: dict[str, tuple[str, Callable[..., Report]]] = {
    "coverage": ("贫困地区乡村教师校园长培训覆盖情况", coverage_report),
    "statistics": ("年度培训统计", statistics_report),
    "school-notices": ("参训情况通报（每所选派学校一份）", school_notices_report),
    "credits": ("教师周期学时（学分）汇总", credits_report),
}


def build(
    session: Session,
    kind: str,
    *,
    year: int,
    county_name: str,
    today: dt.date,
    project_code: str | None = None,
) -> Report:
    if kind not in KINDS:
        raise UserInputError(f"没有“{kind}”这种报表（可选：{'、'.join(KINDS)}）")
    access.require(session, Permission.VIEW)
    make = KINDS[kind][1]
    extra = {"project_code": project_code} if kind == "school-notices" else {}
    return make(session, year=year, county_name=county_name, today=today, **extra)


def write(report: Report, out: Path) -> int:
    """Write by the file's suffix: .xlsx (returns data rows) or .pdf (returns pages)."""
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return write_report_xlsx(report, out)
    if suffix == ".pdf":
        return write_report_pdf(report, out)
    raise UserInputError(f"报表文件应以 .xlsx 或 .pdf 结尾：{out.name}")


def export(
    db: Database,
    kind: str,
    out: Path,
    *,
    year: int,
    county_name: str,
    today: dt.date,
    project_code: str | None = None,
) -> tuple[str, int]:
    """Build the report on its own read snapshot (a worker thread's) and write it: (title, rows or pages)."""
    with db.read() as session:
        report = build(
            session, kind, year=year, county_name=county_name, today=today, project_code=project_code
        )
    return report.title, write(report, out)
