"""The compact wire form of a push and its answer decode to exactly what was encoded."""

from __future__ import annotations

import json

import pytest

from desktop.domain.ids import GUOPEI_NAMESPACE, natural_id, new_id, op_id
from guopei_common import protocol
from guopei_common.protocol import (
    OpResult,
    PushBatch,
    PushOp,
    PushResponse,
    compact_batch,
    compact_response,
    expand_batch,
    expand_response,
    gzip_encode,
)


def _batch() -> PushBatch:
    origin, session_id = new_id(), new_id()
    ops = []
    for index in range(30):
        enrollment_id = new_id()
        hlc = f"{1795929250333 + index:015d}-00000-{origin}"
        payload = {
            "id": natural_id("attendance", session_id, enrollment_id),
            "hlc": hlc,
            "origin": origin,
            "deleted": False,
            "session_id": session_id,
            "enrollment_id": enrollment_id,
            "status": "present",
            "hours": 4.0,
        }
        # Ops as the outbox makes them (op id derived from row and stamp), and one older random id.
        made = op_id("attendance", payload["id"], hlc) if index else new_id()
        ops.append(PushOp.build(made, "attendance", payload["id"], hlc, payload))
    # A run of another entity in the middle: order across entities is kept.
    teacher = {"id": new_id(), "hlc": f"{1795929250400:015d}-00000-{origin}", "origin": origin, "phone": "1"}
    ops.insert(10, PushOp.build(new_id(), "teacher", teacher["id"], teacher["hlc"], teacher, {"phone": "0"}))
    return PushBatch(batch_id=new_id(), device_id=origin, ops=ops)


def test_a_compact_batch_decodes_to_the_same_ops() -> None:
    batch = _batch()
    wire = compact_batch(batch)

    assert [run["entity"] for run in wire["runs"]] == ["attendance", "teacher", "attendance"]
    # Derived attendance ids and the payload hashes do not travel.
    assert set(wire["runs"][0]["columns"]["id"]) == {None}
    assert "payload_hash" not in json.dumps(wire)
    # Derived op ids do not travel either; the older random one does.
    assert wire["runs"][0]["op_ids"][0] == batch.ops[0].op_id and wire["runs"][0]["op_ids"][1:] == [None] * 9
    assert expand_batch(json.loads(json.dumps(wire))) == batch
    # Smaller on the wire than the plain form, by a wide margin.
    assert len(gzip_encode(wire)) * 1.5 < len(gzip_encode(batch.model_dump(mode="json")))


def test_the_positional_answer_decodes_to_the_same_results() -> None:
    batch = _batch()
    results = [OpResult(op_id=op.op_id, outcome="applied") for op in batch.ops]
    results[3] = OpResult(
        op_id=batch.ops[3].op_id, outcome="conflict", reason="服务器上有更新的版本", server_row={"x": 1}
    )
    results[5] = OpResult(op_id=batch.ops[5].op_id, outcome="applied", canonical_id="c", hlc="h")
    response = PushResponse(batch_id=batch.batch_id, results=results, server_seq=9, server_time_ms=5)

    wire = compact_response(response)

    assert wire["outcomes"] == "aaac" + "a" * 27 and set(wire["details"]) == {"3", "5"}
    assert expand_response(json.loads(json.dumps(wire)), batch) == response


def test_unequal_columns_are_refused() -> None:
    wire = compact_batch(_batch())
    wire["runs"][0]["columns"]["status"].pop()
    with pytest.raises(ValueError, match="unequal"):
        expand_batch(wire)


def test_the_id_namespace_is_the_desktops() -> None:
    assert protocol._ID_NAMESPACE == GUOPEI_NAMESPACE
