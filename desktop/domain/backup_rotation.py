"""Which backups to keep: the newest of each of the last 7 days, 4 ISO weeks and 12 months.

The periods counted are those that *have* a backup (as restic's `--keep-daily` counts them), not
calendar periods back from today: a PC switched off over the winter holiday still keeps seven daily
backups, not none. A backup kept by several rules is kept once; the newest backup is always kept,
because it is the newest of its day.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class RotationPolicy:
    daily: int = 7
    weekly: int = 4
    monthly: int = 12


def _day(stamp: dt.datetime) -> Hashable:
    return stamp.date()


def _iso_week(stamp: dt.datetime) -> Hashable:
    year, week, _ = stamp.isocalendar()
    return (year, week)


def _month(stamp: dt.datetime) -> Hashable:
    return (stamp.year, stamp.month)


def _newest_per_period(
    newest_first: list[dt.datetime], period: Callable[[dt.datetime], Hashable], count: int
) -> set[dt.datetime]:
    kept: set[dt.datetime] = set()
    seen: set[Hashable] = set()
    for stamp in newest_first:
        if len(seen) >= count:
            break
        key = period(stamp)
        if key not in seen:
            seen.add(key)
            kept.add(stamp)
    return kept


def backups_to_keep(
    taken_at: Iterable[dt.datetime], policy: RotationPolicy = RotationPolicy()
) -> set[dt.datetime]:
    """The times of the backups to keep; every other backup may be removed."""
    newest_first = sorted(set(taken_at), reverse=True)
    return (
        _newest_per_period(newest_first, _day, policy.daily)
        | _newest_per_period(newest_first, _iso_week, policy.weekly)
        | _newest_per_period(newest_first, _month, policy.monthly)
    )
