"""A real provincial server on a loopback port, shared by the sync tests.

The server is the real app (`server.app.create_app`) behind the real uvicorn, served from a thread of
the test process: real HTTP on a real socket, without an interpreter started per test module. The
tests whose point is the process itself (killed with SIGKILL, two processes on one database, the
deployed unit behind nginx, the TLS options of `serve`) start `guopei-server serve` with
`start_server` instead.

Every test that takes the `server` fixture runs twice: on a SQLite file, and on the real PostgreSQL at
127.0.0.1:5432 (a fresh database per module, dropped afterwards) when one is there; the PostgreSQL
twins carry the `postgresql` marker."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
import requests
import uvicorn
from sqlalchemy import create_engine, delete, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from desktop.db.base import Base
from desktop.db.engine import Database, open_database
from desktop.db.models import CreditEntry, OutboxEntry, Project, Setting
from desktop.db.outbox import to_json
from desktop.services.demo_county import COUNTY_CODE, COUNTY_NAME, DEMO_MARK
from guopei_common.protocol import PROTOCOL_HEADER, REFERENCES
from server.admin import issue_code
from server.app import create_app
from server.cli import main as server_cli
from server.db import create_server_engine, database_url
from server.proxy import trusted_networks

REPO = Path(__file__).resolve().parents[2]
OTHER_COUNTY = "522728"  # 罗甸县, a neighbour
POSTGRES = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def as_real_county(db: Database) -> Database:
    """Take the demo mark off a demo county's database, so that a test may register it with the test
    server (`register` refuses a demo county). Tests only: the application has no way to do this.

    The demo also makes locally what only the province writes (projects it publishes, credits it
    reviewed), which a real county only ever pulls and the server refuses from a county: those become
    the county's own projects and submitted credits, in the tables and in the outbox alike (Core
    statements: no new ops, the outbox counts stay)."""
    with db.write() as session:
        session.execute(delete(Setting).where(Setting.key == DEMO_MARK))
        session.execute(update(Project).where(Project.owner == "province").values(owner="county"))
        decided = CreditEntry.status.in_(["approved", "rejected"])
        session.execute(update(CreditEntry).where(decided).values(status="submitted", status_reason=""))
        entries = session.execute(
            select(OutboxEntry.op_id, OutboxEntry.entity, OutboxEntry.payload).where(
                OutboxEntry.entity.in_(["project", "credit_entry"])
            )
        ).all()
        for op_id, entity, text in entries:
            payload = json.loads(text)
            if entity == "project" and payload.get("owner") == "province":
                payload["owner"] = "county"
            elif entity == "credit_entry" and payload.get("status") in ("approved", "rejected"):
                payload.update(status="submitted", status_reason="")
            else:
                continue
            session.execute(
                update(OutboxEntry).where(OutboxEntry.op_id == op_id).values(payload=to_json(payload))
            )
    return db


def without_outbox(db: Database) -> Database:
    """Empty a demo county's outbox: its tens of thousands of ops are not what most tests are about,
    and pushing them takes the better part of a minute. Only what the test does afterwards travels (the
    server refuses references to rows it does not hold: a test that then changes demo rows sends their
    parents first, see test_province_admin)."""
    with db.write() as session:
        session.execute(delete(OutboxEntry))
    return db


def requeue(session: Session, rows: Sequence[Base]) -> None:
    """Queue `rows` again, whole, as if just changed, each after the rows it refers to (transitively,
    as a county PC sends parents before children): after `without_outbox`, what a test's own changes
    refer to must reach the server first."""
    models = {
        mapper.class_.__sync_entity__: mapper.class_
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__sync_entity__")
    }
    queued: set[tuple[str, str]] = set()

    def queue(row: Base) -> None:
        entity = row.__sync_entity__
        if (entity, row.id) in queued:
            return
        queued.add((entity, row.id))
        for column, target in REFERENCES.get(entity, {}).items():
            if parent_id := getattr(row, column):
                queue(session.get_one(models[target], parent_id))
        flag_modified(row, "deleted")
        session.flush()

    for row in rows:
        queue(row)


@pytest.fixture(scope="session")
def quiet_demo(small_demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 300-teacher demo county as a real county (`as_real_county`) with an empty outbox
    (`without_outbox`), made once per session; tests copy it with `copy_county`. The copies share
    their device id and row ids: at most one copy may register with a given server."""
    data_dir = tmp_path_factory.mktemp("quiet-demo") / "county"
    without_outbox(as_real_county(copy_county(small_demo_dir, data_dir))).dispose()
    return data_dir


def copy_county(template: Path, data_dir: Path) -> Database:
    shutil.copytree(template, data_dir)
    return open_database(data_dir)


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
        marks=[
            pytest.mark.postgresql,
            pytest.mark.skipif(not postgres_available(), reason="no PostgreSQL at 127.0.0.1:5432"),
        ],
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


def start_server(db: str, port: int, *options: str) -> subprocess.Popen[bytes]:
    """`guopei-server serve` (with `options`) in a subprocess, returned once it answers its health check."""
    # GUOPEI_SERVER_PYTHON: the interpreter of a server-only install (`pip install '.[server]'`, no Qt);
    # the server is then imported from that installation, not from this checkout
    # (installer/server-install-check.sh).
    installed = os.environ.get("GUOPEI_SERVER_PYTHON")
    process = subprocess.Popen(
        [installed or sys.executable, "-m", "server.cli", "serve", "--db", db, "--port", str(port), *options],
        cwd=REPO.parent if installed else REPO,
        env={**os.environ, "PYTHONPATH": "" if installed else str(REPO)},
    )
    deadline = time.monotonic() + 60  # a loaded 2-core machine can take over 20 s to import and migrate
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


@contextmanager
def serving(db: str, *, trusted_proxy: str | None = None) -> Iterator[str]:
    """The server's app on `db` behind uvicorn, as `guopei-server serve` runs it, in a thread of this
    process on a free loopback port; yields its URL once it answers. `trusted_proxy`: as `serve
    --trusted-proxy` (without it, the environment's setting, as `serve` reads it)."""
    app = create_app(db, trusted_proxies=trusted_networks([trusted_proxy]) if trusted_proxy else None)
    # Bound here, on a port the OS picks, so that no other test or worker can take it in between. Named
    # TCP explicitly: asyncio turns Nagle's algorithm off only on sockets that say so, and with it on,
    # every request waits 40 ms for a delayed ACK.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    # The options of server.cli's `serve`; a bounded graceful shutdown, as a client's kept-alive
    # connection would otherwise hold it.
    config = uvicorn.Config(app, log_level="warning", proxy_headers=False, timeout_graceful_shutdown=5)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, name=f"server:{port}")
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("sync server did not start")
            time.sleep(0.01)
        url = f"http://127.0.0.1:{port}"
        assert requests.get(f"{url}/v1/health", timeout=5).headers.get(PROTOCOL_HEADER)
        yield url
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        listener.close()
        app.state.service.engine.dispose()


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
def running_server(backend: str, directory: Path, *, trusted_proxy: str | None = None) -> Iterator[Server]:
    """A fresh database with the demo county and its neighbour, and the server (in process) on it."""
    with server_database(backend, directory) as db:
        assert server_cli(["add-county", "--db", db, COUNTY_CODE, COUNTY_NAME]) == 0
        assert server_cli(["add-county", "--db", db, OTHER_COUNTY, "罗甸县"]) == 0
        if os.environ.get("GUOPEI_SERVER_PYTHON"):
            # The server-only install under test (installer/server-install-check.sh): its own process.
            port = free_port()
            options = ("--trusted-proxy", trusted_proxy) if trusted_proxy else ()
            process = start_server(db, port, *options)
            try:
                yield Server(f"http://127.0.0.1:{port}", db, backend)
            finally:
                process.terminate()
                process.wait(timeout=30)
            return
        with serving(db, trusted_proxy=trusted_proxy) as url:
            yield Server(url, db, backend)


# One server per test module and backend: modules push unrelated demo counties under one county code.
@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with running_server(request.param, tmp_path_factory.mktemp("server")) as started:
        yield started
