"""Check-in benchmark: badge scans at the door of a class of 2,000 in a 200,000-teacher county, in the
main window (offscreen), timed from Enter to the feedback *painted*; then the same scans through the
service alone; and, in the same run, the floor: the same rows written with raw sqlite3 (WAL,
synchronous=FULL, one transaction per scan) and the feedback panel repainted with no database at all.
Prints figure, floor and ratio; asserts nothing.

    python benchmarks/checkin.py [--data-dir DIR] [--scans 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from floors import percentile, report
from sqlalchemy import select

from desktop.db.engine import DB_FILENAME, open_database
from desktop.db.models import Enrollment, Project, Teacher, TrainingClass, TrainingSession
from desktop.db.outbox import insert_synced_rows
from desktop.domain.badge import badge_text
from desktop.domain.ids import natural_id, op_id
from desktop.services import checkin
from desktop.services.demo_county import build_demo_county

TODAY = dt.date(2026, 11, 30)
CLASSES = ("一班", "二班", "三班")  # the screen, the service alone, the raw floor


def prepare(data_dir: Path, scans: int) -> tuple[Path, str, list[str]]:
    """A copy of the county with one session today in each of three classes of `scans` trainees."""
    if not (data_dir / DB_FILENAME).exists():
        print("building a 200,000-teacher county (a few minutes)…")
        build_demo_county(data_dir, teachers=200_000, seed=1, today=TODAY)
    work = Path(tempfile.mkdtemp(prefix="guopei-checkin-"))
    shutil.copy(data_dir / DB_FILENAME, work / DB_FILENAME)
    db = open_database(work)
    with db.write() as session:
        project = Project(
            code="BENCH-1",
            name="基准测试项目",
            program="county",
            project_type="thematic",
            mode="offline",
            hours=3,
            credits=0.3,
            start_date=TODAY,
            end_date=TODAY,
            quota=scans * len(CLASSES),
            county_code="522727",
            status="running",
        )
        session.add(project)
        session.flush()
        ids = []
        for name in CLASSES:
            training_class = TrainingClass(project_id=project.id, name=name, capacity=scans)
            session.add(training_class)
            session.flush()
            training_session = TrainingSession(
                class_id=training_class.id,
                date=TODAY,
                start_time=dt.time(8, 30),
                end_time=dt.time(11, 30),
                hours=3,
            )
            session.add(training_session)
            session.flush()
            ids.append((training_class.id, training_session.id))
        teachers = session.execute(select(Teacher.id, Teacher.school_id).limit(scans * len(CLASSES))).all()
        rows = [
            {
                "teacher_id": teacher_id,
                "project_id": project.id,
                "class_id": ids[index % len(CLASSES)][0],
                "sending_school_id": school_id,
                "status": "publicised",
            }
            for index, (teacher_id, school_id) in enumerate(teachers)
        ]
        insert_synced_rows(session, Enrollment, rows)
        project_id = project.id
    db.dispose()
    return work, project_id, [session_id for _, session_id in ids]


def enrollments_of(db, session_id: str) -> list[str]:
    with db.read() as session:
        return [line.enrollment_id for line in checkin.roll(session, session_id).lines]


class PaintWatch:
    """Counts paint events of the feedback panel and its labels: the scan is seen once they are painted."""

    def __init__(self, widgets) -> None:
        from PySide6.QtCore import QEvent, QObject

        class Filter(QObject):
            def eventFilter(inner, _watched, event) -> bool:
                if event.type() == QEvent.Type.Paint:
                    self.painted += 1
                return False

        self.painted = 0
        self.filter = Filter()
        for widget in widgets:
            widget.installEventFilter(self.filter)

    def time_to_paint(self, app, action: Callable[[], None]) -> float:
        """Seconds from `action` to the end of the event-loop pass that painted the panel."""
        self.painted = 0
        start = time.perf_counter()
        action()
        deadline = start + 2
        while not self.painted and time.perf_counter() < deadline:
            app.processEvents()
        return time.perf_counter() - start


def raw_writes(path: Path, session_id: str, enrollment_ids: list[str], at: dt.datetime) -> list[float]:
    """The floor: what one check-in stores (the attendance row, the enrollment's arrival, their two
    outbox rows and the clock's high-water mark) written with sqlite3 and no ORM, one commit per scan."""
    connection = sqlite3.connect(path, isolation_level=None)
    for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
        connection.execute(f"PRAGMA {pragma}")
    device = connection.execute("SELECT id FROM device").fetchone()[0]
    timings = []
    for index, enrollment_id in enumerate(enrollment_ids):
        start = time.perf_counter()
        hlc = f"{int(time.time() * 1000):015d}-{index:05d}-{device}"
        attendance_id = natural_id("attendance", session_id, enrollment_id)
        row = {
            "session_id": session_id,
            "enrollment_id": enrollment_id,
            "status": "present",
            "checked_in_at": at.isoformat(sep=" "),
            "checked_out_at": None,
            "method": "badge",
            "hours": 3.0,
            "note": "",
            "id": attendance_id,
            "hlc": hlc,
            "origin": device,
            "deleted": False,
        }
        connection.execute("BEGIN IMMEDIATE")
        connection.execute(
            f"INSERT INTO attendance ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
            tuple(row.values()),
        )
        connection.execute(
            "UPDATE enrollments SET status = 'attending', hlc = ?, origin = ? WHERE id = ?",
            (hlc, device, enrollment_id),
        )
        enrollment = connection.execute("SELECT * FROM enrollments WHERE id = ?", (enrollment_id,)).fetchone()
        now = dt.datetime.now().isoformat(sep=" ")
        for entity, row_id, payload in (
            ("attendance", attendance_id, json.dumps(row, ensure_ascii=False)),
            ("enrollment", enrollment_id, json.dumps(enrollment, ensure_ascii=False)),
        ):
            connection.execute(
                "INSERT INTO outbox (op_id, entity, row_id, hlc, payload, changed, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (op_id(entity, row_id, hlc), entity, row_id, hlc, payload, None, now),
            )
        connection.execute("UPDATE device SET last_hlc = ?", (hlc,))
        connection.execute("COMMIT")
        timings.append(time.perf_counter() - start)
    connection.close()
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "guopei-bench-200k")
    parser.add_argument("--scans", type=int, default=2000, help="trainees in the class (one scan each)")
    args = parser.parse_args()
    work, project_id, (screen_session, service_session, raw_session) = prepare(args.data_dir, args.scans)
    try:
        from desktop.ui.app import create_application
        from desktop.ui.context import AppContext
        from desktop.ui.main_window import MainWindow

        app = create_application([])
        db = open_database(work)
        clock = lambda: dt.datetime.combine(TODAY, dt.time(8, 20))  # noqa: E731 - a fixed clock
        window = MainWindow(AppContext(db, today=lambda: TODAY))
        window.resize(1366, 768)
        window.show()
        window.show_page("checkin")
        page = window.pages["checkin"]
        page.clock = clock
        page.load_sessions()
        page.picker.setCurrentIndex(page.picker.findData(screen_session))
        app.processEvents()
        watch = PaintWatch([page.feedback, page.headline, page.detail])

        # The floor of the screen: the panel showing the same kind of answer (other trainees' names and
        # schools, so that glyphs are drawn afresh as in a real scan), with no database.
        with db.read() as session:
            others = checkin.roll(session, raw_session).lines
        answers = [
            checkin.ScanResult(checkin.Outcome.CHECKED_IN, line.name, f"签到成功 08:20  {line.school}")
            for line in others
        ]
        paint = [watch.time_to_paint(app, lambda a=answer: page.show_result(a)) for answer in answers]

        def enter(text: str) -> Callable[[], None]:
            def press() -> None:
                page.input.setText(text)
                page.input.returnPressed.emit()  # what Enter does

            return press

        screen = [
            watch.time_to_paint(app, enter(badge_text(enrollment_id, project_id)))
            for enrollment_id in enrollments_of(db, screen_session)
        ]
        service = []
        with db.read() as session:
            info = checkin.session_info(session, service_session)  # held by the screen, as there
        for enrollment_id in enrollments_of(db, service_session):
            start = time.perf_counter()
            with db.write() as session:
                text = badge_text(enrollment_id, project_id)
                checkin.scan(session, service_session, text, now=clock(), info=info)
            service.append(time.perf_counter() - start)
        raw_ids = enrollments_of(db, raw_session)
        db.dispose()
        raw = raw_writes(work / DB_FILENAME, raw_session, raw_ids, clock())
        floor = [a + b for a, b in zip(sorted(raw), sorted(paint), strict=False)]
        print(f"check-in, class of {args.scans:,}, 200,000-teacher county, main window 1366×768 (offscreen)")
        report("raw sqlite3 write (floor)", raw)
        report("panel repaint, no database", paint)
        report("service: scan + commit", service, floor=raw, goal="≤ 3× raw write")
        report("Enter → feedback painted", screen, floor=floor, goal="p95 ≤ 10 ms quiet")
        print(f"  (screen floor = raw write + repaint, p95 {percentile(floor, 95) * 1000:.1f} ms)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
