"""Rotation keeps the newest backup of each of the last 7 days, 4 ISO weeks and 12 months."""

from __future__ import annotations

import datetime as dt

from desktop.domain.backup_rotation import RotationPolicy, backups_to_keep


def _twice_a_day(first: dt.date, last: dt.date) -> list[dt.datetime]:
    stamps = []
    day = first
    while day <= last:
        stamps.append(dt.datetime.combine(day, dt.time(6, 30)))
        stamps.append(dt.datetime.combine(day, dt.time(18, 0)))
        day += dt.timedelta(days=1)
    return stamps


def test_two_years_of_backups_keep_exactly_the_promised_ones():
    stamps = _twice_a_day(dt.date(2025, 1, 1), dt.date(2026, 12, 2))  # 2026-12-02 is a Wednesday
    kept = backups_to_keep(stamps)
    evening = [dt.datetime(2026, 11, day, 18, 0) for day in range(26, 31)]
    daily = {*evening, dt.datetime(2026, 12, 1, 18, 0), dt.datetime(2026, 12, 2, 18, 0)}
    # Weeks: this one's newest is today's; the three before end on the Sundays 29, 22 and 15 November.
    weekly = {dt.datetime(2026, 11, 22, 18, 0), dt.datetime(2026, 11, 15, 18, 0)}
    month_ends = ["2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30", "2026-05-31"]
    month_ends += ["2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31"]
    monthly = {dt.datetime.fromisoformat(f"{day} 18:00") for day in month_ends}
    assert kept == daily | weekly | monthly
    assert len(kept) == 7 + 2 + 10


def test_rotating_after_every_backup_ends_where_rotating_once_does():
    """Applied after each backup, the rule never erodes what it promised to keep."""
    stamps = _twice_a_day(dt.date(2025, 3, 1), dt.date(2026, 6, 30))
    survivors: set[dt.datetime] = set()
    for stamp in stamps:
        survivors = backups_to_keep(survivors | {stamp})
    assert survivors == backups_to_keep(stamps)
    days = {stamp.date() for stamp in survivors}
    weeks = {stamp.isocalendar()[:2] for stamp in survivors}
    months = {(stamp.year, stamp.month) for stamp in survivors}
    assert len(days) >= 7 and len(weeks) >= 4 and len(months) == 12
    assert max(stamps) in survivors


def test_a_pc_switched_off_for_weeks_still_keeps_seven_daily_backups():
    # Only a few days with backups, spread over months: each is the newest of its day, so all stay.
    stamps = [dt.datetime(2026, month, 3, 9, 0) for month in range(1, 10)]
    assert backups_to_keep(stamps) == set(stamps)


def test_several_backups_a_day_keep_only_the_newest_of_each_day():
    stamps = [dt.datetime(2026, 12, 2, hour, 0) for hour in (7, 12, 17, 21)]
    assert backups_to_keep(stamps) == {dt.datetime(2026, 12, 2, 21, 0)}


def test_a_smaller_policy_keeps_less_and_nothing_is_kept_of_nothing():
    stamps = _twice_a_day(dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    kept = backups_to_keep(stamps, RotationPolicy(daily=2, weekly=0, monthly=1))
    assert kept == {dt.datetime(2026, 12, 31, 18, 0), dt.datetime(2026, 12, 30, 18, 0)}
    assert backups_to_keep([]) == set()
