"""Applying another county PC's changes from an exchange file with the province's merge rules
(guopei_common.merge, the one copy the server uses too): ownership, teachers and enrollments field by
field, an enrollment's status only forward, the earlier of two check-ins, a conflict log.

Rows are written with Core statements, as pulled rows are: they keep the stamp and origin the merge
gives them and never enter this PC's outbox, so nothing is sent to the province twice. Each PC sends
its own changes (their op ids follow from row and stamp, so a file imported here and the same changes
pushed later are the same ops); the province merges them as this PC did.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, and_, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.engine import Database
from desktop.db.models import Device, Setting
from desktop.db.outbox import to_json
from desktop.domain.hlc import Hlc
from desktop.errors import UserInputError
from desktop.sync.client import _converters, _models_by_entity
from desktop.sync.rekey import rekey
from guopei_common.merge import Merged, Version, merge
from guopei_common.protocol import NATURAL_KEYS, REFERENCES, PushOp
from guopei_common.schema import PayloadRefused, pulled_row

# Values that lost a merge in an exchange import, newest last (for the 同步 page and support).
EXCHANGE_CONFLICTS_KEY = settings.EXCHANGE_CONFLICTS.key
CONFLICTS_KEPT = 500


@dataclass
class ApplyReport:
    applied: int = 0  # rows written (new, or a newer version)
    same: int = 0  # rows this PC already had in that version or a later one
    conflicts: int = 0  # ops of which some value lost to what this PC holds (logged)
    losses: list[dict[str, Any]] = field(default_factory=list)


def apply_ops(db: Database, ops: list[PushOp]) -> ApplyReport:
    """Merge `ops` (in order) into this PC's database in one transaction: all or nothing."""
    models = _models_by_entity()
    report = ApplyReport()
    try:
        with db.write() as session:
            connection = session.connection()
            # A file holds a child after its parent, but a rekeyed parent moves its children too.
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            applier = _Applier(connection, models, report)
            for op in ops:
                applier.apply(op)
            if ops:
                db.clock.receive(Hlc.decode(max(op.hlc for op in ops)))
                session.execute(update(Device).values(last_hlc=db.clock.last.encode()))
            if report.losses:
                _keep_losses(session, report.losses)
    except IntegrityError as error:
        raise UserInputError(
            f"交换文件中的记录引用了本机没有的记录（可能需要先导入对方更早的交换文件），未导入任何内容：{error.orig}"
        ) from None
    return report


class _Applier:
    def __init__(self, connection: Connection, models: dict[str, Any], report: ApplyReport) -> None:
        self.connection = connection
        self.tables: dict[str, Table] = {entity: model.__table__ for entity, model in models.items()}
        self.converters = {entity: _converters(table) for entity, table in self.tables.items()}
        self.report = report
        # Ids of the file that name a row this PC holds under another id (same natural key).
        self.aliases: dict[tuple[str, str], str] = {}

    def apply(self, op: PushOp) -> None:
        table = self.tables.get(op.entity)
        if table is None:
            return  # an entity this version does not know
        payload = dict(op.payload)
        for column, target in REFERENCES.get(op.entity, {}).items():
            value = payload.get(column)
            if isinstance(value, str):
                payload[column] = self.aliases.get((target, value), value)
        row_id = self.aliases.get((op.entity, op.row_id), op.row_id)
        current = self._row(table, row_id)
        if current is None:
            row_id, current = self._same_thing(op.entity, table, payload, row_id)
        payload["id"] = row_id
        changed = None if op.changed is None else frozenset(op.changed)
        incoming = Version(
            payload, op.hlc, str(payload.get("origin", "")), changed=changed, before=dict(op.changed or {})
        )
        merged = merge(op.entity, self._version(current), incoming)
        self.report.losses += [
            {
                "entity": op.entity,
                "row_id": row_id,
                "field": loss.field,
                "kept": loss.kept,
                "lost": loss.lost,
                "lost_origin": loss.lost_origin,
                "rule": loss.rule,
            }
            for loss in merged.losses
        ]
        self.report.conflicts += merged.outcome == "conflict"
        if merged.outcome == "same" or (current is not None and merged.hlc == current["hlc"]):
            self.report.same += merged.outcome != "conflict"
            return
        self._write(op.entity, table, row_id, merged)
        self.report.applied += 1

    def _row(self, table: Table, row_id: str) -> dict[str, Any] | None:
        found = self.connection.execute(select(table).where(table.c.id == row_id)).mappings().first()
        return dict(found) if found is not None else None

    def _same_thing(
        self, entity: str, table: Table, payload: dict[str, Any], row_id: str
    ) -> tuple[str, dict[str, Any] | None]:
        """The row this PC holds for the same natural key under another id, if any. Both PCs keep the
        smaller of the two ids, so an exchange in each direction ends with the same id on both (the
        province may later keep the other: a pull then re-keys, as for any row)."""
        columns = NATURAL_KEYS.get(entity)
        if not columns or any(payload.get(name) in (None, "") for name in columns):
            return row_id, None
        condition = and_(*(table.c[name] == payload[name] for name in columns))
        local = self.connection.execute(select(table.c.id).where(condition)).scalar()
        if local is None or local == row_id:
            return row_id, None
        if local < row_id:
            self.aliases[(entity, row_id)] = local
            return local, self._row(table, local)
        rekey(self.connection, table, local, row_id)
        return row_id, self._row(table, row_id)

    def _version(self, current: dict[str, Any] | None) -> Version | None:
        if current is None:
            return None
        # As the province holds a row whose per-field stamps it has not kept: every field at the row's.
        return Version(json.loads(to_json(current)), current["hlc"], current["origin"])

    def _write(self, entity: str, table: Table, row_id: str, merged: Merged) -> None:
        meta = {"id": row_id, "hlc": merged.hlc, "origin": merged.origin}
        try:
            row = pulled_row(entity, {**merged.payload, **meta})
        except PayloadRefused as error:
            raise UserInputError(f"交换文件中的{entity}记录无法写入本机：{error}") from None
        converters = self.converters[entity]
        values = {}
        for key, value in row.items():
            if key in table.c:
                convert = converters.get(key)
                values[key] = convert(value) if convert is not None and isinstance(value, str) else value
        values.update(meta)
        statement = sqlite_insert(table).values(values)
        statement = statement.on_conflict_do_update(
            index_elements=["id"], set_={name: statement.excluded[name] for name in values if name != "id"}
        )
        self.connection.execute(statement)


def _keep_losses(session: Session, losses: list[dict[str, Any]]) -> None:
    kept = session.get(Setting, EXCHANGE_CONFLICTS_KEY)
    earlier = list(kept.value) if kept is not None and isinstance(kept.value, list) else []
    combined = (earlier + json.loads(to_json({"l": losses}))["l"])[-CONFLICTS_KEPT:]
    statement = sqlite_insert(Setting).values(key=EXCHANGE_CONFLICTS_KEY, value=combined)
    session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": combined}))
