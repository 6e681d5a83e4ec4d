import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.domain.hlc import DAY_MS, Hlc, HybridClock

TEN_YEARS_MS = 10 * 365 * DAY_MS
NOW = 1_790_000_000_000  # late 2026


class FakeWall:
    def __init__(self, ms: int) -> None:
        self.ms = ms

    def __call__(self) -> int:
        return self.ms


def test_stamps_stay_ordered_when_the_wall_clock_jumps_back_and_forth():
    wall = FakeWall(NOW)
    clock = HybridClock("a", wall_ms=wall)
    rng = random.Random(7)
    stamps = []
    for i in range(10_000):
        if i == 3000:
            wall.ms -= TEN_YEARS_MS  # CMOS battery dies
        elif i == 6000:
            wall.ms += 2 * TEN_YEARS_MS  # then someone sets it far ahead
        else:
            wall.ms += rng.choice([0, 0, 1, 5, -3])
        stamps.append(clock.now())
    assert all(a < b for a, b in itertools.pairwise(stamps))
    encoded = [s.encode() for s in stamps]
    assert encoded == sorted(encoded)


def test_receiving_a_stamp_orders_later_local_events_after_it():
    fast = HybridClock("fast", wall_ms=FakeWall(NOW + 60_000))
    slow = HybridClock("slow", wall_ms=FakeWall(NOW - TEN_YEARS_MS))
    message = fast.now()
    slow.receive(message)
    reply = slow.now()
    assert reply > message
    fast.receive(reply)
    assert fast.now() > reply


def test_far_future_stamp_is_clamped_by_a_trusted_clock_and_reported():
    local = HybridClock("province", wall_ms=FakeWall(NOW), max_forward_ms=DAY_MS)
    result = local.receive(Hlc(NOW + TEN_YEARS_MS, 0, "bad-pc"))
    assert result.clamped
    assert result.skew_ms == TEN_YEARS_MS
    assert local.now().wall_ms <= NOW + DAY_MS  # not dragged ten years ahead


def test_past_stamp_is_not_clamped():
    local = HybridClock("province", wall_ms=FakeWall(NOW), max_forward_ms=DAY_MS)
    result = local.receive(Hlc(NOW - TEN_YEARS_MS, 4, "old-pc"))
    assert not result.clamped and result.skew_ms == -TEN_YEARS_MS
    assert local.now().wall_ms == NOW


def test_restored_clock_resumes_above_its_last_stamp():
    first = HybridClock("a", wall_ms=FakeWall(NOW))
    last = first.now()
    restarted = HybridClock("a", wall_ms=FakeWall(0), last=last)
    assert restarted.now() > last


@given(
    st.tuples(st.integers(0, 10**14), st.integers(0, 99_999), st.text("abc-0123", min_size=1, max_size=8)),
    st.tuples(st.integers(0, 10**14), st.integers(0, 99_999), st.text("abc-0123", min_size=1, max_size=8)),
)
def test_encoding_round_trips_and_sorts_like_the_tuple(a, b):
    left, right = Hlc(*a), Hlc(*b)
    assert Hlc.decode(left.encode()) == left
    if (left.wall_ms, left.counter) != (right.wall_ms, right.counter):
        assert (left < right) == (left.encode() < right.encode())


@pytest.mark.parametrize("garbage", ["", "abc", "12-3-x", "000000000000001-xx-n"])
def test_garbage_is_refused(garbage):
    with pytest.raises(ValueError, match="无法识别"):
        Hlc.decode(garbage)
