"""Hours from real presence: what a late arrival or an early departure costs a trainee at one session.

The completion rule measures absence in hours, so an hour missed at the start of a session weighs as
much as an hour of a missed session. The grace period (setting `attendance.grace_minutes`) is for the
queue at the door: within it nothing is lost; past it, every minute missed since the start (or until
the end) costs, as the check-in screen's "迟到 25 分钟" says. A session's 学时 need not equal its
clock hours (a 09:00–12:00 block may be 4 学时), so the cost is the missed share of the session.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from fractions import Fraction


@dataclass(frozen=True)
class Presence:
    hours: float  # 学时 credited for the session
    late_minutes: int  # counted lateness: 0 when within the grace period
    early_minutes: int  # counted early departure: 0 when within the grace period

    @property
    def late(self) -> bool:
        return self.late_minutes > 0

    @property
    def left_early(self) -> bool:
        return self.early_minutes > 0


def _minutes(later: dt.datetime, earlier: dt.datetime) -> int:
    # Whole minutes, as a clock shows them: 09:10:59 is ten minutes after nine.
    return max(math.floor((later - earlier).total_seconds() / 60), 0)


def presence(
    *,
    starts: dt.datetime,
    ends: dt.datetime,
    hours: float,
    checked_in_at: dt.datetime | None,
    checked_out_at: dt.datetime | None,
    grace_minutes: int,
) -> Presence:
    """The hours credited to a trainee who checked in at `checked_in_at` and out at `checked_out_at`
    (None: not recorded, nothing deducted for that end) of a session of `hours` 学时 from `starts` to
    `ends`. Credited hours are rounded down to the hundredth: never more than was attended."""
    length = _minutes(ends, starts)
    if length == 0:
        # A session without a time span (an online block, a mistyped schedule): nothing to measure by.
        return Presence(hours, 0, 0)
    late = _minutes(checked_in_at, starts) if checked_in_at is not None else 0
    early = _minutes(ends, checked_out_at) if checked_out_at is not None else 0
    late = late if late > grace_minutes else 0
    early = early if early > grace_minutes else 0
    missed = min(late + early, length)
    credited = Fraction(str(hours)) * (length - missed) / length
    return Presence(math.floor(credited * 100) / 100, late, early)
