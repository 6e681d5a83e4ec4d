"""Check-in benchmark: 2,000 badge scans through the real check-in screen (offscreen) against a
200,000-teacher county, timed from Enter to committed row and updated feedback; then the same scans
through the service alone. Prints figures; asserts nothing.

    python benchmarks/checkin.py [--data-dir DIR] [--scans 2000]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from sqlalchemy import select

from desktop.db.engine import DB_FILENAME, open_database
from desktop.db.models import Enrollment, Project, Teacher, TrainingClass, TrainingSession
from desktop.db.outbox import insert_synced_rows
from desktop.domain.badge import badge_text
from desktop.services import checkin
from desktop.services.demo_county import build_demo_county

TODAY = dt.date(2026, 11, 30)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def prepare(data_dir: Path, scans: int) -> tuple[Path, str, list[str]]:
    """A copy of the county with one session today whose class has `scans` trainees (twice: one class
    for the screen, one for the service alone)."""
    if not (data_dir / DB_FILENAME).exists():
        print("building a 200,000-teacher county (about a minute)…")
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
            quota=scans * 2,
            county_code="522727",
            status="running",
        )
        session.add(project)
        session.flush()
        ids = []
        for name in ("一班", "二班"):
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
        teachers = session.execute(select(Teacher.id, Teacher.school_id).limit(scans * 2)).all()
        rows = [
            {
                "teacher_id": teacher_id,
                "project_id": project.id,
                "class_id": ids[index % 2][0],
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "guopei-bench-200k")
    parser.add_argument("--scans", type=int, default=2000)
    args = parser.parse_args()
    work, project_id, (screen_session, service_session) = prepare(args.data_dir, args.scans)
    try:
        from desktop.ui.app import create_application
        from desktop.ui.checkin_page import CheckInPage
        from desktop.ui.context import AppContext

        app = create_application([])
        db = open_database(work)
        clock = lambda: dt.datetime.combine(TODAY, dt.time(8, 20))  # noqa: E731 - a fixed clock
        page = CheckInPage(AppContext(db, today=lambda: TODAY), clock=clock)
        page.resize(1196, 720)
        page.show()
        page.picker.setCurrentIndex(page.picker.findData(screen_session))
        app.processEvents()
        timings = []
        for enrollment_id in enrollments_of(db, screen_session)[: args.scans // 2 * 2]:
            page.input.setText(badge_text(enrollment_id, project_id))
            start = time.perf_counter()
            page.submit()  # what Enter does: commit, then feedback and roll
            timings.append(time.perf_counter() - start)
            app.processEvents()
        print(
            f"screen:  {len(timings):,} scans  p50 {statistics.median(timings) * 1000:.1f} ms"
            f"  p95 {percentile(timings, 95) * 1000:.1f} ms"
            "  (Enter → committed row → feedback and roll; target p95 ≤ 20 ms)"
        )
        service = []
        for enrollment_id in enrollments_of(db, service_session):
            start = time.perf_counter()
            with db.write() as session:
                checkin.scan(session, service_session, badge_text(enrollment_id, project_id), now=clock())
            service.append(time.perf_counter() - start)
        print(
            f"service: {len(service):,} scans  p50 {statistics.median(service) * 1000:.1f} ms"
            f"  p95 {percentile(service, 95) * 1000:.1f} ms  (ORM path and commit alone)"
        )
        db.dispose()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
