"""A real provincial server in a subprocess on a loopback port, shared by the sync tests."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from desktop.services.demo_county import COUNTY_CODE, COUNTY_NAME
from desktop.sync.protocol import PROTOCOL_HEADER
from server.app import issue_code
from server.cli import main as server_cli
from server.db import create_server_engine

REPO = Path(__file__).resolve().parents[2]
OTHER_COUNTY = "522728"  # 罗甸县, a neighbour


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    db_path: Path

    def code(self, county: str) -> str:
        engine = create_server_engine(self.db_path)
        try:
            return issue_code(engine, county)
        finally:
            engine.dispose()

    def query(self, sql: str) -> list[tuple]:
        connection = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            return connection.execute(sql).fetchall()
        finally:
            connection.close()

    def counts(self) -> tuple[int, int, int]:
        return (
            self.query("SELECT count(*) FROM rows")[0][0],
            self.query("SELECT count(*) FROM applied_ops")[0][0],
            self.query("SELECT value FROM change_counter")[0][0],
        )


# One server per test module: modules push unrelated demo counties under the same county code.
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    db_path = tmp_path_factory.mktemp("server") / "server.sqlite3"
    assert server_cli(["add-county", "--db", str(db_path), COUNTY_CODE, COUNTY_NAME]) == 0
    assert server_cli(["add-county", "--db", str(db_path), OTHER_COUNTY, "罗甸县"]) == 0
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--db", str(db_path), "--port", str(port)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(f"{url}/v1/health", timeout=1).headers.get(PROTOCOL_HEADER):
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("sync server did not start")
            time.sleep(0.1)
        yield Server(url, db_path)
    finally:
        process.terminate()
        process.wait(timeout=10)
