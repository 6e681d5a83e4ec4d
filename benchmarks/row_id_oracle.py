"""Does the province answer an id of another county's row any faster or slower than an unknown id?
(Issue 13: no existence oracle, by the answer or by its timing.) Prints figures; asserts nothing.

    PYTHONPATH=. python benchmarks/row_id_oracle.py [--rounds 300]

The server's logic in-process (server.service.SyncService on a SQLite file): county A holds teachers;
county B pushes, one op per batch, alternately on one of A's teacher ids and on an id nobody has — a
new teacher of its own, and a credit entry naming the teacher — and the time of each push is taken.
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from guopei_common.protocol import PushBatch, PushOp, RegisterRequest
from server.admin import add_county, issue_code
from server.db import create_server_engine
from server.service import Caller, SyncService

A, B = "522727", "522728"


class County:
    def __init__(self, service: SyncService, engine: Any, code: str) -> None:
        self.service, self.device, self.tick = service, str(uuid.uuid4()), 0
        add_county(engine, code, code)
        service.register(
            RegisterRequest(code=issue_code(engine, code), device_id=self.device, county_code=code)
        )
        self.caller = Caller(self.device, code)

    def push(self, entity: str, payload: dict[str, Any], row_id: str | None = None) -> tuple[str, float]:
        self.tick += 1
        values = {"id": row_id or str(uuid.uuid4()), "deleted": False, **payload}
        values.update(
            hlc=f"{int(time.time() * 1000):015d}-{self.tick % 100000:05d}-{self.device}", origin=self.device
        )
        op = PushOp.build(str(uuid.uuid4()), entity, values["id"], values["hlc"], values)
        batch = PushBatch(batch_id=str(uuid.uuid4()), device_id=self.device, ops=[op])
        started = time.perf_counter()
        result = self.service.push(self.caller, batch).results[0]
        return f"{result.outcome} {result.reason} {result.canonical_id}", time.perf_counter() - started


def teacher(school: str, number: int) -> dict[str, Any]:
    return {
        "id_number": f"5227281990{number:07d}X",
        "name": "测试",
        "gender": "1",
        "birth_date": "1990-01-01",
        "school_id": school,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=300)
    rounds = parser.parse_args().rounds
    engine = create_server_engine(Path(tempfile.mkdtemp()) / "province.sqlite3")
    service = SyncService(engine)
    a, b = County(service, engine, A), County(service, engine, B)
    a_school, b_school = str(uuid.uuid4()), str(uuid.uuid4())
    a.push("school", {"name": "一中", "county_code": A}, a_school)
    b.push("school", {"name": "一中", "county_code": B}, b_school)
    a_ids = [str(uuid.uuid4()) for _ in range(rounds * 2)]
    for number, row_id in enumerate(a_ids):
        a.push("teacher", {**teacher(a_school, number), "id_number": f"5227271980{number:07d}X"}, row_id)

    numbers = itertools.count()

    def new_teacher(row_id: str) -> tuple[str, float]:
        return b.push("teacher", teacher(b_school, next(numbers)), row_id)

    def credit(row_id: str) -> tuple[str, float]:
        return b.push(
            "credit_entry", {"teacher_id": row_id, "year": 2026, "level": "county", "hours": 1, "credits": 1}
        )

    probes = {
        "a new teacher of B's": (new_teacher, a_ids[:rounds]),
        "a credit entry naming it": (credit, a_ids[rounds:]),
    }
    print(f"{rounds} rounds per probe, one op per push, alternating; times in ms (median / p90)")
    for name, (probe, ids) in probes.items():
        known: list[float] = []
        unknown: list[float] = []
        differing = 0
        for n, a_id in enumerate(ids):
            pairs = [(a_id, known), (str(uuid.uuid4()), unknown)]
            answers = []
            for row_id, times in reversed(pairs) if n % 2 else pairs:
                answer, seconds = probe(row_id)
                times.append(seconds * 1000)
                answers.append(answer)
            differing += answers[0] != answers[1]
        for label, times in (("A's id", known), ("unknown id", unknown)):
            p90 = statistics.quantiles(times, n=10)[-1]
            print(f"  {name:26} {label:11} {statistics.median(times):6.2f} / {p90:6.2f}")
        print(f"  {name:26} answers that differ: {differing} of {rounds}")


if __name__ == "__main__":
    main()
