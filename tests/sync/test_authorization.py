"""A device of one county against another county's rows, and requests without valid credentials.

test_sync.py already covers: another county's device pushing onto one guessed teacher id (rejected),
its pull seeing nothing, a rejected op kept visible, a code of another county, a wrong token on a
push, non-gzip and truncated bodies. Here: every entity, forged county codes and origins, batches
naming another device, pull at every cursor, every authenticated endpoint against missing, wrong and
revoked tokens, re-registering a known device id, and malformed bodies on every endpoint that takes
one; after each refusal nothing was written.
"""

from __future__ import annotations

import gzip
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from desktop.db.engine import create_database, open_database
from desktop.domain.ids import new_id
from desktop.services.demo_county import COUNTY_CODE, build_demo_county
from desktop.sync.client import NotRegistered, SyncClient, register
from guopei_common.protocol import (
    ENTITIES,
    MAX_BATCH_OPS,
    MAX_PULL_LIMIT,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    PushBatch,
    PushOp,
)
from server.db import create_server_engine
from tests.conftest import DEMO_TODAY
from tests.sync.conftest import OTHER_COUNTY, Server, as_real_county
from tests.sync.proofs import server_dump

try:  # the administration functions moved from server.app to server.admin
    from server.admin import revoke_device
except ImportError:  # pragma: no cover
    from server.app import revoke_device  # type: ignore[no-redef]

REPO = Path(__file__).resolve().parents[2]
# Endpoints anyone may call. Every other path in the published schema must refuse a request without a
# valid device token: a new endpoint is authenticated unless it is added here on purpose.
PUBLIC = {"/v1/health", "/v1/register", "/v1/certificates/{serial}", "/verify"}


class Counties:
    def __init__(self, victim: SyncClient, intruder: SyncClient, neighbour: SyncClient) -> None:
        self.victim = victim  # a device of COUNTY_CODE, whose rows are on the server
        self.intruder = intruder  # a device of OTHER_COUNTY
        self.neighbour = neighbour  # a second device of OTHER_COUNTY


@pytest.fixture(scope="module")
def counties(server: Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Counties]:
    victim_dir = tmp_path_factory.mktemp("victim") / "county"
    build_demo_county(victim_dir, teachers=50, today=DEMO_TODAY)
    victim_db = as_real_county(open_database(victim_dir))
    victim = SyncClient(victim_db, server.url, register(victim_db, server.url, server.code(COUNTY_CODE)))
    assert victim.push().rejected == []
    clients = [victim]
    for name in ("intruder", "neighbour"):
        db = create_database(
            tmp_path_factory.mktemp(name) / "county", county_code=OTHER_COUNTY, county_name="罗甸县"
        )
        clients.append(SyncClient(db, server.url, register(db, server.url, server.code(OTHER_COUNTY))))
    yield Counties(*clients)
    for client in clients:
        client.db.dispose()


def _state(server: Server) -> tuple[Any, ...]:
    """Everything a refused request must leave as it was."""
    return (
        server.query("SELECT count(*) FROM rows")[0][0],
        server.query("SELECT count(*) FROM applied_ops")[0][0],
        server.query("SELECT value FROM change_counter")[0][0],
        server.query("SELECT count(*) FROM devices")[0][0],
        server_dump(server.query, COUNTY_CODE),
    )


def _op(client: SyncClient, entity: str, row_id: str, payload: dict[str, Any], **changes: Any) -> PushOp:
    hlc = f"{10**14:015d}-00000-{client.db.device.device_id}"
    values = {**payload, "id": row_id, "hlc": hlc, "origin": client.db.device.device_id, **changes}
    return PushOp.build(str(uuid.uuid4()), entity, row_id, values["hlc"], values)


def _batch(client: SyncClient, ops: list[PushOp], device_id: str | None = None) -> PushBatch:
    return PushBatch(batch_id=str(uuid.uuid4()), device_id=device_id or client.db.device.device_id, ops=ops)


def test_ops_on_another_countys_row_ids_never_touch_its_rows_for_every_entity(
    server: Server, counties: Counties
) -> None:
    """A row id names a row only within its county (issue 13): ops on the victim's ids, of every entity,
    are the intruder's own business, answered as for ids nobody has; the victim's rows stay as they
    were and no answer carries anything of them."""
    victim_rows = server_dump(server.query, COUNTY_CODE)
    one_each = {key[0]: (key[1], payload) for key, payload in victim_rows.items()}
    assert set(one_each) == ENTITIES  # the demo has rows of every entity: each is tried
    ops = [_op(counties.intruder, entity, row_id, payload) for entity, (row_id, payload) in one_each.items()]
    # A tombstone too: deleting another county's row is no more possible than changing it.
    ops.append(_op(counties.intruder, "teacher", *one_each["teacher"], deleted=True))

    results = counties.intruder.send_batch(_batch(counties.intruder, ops[:-1])).results
    results += counties.intruder.send_batch(_batch(counties.intruder, ops[-1:])).results

    assert all(r.outcome in ("applied", "rejected") for r in results)
    assert all(r.reason for r in results if r.outcome == "rejected")  # readable on the 同步 page
    victim_ids = {row_id for _entity, row_id in victim_rows}
    assert all(r.canonical_id not in victim_ids and r.server_row is None for r in results)
    assert server_dump(server.query, COUNTY_CODE) == victim_rows
    assert counties.victim.pull() == 0  # nothing new reached the county


def test_a_forged_county_code_stays_in_the_pushers_county(server: Server, counties: Counties) -> None:
    school_id = new_id()
    payload = {"id": school_id, "name": "冒名学校", "county_code": COUNTY_CODE, "deleted": False}
    victim_before = server_dump(server.query, COUNTY_CODE)
    [result] = counties.intruder.send_batch(
        _batch(counties.intruder, [_op(counties.intruder, "school", school_id, payload)])
    ).results
    # The county is the token's, never the body's: the row is the intruder county's own business.
    assert result.outcome == "applied"
    assert server.query(f"SELECT county_code FROM rows WHERE row_id = '{school_id}'") == [(OTHER_COUNTY,)]
    assert server_dump(server.query, COUNTY_CODE) == victim_before
    assert counties.victim.pull() == 0


def test_a_forged_origin_is_rejected(server: Server, counties: Counties) -> None:
    before = _state(server)
    ops = [
        _op(counties.intruder, "school", new_id(), {"name": "冒名"}, origin=device.db.device.device_id)
        for device in (counties.victim, counties.neighbour)  # another county's device, then its own
    ]
    results = counties.intruder.send_batch(_batch(counties.intruder, ops)).results
    assert [r.outcome for r in results] == ["rejected", "rejected"]
    after = _state(server)
    assert after[0] == before[0] and after[2:] == before[2:]  # only the two refusals were recorded
    assert after[1] == before[1] + 2


@pytest.mark.parametrize("whose", ["victim", "neighbour"])
def test_a_batch_in_another_devices_name_is_refused(server: Server, counties: Counties, whose: str) -> None:
    other: SyncClient = getattr(counties, whose)
    before = _state(server)
    batch = _batch(
        counties.intruder, [_op(other, "school", new_id(), {"name": "冒名"})], other.db.device.device_id
    )
    response = _post(
        server, "/v1/push", counties.intruder.token, gzip.compress(batch.model_dump_json().encode())
    )
    assert response.status_code == 403
    assert _state(server) == before


def test_pull_never_returns_another_countys_rows_at_any_cursor(server: Server, counties: Counties) -> None:
    # The victim's versions (an intruder that pushed ops on the victim's ids reads its own rows under
    # those ids: row ids name rows only within a county).
    victim_rows = set(server.query(f"SELECT row_id, hlc FROM rows WHERE county_code = '{COUNTY_CODE}'"))
    top = server.query("SELECT value FROM change_counter")[0][0]
    # Cursors before, inside and past the victim's sequence numbers, at the largest page allowed.
    for cursor in sorted({0, 1, top // 3, top // 2, top - 1, top, top + 1000}):
        response = _get(server, f"/v1/pull?cursor={cursor}&limit={MAX_PULL_LIMIT}", counties.intruder.token)
        assert response.status_code == 200
        changes = response.json()["changes"]
        assert not {(change["row_id"], change["hlc"]) for change in changes} & victim_rows
        assert all(change["origin"] != counties.victim.db.device.device_id for change in changes)


def _post(
    server: Server, path: str, token: str | None, body: bytes, gzipped: bool = True
) -> requests.Response:
    headers = {PROTOCOL_HEADER: PROTOCOL_VERSION, "Content-Type": "application/json"}
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    if token is not None:
        headers["Authorization"] = token if " " in token else f"Bearer {token}"
    return requests.post(f"{server.url}{path}", data=body, headers=headers, timeout=30)


def _get(server: Server, path: str, token: str | None) -> requests.Response:
    headers = {PROTOCOL_HEADER: PROTOCOL_VERSION}
    if token is not None:
        headers["Authorization"] = token if " " in token else f"Bearer {token}"
    return requests.get(f"{server.url}{path}", headers=headers, timeout=30)


def _authenticated_endpoints() -> list[tuple[str, str]]:
    schema = json.loads((REPO / "docs" / "openapi.json").read_text(encoding="utf-8"))
    return sorted(
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        if path not in PUBLIC
        for method in methods
    )


def test_every_authenticated_endpoint_refuses_bad_credentials(
    server: Server, counties: Counties, tmp_path: Path
) -> None:
    endpoints = _authenticated_endpoints()
    assert ("POST", "/v1/push") in endpoints and ("GET", "/v1/pull") in endpoints
    # A device registered and then revoked by the province (a stolen laptop).
    db = create_database(tmp_path / "stolen", county_code=OTHER_COUNTY, county_name="罗甸县")
    try:
        revoked = SyncClient(db, server.url, register(db, server.url, server.code(OTHER_COUNTY)))
        revoked.pull()  # it worked until now (a refusal would raise)
        engine = create_server_engine(server.db_path)
        try:
            assert revoke_device(engine, db.device.device_id)
        finally:
            engine.dispose()
        body = gzip.compress(
            _batch(revoked, [_op(revoked, "school", new_id(), {"name": "x"})]).model_dump_json().encode()
        )
        before = _state(server)
        credentials = {
            "none": None,
            "wrong": "not-a-token",
            "empty bearer": "Bearer ",
            "other scheme": f"Basic {counties.intruder.token}",
            "revoked": revoked.token,
        }
        for method, path in endpoints:
            for name, token in credentials.items():
                response = _post(server, path, token, body) if method == "POST" else _get(server, path, token)
                assert response.status_code == 401, (method, path, name)
                assert response.headers[PROTOCOL_HEADER] == PROTOCOL_VERSION
        assert _state(server) == before
        # The client says so in words a person can act on, and changes nothing locally.
        with pytest.raises(NotRegistered):
            revoked.pull()
        # A revoked device cannot come back by registering its id again, even with a valid code.
        response = _post(
            server,
            "/v1/register",
            None,
            json.dumps(
                {
                    "code": server.code(OTHER_COUNTY),
                    "device_id": db.device.device_id,
                    "county_code": OTHER_COUNTY,
                }
            ).encode(),
            gzipped=False,
        )
        assert response.status_code == 409
        assert _state(server) == before
    finally:
        db.dispose()


def test_another_countys_device_id_cannot_be_registered(server: Server, counties: Counties) -> None:
    before = _state(server)
    request = {
        "code": server.code(OTHER_COUNTY),
        "device_id": counties.victim.db.device.device_id,  # seen in a log, say
        "county_code": OTHER_COUNTY,
    }
    response = _post(server, "/v1/register", None, json.dumps(request).encode(), gzipped=False)
    assert response.status_code == 409
    assert _state(server) == before
    assert counties.victim.pull() == 0  # the victim's token still works


def _valid_batch(client: SyncClient) -> dict[str, Any]:
    return _batch(client, [_op(client, "school", new_id(), {"name": "x"})]).model_dump(mode="json")


@pytest.mark.parametrize(
    "case",
    [
        "plain JSON body",
        "empty body",
        "gzip of nothing",
        "not an object",
        "missing ops",
        "unknown field",
        "op with a bad hlc",
        "op id repeated",
        "too many ops",
    ],
)
def test_malformed_push_bodies_are_refused(server: Server, counties: Counties, case: str) -> None:
    client = counties.intruder
    batch = _valid_batch(client)
    op = batch["ops"][0]
    bodies: dict[str, tuple[bytes, bool]] = {
        "plain JSON body": (json.dumps(batch).encode(), False),
        "empty body": (b"", True),
        "gzip of nothing": (gzip.compress(b""), True),
        "not an object": (gzip.compress(b"[]"), True),
        "missing ops": (
            gzip.compress(json.dumps({k: v for k, v in batch.items() if k != "ops"}).encode()),
            True,
        ),
        "unknown field": (gzip.compress(json.dumps({**batch, "county_code": COUNTY_CODE}).encode()), True),
        "op with a bad hlc": (
            gzip.compress(json.dumps({**batch, "ops": [{**op, "hlc": "tomorrow"}]}).encode()),
            True,
        ),
        "op id repeated": (gzip.compress(json.dumps({**batch, "ops": [op, op]}).encode()), True),
        "too many ops": (
            gzip.compress(
                json.dumps(
                    {**batch, "ops": [{**op, "op_id": str(uuid.uuid4())} for _ in range(MAX_BATCH_OPS + 1)]}
                ).encode()
            ),
            True,
        ),
    }
    body, gzipped = bodies[case]
    before = _state(server)
    response = _post(server, "/v1/push", client.token, body, gzipped=gzipped)
    assert response.status_code == 400, response.text
    assert response.headers[PROTOCOL_HEADER] == PROTOCOL_VERSION
    assert response.json()["detail"]  # a reason, not an empty refusal
    assert _state(server) == before


@pytest.mark.parametrize(
    ("query", "status"),
    [("cursor=-1", 422), ("cursor=abc", 422), ("limit=0", 422), (f"limit={MAX_PULL_LIMIT + 1}", 422)],
)
def test_malformed_pull_queries_are_refused(
    server: Server, counties: Counties, query: str, status: int
) -> None:
    response = _get(server, f"/v1/pull?{query}", counties.intruder.token)
    assert response.status_code == status
    assert response.headers[PROTOCOL_HEADER] == PROTOCOL_VERSION


@pytest.mark.parametrize(
    ("body", "status"),
    [(b"{not json", 400), (b"[]", 400), (b'{"code": "A"}', 400), (b"x" * (64 * 1024), 413)],
)
def test_malformed_registrations_are_refused(server: Server, body: bytes, status: int) -> None:
    before = _state(server)
    response = _post(server, "/v1/register", None, body, gzipped=False)
    assert response.status_code == status
    assert response.headers[PROTOCOL_HEADER] == PROTOCOL_VERSION
    assert _state(server) == before
