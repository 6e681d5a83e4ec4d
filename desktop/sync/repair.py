"""Local halves of the feed's repairs, used by desktop.sync.client: which rows this PC cannot compare
with the server, the local digest, and the sweep after a snapshot.

All writes here are Core statements on the sync's own write transaction: like pulled rows, they must
not pass through the outbox hook (desktop.db.outbox), or a repair would be pushed back as a new edit.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import Table, select, update
from sqlalchemy.orm import Session

from desktop.db.models import OutboxEntry, Setting
from guopei_common.digest import Accumulator, StreamDigest

RowKey = tuple[str, str]  # (entity, row id)


def unsettled_rows(session: Session, *setting_keys: str) -> set[RowKey]:
    """Rows whose local version differs from the server's for a known reason: those with an op still
    in the outbox, and those listed under `setting_keys` (changes the server refused, kept for a person
    to review: the row was never stored there, or in an older version; pulled rows this PC set aside:
    the server's version is not here)."""
    rows: set[RowKey] = {
        (entity, row_id) for entity, row_id in session.execute(select(OutboxEntry.entity, OutboxEntry.row_id))
    }
    for key in setting_keys:
        kept = session.get(Setting, key)
        for item in kept.value if kept is not None and isinstance(kept.value, list) else []:
            if isinstance(item, dict) and "entity" in item and "row_id" in item:
                rows.add((str(item["entity"]), str(item["row_id"])))
    return rows


def as_exclusions(rows: Iterable[RowKey]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for entity, row_id in sorted(rows):
        grouped.setdefault(entity, []).append(row_id)
    return grouped


def local_digest(
    session: Session, tables: Mapping[str, Table], exclude: set[RowKey]
) -> dict[str, StreamDigest]:
    """The same count and hash the server computes (guopei_common.digest), over this PC's live rows."""
    result: dict[str, StreamDigest] = {}
    for entity, table in tables.items():
        accumulator = Accumulator()
        rows = session.execute(select(table.c.id, table.c.hlc).where(table.c.deleted.is_(False)))
        for row_id, hlc in rows:
            if (entity, row_id) not in exclude:
                accumulator.add(row_id, hlc)
        result[entity] = accumulator.result()
    return result


def sweep_absent(session: Session, tables: Mapping[str, Table], seen: set[RowKey], keep: set[RowKey]) -> int:
    """After a full snapshot (a pull from cursor 0 read to its end): mark deleted every live local row
    that the snapshot does not hold, unless the server never had this row's local version (`keep`, see
    unsettled_rows). Returns how many rows were marked.

    Why that is right: the server keeps every row it ever accepted, live or as a tombstone, until
    `purge-tombstones` removes old tombstones. So a row this PC pulled before, or pushed and had
    accepted, is missing from a snapshot only because it was deleted and its tombstone purged. The rows
    the server never accepted are exactly the unsettled ones (still in the outbox, or refused); those
    stay as they are. The stamp is left alone: the tombstone's own stamp is unknown, and a later
    version from the server (a row brought back) still wins by HLC."""
    connection = session.connection()
    swept = 0
    for entity, table in tables.items():
        live = connection.execute(select(table.c.id).where(table.c.deleted.is_(False))).scalars().all()
        gone = [row_id for row_id in live if (entity, row_id) not in seen and (entity, row_id) not in keep]
        for start in range(0, len(gone), 500):  # SQLite's bound-parameter limit
            chunk = gone[start : start + 500]
            connection.execute(update(table).where(table.c.id.in_(chunk)).values(deleted=True))
        swept += len(gone)
    return swept
