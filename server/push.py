"""Applying one pushed batch inside the caller's transaction: checks, merges, aliases, the clock guard.

For each op, in order: refuse what is malformed (the entity's schema, guopei_common.schema) or not the
device's county's to write; rewrite ids that were merged into others; find the row by id, or else by
natural key within the county (the same teacher, project, enrollment or check-in recorded under another
id); hold back a teacher another county holds as a transfer request (server.transfers); refuse
references outside the county and what only the province may write (server.rules); clamp a stamp from
the far future; merge by the ownership rules of server.merge; store the result with the next change
sequence number and log what lost.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from guopei_common.audit import AUDIT_ENTITY
from guopei_common.merge import FIELD_MERGED, Loss, Merged, Version, merge
from guopei_common.protocol import (
    ENTITIES,
    REFERENCES,
    OpResult,
    PushOp,
    natural_key,
    payload_hash,
)
from guopei_common.schema import PayloadRefused, completed, normalized
from server import audit, rules, scope, transfers
from server.db import ConflictEntry, RowAlias, SyncedRow, TransferRequest

# A stamp more than this far ahead of the server's clock is clamped to the clock. Generous, so that
# a PC a few minutes fast is left alone; one set to next year is not.
MAX_FUTURE_MS = 60 * 60 * 1000


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


@dataclass(frozen=True)
class Pusher:
    id: str
    county_code: str


@dataclass
class BatchApplier:
    session: Session
    device: Pusher
    seq: int
    now: dt.datetime
    rows: dict[tuple[str, str], SyncedRow] = field(default_factory=dict)
    aliases: dict[tuple[str, str], str] = field(default_factory=dict)
    by_key: dict[tuple[str, str], list[SyncedRow]] = field(default_factory=dict)
    # Rows of other counties this county may read (never write), and teacher rows their county gave up
    # by an approved transfer (read-only there).
    granted: set[tuple[str, str]] = field(default_factory=set)
    transferred: set[str] = field(default_factory=set)
    shared: set[str] = field(default_factory=set)
    # The county's private aliases met so far (entity, its id), and server id → its id for answers.
    private: set[tuple[str, str]] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
    _pending_transfers: int | None = None
    _made: dict[tuple[str, str, str], RowAlias] = field(default_factory=dict)

    def preload(self, ops: list[PushOp]) -> None:
        """Fetch, in a few queries, every row, alias and natural key the batch may touch."""
        ids = {op.row_id for op in ops}
        for op in ops:
            for column in REFERENCES.get(op.entity, {}):
                value = op.payload.get(column)
                if isinstance(value, str):
                    ids.add(value)
        for chunk in _chunks(sorted(ids)):
            # Only this county's aliases: another county's ids never lead anywhere from here.
            for alias in self.session.scalars(
                select(RowAlias).where(
                    RowAlias.alias_id.in_(chunk), RowAlias.county_code == self.device.county_code
                )
            ):
                self.aliases[(alias.entity, alias.alias_id)] = alias.canonical_id
                if alias.private:
                    self.private.add((alias.entity, alias.alias_id))
                    self.names[alias.canonical_id] = alias.alias_id
        wanted = {self.aliases.get((op.entity, op.row_id), op.row_id) for op in ops}
        for op in ops:
            for column, target in REFERENCES.get(op.entity, {}).items():
                value = op.payload.get(column)
                if isinstance(value, str):
                    wanted.add(self.aliases.get((target, value), value))
        for chunk in _chunks(sorted(wanted)):
            for row in self.session.scalars(select(SyncedRow).where(SyncedRow.row_id.in_(chunk))):
                self._remember(row)
        keys = {
            key
            for op in ops
            if isinstance(op.payload, dict) and (key := _key_of(op.entity, op.payload)) is not None
        }
        for chunk in _chunks(sorted(keys)):
            for row in self.session.scalars(select(SyncedRow).where(SyncedRow.natural_key.in_(chunk))):
                self._remember(row)
        elsewhere = [key for key, row in self.rows.items() if row.county_code != self.device.county_code]
        self.granted = scope.granted_rows(self.session, self.device.county_code, elsewhere)
        teachers = sorted(row_id for entity, row_id in self.rows if entity == "teacher")
        self.transferred = transfers.transferred_out(self.session, teachers)
        # Enrollments of a moved teacher's history that late rows of the batch hang off (share_late).
        enrollments = {
            op.payload.get("enrollment_id")
            for op in ops
            if op.entity in transfers.LATE and op.entity != "enrollment"
        }
        named = [e for e in enrollments if isinstance(e, str)]
        self.shared = {
            e
            for chunk in _chunks(sorted(named))
            for e in transfers.shared_rows(self.session, "enrollment", chunk)
        }

    def _remember(self, row: SyncedRow) -> None:
        self.rows[(row.entity, row.row_id)] = row
        if row.natural_key is not None:
            found = self.by_key.setdefault((row.entity, row.natural_key), [])
            if row not in found:
                found.append(row)

    def apply(self, op: PushOp) -> OpResult:
        def reject(reason: str) -> OpResult:
            return OpResult(op_id=op.op_id, outcome="rejected", reason=reason)

        if payload_hash(op.payload) != op.payload_hash:
            return reject("payload_hash 与内容不符")
        if op.entity not in ENTITIES and op.entity != AUDIT_ENTITY:
            return reject(f"未知的实体：{op.entity}")
        if op.payload.get("id") != op.row_id or op.payload.get("hlc") != op.hlc:
            return reject("payload 的 id/hlc 与操作不符")
        if op.payload.get("origin") != self.device.id:
            # A device pushes only its own changes (pulled rows never enter its outbox).
            return reject("payload 的 origin 不是本设备")
        if op.entity == AUDIT_ENTITY:  # kept apart from the rows, append-only
            return audit.append(
                self.session, op, county_code=self.device.county_code, device_id=self.device.id, now=self.now
            )
        try:
            # Before anything is looked up: a malformed op gets the same answer whatever the server holds.
            payload = normalized(op.entity, op.payload)
        except PayloadRefused as error:
            return reject(str(error))
        payload = self._rewrite_references(op.entity, payload)
        row_id = self.aliases.get((op.entity, op.row_id), op.row_id)
        row = self.rows.get((op.entity, row_id))
        foreign = row is not None and row.county_code != self.device.county_code
        if foreign and (op.entity, row_id) not in self.granted:
            # An id names a row only within its county: another county's row id is, for this county, an
            # id the province does not know, and the op goes on exactly as for one (the same answers, the
            # same work). Nothing of the other row is read or written.
            row = None
        if row is None:
            row = self._same_thing(op.entity, payload)
            if row is not None:
                row_id = row.row_id
                self._alias(op.entity, op.row_id, row_id)
            elif foreign:
                # The county's new row, under an id of the server's making it is never told of.
                row_id = str(uuid.uuid4())
                self._alias(op.entity, op.row_id, row_id, private=True)
        if row is not None and row.county_code != self.device.county_code:
            return reject(rules.READ_ONLY)  # granted to it by a transfer: it reads them, never writes
        payload["id"] = row_id
        stored = json.loads(row.payload) if row is not None else None
        try:
            if row is None or op.entity not in FIELD_MERGED:
                # Every column stored: a later pull (of any device of the county) can always apply it.
                payload = completed(op.entity, payload, stored)
        except PayloadRefused as error:
            return reject(str(error))
        if op.entity == "teacher":
            refusal = self._teacher_refusal(op, row, payload, stored)
            if refusal is not None:
                return reject(refusal)
        problem = self._reference_problem(op.entity, payload, stored)
        if problem is not None:
            return reject(problem)
        owned = rules.province_owned(op.entity, stored, payload)
        if owned is None and op.entity == "certificate":
            owned = self._serial_refusal(payload, row_id, stored)
        if owned is not None:
            return self._refuse(op, row, owned, payload)
        stamp, clamped = self._guard_clock(op.hlc, row)
        payload["hlc"] = stamp
        changed = _changed(op)
        if changed is None and row_id != op.row_id:
            # A new record of something the province already has: its blank fields add nothing (as
            # in an import, a blank cell keeps what the roster has).
            changed = frozenset(name for name, value in payload.items() if value not in (None, ""))
        merged = merge(
            op.entity,
            _version(row),
            Version(payload, stamp, self.device.id, changed=changed, before=_before(op)),
        )
        self._log_losses(op.entity, row_id, merged)
        if merged.outcome != "same" and (row is None or merged.hlc != row.hlc):
            self._store(op.entity, row_id, row, merged)
            if row is None and self._late(op.entity, merged.payload):
                stored_row = self.rows[(op.entity, row_id)]
                self.seq = transfers.share_late(self.session, row=stored_row, seq=self.seq, now=self.now)
        private = (op.entity, op.row_id) in self.private
        canonical = row_id if row_id != op.row_id and not private else None
        server_row = self._as_known(op.entity, merged.payload) if merged.outcome == "conflict" else None
        return OpResult(
            op_id=op.op_id,
            outcome="conflict" if merged.outcome == "conflict" else "applied",
            reason=merged.reason or ("same version" if merged.outcome == "same" else ""),
            server_row=server_row,
            canonical_id=canonical,
            hlc=stamp if clamped else None,
        )

    def _late(self, entity: str, payload: dict[str, Any]) -> bool:
        """Whether a new row belongs to the history of a teacher who has moved on (share_late)."""
        if entity not in transfers.LATE:
            return False
        return payload.get("teacher_id") in self.transferred or payload.get("enrollment_id") in self.shared

    def _rewrite_references(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        for column, target in REFERENCES.get(entity, {}).items():
            value = payload.get(column)
            if isinstance(value, str) and (target, value) in self.aliases:
                payload[column] = self.aliases[(target, value)]
        return payload

    def _same_thing(self, entity: str, payload: dict[str, Any]) -> SyncedRow | None:
        """This county's row for the same natural key, if any. Never another county's: a teacher held
        elsewhere becomes a transfer request instead. Certificates are never merged by serial: a
        second certificate under a serial in use is refused."""
        key = natural_key(entity, payload)
        if key is None or entity == "certificate":
            return None
        for row in self.by_key.get((entity, key), []):
            if row.county_code == self.device.county_code:
                return row
        return None

    def _teacher_refusal(
        self, op: PushOp, row: SyncedRow | None, payload: dict[str, Any], stored: dict[str, Any] | None
    ) -> str | None:
        """Why a teacher op is not applied, or None. A county gives up a teacher by a transfer, and a
        person (ID number) held by another county comes only by a transfer request."""
        if row is not None and row.row_id in self.transferred:
            # Read-only there, but for asking the teacher back: an edit that has them serve in the county
            # again (任职状态 anything but 调出) while another county holds them is a transfer request.
            back = payload.get("employment_status") not in (None, "transferred") and not payload.get(
                "deleted"
            )
            holder = self._holder(natural_key("teacher", {**(stored or {}), **payload})) if back else None
            if holder is None:
                return rules.TRANSFERRED_OUT
            return self._request_transfer(op, row, payload, stored, holder)
        if payload.get("deleted"):
            if row is None:
                self._withdraw(payload["id"])
            return None
        if row is None and self._pending() >= transfers.MAX_PENDING:
            # Past the limit every new teacher gets this answer, held elsewhere or not (no ID-number oracle).
            return transfers.TOO_MANY_PENDING
        key = natural_key("teacher", payload)
        if key is None or (row is not None and not row.deleted and row.natural_key == key):
            return None  # the county already holds this person
        holder = self._holder(key)
        if holder is None:
            return None
        return self._request_transfer(op, row, payload, stored, holder)

    def _holder(self, key: str | None) -> SyncedRow | None:
        """Another county's live teacher row for this person (ID number), not given up by a transfer."""
        return next(
            (
                found
                for found in self.by_key.get(("teacher", key or ""), [])
                if found.county_code != self.device.county_code
                and not found.deleted
                and found.row_id not in self.transferred
            ),
            None,
        )

    def _request_transfer(
        self,
        op: PushOp,
        row: SyncedRow | None,
        payload: dict[str, Any],
        stored: dict[str, Any] | None,
        holder: SyncedRow,
    ) -> str:
        # The request must be applicable when approved: the whole row (an edit sends only what it set),
        # its school checked now like any reference.
        whole = {**(stored or {}), **payload}
        problem = self._reference_problem("teacher", whole, None)
        if problem is not None:
            return problem
        earlier = transfers.request_transfer(
            self.session,
            holder=holder,
            county_code=self.device.county_code,
            device_id=self.device.id,
            payload=whole,
            now=self.now,
        )
        if earlier is not None and row is None:
            self._alias("teacher", op.row_id, earlier)
        self._pending_transfers = None
        return rules.TRANSFER_REQUESTED

    def _withdraw(self, row_id: str) -> None:
        """A county deleting the teacher it asked for withdraws its request."""
        for request in self.session.scalars(
            select(TransferRequest).where(
                TransferRequest.to_county == self.device.county_code,
                TransferRequest.requested_row_id == row_id,
                TransferRequest.status == scope.PENDING,
            )
        ):
            request.status, request.reason, request.decided_at = (
                transfers.REJECTED,
                "调入区县已删除该记录",
                self.now,
            )

    def _pending(self) -> int:
        if self._pending_transfers is None:
            self._pending_transfers = transfers.pending_count(self.session, self.device.county_code)
        return self._pending_transfers

    def _reference_problem(
        self, entity: str, payload: dict[str, Any], stored: dict[str, Any] | None
    ) -> str | None:
        """A reference that does not name a row this county may read, or None. A reference the stored
        version already had is not checked again (its target may since have been purged)."""
        for column, target in REFERENCES.get(entity, {}).items():
            value = payload.get(column)
            if value is None or (stored is not None and stored.get(column) == value):
                continue
            found = self.rows.get((target, value))
            if found is not None and (
                found.county_code == self.device.county_code or (target, value) in self.granted
            ):
                continue
            if target == "teacher" and transfers.pending_requested(
                self.session, self.device.county_code, value
            ):
                return rules.TRANSFER_PENDING
            # The same words whether the row exists in another county or nowhere.
            return f"引用的{rules.LABELS.get(target, target)}不存在或不属于本县（{column}）"
        return None

    def _serial_refusal(
        self, payload: dict[str, Any], row_id: str, stored: dict[str, Any] | None
    ) -> rules.Refusal | None:
        serial = payload["serial"]
        if stored is not None and stored.get("serial") == serial:
            return None
        refusal = rules.serial_refusal(serial, self.device.county_code)
        if refusal is not None:
            return refusal
        if any(found.row_id != row_id for found in self.by_key.get(("certificate", serial), [])):
            return rules.Refusal("rejected", rules.SERIAL_TAKEN)
        return None

    def _refuse(
        self, op: PushOp, row: SyncedRow | None, refusal: rules.Refusal, payload: dict[str, Any]
    ) -> OpResult:
        if refusal.outcome == "rejected" or row is None:
            return OpResult(op_id=op.op_id, outcome="rejected", reason=refusal.reason)
        # A PC that had not pulled the province's decision yet: like the other frozen rows, the server's
        # row stays, the device gets it back, and what lost is in the conflict log.
        current = json.loads(row.payload)
        loss = Loss("*", current, payload, row.hlc, op.hlc, self.device.id, refusal.reason)
        self._log_losses(op.entity, row.row_id, Merged("conflict", current, row.hlc, row.origin, {}, [loss]))
        server_row = self._as_known(op.entity, current)
        return OpResult(op_id=op.op_id, outcome="conflict", reason=refusal.reason, server_row=server_row)

    def _as_known(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        """A row as the county knows it: privately aliased ids under the county's own."""
        return scope.row_as_seen_by(entity, payload.get("id", ""), payload, self.names)[1]

    def _alias(self, entity: str, alias_id: str, canonical_id: str, *, private: bool = False) -> None:
        key = (self.device.county_code, entity, alias_id)
        # One made earlier in the batch, or whose row never came (a transfer request; preloaded, so no
        # query is made for a new one): it now says this.
        stored = (entity, alias_id) in self.aliases and key not in self._made
        kept = self._made.get(key) or (self.session.get(RowAlias, key) if stored else None)
        self.aliases[(entity, alias_id)] = canonical_id
        if private:
            self.private.add((entity, alias_id))
            self.names[canonical_id] = alias_id
        if kept is not None:
            kept.canonical_id, kept.private = canonical_id, private
            return
        self._made[key] = RowAlias(
            entity=entity,
            alias_id=alias_id,
            canonical_id=canonical_id,
            county_code=self.device.county_code,
            created_at=self.now,
            private=private,
        )
        self.session.add(self._made[key])

    def _guard_clock(self, stamp: str, row: SyncedRow | None) -> tuple[str, bool]:
        """The op's stamp, or the server's clock when the stamp is too far ahead (and True)."""
        wall_text, _counter, node = stamp.split("-", 2)
        now_ms = int(self.now.replace(tzinfo=dt.UTC).timestamp() * 1000)
        if int(wall_text) <= now_ms + MAX_FUTURE_MS:
            return stamp, False
        clamped = f"{now_ms:015d}-00000-{node}"
        if row is not None and row.hlc >= clamped:
            # Still after the version it replaces, as the device meant it to be.
            wall, counter, _ = row.hlc.split("-", 2)
            clamped = f"{int(wall):015d}-{int(counter) + 1:05d}-{node}"
        return clamped, True

    def _log_losses(self, entity: str, row_id: str, merged: Merged) -> None:
        for loss in merged.losses:
            self.session.add(
                ConflictEntry(
                    county_code=self.device.county_code,
                    entity=entity,
                    row_id=row_id,
                    field=loss.field,
                    kept_value=_json(loss.kept),
                    lost_value=_json(loss.lost),
                    kept_hlc=loss.kept_hlc,
                    lost_hlc=loss.lost_hlc,
                    lost_origin=loss.lost_origin,
                    rule=loss.rule,
                    recorded_at=self.now,
                )
            )

    def _store(self, entity: str, row_id: str, row: SyncedRow | None, merged: Merged) -> None:
        self.seq += 1
        values = {
            "hlc": merged.hlc,
            "origin": merged.origin,
            "payload": _json(merged.payload),
            "deleted": bool(merged.payload.get("deleted", False)),
            "seq": self.seq,
            "natural_key": natural_key(entity, merged.payload),
            "field_hlcs": _json(merged.field_hlcs) if entity in FIELD_MERGED else None,
        }
        if row is None:
            row = SyncedRow(entity=entity, row_id=row_id, county_code=self.device.county_code, **values)
            self.session.add(row)
            self._remember(row)
        else:
            for name, value in values.items():
                setattr(row, name, value)
            self._remember(row)


def _changed(op: PushOp) -> frozenset[str] | None:
    return None if op.changed is None else frozenset(op.changed)


def _before(op: PushOp) -> dict[str, Any]:
    return dict(op.changed or {})


def _version(row: SyncedRow | None) -> Version | None:
    if row is None:
        return None
    return Version(json.loads(row.payload), row.hlc, row.origin, json.loads(row.field_hlcs or "{}"))


def _key_of(entity: str, payload: dict[str, Any]) -> str | None:
    try:
        return natural_key(entity, payload)
    except TypeError:  # a malformed payload: refused by its schema check before any key is used
        return None


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    # Bounded IN lists: SQLite's limit on bound parameters, and PostgreSQL's plan cache. A value with a
    # NUL names nothing (the schema check refuses its op) and PostgreSQL cannot even take it as a
    # parameter: left out, instead of failing the batch.
    values = [value for value in values if "\x00" not in value]
    return [values[i : i + size] for i in range(0, len(values), size)]


def feed_filter(county_code: str) -> Any:
    """Rows a county may pull: its own, and rows granted to it (server.scope)."""
    return scope.visible(county_code)
