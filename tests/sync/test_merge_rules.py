"""The server's ownership rules (server.merge) as pure functions, and the protocol's key tables
checked against the desktop models they describe."""

from __future__ import annotations

import itertools
from functools import reduce

from sqlalchemy import UniqueConstraint

from desktop.db.base import Base
from guopei_common.protocol import NATURAL_KEYS, PROVINCE_NODE, REFERENCES
from server.merge import Merged, Version, merge


def _stamp(wall: int, node: str = "dev-a") -> str:
    return f"{wall:015d}-00000-{node}"


def _teacher(hlc: str, origin: str, *, new: bool = False, **fields: object) -> Version:
    """A version of teacher t1 as a device pushes it: the whole row, and the fields it set."""
    payload = {"id": "t1", "hlc": hlc, "origin": origin, "name": "张三", "phone": "", "school_id": "s1"}
    payload.update(fields)
    return Version(payload, hlc, origin, changed=None if new else frozenset(fields))


def _stored(merged: Merged) -> Version:
    return Version(merged.payload, merged.hlc, merged.origin, merged.field_hlcs)


def _content(payload: dict) -> dict:
    return {key: value for key, value in payload.items() if key not in {"hlc", "origin"}}


def test_teacher_fields_merge_and_the_losing_value_is_logged() -> None:
    base = _teacher(_stamp(1), "dev-a", new=True)
    phone = _teacher(_stamp(2, "dev-a"), "dev-a", phone="13800000001")
    school = _teacher(_stamp(3, "dev-b"), "dev-b", school_id="s2")  # did not see the phone edit

    first = merge("teacher", _stored(merge("teacher", None, base)), phone)
    result = merge("teacher", _stored(first), school)

    # Both edits survive: the phone from a, the school from b. The mix is a new version, stamped after
    # both, from the province, so both devices adopt it.
    assert result.payload["phone"] == "13800000001"
    assert result.payload["school_id"] == "s2"
    assert result.origin == PROVINCE_NODE and result.hlc > _stamp(3, "dev-b")
    # b did not set the phone: its stale empty value neither competes nor fills the conflict log; the
    # school it replaced was a's, which the log keeps for review.
    assert [(loss.field, loss.kept, loss.lost) for loss in result.losses] == [("school_id", "s2", "s1")]
    assert result.outcome == "applied"


def test_two_edits_of_one_field_keep_the_later_and_log_the_other() -> None:
    base = _stored(merge("teacher", None, _teacher(_stamp(1), "dev-a", new=True)))
    later = _teacher(_stamp(3, "dev-b"), "dev-b", phone="13800000003")
    earlier = _teacher(_stamp(2, "dev-a"), "dev-a", phone="13800000002")

    result = merge("teacher", _stored(merge("teacher", base, later)), earlier)

    assert result.payload["phone"] == "13800000003" and result.outcome == "conflict"
    assert [(loss.field, loss.kept, loss.lost, loss.lost_origin) for loss in result.losses] == [
        ("phone", "13800000003", "13800000002", "dev-a")
    ]


def test_the_province_identity_fields_beat_a_later_county_edit() -> None:
    province = _teacher(_stamp(5, PROVINCE_NODE), PROVINCE_NODE, name="张叁")
    county = _teacher(_stamp(9, "dev-a"), "dev-a", name="张三", phone="13800000002")

    base = _stored(merge("teacher", None, _teacher(_stamp(1), "dev-a", new=True)))
    result = merge("teacher", _stored(merge("teacher", base, province)), county)

    assert result.payload["name"] == "张叁"  # province-owned field: the province's value stays
    assert result.payload["phone"] == "13800000002"  # county-editable field: the later edit wins
    assert ("name", "张叁", "张三") in [(loss.field, loss.kept, loss.lost) for loss in result.losses]


def test_an_enrollment_status_only_moves_forward() -> None:
    def enrollment(status: str, wall: int, node: str) -> Version:
        hlc = _stamp(wall, node)
        return Version(
            {"id": "e1", "hlc": hlc, "origin": node, "status": status, "class_id": "c1"}, hlc, node
        )

    attending = enrollment("attending", 5, "dev-a")
    stale = enrollment("publicised", 9, "dev-b")  # a later stamp, but a laptop that missed the check-in

    result = merge("enrollment", _stored(merge("enrollment", None, attending)), stale)

    assert result.payload["status"] == "attending"
    assert result.outcome in {"conflict", "same"}


def test_a_county_cannot_change_a_province_project_or_a_submitted_credit() -> None:
    project = Version({"id": "p1", "name": "国培A"}, _stamp(1, PROVINCE_NODE), PROVINCE_NODE)
    edit = Version({"id": "p1", "name": "改名"}, _stamp(9), "dev-a")
    refused = merge("project", project, edit)
    assert refused.outcome == "conflict" and refused.payload["name"] == "国培A"
    assert refused.losses[0].field == "*" and "省级" in refused.losses[0].rule

    credit = Version({"id": "c1", "status": "submitted", "credits": 3}, _stamp(5), "dev-a")
    changed = Version({"id": "c1", "status": "draft", "credits": 4}, _stamp(6), "dev-a")
    frozen = merge("credit_entry", credit, changed)
    assert frozen.outcome == "conflict" and frozen.payload["credits"] == 3


def test_field_merges_give_the_same_row_in_every_order() -> None:
    versions = [
        _teacher(_stamp(2, "dev-a"), "dev-a", phone="1"),
        _teacher(_stamp(3, "dev-b"), "dev-b", school_id="s9"),
        _teacher(_stamp(4, "dev-c"), "dev-c", phone="3", note="x"),
        _teacher(_stamp(1, PROVINCE_NODE), PROVINCE_NODE, name="张叁"),
    ]
    base = _stored(merge("teacher", None, _teacher(_stamp(0), "dev-a", new=True)))
    results = set()
    for order in itertools.permutations(versions):
        final = reduce(lambda stored, v: _stored(merge("teacher", stored, v)), order, base)
        results.add(repr(sorted(_content(final.payload).items())))
    assert len(results) == 1
    assert "'张叁'" in next(iter(results)) and "'s9'" in next(iter(results))


def test_the_key_tables_match_the_desktop_models() -> None:
    tables = {
        mapper.class_.__sync_entity__: mapper.class_.__table__
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__sync_entity__")
    }
    entity_of = {table.name: entity for entity, table in tables.items()}
    for entity, columns in NATURAL_KEYS.items():
        unique = {
            tuple(c.name for c in constraint.columns)
            for constraint in tables[entity].constraints
            if isinstance(constraint, UniqueConstraint)
        }
        unique |= {(column.name,) for column in tables[entity].columns if column.unique}
        assert columns in unique, entity
    for entity, table in tables.items():
        found = {key.parent.name: entity_of[key.column.table.name] for key in table.foreign_keys}
        assert REFERENCES.get(entity, {}) == found, entity


def test_a_submission_beats_a_concurrent_draft_edit_in_either_order() -> None:
    created = Version({"id": "c1", "status": "draft", "credits": 3}, _stamp(1), "dev-a")
    submitted = Version({"id": "c1", "status": "submitted", "credits": 3}, _stamp(2), "dev-a")
    edited = Version({"id": "c1", "status": "draft", "credits": 4}, _stamp(3, "dev-b"), "dev-b")

    first = _stored(merge("credit_entry", _stored(merge("credit_entry", created, submitted)), edited))
    second = _stored(merge("credit_entry", _stored(merge("credit_entry", created, edited)), submitted))

    for final in (first, second):
        assert (final.payload["status"], final.payload["credits"]) == ("submitted", 3)
    assert second.hlc > _stamp(3, "dev-b")  # adopted by the PC whose draft it replaced
