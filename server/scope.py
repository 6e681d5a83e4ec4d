"""What one county may read and write at the province.

A county writes only its own rows (`rows.county_code`). It reads its own rows and the rows granted to
it (`row_grants`: after an approved transfer, the teacher's past trainings in the county they left),
never anything else, and no answer says whether a row outside that scope exists. Granted rows reach
it with the teacher they name (and a province project both counties hold) rewritten to the county's
own ids (see `rewrites`), because its database holds each of them once, under its own id.

A row id names a row only within its county: an id the county uses that is another county's row id is
taken as a new row of its own, kept under an id of the server's making (a private alias, server.push)
and shown to it under its own id (`county_names`), so that such an id is answered like any unknown one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from guopei_common.protocol import REFERENCES
from server.db import RowAlias, RowGrant, SyncedRow, TransferRequest

APPROVED = "approved"
PENDING = "pending"


def visible(county_code: str) -> Any:
    """SQL condition: rows this county may read (its own and those granted to it)."""
    granted = exists().where(
        RowGrant.county_code == county_code,
        RowGrant.entity == SyncedRow.entity,
        RowGrant.row_id == SyncedRow.row_id,
    )
    return or_(SyncedRow.county_code == county_code, granted)


def granted_rows(session: Session, county_code: str, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which of these (entity, row id) pairs are granted to the county. The query runs even for none:
    a push that met another county's row must take as long as one that met nothing."""
    wanted = set(keys)
    ids = sorted({row_id for _entity, row_id in wanted})
    found: set[tuple[str, str]] = set()
    for start in range(0, max(len(ids), 1), 500):
        found.update(
            (entity, row_id)
            for entity, row_id in session.execute(
                select(RowGrant.entity, RowGrant.row_id).where(
                    RowGrant.county_code == county_code, RowGrant.row_id.in_(ids[start : start + 500])
                )
            )
        )
    return found & wanted


def rewrites(session: Session, county_code: str) -> dict[str, str]:
    """For the county's approved incoming transfers: ids in the county the teacher left → this county's
    own ids for the same things (the teacher; a province project both hold). Granted rows name the
    former; this county's database has the latter."""
    found: dict[str, str] = {}
    for (text,) in session.execute(
        select(TransferRequest.rewrites).where(
            TransferRequest.to_county == county_code, TransferRequest.status == APPROVED
        )
    ):
        found.update(json.loads(text or "{}"))
    return found


def county_names(session: Session, county_code: str) -> dict[str, str]:
    """The county's private aliases, server id → the county's own id (almost always none)."""
    return dict(
        session.execute(
            select(RowAlias.canonical_id, RowAlias.alias_id).where(
                RowAlias.county_code == county_code, RowAlias.private.is_(True)
            )
        ).all()
    )


def feed_names(session: Session, county_code: str, *, granted: bool) -> dict[str, str]:
    """Every id the county's feed shows under another name: the ids granted rows name (`rewrites`, when
    `granted`) and the server's ids of its privately aliased rows, each mapped to the county's own id."""
    names = county_names(session, county_code)
    renamed = rewrites(session, county_code) if granted else {}
    return {**{old: names.get(new, new) for old, new in renamed.items()}, **names}


def row_as_seen_by(
    entity: str, row_id: str, payload: dict[str, Any], names: dict[str, str]
) -> tuple[str, dict[str, Any]]:
    """A row's id and payload as the county knows them (`names` from `feed_names`)."""
    if not names:
        return row_id, payload
    seen = as_seen_by(entity, payload, names)
    if row_id in names:
        row_id = names[row_id]
        seen = {**seen, "id": row_id}
    return row_id, seen


def as_seen_by(entity: str, payload: dict[str, Any], rewrites: dict[str, str]) -> dict[str, Any]:
    """A granted row's payload as the reading county stores it: what it names, under the county's ids."""
    columns = [column for column in REFERENCES.get(entity, {}) if payload.get(column) in rewrites]
    if not columns:
        return payload
    return {**payload, **{column: rewrites[payload[column]] for column in columns}}
