"""A real provincial server in a subprocess on a loopback port, shared by the sync tests.

Every test that takes the `server` fixture runs twice: on a SQLite file, and on the real PostgreSQL at
127.0.0.1:5432 (a fresh database per module, dropped afterwards) when one is there."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
from sqlalchemy import create_engine, delete

from desktop.db.engine import Database
from desktop.db.models import Setting
from desktop.services.demo_county import COUNTY_CODE, COUNTY_NAME, DEMO_MARK
from desktop.sync.protocol import PROTOCOL_HEADER
from server.admin import issue_code
from server.cli import main as server_cli
from server.db import create_server_engine, database_url

REPO = Path(__file__).resolve().parents[2]
OTHER_COUNTY = "522728"  # 罗甸县, a neighbour
POSTGRES = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def as_real_county(db: Database) -> Database:
    """Take the demo mark off a demo county's database, so that a test may register it with the test
    server (`register` refuses a demo county). Tests only: the application has no way to do this."""
    with db.write() as session:
        session.execute(delete(Setting).where(Setting.key == DEMO_MARK))
    return db


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_available() -> bool:
    try:
        psycopg.connect(POSTGRES, connect_timeout=2).close()
    except psycopg.Error:
        return False
    return True


BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL at 127.0.0.1:5432"),
    ),
]


@contextmanager
def server_database(backend: str, directory: Path) -> Iterator[str]:
    """A new, empty server database; yields what `--db` takes (a file path or a PostgreSQL URL)."""
    if backend == "sqlite":
        yield str(directory / "server.sqlite3")
        return
    name = f"guopei_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES, autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(POSTGRES, autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def start_server(db: str, port: int) -> subprocess.Popen[bytes]:
    """`guopei-server serve` in a subprocess, returned once it answers its health check."""
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--db", db, "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/v1/health", timeout=1).headers.get(PROTOCOL_HEADER):
                return process
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("sync server did not start")
        time.sleep(0.1)


@dataclass
class Server:
    url: str
    db: str  # what `guopei-server --db` takes: a SQLite file path or a PostgreSQL URL
    backend: str

    @property
    def db_path(self) -> str:
        """The `--db` value (kept under its old name: tests pass it to the CLI)."""
        return self.db

    def code(self, county: str) -> str:
        engine = create_server_engine(self.db)
        try:
            return issue_code(engine, county)
        finally:
            engine.dispose()

    def query(self, sql: str) -> list[tuple]:
        engine = create_engine(database_url(self.db))
        try:
            with engine.connect() as connection:
                return [tuple(row) for row in connection.exec_driver_sql(sql).fetchall()]
        finally:
            engine.dispose()

    def counts(self) -> tuple[int, int, int]:
        return (
            self.query("SELECT count(*) FROM rows")[0][0],
            self.query("SELECT count(*) FROM applied_ops")[0][0],
            self.query("SELECT value FROM change_counter")[0][0],
        )


@contextmanager
def running_server(backend: str, directory: Path) -> Iterator[Server]:
    """A fresh database with the demo county and its neighbour, and `serve` running on it."""
    with server_database(backend, directory) as db:
        assert server_cli(["add-county", "--db", db, COUNTY_CODE, COUNTY_NAME]) == 0
        assert server_cli(["add-county", "--db", db, OTHER_COUNTY, "罗甸县"]) == 0
        port = free_port()
        process = start_server(db, port)
        try:
            yield Server(f"http://127.0.0.1:{port}", db, backend)
        finally:
            process.terminate()
            process.wait(timeout=10)


# One server per test module and backend: modules push unrelated demo counties under one county code.
@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(request.param, tmp_path_factory.mktemp("server")) as started:
        yield started
