"""Applying one pushed batch inside the caller's transaction: checks, merges, aliases, the clock guard.

For each op, in order: refuse what is malformed or not the device's to write; rewrite ids that were
merged into others; find the row by id, or else by natural key (the same teacher, project, enrollment
or check-in recorded under another id); clamp a stamp from the far future; merge by the ownership
rules of server.merge; store the result with the next change sequence number and log what lost.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from desktop.sync.protocol import (
    ENTITIES,
    REFERENCES,
    OpResult,
    PushOp,
    natural_key,
    payload_hash,
)
from server.db import ConflictEntry, RowAlias, SyncedRow
from server.merge import FIELD_MERGED, Merged, Version, merge

# A stamp more than this far ahead of the server's clock is clamped to the clock. Generous, so that
# a PC a few minutes fast is left alone; one set to next year is not.
MAX_FUTURE_MS = 60 * 60 * 1000
# Teachers move between counties: the same person (ID number) is merged across counties. Every other
# natural key is looked up within the pushing county only.
CROSS_COUNTY = frozenset({"teacher"})


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

    def preload(self, ops: list[PushOp]) -> None:
        """Fetch, in a few queries, every row, alias and natural key the batch may touch."""
        ids = {op.row_id for op in ops}
        for op in ops:
            for column in REFERENCES.get(op.entity, {}):
                value = op.payload.get(column)
                if isinstance(value, str):
                    ids.add(value)
        for chunk in _chunks(sorted(ids)):
            for alias in self.session.scalars(select(RowAlias).where(RowAlias.alias_id.in_(chunk))):
                self.aliases[(alias.entity, alias.alias_id)] = alias.canonical_id
        wanted = {self.aliases.get((op.entity, op.row_id), op.row_id) for op in ops}
        for chunk in _chunks(sorted(wanted)):
            for row in self.session.scalars(select(SyncedRow).where(SyncedRow.row_id.in_(chunk))):
                self._remember(row)
        keys = {key for op in ops if (key := natural_key(op.entity, op.payload)) is not None}
        for chunk in _chunks(sorted(keys)):
            for row in self.session.scalars(select(SyncedRow).where(SyncedRow.natural_key.in_(chunk))):
                self._remember(row)

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
        if op.entity not in ENTITIES:
            return reject(f"未知的实体：{op.entity}")
        if op.payload.get("id") != op.row_id or op.payload.get("hlc") != op.hlc:
            return reject("payload 的 id/hlc 与操作不符")
        if op.payload.get("origin") != self.device.id:
            # A device pushes only its own changes (pulled rows never enter its outbox).
            return reject("payload 的 origin 不是本设备")
        payload = self._rewrite_references(op.entity, dict(op.payload))
        row_id = self.aliases.get((op.entity, op.row_id), op.row_id)
        row = self.rows.get((op.entity, row_id))
        if row is None:
            row = self._same_thing(op.entity, payload)
            if row is not None:
                row_id = row.row_id
                self._alias(op.entity, op.row_id, row_id)
        if row is not None and not self._may_write(row, op.row_id):
            return reject("该记录属于其他区县")
        payload["id"] = row_id
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
        canonical = row_id if row_id != op.row_id else None
        server_row = merged.payload if merged.outcome == "conflict" else None
        return OpResult(
            op_id=op.op_id,
            outcome="conflict" if merged.outcome == "conflict" else "applied",
            reason=merged.reason or ("same version" if merged.outcome == "same" else ""),
            server_row=server_row,
            canonical_id=canonical,
            hlc=stamp if clamped else None,
        )

    def _rewrite_references(self, entity: str, payload: dict[str, Any]) -> dict[str, Any]:
        for column, target in REFERENCES.get(entity, {}).items():
            value = payload.get(column)
            if isinstance(value, str) and (target, value) in self.aliases:
                payload[column] = self.aliases[(target, value)]
        return payload

    def _same_thing(self, entity: str, payload: dict[str, Any]) -> SyncedRow | None:
        """A row the server already has for the same natural key, if this device may merge into it."""
        key = natural_key(entity, payload)
        if key is None:
            return None
        found = self.by_key.get((entity, key), [])
        # This county's own row first; another county's only where the key names a person.
        for row in found:
            if row.county_code == self.device.county_code:
                return row
        if entity in CROSS_COUNTY and found:
            return found[0]
        return None

    def _may_write(self, row: SyncedRow, sent_id: str) -> bool:
        if row.county_code == self.device.county_code:
            return True
        # A teacher another county created, merged with this county's record of the same person
        # (in this batch, or earlier).
        if self.aliases.get((row.entity, sent_id)) == row.row_id and row.entity in CROSS_COUNTY:
            return True
        return row.entity in CROSS_COUNTY and self._has_alias(row.entity, row.row_id)

    def _has_alias(self, entity: str, canonical_id: str) -> bool:
        return (
            self.session.scalar(
                select(RowAlias.alias_id)
                .where(
                    RowAlias.entity == entity,
                    RowAlias.canonical_id == canonical_id,
                    RowAlias.county_code == self.device.county_code,
                )
                .limit(1)
            )
            is not None
        )

    def _alias(self, entity: str, alias_id: str, canonical_id: str) -> None:
        self.aliases[(entity, alias_id)] = canonical_id
        self.session.add(
            RowAlias(
                entity=entity,
                alias_id=alias_id,
                canonical_id=canonical_id,
                county_code=self.device.county_code,
                created_at=self.now,
            )
        )

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


def _chunks(values: list[str], size: int = 500) -> list[list[str]]:
    # Bounded IN lists: SQLite's limit on bound parameters, and PostgreSQL's plan cache.
    return [values[i : i + size] for i in range(0, len(values), size)]


def feed_filter(county_code: str) -> Any:
    """Rows a county may pull: its own, and rows of another county it has merged a record into."""
    merged_here = select(RowAlias.canonical_id).where(
        RowAlias.county_code == county_code, RowAlias.entity == SyncedRow.entity
    )
    return or_(
        SyncedRow.county_code == county_code,
        and_(SyncedRow.county_code != county_code, SyncedRow.row_id.in_(merged_here)),
    )
