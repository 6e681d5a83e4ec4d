"""Who wins when two versions of one row meet: the ownership rules of the protocol, as pure functions
(no database), so they can be read and tested on their own. The one copy of these rules: the province's
server applies pushes with them (server.push), and a county PC applies an exchange file from another
PC of the county with them (desktop.sync.exchange_apply), so a laptop ends with what the province will.

- Projects written by the province are the province's: a county's version never replaces them.
- Credits are frozen once submitted or approved: a county's later version is refused.
- Teacher profiles and enrollments merge field by field. Each field keeps the HLC of its value
  (`field_hlcs`); the higher stamp wins, except that the province's value of an identity field
  (name, ID number, gender, birth date, ethnicity) always beats a county's, and an enrollment's status
  only moves forward along its state machine (the furthest status wins; the later stamp breaks a tie).
  Both rules give the same result whatever order the versions arrive in.
- A trainee checked in at one session on two laptops is one attendance row (its id is derived from
  the session and the enrollment): of two check-ins that neither laptop had seen, the earlier check-in
  time is kept, whichever version arrives first or carries the later stamp.
- Every other entity is last-writer-wins by HLC for the whole row (attendance and sessions are the
  county's; their corrections arrive as newer versions).

Every value that loses is returned as a `Loss`, which the server keeps in its conflict log.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from guopei_common.protocol import PROVINCE_NODE, stamp_after
from guopei_common.vocab import EnrollmentStatus

META = frozenset({"id", "hlc", "origin"})
FIELD_MERGED = frozenset({"teacher", "enrollment"})
TEACHER_IDENTITY = frozenset({"id_number", "name", "gender", "birth_date", "ethnicity"})
FROZEN_CREDIT = frozenset({"submitted", "approved"})

# How far an enrollment has gone: a version further along wins over one behind it, so a laptop that
# has not heard of a check-in cannot move the trainee back to 公示.
_S = EnrollmentStatus
STATUS_RANK: dict[str, int] = {
    _S.APPLIED.value: 0,
    _S.ADMITTED.value: 1,
    _S.APPROVED.value: 2,
    _S.PUBLICISED.value: 3,
    _S.ATTENDING.value: 4,
}  # every other status ends the enrollment: rank 5


@dataclass(frozen=True)
class Version:
    payload: dict[str, Any]
    hlc: str
    origin: str
    field_hlcs: dict[str, str] = field(default_factory=dict)
    # The fields this version set (None: all of them, as for a new row). A field it did not set
    # carries whatever that device last saw, which must not compete with a newer edit elsewhere.
    changed: frozenset[str] | None = None
    # For fields it set, the value the device saw before: when that is still the stored value, the
    # edit simply follows it (nothing to log); when it is not, two PCs edited the field at once.
    before: dict[str, Any] = field(default_factory=dict)

    def stamp_of(self, name: str) -> str:
        return self.field_hlcs.get(name, self.hlc)


@dataclass(frozen=True)
class Loss:
    field: str  # "*" for a whole row
    kept: Any
    lost: Any
    kept_hlc: str
    lost_hlc: str
    lost_origin: str
    rule: str


@dataclass(frozen=True)
class Merged:
    """What to store. `outcome` is what the pushing device is told: "applied" when its version (or
    every field of it) was taken, "conflict" when some of it lost, "same" when nothing changes."""

    outcome: Literal["applied", "conflict", "same"]
    payload: dict[str, Any]
    hlc: str
    origin: str
    field_hlcs: dict[str, str]
    losses: list[Loss]
    reason: str = ""


def by_province(stamp: str) -> bool:
    return stamp.endswith(f"-{PROVINCE_NODE}")


def merge(entity: str, current: Version | None, incoming: Version) -> Merged:
    if current is None:
        return Merged("applied", incoming.payload, incoming.hlc, incoming.origin, _stamps(incoming), [])
    if incoming.origin != PROVINCE_NODE:
        refusal = _owner_refusal(entity, current, incoming)
        if refusal is not None:
            return _keep_current(entity, current, incoming, refusal)
    if entity in FIELD_MERGED:
        return _merge_fields(entity, current, incoming)
    if _submission_over_draft(entity, current, incoming):
        return _submission(current, incoming)
    if _two_check_ins(entity, current, incoming):
        return _earlier_check_in(current, incoming)
    return _last_writer(current, incoming)


_PRESENT = frozenset({"present", "late", "left_early"})


def _check_in(payload: dict[str, Any]) -> str | None:
    """When a live attendance row says the trainee checked in (ISO text sorts by time), else None."""
    if payload.get("deleted") or payload.get("status") not in _PRESENT:
        return None
    value = payload.get("checked_in_at")
    return value if isinstance(value, str) and value else None


def _two_check_ins(entity: str, current: Version, incoming: Version) -> bool:
    """The same trainee scanned at one session on two devices, at different times."""
    if entity != "attendance":
        return False
    mine, theirs = _check_in(current.payload), _check_in(incoming.payload)
    return mine is not None and theirs is not None and mine != theirs


def _earlier_check_in(current: Version, incoming: Version) -> Merged:
    """The earlier check-in. Where it already carries the later stamp it stays as it is; otherwise it
    becomes a new version stamped after both (origin: the province), so that every device adopts it,
    the one that scanned later included. The same result in either order, and again the same when a
    version that lost arrives a second time."""
    rule = "同一学员在两台电脑上签到：保留较早的签到时间"
    incoming_first = _check_in(incoming.payload) < _check_in(current.payload)  # type: ignore[operator]
    kept, lost = (incoming, current) if incoming_first else (current, incoming)
    losses = [Loss("*", kept.payload, lost.payload, kept.hlc, lost.hlc, lost.origin, rule)]
    if kept.hlc > lost.hlc:
        if incoming_first:
            return Merged("applied", kept.payload, kept.hlc, kept.origin, _stamps(kept), losses)
        return Merged("conflict", kept.payload, kept.hlc, kept.origin, kept.field_hlcs, losses, rule)
    stamp = stamp_after(lost.hlc, wall_ms=0)
    payload = {**kept.payload, "hlc": stamp, "origin": PROVINCE_NODE}
    outcome: Literal["applied", "conflict"] = "applied" if incoming_first else "conflict"
    reason = "" if incoming_first else rule
    return Merged(outcome, payload, stamp, PROVINCE_NODE, _stamps(kept), losses, reason)


def _submission_over_draft(entity: str, current: Version, incoming: Version) -> bool:
    """A county's submission of a credit entry meeting a draft edited on another PC that had not seen
    the submission: the submission wins whichever arrives first (the draft edit arriving second is
    refused as frozen), so the result does not depend on the order."""
    return (
        entity == "credit_entry"
        and incoming.origin != PROVINCE_NODE
        and incoming.payload.get("status") == "submitted"
        and current.payload.get("status") == "draft"
        and incoming.hlc < current.hlc
    )


def _submission(current: Version, incoming: Version) -> Merged:
    # Stamped after the draft it replaces, so every PC adopts it, the draft's one included.
    stamp = stamp_after(current.hlc, wall_ms=0)
    payload = {**incoming.payload, "hlc": stamp, "origin": PROVINCE_NODE}
    rule = "学分已提交：以提交的版本为准"
    losses = [Loss("*", incoming.payload, current.payload, incoming.hlc, current.hlc, current.origin, rule)]
    return Merged("applied", payload, stamp, PROVINCE_NODE, _stamps(incoming), losses)


def _owner_refusal(entity: str, current: Version, incoming: Version) -> str | None:
    if entity == "project" and current.origin == PROVINCE_NODE:
        return "省级发布的项目由省级平台维护，区县的修改未采用"
    if (
        entity == "credit_entry"
        and current.payload.get("status") in FROZEN_CREDIT
        and incoming.hlc > current.hlc
        and _content(incoming.payload) != _content(current.payload)
    ):
        return "学分已提交或已审核，区县不能再修改"
    return None


def _keep_current(entity: str, current: Version, incoming: Version, rule: str) -> Merged:
    losses = [Loss("*", current.payload, incoming.payload, current.hlc, incoming.hlc, incoming.origin, rule)]
    return Merged("conflict", current.payload, current.hlc, current.origin, current.field_hlcs, losses, rule)


def _last_writer(current: Version, incoming: Version) -> Merged:
    if incoming.hlc == current.hlc:
        return Merged("same", current.payload, current.hlc, current.origin, current.field_hlcs, [])
    if incoming.hlc > current.hlc:
        return Merged("applied", incoming.payload, incoming.hlc, incoming.origin, _stamps(incoming), [])
    rule = "服务器上有更新的版本"
    if _content(incoming.payload) == _content(current.payload):
        return Merged("same", current.payload, current.hlc, current.origin, current.field_hlcs, [])
    losses = [Loss("*", current.payload, incoming.payload, current.hlc, incoming.hlc, incoming.origin, rule)]
    return Merged("conflict", current.payload, current.hlc, current.origin, current.field_hlcs, losses, rule)


def _merge_fields(entity: str, current: Version, incoming: Version) -> Merged:
    rank = _field_rank(entity)
    payload: dict[str, Any] = {}
    stamps: dict[str, str] = {}
    losses: list[Loss] = []
    incoming_lost = False
    for name in sorted((current.payload.keys() | incoming.payload.keys()) - META):
        mine, theirs = current.payload.get(name), incoming.payload.get(name)
        mine_at, theirs_at = current.stamp_of(name), incoming.hlc
        untouched = incoming.changed is not None and name not in incoming.changed
        if name not in incoming.payload or (untouched and name in current.payload):
            # A field this version did not set (or does not know): the stored value stays.
            payload[name], stamps[name] = mine, mine_at
            continue
        if name not in current.payload:
            payload[name], stamps[name] = theirs, theirs_at
            continue
        if mine == theirs:
            payload[name], stamps[name] = theirs, max(mine_at, theirs_at)
            continue
        if rank(name, theirs, theirs_at) > rank(name, mine, mine_at):
            payload[name], stamps[name] = theirs, theirs_at
            saw = incoming.before.get(name)
            if mine not in (None, "") and _node(mine_at) != _node(theirs_at) and saw != mine:
                # A value from another device that this one had not seen was replaced: two PCs edited
                # one field at once. (A plain edit of what it saw, or filling a blank, is not logged;
                # the pushing device's value losing always is.)
                losses.append(
                    Loss(name, theirs, mine, theirs_at, mine_at, _node(mine_at), _rule(entity, name))
                )
        else:
            payload[name], stamps[name] = mine, mine_at
            losses.append(Loss(name, mine, theirs, mine_at, theirs_at, incoming.origin, _rule(entity, name)))
            incoming_lost = True
    payload["id"] = current.payload.get("id", incoming.payload.get("id"))
    if payload == _without_meta_but_id(current.payload) and stamps == _stamps(current):
        outcome: Literal["conflict", "same"] = "conflict" if incoming_lost else "same"
        return Merged(outcome, current.payload, current.hlc, current.origin, current.field_hlcs, losses)
    if payload == _without_meta_but_id(incoming.payload) and incoming.hlc > current.hlc:
        # The device's version won every field: it travels under its own stamp and origin.
        payload.update(hlc=incoming.hlc, origin=incoming.origin)
        return Merged("applied", payload, incoming.hlc, incoming.origin, stamps, losses)
    # A mix of both: a new version that every device, the pushing one included, must adopt. Its
    # stamp follows the highest one merged, so it is the same whatever order the versions came in.
    stamp = stamp_after(max([current.hlc, incoming.hlc, *stamps.values()]), wall_ms=0)
    payload.update(hlc=stamp, origin=PROVINCE_NODE)
    return Merged("conflict" if incoming_lost else "applied", payload, stamp, PROVINCE_NODE, stamps, losses)


def _field_rank(entity: str) -> Callable[[str, Any, str], tuple]:
    def rank(name: str, value: Any, stamp: str) -> tuple:
        if entity == "teacher" and name in TEACHER_IDENTITY:
            return (by_province(stamp), stamp)
        if entity == "enrollment" and name == "status":
            return (STATUS_RANK.get(str(value), 5), stamp)
        return (stamp,)

    return rank


def _rule(entity: str, name: str) -> str:
    if entity == "teacher" and name in TEACHER_IDENTITY:
        return "身份信息以省级平台为准，其次取较晚的修改"
    if entity == "enrollment" and name == "status":
        return "报名状态只能向前推进，取进展更远的状态"
    return "取较晚的修改"


def _node(stamp: str) -> str:
    return stamp.split("-", 2)[2]


def _stamps(version: Version) -> dict[str, str]:
    return {name: version.stamp_of(name) for name in version.payload if name not in META}


def _content(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in payload.items() if name not in META}


def _without_meta_but_id(payload: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in payload.items() if name not in META or name == "id"}
