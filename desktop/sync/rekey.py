"""Giving a local row the id the province knows it by.

Two devices may record the same real thing under different ids: the same teacher (ID number) added
on two laptops, the same project code, the same trainee enrolled twice. The server keeps one row and
tells the device the id it kept (OpResult.canonical_id), or the device meets the province's row in a
pull while holding its own under another id. Either way the local row takes the canonical id, and so
does every column that refers to it, in one transaction, with Core statements that do not enter the
outbox (the server already maps the old id to the new one for any op still waiting to be sent).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, Table, select, update

from guopei_common.protocol import NATURAL_KEYS

LOOKUP_CHUNK = 500  # values per IN (…): well under SQLite's limit on bound parameters


def rekey(connection: Connection, table: Table, alias_id: str, canonical_id: str) -> bool:
    """Move the row `alias_id` of `table` to `canonical_id`, with every reference to it. False when
    there is no such row (already moved, or never here)."""
    if alias_id == canonical_id:
        return False
    if connection.scalar(select(table.c.id).where(table.c.id == alias_id)) is None:
        return False
    # Children first, then the row itself: foreign keys are checked at commit.
    connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
    for other in table.metadata.sorted_tables:
        for key in other.foreign_keys:
            if key.column.table is table and key.column.name == "id":
                column = key.parent
                connection.execute(
                    update(other).where(column == alias_id).values({column.name: canonical_id})
                )
    if connection.scalar(select(table.c.id).where(table.c.id == canonical_id)) is not None:
        # Both are here already (the canonical one arrived by an earlier pull): keep it, retire ours.
        connection.execute(update(table).where(table.c.id == alias_id).values(deleted=True))
    else:
        connection.execute(update(table).where(table.c.id == alias_id).values(id=canonical_id))
    return True


def rekey_same_things(connection: Connection, entity: str, table: Table, rows: list[dict[str, Any]]) -> int:
    """Before pulled `rows` are upserted: any local row with the same natural key as one of them but
    another id takes the pulled id (else the insert would break the unique key and stop the pull).

    The local rows are looked up by the key's first column (indexed: it leads the unique key), a chunk
    of a page at a time: one query per row made a first pull of a county spend most of its time here."""
    columns = NATURAL_KEYS.get(entity)
    if not columns:
        return 0
    pulled = {
        tuple(values[name] for name in columns): values["id"]
        for values in rows
        if not any(values.get(name) in (None, "") for name in columns)
    }
    leading = sorted({key[0] for key in pulled})
    found: list[Any] = []
    for start in range(0, len(leading), LOOKUP_CHUNK):
        chunk = leading[start : start + LOOKUP_CHUNK]
        found += connection.execute(
            select(table.c.id, *(table.c[name] for name in columns)).where(table.c[columns[0]].in_(chunk))
        ).all()
    moved = 0
    for local_id, *key in found:
        pulled_id = pulled.get(tuple(key))
        if pulled_id is not None and pulled_id != local_id and rekey(connection, table, local_id, pulled_id):
            moved += 1
    return moved
