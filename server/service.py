"""The server's sync logic without HTTP: authenticate a device, register one, apply a pushed batch,
answer a pull. server.app wraps it in FastAPI; tests and the CLI can call it as plain functions."""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass

from sqlalchemy import Engine, func, or_, select, update
from sqlalchemy.orm import Session

from guopei_common.protocol import (
    Change,
    DeviceResponse,
    OpResult,
    PullPage,
    PushBatch,
    PushOp,
    PushResponse,
    RegisterRequest,
    RegisterResponse,
)
from server.db import AppliedOp, County, Device, RegistrationCode, SyncedRow, lock_change_counter, secret_hash
from server.device_numbers import assign_number
from server.errors import DeviceAlreadyRegistered, RegistrationRefused
from server.push import BatchApplier, Pusher, feed_filter
from server.scope import feed_names, row_as_seen_by

LAST_SEEN_EVERY = dt.timedelta(minutes=1)  # how stale `devices.last_seen_at` may be


@dataclass(frozen=True)
class Caller:
    """The authenticated device: a plain value, safe to use after its database session has closed."""

    id: str
    county_code: str


class SyncService:
    """The server's logic without HTTP, so that it can be read (and tested) as plain functions."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def authenticate(self, token: str) -> Caller | None:
        with Session(self.engine.execution_options(readonly=True)) as session, session.begin():
            device = session.scalar(select(Device).where(Device.token_hash == secret_hash(token)))
            if device is None or device.revoked:
                return None
            caller = Caller(device.id, device.county_code)
            last_seen = device.last_seen_at
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        if last_seen is None or now - last_seen >= LAST_SEEN_EVERY:
            self._mark_seen(caller.id, now)
        return caller

    def _mark_seen(self, device_id: str, now: dt.datetime) -> None:
        # At most one write a minute per device: a sync's dozens of requests cost one small UPDATE, and
        # the condition makes server processes racing on the same device write once between them.
        with Session(self.engine) as session, session.begin():
            session.execute(
                update(Device)
                .where(
                    Device.id == device_id,
                    or_(Device.last_seen_at.is_(None), Device.last_seen_at <= now - LAST_SEEN_EVERY),
                )
                .values(last_seen_at=now)
            )

    def register(self, request: RegisterRequest) -> RegisterResponse:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with Session(self.engine) as session, session.begin():
            code = session.get(RegistrationCode, secret_hash(request.code.strip().upper()))
            if code is None or code.used_at is not None or code.expires_at < now:
                raise RegistrationRefused
            if request.county_code is not None and code.county_code != request.county_code:
                # The local database belongs to another county: registering it would mix two counties.
                # (A new PC names no county: it takes the code's, and so can only ever see that one.)
                # The same answer as a wrong code: a guesser must not learn that a code is valid.
                raise RegistrationRefused
            if session.get(Device, request.device_id) is not None:
                raise DeviceAlreadyRegistered
            token = secrets.token_urlsafe(32)
            code.used_at = now
            code.used_by = request.device_id
            session.add(
                Device(
                    id=request.device_id,
                    county_code=code.county_code,
                    token_hash=secret_hash(token),
                    registered_at=now,
                    public_key=request.public_key,
                )
            )
            assign_number(session, session.get_one(Device, request.device_id))
            county = session.get_one(County, code.county_code)
            return RegisterResponse(device_token=token, county_code=county.code, county_name=county.name)

    def push(self, device: Caller, batch: PushBatch) -> PushResponse:
        """Apply a whole batch in one transaction: either every op's result is stored, or none is.
        The rules for each op are in server.push (checks, aliases, clock guard) and server.merge."""
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        with Session(self.engine, autoflush=False) as session, session.begin():
            # First: the lock serialises writers, so what is read below is what they committed.
            counter = lock_change_counter(session)
            op_ids = [op.op_id for op in batch.ops]
            known = {
                op.op_id: op for op in session.scalars(select(AppliedOp).where(AppliedOp.op_id.in_(op_ids)))
            }
            applier = BatchApplier(session, Pusher(device.id, device.county_code), counter.value, now)
            applier.preload([op for op in batch.ops if op.op_id not in known])
            results: list[OpResult] = []
            for op in batch.ops:
                previous = known.get(op.op_id)
                if previous is not None:
                    results.append(self._repeat(op, previous))
                    continue
                result = applier.apply(op)
                results.append(result)
                known[op.op_id] = AppliedOp(
                    op_id=op.op_id,
                    device_id=device.id,
                    batch_id=batch.batch_id,
                    payload_hash=op.payload_hash,
                    result=result.model_dump_json(),
                    received_at=now,
                )
                session.add(known[op.op_id])
            counter.value = applier.seq
        return PushResponse(
            batch_id=batch.batch_id,
            results=results,
            server_seq=applier.seq,
            server_time_ms=int(now.replace(tzinfo=dt.UTC).timestamp() * 1000),
        )

    @staticmethod
    def _repeat(op: PushOp, previous: AppliedOp) -> OpResult:
        if previous.payload_hash != op.payload_hash:
            # Reusing an op id for different content is a client bug; applying it would break the
            # promise that an op id names one change.
            return OpResult(op_id=op.op_id, outcome="rejected", reason="op_id 已用于不同的内容")
        stored = OpResult.model_validate_json(previous.result)
        return stored.model_copy(update={"outcome": "duplicate", "first_outcome": stored.outcome})

    def device(self, device: Caller) -> DeviceResponse:
        """The caller's own identity: what a PC that lost its database needs to rebuild it."""
        with Session(self.engine.execution_options(readonly=True)) as session, session.begin():
            county = session.get_one(County, device.county_code)
            return DeviceResponse(device_id=device.id, county_code=county.code, county_name=county.name)

    def pull(
        self, device: Caller, cursor: int, limit: int, *, own: bool = True, remaining: bool = False
    ) -> PullPage:
        """The county's changes after `cursor`. With `own` off, the device's own changes are left out
        of the page (it has them; sending them back doubled the bytes of a sync), but the cursor still
        moves past them. With `remaining`, the page says how many of the county's changes follow it (a
        first pull's progress bar), counted in the same snapshot as the page."""
        readonly = self.engine.execution_options(readonly=True)
        # Rows are read after the session ends: they must not expire at its commit.
        with Session(readonly, expire_on_commit=False) as session, session.begin():
            found = list(
                session.scalars(
                    select(SyncedRow)
                    .where(feed_filter(device.county_code), SyncedRow.seq > cursor)
                    .order_by(SyncedRow.seq)
                    .limit(limit + 1)  # one more than asked tells whether another page follows
                )
            )
            page = found[:limit]
            after = page[-1].seq if page else cursor
            left = (
                session.scalar(
                    select(func.count()).where(feed_filter(device.county_code), SyncedRow.seq > after)
                )
                if remaining
                else None
            )
            # Rows granted by a transfer name the teacher (and a province project) by the other
            # county's ids, and a privately aliased row is kept under the server's id; this county's
            # database holds each under its own.
            granted = any(row.county_code != device.county_code for row in page)
            names = feed_names(session, device.county_code, granted=granted)
        changes = [
            Change(
                seq=row.seq,
                entity=row.entity,
                row_id=row_id,
                hlc=row.hlc,
                origin=row.origin,
                deleted=row.deleted,
                payload=payload,
            )
            for row in page
            if own or row.origin != device.id
            for row_id, payload in [row_as_seen_by(row.entity, row.row_id, json.loads(row.payload), names)]
        ]
        return PullPage(changes=changes, next_cursor=after, has_more=len(found) > limit, remaining=left)
