"""First-pull benchmark: a new PC registers with a one-time code and pulls a whole county (what
`guopei-desk init --server` does). Prints figures; asserts nothing.

    PYTHONPATH=. python benchmarks/first_pull.py [--teachers 3000] [--page-size 1000] [--rate BITS_PER_S]

A real server subprocess (SQLite file in a temporary folder); a demo county built and pushed by one PC
over loopback; then `init_from_server` on an empty folder, over loopback or, with --rate, through
tests/sync/link_proxy.py shaped to that rate each way.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.sync import REPO, TODAY, serve
from desktop.db.engine import open_database
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import SyncClient, register
from desktop.sync.first_pull import init_from_server
from guopei_common.protocol import MAX_BATCH_OPS
from tests.sync.conftest import as_real_county
from tests.sync.link_proxy import LinkProxy, Shaping


def issue_code(server_db: Path) -> str:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "issue-code", "--db", str(server_db), COUNTY_CODE],
        cwd=REPO,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--teachers", type=int, default=3000)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--rate", type=float, help="bits per second each way (default: loopback)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="guopei-first-pull-bench-"))
    process, url, server_db = serve(work)
    try:
        print(f"building a {args.teachers:,}-teacher county and pushing it from its first PC…")
        build_demo_county(work / "source", teachers=args.teachers, seed=1, today=TODAY)
        source = as_real_county(open_database(work / "source"))  # the demo county refuses to register
        SyncClient(source, url, register(source, url, issue_code(server_db)), batch_size=MAX_BATCH_OPS).push()
        source.dispose()

        with LinkProxy(url, Shaping(rate_bps=args.rate)) as link:
            target = link.url if args.rate else url
            started = time.perf_counter()
            result = init_from_server(
                work / "new-pc", target, issue_code(server_db), page_size=args.page_size
            )
            seconds = time.perf_counter() - started
        link_text = f"{args.rate / 1000:g} kbit/s each way" if args.rate else "loopback"
        print(f"first pull of the county ({link_text}, pages of {args.page_size:,}):")
        kib = result.bytes_received / 1024
        print(f"  rows {result.total:,} in {result.pages} pages, {kib:,.0f} KiB of gzip")
        print(f"  whole init (register, create, keys and policy, pull, reference check): {seconds:.1f} s")
        print(f"  rows per second: {result.total / seconds:,.0f}")
        db_size = (work / "new-pc" / "guopei.sqlite3").stat().st_size
        print(f"  database: {db_size / 1024 / 1024:.1f} MiB")
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
