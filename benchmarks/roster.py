"""Roster benchmark on a 200,000-teacher county, each figure beside its floor measured in the same run:

- import of a 100,000-row xlsx, new teachers and then the yearly refresh (100,000 changed rows),
  preview + apply, beside python-calamine reading the same file;
- search as you type through the real teachers page in the main window, to the table painted, beside
  the same SQL run with raw sqlite3 plus a repaint of the table with no database;
- start: a cold process to the main window painted, beside a cold process painting a bare Qt window;
- memory: that process's resident size with the teachers page scrolled to the end, beside the bare
  Qt window's.

    python benchmarks/roster.py [--data-dir DIR] [--teachers 200000] [--rows 100000]
                                [--only import,search,start]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from checkin import PaintWatch
from floors import report, report_once
from openpyxl import Workbook
from sqlalchemy import select

from desktop.db.engine import DB_FILENAME, open_database
from desktop.db.models import School, Teacher
from desktop.domain.pinyin import name_pinyin
from desktop.services.demo_county import build_demo_county
from desktop.services.roster import TeacherFilter
from desktop.services.roster_import import apply_teacher_import, preview_teacher_import
from guopei_common.idnumber import make_id_number


def build_county(data_dir: Path, teachers: int) -> None:
    if (data_dir / DB_FILENAME).exists():
        print(f"county: reusing {data_dir}")
        return
    start = time.perf_counter()
    build_demo_county(data_dir, teachers=teachers, seed=1, today=dt.date(2026, 11, 30))
    print(f"county: {teachers:,} teachers built in {time.perf_counter() - start:.1f} s")


def write_import_file(path: Path, rows: int, school_names: list[str]) -> None:
    """A realistic school list: title row, header, new teachers, 1% bad check digits."""
    rng = random.Random(2)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("教师名单")
    sheet.append(["2026 年教师信息采集表"])
    sheet.append(["序号", "姓名", "身份证号", "性别", "学校", "学段", "学科", "职称", "手机号码"])
    surnames, given = (
        "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
        "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华",
    )
    seen: set[str] = set()
    for index in range(rows):
        gender = rng.choice("12")
        while True:
            number = make_id_number(
                region_code="520102",  # teachers moving in from 贵阳: not yet in the county roster
                birth_date=dt.date(rng.randint(1970, 2000), rng.randint(1, 12), rng.randint(1, 28)),
                sequence=rng.randint(0, 99),
                gender=gender,
            )
            if number not in seen:
                seen.add(number)
                break
        if index % 100 == 0:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        sheet.append(
            [
                index + 1,
                rng.choice(surnames) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2)))),
                number,
                "男" if gender == "1" else "女",
                rng.choice(school_names),
                "小学",
                "语文",
                "一级教师",
                f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
            ]
        )
    workbook.save(path)


def write_update_file(path: Path, rows: list) -> None:
    """The yearly refresh: the same teachers (matched by ID number), each with a changed title and phone."""
    rng = random.Random(4)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("教师名单")
    sheet.append(["序号", "姓名", "身份证号", "性别", "学校", "学段", "学科", "职称", "手机号码"])
    for index, row in enumerate(rows):
        sheet.append(
            [
                index + 1,
                row.name,
                row.id_number,
                "男" if row.gender == "1" else "女",
                row.school,
                "初中",
                "数学",
                rng.choice(("二级教师", "一级教师", "高级教师")),
                f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}",
            ]
        )
    workbook.save(path)


def calamine_read(path: Path) -> float:
    """The floor of an import: reading the file's cells with python-calamine (Rust), nothing else."""
    from python_calamine import CalamineWorkbook

    start = time.perf_counter()
    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()
    assert len(rows) > 1
    return time.perf_counter() - start


def import_once(db, path: Path, label: str) -> None:
    floor = calamine_read(path)
    start = time.perf_counter()
    with db.read() as session:
        preview = preview_teacher_import(session, path, today=dt.date.today())
    checked = time.perf_counter() - start
    start = time.perf_counter()
    with db.write() as session:
        result = apply_teacher_import(session, preview, county_code="522727", today=dt.date.today())
    applied = time.perf_counter() - start
    print(f"  {label}: {preview.summary()}; created {result.created:,}, updated {result.updated:,}")
    report_once("preview", checked)
    report_once("apply", applied)
    report_once("preview + apply", checked + applied, floor=floor, goal="≤ 5 s quiet, ≤ 4× calamine")


def bench_import(data_dir: Path, rows: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="guopei-import-"))
    try:
        shutil.copy(data_dir / DB_FILENAME, work / DB_FILENAME)
        db = open_database(work)
        with db.read() as session:
            names = list(session.scalars(select(School.name)))
            existing = session.execute(
                select(Teacher.name, Teacher.id_number, Teacher.gender, School.name.label("school"))
                .join(School, Teacher.school_id == School.id)
                .order_by(Teacher.id_number)
                .limit(rows)
            ).all()
        new_file, update_file = work / "new.xlsx", work / "update.xlsx"
        start = time.perf_counter()
        write_import_file(new_file, rows, names)
        write_update_file(update_file, existing)
        print(f"import: wrote two {rows:,}-row xlsx files in {time.perf_counter() - start:.1f} s")
        import_once(db, new_file, "new teachers")
        import_once(db, update_file, "yearly refresh (updates)")
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def search_queries(db) -> dict[str, list[str]]:
    rng = random.Random(3)
    with db.read() as session:
        sample = session.execute(select(Teacher.name, Teacher.id_number, Teacher.phone).limit(200_000)).all()
    picks = rng.sample(sample, 100)
    return {
        "full name": [p.name for p in picks],
        "pinyin initials": [name_pinyin(p.name).initials for p in picks],
        "full pinyin": [name_pinyin(p.name).full for p in picks],
        "ID digits (6)": [p.id_number[-6:] for p in picks],
        "phone digits (4)": [p.phone[-4:] for p in picks],
        "1 character": [p.name[0] for p in picks],
        "2 characters": [p.name[-2:] if len(p.name) > 2 else p.name for p in picks],
        "1-2 letters": [name_pinyin(p.name).initials[: rng.choice((1, 2))] for p in picks],
    }


def raw_search(path: Path, text: str, visible: int) -> float:
    """The floor of one search: the page's two statements (the first screen of ids, the visible rows)
    run with raw sqlite3, their SQL compiled by SQLAlchemy beforehand."""
    from sqlalchemy.dialects import sqlite

    from desktop.services.roster import filtered_teachers
    from desktop.ui.teachers_page import FIRST_IDS

    def compiled(statement) -> str:
        return str(statement.compile(dialect=sqlite.dialect(), compile_kwargs={"literal_binds": True}))

    ids_sql = compiled(filtered_teachers(TeacherFilter(query=text)).limit(FIRST_IDS))
    connection = sqlite3.connect(path)
    start = time.perf_counter()
    ids = [row[0] for row in connection.execute(ids_sql)]
    if ids:
        marks = ", ".join("?" * len(ids[:visible]))
        list(
            connection.execute(
                "SELECT t.*, s.name, s.township FROM teachers t JOIN schools s ON s.id = t.school_id"
                f" WHERE t.id IN ({marks})",
                ids[:visible],
            )
        )
    elapsed = time.perf_counter() - start
    connection.close()
    return elapsed


def bench_search(data_dir: Path) -> None:
    from desktop.ui.app import create_application
    from desktop.ui.context import AppContext
    from desktop.ui.main_window import MainWindow

    app = create_application([])
    db = open_database(data_dir)
    queries = search_queries(db)
    window = MainWindow(AppContext(db))
    window.resize(1366, 768)
    window.show()
    window.show_page("teachers")
    page = window.pages["teachers"]
    app.processEvents()
    watch = PaintWatch([page.table.viewport()])
    visible = page.table.rowAt(page.table.viewport().height() - 1) + 1 or 30
    repaint = [watch.time_to_paint(app, page.table.viewport().update) for _ in range(200)]
    print(f"search through the teachers page, main window 1366×768 ({visible} rows visible):")
    report("table repaint, no database", repaint)

    def typed(text: str) -> Callable[[], None]:
        def search() -> None:
            page.search.blockSignals(True)  # no 120 ms wait for a pause in typing
            page.search.setText(text)
            page.search.blockSignals(False)
            page.search_as_typed()

        return search

    for label, texts in queries.items():
        timings, floors, rests, counts = [], [], [], []
        for index, text in enumerate(texts):
            timings.append(watch.time_to_paint(app, typed(text)))
            floors.append(raw_search(db.path, text, visible) + repaint[index % len(repaint)])
            start = time.perf_counter()
            if page._rest_timer.isActive():
                page._rest_timer.stop()
                page._load_rest()  # the rest of the matches, after the paint, as the timer would
            app.processEvents()
            rests.append(time.perf_counter() - start)
            counts.append(page.model.rowCount())
        report(f"{label} (~{int(statistics.median(counts)):,})", timings, floor=floors, goal="p95 ≤ 10 ms")
        report("  then the rest of the ids", rests)
    db.dispose()


def cold_process(mode: str, data_dir: Path) -> tuple[float, float]:
    """Seconds from starting a process to its window painted, and its RSS (MiB) at the end."""
    home = Path(tempfile.mkdtemp(prefix="guopei-home-"))
    env = {**os.environ, "XDG_CONFIG_HOME": str(home), "XDG_DATA_HOME": str(home), "HOME": str(home)}
    script = Path(__file__).with_name("window_child.py")
    try:
        start = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, str(script), mode, str(data_dir)], stdout=subprocess.PIPE, text=True, env=env
        )
        assert child.stdout is not None
        painted = 0.0
        rss = 0.0
        for line in child.stdout:
            if line.startswith("painted"):
                painted = time.perf_counter() - start
            elif line.startswith("rss"):
                rss = float(line.split()[1])
        child.wait()
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return painted, rss


def bench_start(data_dir: Path, runs: int = 3) -> None:
    print(f"start (a new process each time, best of {runs}) and memory:")
    open_database(data_dir).dispose()  # closed cleanly, as the program leaves it
    app = [cold_process("app", data_dir) for _ in range(runs)]
    bare = [cold_process("floor", data_dir) for _ in range(runs)]
    report_once(
        "start → main window painted",
        min(a[0] for a in app),
        floor=min(b[0] for b in bare),
        goal="≤ 1.0 s quiet",
    )
    report_once(
        "RSS, teachers page at the end",
        min(a[1] for a in app),
        floor=min(b[1] for b in bare),
        goal="≤ 250 MB",
        unit="MiB",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "guopei-bench-200k")
    parser.add_argument("--teachers", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--only", default="import,search,start", help="which parts, comma-separated")
    args = parser.parse_args()
    parts = set(args.only.split(","))
    build_county(args.data_dir, args.teachers)
    if "import" in parts:
        bench_import(args.data_dir, args.rows)
    if "search" in parts:
        bench_search(args.data_dir)
    if "start" in parts:
        bench_start(args.data_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main())
