"""Roster benchmark: a 200,000-teacher county, a 100,000-row xlsx import, search as you type, and
the teachers page. Prints figures; asserts nothing (see README for the latest).

    python benchmarks/roster.py [--data-dir DIR] [--teachers 200000] [--rows 100000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from openpyxl import Workbook
from sqlalchemy import select

from desktop.db.engine import DB_FILENAME, open_database
from desktop.db.models import School, Teacher
from desktop.domain.pinyin import name_pinyin
from desktop.services.demo_county import build_demo_county
from desktop.services.roster import TeacherFilter, teacher_ids, teacher_rows
from desktop.services.roster_import import apply_teacher_import, preview_teacher_import
from guopei_common.idnumber import make_id_number


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def build_county(data_dir: Path, teachers: int) -> None:
    if (data_dir / DB_FILENAME).exists():
        print(f"county: reusing {data_dir}")
        return
    start = time.perf_counter()
    build_demo_county(data_dir, teachers=teachers, seed=1)
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


def bench_import(data_dir: Path, rows: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="guopei-import-"))
    try:
        shutil.copy(data_dir / DB_FILENAME, work / DB_FILENAME)
        db = open_database(work)
        with db.read() as session:
            names = list(session.scalars(select(School.name)))
        path = work / "import.xlsx"
        start = time.perf_counter()
        write_import_file(path, rows, names)
        size = path.stat().st_size / 1e6
        print(f"import: wrote a {rows:,}-row xlsx ({size:.1f} MB) in {time.perf_counter() - start:.1f} s")
        start = time.perf_counter()
        with db.read() as session:
            preview = preview_teacher_import(session, path, today=dt.date.today())
        checked = time.perf_counter() - start
        start = time.perf_counter()
        with db.write() as session:
            result = apply_teacher_import(session, preview, county_code="522727", today=dt.date.today())
        applied = time.perf_counter() - start
        print(
            f"import: preview {checked:.1f} s + apply {applied:.1f} s = {checked + applied:.1f} s "
            f"(target ≤ 15 s); {preview.summary()}; created {result.created:,}"
        )
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench_search(data_dir: Path) -> None:
    db = open_database(data_dir)
    rng = random.Random(3)
    with db.read() as session:
        sample = session.execute(select(Teacher.name, Teacher.id_number, Teacher.phone).limit(200_000)).all()
    picks = rng.sample(sample, 200)
    queries = {
        "full name": [p.name for p in picks],
        "pinyin initials": [name_pinyin(p.name).initials for p in picks],
        "full pinyin": [name_pinyin(p.name).full for p in picks],
        "ID digits (6)": [p.id_number[-6:] for p in picks],
        "phone digits (4)": [p.phone[-4:] for p in picks],
        "1 character": [p.name[0] for p in picks],
        "2 characters": [p.name[-2:] if len(p.name) > 2 else p.name for p in picks],
        "1-2 letters": [name_pinyin(p.name).initials[: rng.choice((1, 2))] for p in picks],
    }
    print("search (ids of every match + the first visible page of rows, as the teachers page does):")
    for label, texts in queries.items():
        timings, counts = [], []
        for text in texts:
            start = time.perf_counter()
            with db.read() as session:
                ids = teacher_ids(session, TeacherFilter(query=text))
                teacher_rows(session, ids[:40])
            timings.append(time.perf_counter() - start)
            counts.append(len(ids))
        print(
            f"  {label:18s} p50 {ms(statistics.median(timings)):>9s}  p95 {ms(percentile(timings, 95)):>9s}"
            f"  (median {int(statistics.median(counts)):,} matches)"
        )
    db.dispose()


def bench_page(data_dir: Path) -> None:
    from PySide6.QtWidgets import QApplication

    from desktop.ui.app import create_application
    from desktop.ui.context import AppContext
    from desktop.ui.main_window import MainWindow

    app = create_application([])
    start = time.perf_counter()
    db = open_database(data_dir)
    window = MainWindow(AppContext(db))
    window.resize(1366, 768)
    window.show()
    QApplication.processEvents()
    shown = time.perf_counter() - start
    start = time.perf_counter()
    window.show_page("teachers")
    window.pages["teachers"].reload()
    QApplication.processEvents()
    page = time.perf_counter() - start
    rows = window.pages["teachers"].model.rowCount()
    print(f"window: shown in {shown:.2f} s (target ≤ 1.5 s)")
    print(f"teachers page: {rows:,} rows shown in {page:.2f} s (target ≤ 1 s)")
    db.dispose()
    app.quit()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "guopei-bench-200k")
    parser.add_argument("--teachers", type=int, default=200_000)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    build_county(args.data_dir, args.teachers)
    bench_import(args.data_dir, args.rows)
    bench_search(args.data_dir)
    bench_page(args.data_dir)
    print(f"peak memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
