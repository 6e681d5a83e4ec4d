"""The one mechanism that records local changes for sync.

Every flush of a write session stamps changed synced rows with the device's HLC and origin, and
writes one outbox row per change on the same connection, inside the same transaction. Services never
remember to do it; they cannot forget it either. Bulk inserts (demo data, imports) go through
`insert_synced_rows`, which does the same for rows that never become ORM objects.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import bindparam, event, insert, inspect, select, update
from sqlalchemy.orm import Session, sessionmaker

from desktop.db import change_log
from desktop.db.base import Synced
from desktop.db.models import Device, OutboxEntry
from desktop.domain.hlc import HybridClock
from desktop.domain.ids import op_id

_PENDING = "outbox_pending"


class TombstoneRequired(TypeError):
    """Synced rows are never deleted: set `deleted = True` so the deletion can travel too."""


def install(factory: sessionmaker) -> None:
    event.listen(factory, "before_flush", _stamp_changes)
    event.listen(factory, "after_flush", _write_outbox)


def _clock(session: Session) -> tuple[HybridClock, str]:
    try:
        return session.info["clock"], session.info["device_id"]
    except KeyError:
        raise RuntimeError("同步表的修改必须在 Database.write() 打开的会话中进行") from None


def _stamp_changes(session: Session, _context: object, _instances: object) -> None:
    for obj in session.deleted:
        if isinstance(obj, Synced):
            raise TombstoneRequired(f"{type(obj).__name__} 不能物理删除，请设置 deleted = True")
    changed = [obj for obj in session.new if isinstance(obj, Synced)]
    changed += [obj for obj in session.dirty if isinstance(obj, Synced) and session.is_modified(obj)]
    if not changed:
        return
    clock, device_id = _clock(session)
    pending = session.info.setdefault(_PENDING, [])
    for obj in changed:
        columns = None if obj in session.new else _changed_columns(obj)
        obj.hlc = clock.now().encode()
        obj.origin = device_id
        pending.append((obj, columns))


def _changed_columns(obj: Synced) -> dict[str, Any]:
    """The columns set since the row was loaded, each with the value it had (before the stamp columns
    are set): the province tells a plain edit (the value this PC saw is still there) from two PCs
    editing one field at once (it is not), and logs only the latter."""
    state = inspect(obj)
    changed: dict[str, Any] = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if history.has_changes():
            changed[attr.key] = history.deleted[0] if history.deleted else None
    return changed


def _write_outbox(session: Session, _context: object) -> None:
    changed: list[tuple[Synced, dict[str, Any] | None]] = session.info.pop(_PENDING, [])
    if changed:
        _insert_outbox(session, [(obj.__sync_entity__, snapshot(obj), columns) for obj, columns in changed])


def snapshot(obj: Synced) -> dict[str, Any]:
    """The row as stored, column by column: what the provincial server receives."""
    mapper = inspect(type(obj))
    return {attr.key: getattr(obj, attr.key) for attr in mapper.column_attrs}


def to_json(values: dict[str, Any]) -> str:
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"), default=_encode_value)


def _encode_value(value: object) -> str:
    if isinstance(value, dt.date | dt.time):  # datetime is a date
        return value.isoformat()
    raise TypeError(f"cannot encode {type(value).__name__} for the outbox")


def _insert_outbox(session: Session, changes: Sequence[tuple[str, dict[str, Any], list[str] | None]]) -> None:
    now = dt.datetime.now()
    rows = [
        {
            "op_id": op_id(entity, values["id"], values["hlc"]),
            "entity": entity,
            "row_id": values["id"],
            "hlc": values["hlc"],
            "payload": to_json(values),
            "changed": None if columns is None else to_json(columns),
            "created_at": now,
        }
        for entity, values, columns in changes
    ]
    connection = session.connection()
    connection.execute(insert(OutboxEntry), rows)
    change_log.record(session, {OutboxEntry.__tablename__})
    # Persist the clock's high-water mark in the same transaction, so a restart with the PC's clock
    # set back still issues larger stamps.
    connection.execute(update(Device).values(last_hlc=max(row["hlc"] for row in rows)))


def add_append_only(session: Session, entity: str, values: dict[str, Any]) -> None:
    """The outbox row of an entry the province keeps append-only (an audit entry, which lives in a
    local table that is not `Synced`): stamped with the clock and this device like any change."""
    clock, device_id = _clock(session)
    stamped = {**values, "hlc": clock.now().encode(), "origin": device_id, "deleted": False}
    _insert_outbox(session, [(entity, stamped, None)])


def insert_synced_rows(session: Session, model: type[Synced], rows: Sequence[dict[str, Any]]) -> None:
    """Insert many new rows of one synced table with their outbox rows, without ORM objects.

    Each dict holds column values; missing ids and Python-side column defaults are filled in."""
    if not rows:
        return
    clock, device_id = _clock(session)
    defaults = {
        column.key: column.default.arg
        for column in model.__table__.columns
        if column.default is not None and column.default.is_scalar
    }
    callables = {
        column.key: column.default.arg
        for column in model.__table__.columns
        if column.default is not None and column.default.is_callable
    }
    complete: list[dict[str, Any]] = []
    for row in rows:
        values = {**defaults, **row}
        for key, factory in callables.items():
            if key not in values:
                values[key] = factory(None)  # SQLAlchemy wraps them to take a context
        # Every column in the payload, as an ORM snapshot has it: a nullable column left out (e.g. an
        # enrollment's assessment_passed) would be missing from what the server stores and sends, and a
        # pull upserts only the columns it receives, so a device holding that row would keep its old value.
        for column in model.__table__.columns:
            values.setdefault(column.key, None)
        model.fill_derived(values)
        values["hlc"] = clock.now().encode()
        values["origin"] = device_id
        complete.append(values)
    # Core executemany: several times faster than an ORM bulk insert for 100,000-row imports.
    session.connection().execute(model.__table__.insert(), complete)
    change_log.record(session, {model.__tablename__})
    _insert_outbox(session, [(model.__sync_entity__, values, None) for values in complete])


def update_synced_rows(
    session: Session, model: type[Synced], changes: Mapping[str, Mapping[str, Any]]
) -> None:
    """Set new values on many existing rows of one synced table (row id -> column values), with their
    outbox rows, without ORM objects: what a flush does for changed objects (derived columns, a new
    stamp, the whole row as payload, the changed columns with the values they had), in bulk. The
    yearly re-import of 100,000 teachers took minutes through the ORM."""
    if not changes:
        return
    clock, device_id = _clock(session)
    table = model.__table__
    connection = session.connection()
    ids = list(changes)
    stamped: list[tuple[dict[str, Any], dict[str, Any]]] = []
    for start in range(0, len(ids), 500):
        rows = connection.execute(select(table).where(table.c.id.in_(ids[start : start + 500]))).mappings()
        for row in rows:
            new = changes[row["id"]]
            values = {**row, **new}
            if any(new[key] != row[key] for key in model.__derived_from__.intersection(new)):
                model.fill_derived(values)  # pinyin of a changed name, not of all 100,000
            before = {key: row[key] for key in values if values[key] != row[key]}
            if not before:
                continue
            values["hlc"] = clock.now().encode()
            values["origin"] = device_id
            stamped.append((values, before))
    # One executemany per set of changed columns (an import changes a handful of different sets).
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for values, before in stamped:
        keys = (*sorted(before), "hlc", "origin")
        groups.setdefault(keys, []).append({"row_id": values["id"], **{key: values[key] for key in keys}})
    for keys, params in groups.items():
        statement = table.update().where(table.c.id == bindparam("row_id"))
        connection.execute(statement.values({key: bindparam(key) for key in keys}), params)
    change_log.record(session, {model.__tablename__})
    _insert_outbox(session, [(model.__sync_entity__, values, before) for values, before in stamped])
