"""Hours from real presence at one session: late arrival and early departure past the grace period."""

from __future__ import annotations

import datetime as dt

import pytest

from desktop.domain.presence import Presence, presence

DAY = dt.date(2026, 11, 30)
STARTS = dt.datetime.combine(DAY, dt.time(8, 30))
ENDS = dt.datetime.combine(DAY, dt.time(11, 30))  # three clock hours


def at(hour: int, minute: int, second: int = 0) -> dt.datetime:
    return dt.datetime.combine(DAY, dt.time(hour, minute, second))


def three_hours(checked_in_at, checked_out_at=None, *, hours: float = 3) -> Presence:
    return presence(
        starts=STARTS,
        ends=ENDS,
        hours=hours,
        checked_in_at=checked_in_at,
        checked_out_at=checked_out_at,
        grace_minutes=10,
    )


@pytest.mark.parametrize(
    ("checked_in_at", "checked_out_at", "expected"),
    [
        (at(8, 20), None, Presence(3, 0, 0)),  # early
        (at(8, 40), None, Presence(3, 0, 0)),  # exactly the grace period: nothing lost
        (at(8, 40, 59), None, Presence(3, 0, 0)),  # still ten whole minutes
        (at(8, 41), None, Presence(2.81, 11, 0)),  # just past: every minute since the start counts
        (at(10, 0), None, Presence(1.5, 90, 0)),  # the trainee: 90 minutes late to 3 hours
        (at(8, 30), at(11, 20), Presence(3, 0, 0)),  # leaving within the grace period
        (at(8, 30), at(11, 19), Presence(2.81, 0, 11)),  # just past it
        (at(8, 30), at(10, 0), Presence(1.5, 0, 90)),
        (at(9, 0), at(11, 0), Presence(2, 30, 30)),  # both
        (at(10, 30), at(10, 0), Presence(0, 120, 90)),  # more missed than the session lasted
        (at(12, 0), None, Presence(0, 210, 0)),  # after the end
        (None, None, Presence(3, 0, 0)),  # no time recorded (paper, leave, online import)
        (None, at(10, 0), Presence(1.5, 0, 90)),
    ],
)
def test_late_and_early_cost_the_minutes_missed(checked_in_at, checked_out_at, expected) -> None:
    assert three_hours(checked_in_at, checked_out_at) == expected


def test_cost_is_the_missed_share_of_the_session_hours() -> None:
    # A three-hour block worth 4 学时: 45 minutes missed cost a quarter of them.
    assert three_hours(at(9, 15), hours=4).hours == 3
    # Rounded down to the hundredth, never more than attended: 3 × 169/180 = 2.8166…
    assert three_hours(at(8, 41)).hours == 2.81


def test_session_without_a_time_span_costs_nothing() -> None:
    same = presence(
        starts=STARTS, ends=STARTS, hours=2, checked_in_at=at(10, 0), checked_out_at=None, grace_minutes=10
    )
    assert same == Presence(2, 0, 0) and not same.late


def test_flags() -> None:
    both = three_hours(at(9, 0), at(11, 0))
    assert both.late and both.left_early
    assert not three_hours(at(8, 35)).late
