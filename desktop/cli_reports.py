"""`guopei-desk report KIND --year Y --out FILE`: the county's reports as .xlsx or as a PDF ready to
stamp (desktop.services.reports)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from desktop.db.engine import Database

KIND_HELP = "coverage 覆盖情况；statistics 培训统计；school-notices 参训情况通报；credits 周期学时汇总"


def add_parsers(commands: argparse._SubParsersAction) -> None:
    report = commands.add_parser("report", help="生成报表：.xlsx 或可盖章的 PDF（按 --out 的扩展名）")
    report.add_argument(
        "kind", choices=("coverage", "statistics", "school-notices", "credits"), help=KIND_HELP
    )
    report.add_argument("--year", type=int, default=dt.date.today().year, help="年度（默认今年）")
    report.add_argument("--out", type=Path, required=True, help="输出文件，.xlsx 或 .pdf")
    report.add_argument("--project", metavar="项目编号", help="school-notices：只通报这一个项目")


def run(args: argparse.Namespace, db: Database, *, today: dt.date | None = None) -> int:
    from desktop.services import reports

    title, count = reports.export(
        db,
        args.kind,
        args.out,
        year=args.year,
        county_name=db.device.county_name,
        today=today or dt.date.today(),
        project_code=args.project,
    )
    unit = "页" if args.out.suffix.lower() == ".pdf" else "行"
    print(f"已生成“{title}”：{args.out}（{count} {unit}）")
    return 0
