"""Back-pressure: registration attempts limited per address and per county, and a busy database answered
503 instead of 500. Both answers carry Retry-After (seconds), so clients wait instead of hammering.

Failures are rows in `registration_failures`, not counters in a process: several server processes share
one database, and an attacker spreading guesses over them must still hit the same limit. Two
processes counting at the same moment may each let one more attempt through than the limit; that is a
few extra guesses among 32^16 codes, and not worth a lock.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from server.db import RegistrationFailure


@dataclass(frozen=True)
class Limit:
    scope: str
    failures: int  # this many failures within `window` block further attempts
    window: dt.timedelta


WINDOW = dt.timedelta(minutes=15)
# One address (a school's NAT, a county office) gets ten wrong codes per quarter hour: enough for a
# person typing a code from the phone, far too few to guess one. A county gets more, because several of
# its PCs may be set up at once from different addresses; it is also what stops guesses spread over
# many addresses. (An attacker can thereby hold one county's registration shut for a while; registration
# is rare and a person can wait, which beats letting codes be guessed.)
ADDRESS_LIMIT = Limit("address", 10, WINDOW)
COUNTY_LIMIT = Limit("county", 30, WINDOW)

# Attempts that name no county (a new PC that takes its code's county, `guopei-desk init --server`) are
# counted together under this key of the county scope: guesses spread over many addresses still meet a
# limit, at the price that such a flood holds every new PC of the province back for a quarter hour.
ANY_COUNTY = "*"

RATE_LIMITED = "注册尝试失败次数过多，请稍后再试"
DATABASE_BUSY = "服务器繁忙，请稍后再试"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _key(limit: Limit, address: str, county_code: str) -> str:
    return (address if limit.scope == "address" else county_code)[:64]


def registration_blocked(
    engine: Engine,
    address: str,
    county_code: str,
    limits: tuple[Limit, ...] = (ADDRESS_LIMIT, COUNTY_LIMIT),
) -> int | None:
    """Seconds until the next attempt may be made, or None when it may be made now.

    Checked before the code is even looked up, so that a blocked caller learns nothing about codes."""
    now = _now()
    wait = 0.0
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        for limit in limits:
            key = _key(limit, address, county_code)
            recent = (
                RegistrationFailure.scope == limit.scope,
                RegistrationFailure.key == key,
                RegistrationFailure.failed_at > now - limit.window,
            )
            count = session.scalar(select(func.count()).where(*recent)) or 0
            if count < limit.failures:
                continue
            # Attempts are allowed again once enough failures have left the window that fewer than
            # `failures` remain: when the (count - failures + 1)-th oldest one leaves it.
            pivot = session.scalar(
                select(RegistrationFailure.failed_at)
                .where(*recent)
                .order_by(RegistrationFailure.failed_at)
                .offset(count - limit.failures)
                .limit(1)
            )
            if pivot is not None:
                wait = max(wait, (pivot + limit.window - now).total_seconds())
    return max(1, math.ceil(wait)) if wait > 0 else None


def record_registration_failure(
    engine: Engine,
    address: str,
    county_code: str,
    limits: tuple[Limit, ...] = (ADDRESS_LIMIT, COUNTY_LIMIT),
) -> None:
    now = _now()
    oldest = now - max(limit.window for limit in limits)
    with Session(engine) as session, session.begin():
        # Failures older than every window count for nothing: forget them here, so that the table stays
        # as small as the last quarter hour's failures without a cleanup job.
        session.execute(delete(RegistrationFailure).where(RegistrationFailure.failed_at <= oldest))
        session.add_all(
            RegistrationFailure(scope=limit.scope, key=_key(limit, address, county_code), failed_at=now)
            for limit in limits
        )


# SQLSTATEs of PostgreSQL errors that mean "try again later", not "broken": lock_not_available (the
# lock_timeout set in server.db ran out), serialization_failure, deadlock_detected.
_RETRYABLE_SQLSTATES = frozenset({"55P03", "40001", "40P01"})


def busy_retry_after(error: BaseException) -> int | None:
    """Seconds a client should wait when `error` means the database is busy, else None.

    A little random, so that the clients that met the same lock do not all come back at once."""
    if not isinstance(error, DBAPIError):
        return None
    original = error.orig
    sqlstate = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    busy = sqlstate in _RETRYABLE_SQLSTATES or (
        type(original).__name__ == "OperationalError"
        and any(text in str(original).lower() for text in ("database is locked", "database is busy"))
    )
    return random.randint(5, 15) if busy else None
