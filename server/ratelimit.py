"""Back-pressure: registration attempts and public certificate checks limited per address (and
registration province-wide), and a busy database answered 503 instead of 500. Both answers carry
Retry-After (seconds), so clients wait instead of hammering.

Attempts are rows in `registration_failures` (scope, key, time), not counters in a process: several
server processes share one database, and an attacker spreading guesses over them must still hit the
same limit. Two processes counting at the same moment may each let one more attempt through than the
limit; that is a few extra guesses, and not worth a lock. Nothing is keyed on what a request body says
(a county code in it would let anyone hold that county's registration shut).
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
    failures: int  # this many attempts within `window` block further ones
    window: dt.timedelta


WINDOW = dt.timedelta(minutes=15)
# One address (a school's NAT, a county office) gets ten wrong codes per quarter hour: enough for a
# person typing a code from the phone, far too few to guess one among 32^16.
ADDRESS_LIMIT = Limit("address", 10, WINDOW)
# All addresses together: what stops guesses spread over many addresses. A flood can thereby hold
# every registration of the province back for a quarter hour; registration is rare and a person can
# wait, which beats letting codes be guessed.
ALL_LIMIT = Limit("all", 300, WINDOW)
REGISTRATION_LIMITS = (ADDRESS_LIMIT, ALL_LIMIT)
# Public certificate checks (every one counts, found or not): a person checks a few certificates; a
# script walking serials and check codes meets the limit at once.
CHECK_LIMIT = Limit("check", 60, WINDOW)
CHECK_LIMITS = (CHECK_LIMIT,)
# Checks of an unsigned certificate by the holder's name and the issue date (server.fact_check): a
# name and a date are easier to guess than a code, so ten per quarter hour, on top of the above.
FACTS_LIMIT = Limit("facts", 10, WINDOW)
FACT_LIMITS = (CHECK_LIMIT, FACTS_LIMIT)

ANYWHERE = "*"  # the key of the province-wide scope

RATE_LIMITED = "注册尝试失败次数过多，请稍后再试"
CHECKS_LIMITED = "核验次数过多，请稍后再试"
DATABASE_BUSY = "服务器繁忙，请稍后再试"


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _key(limit: Limit, address: str) -> str:
    return (ANYWHERE if limit.scope == ALL_LIMIT.scope else address)[:64]


def blocked(engine: Engine, address: str, limits: tuple[Limit, ...] = REGISTRATION_LIMITS) -> int | None:
    """Seconds until the next attempt may be made, or None when it may be made now.

    Checked before the code (or serial) is even looked up, so that a blocked caller learns nothing."""
    now = _now()
    wait = 0.0
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        for limit in limits:
            key = _key(limit, address)
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


def record_attempt(engine: Engine, address: str, limits: tuple[Limit, ...] = REGISTRATION_LIMITS) -> None:
    """Count one attempt (a failed registration, a public check) under each of `limits`."""
    now = _now()
    # Every scope has the same window, so one cut-off serves them all.
    oldest = now - max(limit.window for limit in (*REGISTRATION_LIMITS, *CHECK_LIMITS))
    with Session(engine) as session, session.begin():
        # Attempts older than every window count for nothing: forget them here, so that the table stays
        # as small as the last quarter hour's attempts without a cleanup job.
        session.execute(delete(RegistrationFailure).where(RegistrationFailure.failed_at <= oldest))
        session.add_all(
            RegistrationFailure(scope=limit.scope, key=_key(limit, address), failed_at=now)
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
