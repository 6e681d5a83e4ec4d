"""Several server processes on one database (what production runs behind a load balancer): devices
push at the same time through different processes, and a device pulling through any of them gets
every change exactly once, in an order without gaps. Nothing that matters lives in a process."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from desktop.db.engine import create_database
from desktop.db.models import OutboxEntry, School, Teacher
from desktop.db.outbox import insert_synced_rows
from desktop.sync.client import SyncClient, register
from guopei_common.idnumber import make_id_number
from server.admin import issue_code
from server.cli import main as server_cli
from server.db import create_server_engine, database_url
from tests.sync.conftest import BACKENDS, free_port, server_database, start_server

COUNTY = "520301"
PER_DEVICE = 400


def _birthday(device_number: int, index: int) -> dt.date:
    return dt.date(1970, 1, 1) + dt.timedelta(days=device_number * 1000 + index)


def _fill(client: SyncClient, device_number: int) -> None:
    """A school and teachers of this device's own (distinct ID numbers), written as an import would."""
    with client.db.write() as session:
        insert_synced_rows(session, School, [{"name": f"第{device_number}中学", "county_code": COUNTY}])
        school_id = session.scalars(select(School.id)).one()
        insert_synced_rows(
            session,
            Teacher,
            [
                {
                    # Valid numbers (the server checks every payload): one birthday per teacher.
                    "id_number": make_id_number(
                        region_code=COUNTY, birth_date=_birthday(device_number, index), sequence=1, gender="1"
                    ),
                    "name": f"教师{index}",
                    "gender": "1",
                    "birth_date": _birthday(device_number, index),
                    "school_id": school_id,
                }
                for index in range(PER_DEVICE)
            ],
        )


@pytest.mark.proof
@pytest.mark.parametrize("backend", BACKENDS)
def test_two_server_processes_share_one_database(backend: str, tmp_path: Path) -> None:
    with server_database(backend, tmp_path) as db:
        assert server_cli(["add-county", "--db", db, COUNTY, "测试县"]) == 0
        ports = [free_port(), free_port()]
        processes = [start_server(db, port) for port in ports]
        try:
            urls = [f"http://127.0.0.1:{port}" for port in ports]
            clients: list[SyncClient] = []
            for number in range(4):
                url = urls[number % 2]  # devices 0 and 2 on one process, 1 and 3 on the other
                local = create_database(tmp_path / f"d{number}", county_code=COUNTY, county_name="测试县")
                code = _issue(db)
                clients.append(SyncClient(local, url, register(local, url, code), batch_size=50))
                _fill(clients[-1], number)

            errors: list[BaseException] = []

            def push(client: SyncClient) -> None:
                try:
                    summary = client.push()
                except BaseException as error:  # reported by the main thread, below
                    errors.append(error)
                    return
                if summary.rejected:  # a refused op would leave the counts below short for another reason
                    errors.append(AssertionError(summary.rejected[0].reason))

            threads = [threading.Thread(target=push, args=(client,)) for client in clients]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=300)
            assert errors == []

            reader_db = create_database(tmp_path / "reader", county_code=COUNTY, county_name="测试县")
            reader = SyncClient(reader_db, urls[1], register(reader_db, urls[1], _issue(db)), page_size=97)
            pulled = reader.pull()
            with reader_db.read() as session:
                teachers = session.scalar(select(func.count()).select_from(Teacher))
                schools = session.scalar(select(func.count()).select_from(School))
            for client in clients:
                with client.db.read() as session:
                    assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
                client.db.dispose()
            reader_db.dispose()
        finally:
            for process in processes:
                process.terminate()
                process.wait(timeout=10)

        # Every row once, every op once, and the sequence numbers a gap-free run without repeats.
        assert teachers == 4 * PER_DEVICE and schools == 4
        assert pulled == 4 * (PER_DEVICE + 1)
        rows, ops, seqs = _server_counts(db)
        assert rows == ops == 4 * (PER_DEVICE + 1)
        assert seqs == list(range(1, rows + 1))


def _issue(db: str) -> str:
    engine = create_server_engine(db)
    try:
        return issue_code(engine, COUNTY)
    finally:
        engine.dispose()


def _server_counts(db: str) -> tuple[int, int, list[int]]:
    engine = create_engine(database_url(db))
    try:
        with engine.connect() as connection:
            rows = connection.exec_driver_sql("SELECT count(*) FROM rows").scalar_one()
            ops = connection.exec_driver_sql("SELECT count(*) FROM applied_ops").scalar_one()
            seqs = [row[0] for row in connection.exec_driver_sql("SELECT seq FROM rows ORDER BY seq")]
    finally:
        engine.dispose()
    return rows, ops, seqs
