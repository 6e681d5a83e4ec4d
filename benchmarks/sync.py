"""Sync benchmark: one county day pushed and pulled over a simulated rural link, and the bytes it costs
compared with a naive client that POSTs one JSON record per request. Prints figures; asserts nothing.

    PYTHONPATH=. python benchmarks/sync.py [--teachers 1000] [--rate 64000] [--delay 0.3] [--loss 0.03]

A real server subprocess (SQLite file in a temporary folder) and a demo county that has synced
everything before today (over loopback). Then the day, through the real services, so the outbox fills
as in real use: 2,000 check-ins (1,000 trainees in 20 classes of 50, morning and afternoon), 50 roster
edits, one class's completions. The day's exchange file (`guopei-desk exchange export`) is written and
measured. Then one sync (push + pull) through tests/sync/link_proxy.py shaped as
64 kbit/s each way, 300 ms one-way delay, 3 % loss (emulated as retransmission stalls; see that module).
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.server
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import requests
from sqlalchemy import func, select

from desktop.db.engine import Database, open_database
from desktop.db.models import Attendance, Enrollment, OutboxEntry, Project, Teacher, TrainingClass
from desktop.db.models import TrainingSession as SessionRow
from desktop.db.outbox import insert_synced_rows
from desktop.domain.badge import badge_text
from desktop.services import checkin, completion, teachers
from desktop.services.demo_county import COUNTY_CODE, COUNTY_NAME, build_demo_county
from desktop.sync.client import SyncClient, register
from desktop.sync.exchange import export_exchange
from guopei_common.protocol import MAX_BATCH_OPS, PROTOCOL_HEADER
from server.cli import main as server_cli
from tests.sync.conftest import as_real_county
from tests.sync.link_proxy import LinkProxy, Shaping

TODAY = dt.date(2026, 11, 30)
EXCHANGE_PASSWORD = "benchmark exchange password"
REPO = Path(__file__).resolve().parents[1]
CLASSES, CLASS_SIZE = 20, 50


def serve(work: Path) -> tuple[subprocess.Popen[bytes], str, Path]:
    import socket

    db_path = work / "province.sqlite3"
    assert server_cli(["add-county", "--db", str(db_path), COUNTY_CODE, COUNTY_NAME]) == 0
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--db", str(db_path), "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if requests.get(f"{url}/v1/health", timeout=1).headers.get(PROTOCOL_HEADER):
                return process, url, db_path
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("sync server did not start")
        time.sleep(0.2)


def prepare_day(db: Database) -> tuple[str, list[tuple[str, str]], list[str]]:
    """A project running today: CLASSES classes of CLASS_SIZE, a morning and an afternoon session each.
    Written before the day's sync point, like the timetable a centre prepares in advance."""
    with db.write() as session:
        project = Project(
            code="BENCH-SYNC",
            name="同步基准测试项目",
            program="county",
            project_type="thematic",
            mode="offline",
            hours=6,
            credits=0.6,
            start_date=TODAY,
            end_date=TODAY,
            quota=CLASSES * CLASS_SIZE,
            county_code=COUNTY_CODE,
            status="running",
        )
        session.add(project)
        session.flush()
        sessions: list[tuple[str, str]] = []  # (session id, class id)
        for number in range(CLASSES):
            training_class = TrainingClass(project_id=project.id, name=f"{number + 1}班", capacity=CLASS_SIZE)
            session.add(training_class)
            session.flush()
            for start, end in ((dt.time(8, 30), dt.time(11, 30)), (dt.time(14, 0), dt.time(17, 0))):
                row = SessionRow(
                    class_id=training_class.id, date=TODAY, start_time=start, end_time=end, hours=3
                )
                session.add(row)
                session.flush()
                sessions.append((row.id, training_class.id))
        people = session.execute(select(Teacher.id, Teacher.school_id).limit(CLASSES * CLASS_SIZE)).all()
        class_ids = [class_id for _, class_id in sessions[::2]]
        rows = [
            {
                "teacher_id": teacher_id,
                "project_id": project.id,
                "class_id": class_ids[index // CLASS_SIZE],
                "sending_school_id": school_id,
                "status": "publicised",
            }
            for index, (teacher_id, school_id) in enumerate(people)
        ]
        insert_synced_rows(session, Enrollment, rows)
        return project.id, sessions, [teacher_id for teacher_id, _ in people[:50]]


def county_day(db: Database, project_id: str, sessions: list[tuple[str, str]], edited: list[str]) -> None:
    """The day's work through the services, one transaction per action as the screens do."""
    for index, (session_id, class_id) in enumerate(sessions):
        with db.read() as session:
            enrollment_ids = session.scalars(
                select(Enrollment.id).where(Enrollment.class_id == class_id)
            ).all()
        at = dt.datetime.combine(TODAY, dt.time(13, 50) if index % 2 else dt.time(8, 20))
        for enrollment_id in enrollment_ids:
            with db.write() as session:
                checkin.scan(session, session_id, badge_text(enrollment_id, project_id), now=at)
    for number, teacher_id in enumerate(edited):
        with db.write() as session:
            form = teachers.form_of(session, teacher_id)
            changed = replace(form, phone=f"139{number:08d}")
            teachers.update_teacher(session, teacher_id, changed, today=TODAY)
    first_class = sessions[0][1]
    with db.write() as session:
        enrollment_ids = session.scalars(
            select(Enrollment.id).where(Enrollment.class_id == first_class)
        ).all()
        completion.confirm(
            session,
            project_id,
            enrollment_ids,
            decided_by="培训中心",
            at=dt.datetime.combine(TODAY, dt.time(17, 30)),
        )


class _RestEndpoint(http.server.BaseHTTPRequestHandler):
    """What a naive per-record API answers: 201 and a small JSON acknowledgement."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        body = b'{"ok":true}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        pass


def naive_bytes(records: list[dict[str, object]], token: str) -> int:
    """Bytes on the wire (HTTP heads and bodies both ways, as counted by the proxy; TCP/IP headers not
    counted, for this client or ours) when every record is POSTed on its own, as uncompressed JSON,
    with `requests.post`, to a small local endpoint."""
    endpoint = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _RestEndpoint)
    threading.Thread(target=endpoint.serve_forever, daemon=True).start()
    try:
        with LinkProxy(f"http://127.0.0.1:{endpoint.server_address[1]}") as proxy:
            for record in records:
                response = requests.post(
                    f"{proxy.url}/v1/attendance", json=record, headers={"Authorization": f"Bearer {token}"}
                )
                response.raise_for_status()
            return proxy.stats.up + proxy.stats.down
    finally:
        endpoint.shutdown()
        endpoint.server_close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teachers", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=64_000, help="bits/s each way")
    parser.add_argument("--delay", type=float, default=0.3, help="one-way delay, seconds")
    parser.add_argument("--loss", type=float, default=0.03, help="chance per ~1 KB chunk of a stall")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="guopei-sync-bench-"))
    process, url, server_db = serve(work)
    try:
        print(f"building a {args.teachers:,}-teacher county and syncing its history over loopback…")
        build_demo_county(work / "county", teachers=args.teachers, seed=1, today=TODAY)
        db = as_real_county(open_database(work / "county"))  # the demo county refuses to register
        # The administrator's command, as documented (it prints the one-time code).
        code = subprocess.run(
            [sys.executable, "-m", "server.cli", "issue-code", "--db", str(server_db), COUNTY_CODE],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        token = register(db, url, code)
        project_id, sessions, edited = prepare_day(db)
        SyncClient(db, url, token, batch_size=MAX_BATCH_OPS).sync()  # everything before today
        # The county's last exchange file before the day: the day's file holds only the day.
        export_exchange(db, work / "before.gpx", password=EXCHANGE_PASSWORD)

        county_day(db, project_id, sessions, edited)
        day_file = export_exchange(db, work / "day.gpx", password=EXCHANGE_PASSWORD)
        print(
            f"the day's exchange file (.gpx: compressed, signed, encrypted): {day_file.bytes:,} B for"
            f" {day_file.records:,} records, {day_file.bytes / day_file.records:.1f} B per record"
            " (goal ≤ 40 B)"
        )
        with db.read() as session:
            ops = session.execute(select(OutboxEntry.entity, func.count()).group_by(OutboxEntry.entity)).all()
            payloads = session.scalars(select(OutboxEntry.payload).where(OutboxEntry.entity == "attendance"))
            attendance = [json.loads(payload) for payload in payloads]
            checked_in = session.scalar(
                select(func.count()).select_from(Attendance).where(Attendance.deleted.is_(False))
            )
        total_ops = sum(count for _, count in ops)
        print(f"the day: {total_ops:,} ops in the outbox ({', '.join(f'{e} {n:,}' for e, n in sorted(ops))})")

        shaping = Shaping(rate_bps=args.rate, delay_s=args.delay, loss=args.loss)
        with LinkProxy(url, shaping) as link:
            client = SyncClient(db, link.url, token)
            start = time.perf_counter()
            summary = client.push()
            pushed_wire = link.stats.up + link.stats.down
            pulled = client.pull()
            elapsed = time.perf_counter() - start
            wire = link.stats.up + link.stats.down
        print(
            f"sync over {args.rate / 1000:.0f} kbit/s, {args.delay * 1000:.0f} ms delay,"
            f" {args.loss:.0%} loss:"
            f" {elapsed:.1f} s ({summary.batches} batches, {summary.retries} re-sent, next batch"
            f" {summary.batch_size}; pulled {pulled}), {link.stats.requests} requests"
        )
        print(
            f"  bodies counted by the client: push sent {summary.bytes_sent:,} B, received"
            f" {summary.bytes_received:,} B; whole sync sent {client.traffic.sent:,} B,"
            f" received {client.traffic.received:,} B"
        )
        naive = naive_bytes(attendance, token)
        ours = pushed_wire / total_ops  # every op of the day shares the push, attendance or not
        naive_each = naive / len(attendance)
        print(
            f"bytes on the wire per record (HTTP heads and bodies, both ways): ours {ours:.0f} B (push),"
            f" {wire / total_ops:.0f} B (push + pull);"
            f" naive one-POST-per-record {naive_each:.0f} B"
        )
        print(
            f"ratio naive/ours: {naive_each / ours:.1f}× (push), {naive_each / (wire / total_ops):.1f}×"
            f" (push + pull); target ≥ 20×"
        )
        print(f"attendance rows in the county: {checked_in:,} (the day's check-ins: {len(attendance):,})")
        db.dispose()
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
