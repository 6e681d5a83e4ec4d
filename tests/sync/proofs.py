"""Shared helpers for the sync proofs (crash, orders, clock skew, authorization): canonical dumps of a
county database and of the server's rows, so that "the same everywhere" is one dict comparison."""

from __future__ import annotations

import contextlib
import io
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import select

from desktop.db.base import Base
from desktop.db.engine import Database
from desktop.db.models import OutboxEntry
from desktop.db.outbox import to_json
from guopei_common.protocol import PROTOCOL_HEADER
from server.cli import main as server_cli

REPO = Path(__file__).resolve().parents[2]

Key = tuple[str, str]  # (entity, row id)
Query = Callable[[str], list[tuple]]


def synced_models() -> dict[str, type[Base]]:
    return {
        mapper.class_.__sync_entity__: mapper.class_
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__sync_entity__")
    }


def device_dump(db: Database) -> dict[Key, dict[str, Any]]:
    """Every synced row of a county database, as the JSON the outbox would send for it (so that it
    compares equal to the payload the server stored): ids, hlc, origin, tombstone and every column."""
    dump: dict[Key, dict[str, Any]] = {}
    with db.read() as session:
        for entity, model in synced_models().items():
            for row in session.execute(select(model.__table__)).mappings():
                dump[(entity, row["id"])] = json.loads(to_json(dict(row)))
    return dump


def server_dump(query: Query, county: str) -> dict[Key, dict[str, Any]]:
    """The server's latest version of every row of `county`, checking that its own columns agree with
    the payload it stored (the feed sends the columns, the county stores the payload)."""
    dump: dict[Key, dict[str, Any]] = {}
    for entity, row_id, hlc, origin, deleted, payload in query(
        f"SELECT entity, row_id, hlc, origin, deleted, payload FROM rows WHERE county_code = '{county}'"
    ):
        values = json.loads(payload)
        assert (values["id"], values["hlc"], values["origin"]) == (row_id, hlc, origin), (entity, row_id)
        assert bool(values["deleted"]) == bool(deleted), (entity, row_id)
        dump[(entity, row_id)] = values
    return dump


def outbox_ops(db: Database) -> set[str]:
    with db.read() as session:
        return set(session.scalars(select(OutboxEntry.op_id)))


def integrity(path: Path | str) -> str:
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return "; ".join(str(row[0]) for row in connection.execute("PRAGMA integrity_check"))
    finally:
        connection.close()


def sqlite_query(path: Path) -> Query:
    def query(sql: str) -> list[tuple]:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    return query


def issue_code(db: str, county: str) -> str:
    """A registration code through the administrator's CLI (the interface that survives a rework of
    the server's modules)."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert server_cli(["issue-code", "--db", db, county]) == 0
    return out.getvalue().strip().splitlines()[-1]


class ServerProcess:
    """`guopei-server serve` on a fixed port and database, which a test may SIGKILL and start again."""

    def __init__(self, db: str, port: int) -> None:
        self.db = db
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--db", self.db, "--port", str(self.port)],
            cwd=REPO,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(f"{self.url}/v1/health", timeout=1).headers.get(PROTOCOL_HEADER):
                    return
            except requests.ConnectionError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.process.kill()
                raise RuntimeError("sync server did not start")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no transaction rollback; the OS just drops it."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)
        self.process = None

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None
