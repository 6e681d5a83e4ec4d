"""The change feed's housekeeping: purging old tombstones (and refusing cursors they leave behind), and
the per-entity digest a client compares with its own copy (the divergence check).

Kept out of server.service, whose push logic changes on its own schedule; server.app and server.cli
call these functions directly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from guopei_common.digest import Accumulator, DigestResponse
from guopei_common.protocol import ENTITIES
from server.db import FeedHorizon, SyncedRow, lock_change_counter
from server.scope import county_names, visible

CURSOR_EXPIRED = "cursor_expired"  # the protocol error code of a 410 on /v1/pull
HORIZON_HEADER = "X-Guopei-Horizon"  # on every pull page: the purge horizon read before its rows


@dataclass(frozen=True)
class Purged:
    county_code: str
    rows: int
    horizon: int  # the highest seq purged in this county, now or before


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def purge_tombstones(
    engine: Engine, older_than_days: float, *, now: dt.datetime | None = None
) -> list[Purged]:
    """Delete tombstones (deleted rows) whose last change is more than `older_than_days` old, and raise
    each county's horizon to the highest seq deleted there.

    A row's last change time is its HLC's physical part (the origin device's clock, merged with every
    clock it heard from, and clamped by the server against the future). A tombstone stamped too early
    by a slow clock is purged early: harmless, because any device that had not pulled it is refused and
    re-reads a snapshot; the window only decides how often that happens.

    Runs under the change counter's lock, like every writer of the feed: no push can change a row
    between choosing it and deleting it, and the rows and the horizon change in one commit, so a pull
    sees either the tombstones or the horizon that covers them."""
    if older_than_days < 0:
        raise ValueError("天数不能为负")
    moment = now or _now()
    cutoff_ms = int((moment - dt.timedelta(days=older_than_days)).replace(tzinfo=dt.UTC).timestamp() * 1000)
    # HLC text is fixed width ("<15-digit ms>-<5-digit counter>-<node>"), so text order is time order.
    old = (SyncedRow.deleted.is_(True), SyncedRow.hlc < f"{max(cutoff_ms, 0):015d}")
    with Session(engine) as session, session.begin():
        lock_change_counter(session)
        found = session.execute(
            select(SyncedRow.county_code, func.count(), func.max(SyncedRow.seq))
            .where(*old)
            .group_by(SyncedRow.county_code)
        ).all()
        if not found:
            return []
        session.execute(delete(SyncedRow).where(*old))
        result: list[Purged] = []
        for county_code, rows, highest in found:
            kept = session.get(FeedHorizon, county_code)
            if kept is None:
                kept = FeedHorizon(county_code=county_code, horizon=highest, purged_at=moment)
                session.add(kept)
            else:
                kept.horizon = max(kept.horizon, highest)
                kept.purged_at = moment
            result.append(Purged(county_code, rows, kept.horizon))
        return sorted(result, key=lambda purged: purged.county_code)


def current_horizon(engine: Engine, county_code: str) -> int:
    """The county's purge horizon: the highest seq purged there so far (0: nothing purged)."""
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        horizon = session.scalar(select(FeedHorizon.horizon).where(FeedHorizon.county_code == county_code))
    return horizon or 0


def cursor_expired(cursor: int, known: int, horizon: int) -> bool:
    """Whether a pull from `cursor` could miss a deletion: some tombstone with a higher seq was purged.

    The client has seen every change up to its cursor, and accounts for the purges up to `known` (the
    horizon when it last read the feed from 0). A purge since then removed tombstones up to `horizon`;
    those above the cursor it never saw. Cursor 0 asks for everything and never expires.

    `horizon` must be read after the page: the purge commits rows and horizon together, so if the page
    was read before a purge it is complete, and if after it, this read sees the new horizon."""
    return cursor != 0 and cursor < horizon and known < horizon


def county_digest(engine: Engine, county_code: str, exclude: dict[str, list[str]]) -> DigestResponse:
    """Count and hash of the county's live rows per entity (see guopei_common.digest), streamed in one
    statement so that the rows and `seq` come from the same snapshot."""
    left_out = {(entity, row_id) for entity, ids in exclude.items() for row_id in ids}
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        names = county_names(session, county_code)  # privately aliased rows, under the county's ids
    accumulators = {entity: Accumulator() for entity in ENTITIES}
    highest = 0
    statement = select(
        SyncedRow.entity, SyncedRow.row_id, SyncedRow.hlc, SyncedRow.deleted, SyncedRow.seq
    ).where(visible(county_code))  # its own rows and those granted to it, as its feed has them
    with engine.execution_options(readonly=True).connect() as connection:
        for entity, row_id, hlc, deleted, seq in connection.execution_options(yield_per=5000).execute(
            statement
        ):
            highest = max(highest, seq)
            row_id = names.get(row_id, row_id)
            if deleted or (entity, row_id) in left_out:
                continue
            accumulators.setdefault(entity, Accumulator()).add(row_id, hlc)
    return DigestResponse(
        entities={entity: accumulator.result() for entity, accumulator in accumulators.items()}, seq=highest
    )
