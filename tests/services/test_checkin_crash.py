"""Kill a check-in process (SIGKILL) at random moments: every check-in it reported as saved is there
exactly once, nothing it did not report is half there, and the database passes integrity_check."""

from __future__ import annotations

import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.db.engine import DB_FILENAME, open_database
from desktop.db.models import Enrollment, TrainingClass, TrainingSession
from desktop.domain.ids import natural_id
from tests.conftest import DEMO_TODAY

ITERATIONS = 12
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.proof
def test_killed_check_in_process_loses_nothing_it_reported(small_demo_dir, tmp_path):
    demo_db = open_database(small_demo_dir)
    with demo_db.read() as session:
        sessions = session.execute(
            select(TrainingSession.id, TrainingClass.id)
            .join(TrainingClass, TrainingSession.class_id == TrainingClass.id)
            .where(TrainingSession.date == DEMO_TODAY)
        ).all()
        session_id = max(
            sessions,
            key=lambda pair: len(
                session.scalars(
                    select(Enrollment.id).where(
                        Enrollment.class_id == pair[1], Enrollment.status.in_(["publicised", "attending"])
                    )
                ).all()
            ),
        )[0]
    demo_db.dispose()
    rng = random.Random(5)
    reported_total = 0
    for iteration in range(ITERATIONS):
        data_dir = tmp_path / f"run{iteration}"
        shutil.copytree(small_demo_dir, data_dir)
        worker = subprocess.Popen(
            [sys.executable, "-m", "tests.services.checkin_worker", str(data_dir), session_id],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert worker.stdout is not None
        first = worker.stdout.readline()  # "ready": the database is open, scanning starts now
        time.sleep(rng.uniform(0.0, 1.0))
        worker.send_signal(signal.SIGKILL)
        output, _ = worker.communicate()
        output = first + output
        saved = [line.split()[1] for line in output.splitlines() if line.startswith("checked_in")]
        reported_total += len(saved)

        connection = sqlite3.connect(data_dir / DB_FILENAME)
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = connection.execute(
            "SELECT enrollment_id, count(*) FROM attendance WHERE session_id = ? AND deleted = 0 GROUP BY 1",
            (session_id,),
        ).fetchall()
        outbox = dict(
            connection.execute(
                "SELECT row_id, count(*) FROM outbox WHERE entity = 'attendance' GROUP BY 1"
            ).fetchall()
        )
        connection.close()
        present = {enrollment_id for enrollment_id, count in rows if count == 1}
        assert all(count == 1 for _, count in rows)
        assert set(saved) <= present  # everything reported as saved survived the kill
        # At most one check-in more than reported: the one committed as the process died, never a
        # half-written one (it would fail integrity_check or lack its outbox row).
        assert len(present - set(saved)) <= 1
        for enrollment_id in present:
            assert outbox.get(natural_id("attendance", session_id, enrollment_id), 0) >= 1
    assert reported_total > 0  # the kills did land in the middle of scanning
