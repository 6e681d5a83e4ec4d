"""The production deployment in server/deploy/, run for real: nginx with the shipped configuration in
front of two `serve` processes on one database (SQLite and PostgreSQL), a county PC pinned to nginx's
certificate registering, pushing and pulling through it, and the client's X-Forwarded-For replaced by
nginx, never believed; the systemd unit passes `systemd-analyze verify`."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from desktop.db.engine import create_database
from desktop.db.models import School
from desktop.sync.client import SyncClient, register
from guopei_common.protocol import PROTOCOL_HEADER, pinned_url
from server.cli import main as server_cli
from tests.sync.conftest import BACKENDS, OTHER_COUNTY, REPO, Server, free_port, server_database, start_server
from tests.sync.tls import self_signed_certificate

DEPLOY = REPO / "server" / "deploy"
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)


@contextmanager
def _nginx(directory: Path, cert: Path, key: Path, upstreams: list[int]) -> Iterator[tuple[int, int]]:
    """nginx with server/deploy/nginx-guopei.conf as shipped, but for the test's ports and certificate."""
    port, plain = free_port(), free_port()
    site = (DEPLOY / "nginx-guopei.conf").read_text(encoding="utf-8")
    site = re.sub(r"    server 127\.0\.0\.1:870\d;\n", "", site)
    site = site.replace(
        "upstream guopei_serve {\n",
        "upstream guopei_serve {\n"
        + "".join(f"    server 127.0.0.1:{upstream};\n" for upstream in upstreams),
    )
    site = site.replace("listen 443 ssl http2;", f"listen 127.0.0.1:{port} ssl http2;")
    site = site.replace("listen 80;", f"listen 127.0.0.1:{plain};")
    site = re.sub(r"    listen \[::\]:\d+[^;]*;\n", "", site)
    site = site.replace("/etc/guopei-server/tls/fullchain.pem", str(cert))
    site = site.replace("/etc/guopei-server/tls/privkey.pem", str(key))
    (directory / "site.conf").write_text(site, encoding="utf-8")
    temp = directory / "temp"
    temp.mkdir()
    (directory / "nginx.conf").write_text(
        f"""daemon off;
user root;
worker_processes 1;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {temp}/body;
    proxy_temp_path {temp}/proxy;
    fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi;
    scgi_temp_path {temp}/scgi;
    include {directory}/site.conf;
}}
""",
        encoding="utf-8",
    )
    checked = subprocess.run(
        [NGINX, "-t", "-c", str(directory / "nginx.conf")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen([NGINX, "-c", str(directory / "nginx.conf")])
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                requests.get(f"https://127.0.0.1:{port}/v1/health", timeout=1, verify=str(cert))
                break
            except requests.exceptions.SSLError:
                break  # it answers TLS: up
            except requests.ConnectionError:
                assert process.poll() is None and time.monotonic() < deadline, "nginx did not start"
                time.sleep(0.1)
        yield port, plain
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.fixture(params=BACKENDS)
def two_processes(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Server, int]]:
    """Two `serve` processes on one database, both trusting X-Forwarded-For from 127.0.0.1 only."""
    os.environ["GUOPEI_SERVER_TRUSTED_PROXIES"] = "127.0.0.1"
    try:
        with server_database(request.param, tmp_path_factory.mktemp("deployed")) as db:
            assert server_cli(["add-county", "--db", db, OTHER_COUNTY, "罗甸县"]) == 0
            ports = [free_port(), free_port()]
            processes = [start_server(db, port) for port in ports]
            try:
                yield Server(f"http://127.0.0.1:{ports[0]}", db, request.param), ports[1]
            finally:
                for process in processes:
                    process.terminate()
                    process.wait(timeout=10)
    finally:
        del os.environ["GUOPEI_SERVER_TRUSTED_PROXIES"]


@pytest.mark.skipif(NGINX is None, reason="nginx is not installed (dev.sh installs nginx-light)")
def test_county_pcs_sync_through_nginx_and_its_certificate_can_be_pinned(
    two_processes: tuple[Server, int], tmp_path: Path
) -> None:
    server, second_port = two_processes
    first_port = int(server.url.rsplit(":", 1)[1])
    cert, key, fingerprint = self_signed_certificate(tmp_path)
    with _nginx(tmp_path, cert, key, [first_port, second_port]) as (port, plain):
        url = f"https://127.0.0.1:{port}"
        # Plain HTTP only sends a browser to HTTPS (a county PC would not even ask: see the client).
        moved = requests.get(f"http://127.0.0.1:{plain}/verify", allow_redirects=False, timeout=5)
        assert moved.status_code == 301 and moved.headers["Location"].startswith("https://")
        db = create_database(tmp_path / "county", county_code=OTHER_COUNTY, county_name="罗甸县")
        pinned = pinned_url(url, fingerprint)
        client = SyncClient(db, pinned, register(db, pinned, server.code(OTHER_COUNTY)))
        with db.write() as session:
            session.add_all(School(name=f"学校{n}", county_code=OTHER_COUNTY) for n in range(20))
        summary, _ = client.sync()
        assert summary.applied == 20
        assert server.query("SELECT count(*) FROM rows WHERE entity = 'school'") == [(20,)]
        # Several requests, spread over both processes, all answered with the protocol header.
        for _ in range(6):
            assert client.pull() == 0

        # A client writing X-Forwarded-For itself: nginx replaces it with the address it saw.
        response = requests.post(
            f"{url}/v1/register",
            json={"code": "WRON-GCOD-EWRO-NGCO", "device_id": "00000000-0000-4000-8000-000000000000"},
            headers={"X-Forwarded-For": "203.0.113.50", PROTOCOL_HEADER: "1"},
            verify=str(cert),
            timeout=10,
        )
        assert response.status_code == 403 and response.headers[PROTOCOL_HEADER] == "1"
        assert "max-age" in response.headers["Strict-Transport-Security"]
        assert server.query("SELECT DISTINCT key FROM registration_failures WHERE scope = 'address'") == [
            ("127.0.0.1",)
        ]
        db.dispose()


def test_the_systemd_unit_passes_systemd_analyze(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed")
    unit = (DEPLOY / "guopei-server@.service").read_text(encoding="utf-8")
    # As installed, but with paths that exist here (verify checks that the program and files exist).
    unit = unit.replace("/opt/guopei/venv/bin/guopei-server", str(REPO / ".venv" / "bin" / "guopei-server"))
    unit = unit.replace("/etc/guopei-server/guopei-server.env", str(DEPLOY / "guopei-server.env.example"))
    unit = unit.replace("User=guopei", "User=root").replace("Group=guopei", "Group=root")
    (tmp_path / "guopei-server@8701.service").write_text(unit, encoding="utf-8")
    shutil.copy(DEPLOY / "guopei-server.target", tmp_path)
    checked = subprocess.run(
        [
            analyze,
            "verify",
            "--man=no",
            str(tmp_path / "guopei-server@8701.service"),
            str(tmp_path / "guopei-server.target"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    # Anything said is a problem (an unknown key, a value it cannot parse): it says nothing of a good unit.
    assert checked.returncode == 0 and checked.stderr.strip() == "", checked.stderr
