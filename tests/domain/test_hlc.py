import itertools
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.domain.hlc import DAY_MS, MAX_COUNTER, MAX_WALL_MS, Hlc, HybridClock

TEN_YEARS_MS = 3653 * DAY_MS
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
            wall.ms -= TEN_YEARS_MS  # the CMOS battery dies
        elif i == 6000:
            wall.ms += 2 * TEN_YEARS_MS  # then someone sets the clock far ahead
        elif i == 8000:
            wall.ms = NOW  # and back to the right time
        else:
            wall.ms += rng.choice([0, 0, 1, 5, -3])
        stamps.append(clock.now())
    assert all(a < b for a, b in itertools.pairwise(stamps))
    encoded = [s.encode() for s in stamps]
    assert encoded == sorted(encoded) and len(set(encoded)) == len(encoded)
    assert clock.last == stamps[-1]


def test_a_clock_stuck_in_one_millisecond_rolls_into_the_next_instead_of_widening_the_counter():
    clock = HybridClock("a", wall_ms=FakeWall(NOW))
    stamps = [clock.now() for _ in range(MAX_COUNTER + 3)]
    assert all(a < b for a, b in itertools.pairwise(stamps))
    assert stamps[-1].wall_ms == NOW + 1
    assert all(len(s.encode()) == len(stamps[0].encode()) for s in stamps)


def test_received_stamps_are_exceeded_by_later_local_events():
    clock = HybridClock("a", wall_ms=FakeWall(NOW))
    remote = Hlc(NOW + 60_000, 42, "b")
    result = clock.receive(remote)
    assert not result.clamped and result.skew_ms == 60_000
    assert result.stamp > remote and clock.now() > result.stamp


def test_two_clocks_exchanging_messages_stay_causally_ordered():
    rng = random.Random(11)
    walls = {"fast": FakeWall(NOW + 3_600_000), "slow": FakeWall(NOW - 3_600_000)}
    clocks = {name: HybridClock(name, wall_ms=wall) for name, wall in walls.items()}
    holder, other = "fast", "slow"
    chain = []  # a causal chain: local events, then a message the other device acts on next
    for _ in range(2000):
        for wall in walls.values():
            wall.ms += rng.choice([0, 1, 7, -2])
        chain += [clocks[holder].now() for _ in range(rng.randint(0, 3))]
        message = clocks[holder].now()
        chain += [message, clocks[other].receive(message).stamp]
        holder, other = other, holder
    assert all(a < b for a, b in itertools.pairwise(chain))
    # The slow device's stamps were pulled up to the fast one's time, not left an hour behind.
    assert clocks["slow"].last.wall_ms >= walls["fast"].ms - 100


def test_a_slow_clock_still_orders_its_reply_after_a_message_from_a_fast_one():
    fast = HybridClock("fast", wall_ms=FakeWall(NOW + 60_000))
    slow = HybridClock("slow", wall_ms=FakeWall(NOW))
    message = fast.now()
    slow.receive(message)
    reply = slow.now()
    assert reply > message
    fast.receive(reply)
    assert fast.now() > reply


@pytest.mark.parametrize("skew", [TEN_YEARS_MS, DAY_MS + 1])
def test_a_stamp_too_far_ahead_is_clamped_and_reported(skew):
    clock = HybridClock("province", wall_ms=FakeWall(NOW), max_forward_ms=DAY_MS)
    result = clock.receive(Hlc(NOW + skew, 7, "bad-pc"))
    assert result.clamped and result.skew_ms == skew
    assert result.stamp.wall_ms == NOW + DAY_MS  # adopted only up to the bound
    assert clock.now().wall_ms <= NOW + DAY_MS  # not dragged ten years ahead


def test_repeated_far_future_stamps_cannot_ratchet_the_clock_forward():
    clock = HybridClock("province", wall_ms=FakeWall(NOW), max_forward_ms=DAY_MS)
    for _ in range(100):
        clock.receive(Hlc(NOW + TEN_YEARS_MS, 0, "bad-pc"))
    assert clock.last.wall_ms == NOW + DAY_MS


def test_a_stamp_just_within_the_bound_is_adopted():
    clock = HybridClock("a", wall_ms=FakeWall(NOW), max_forward_ms=DAY_MS)
    remote = Hlc(NOW + DAY_MS, 3, "b")
    result = clock.receive(remote)
    assert not result.clamped and result.stamp > remote


def test_a_county_pc_ten_years_behind_adopts_the_servers_time():
    county = HybridClock("county", wall_ms=FakeWall(NOW - TEN_YEARS_MS))  # no bound: adopt
    server_stamp = Hlc(NOW, 0, "province")
    result = county.receive(server_stamp)
    assert not result.clamped and result.skew_ms == TEN_YEARS_MS
    assert county.now() > server_stamp  # its next edit sorts after the server's, not ten years before


def test_a_stamp_ten_years_behind_is_merged_without_clamping():
    clock = HybridClock("province", wall_ms=FakeWall(NOW), max_forward_ms=DAY_MS)
    result = clock.receive(Hlc(NOW - TEN_YEARS_MS, 4, "old-pc"))
    assert not result.clamped and result.skew_ms == -TEN_YEARS_MS
    assert clock.now().wall_ms == NOW


def test_clamping_bound_is_configurable():
    clock = HybridClock("a", wall_ms=FakeWall(NOW), max_forward_ms=TEN_YEARS_MS + 1)
    remote = Hlc(NOW + TEN_YEARS_MS, 0, "b")
    assert not clock.receive(remote).clamped
    assert clock.now() > remote
    with pytest.raises(ValueError, match="不能为负数"):
        HybridClock("a", max_forward_ms=-1)


def test_restored_clock_resumes_above_its_last_stamp_even_with_the_clock_set_back():
    first = HybridClock("a", wall_ms=FakeWall(NOW))
    for _ in range(5):
        first.now()
    stored = first.last.encode()
    restarted = HybridClock("a", wall_ms=FakeWall(0), last=Hlc.decode(stored))
    assert restarted.now() > Hlc.decode(stored)


def test_a_wall_clock_before_1970_is_read_as_the_epoch():
    clock = HybridClock("a", wall_ms=FakeWall(-5000))
    assert clock.now() == Hlc(0, 1, "a")


def test_default_wall_clock_is_the_system_time():
    import time

    before = time.time_ns() // 1_000_000
    stamp = HybridClock("a").now()
    assert before <= stamp.wall_ms <= time.time_ns() // 1_000_000


HLCS = st.builds(
    Hlc,
    st.integers(0, MAX_WALL_MS),
    st.integers(0, MAX_COUNTER),
    st.text(st.sampled_from("ab-0-9_Z中"), max_size=8),
)


@given(HLCS, HLCS)
def test_encoding_round_trips_and_sorts_like_the_tuple(left, right):
    assert Hlc.decode(left.encode()) == left
    assert (left < right) == (left.encode() < right.encode())
    assert (left == right) == (left.encode() == right.encode())


def test_text_order_with_nearby_values():
    stamps = [Hlc(9, 99_999, "z"), Hlc(10, 0, "a"), Hlc(10, 1, "a"), Hlc(10, 1, "a-b"), Hlc(10, 1, "b")]
    assert sorted(stamps, key=Hlc.encode) == stamps == sorted(stamps)


@pytest.mark.parametrize(
    "garbage",
    ["", "abc", "12-3-x", "000000000000001-xx-n", "00000000000001-00000-n", "٠٠٠٠٠٠٠٠٠٠٠٠٠٠١-00000-n"],
)
def test_garbage_is_refused(garbage):
    with pytest.raises(ValueError, match="无法识别"):
        Hlc.decode(garbage)


@pytest.mark.parametrize(("wall", "counter"), [(-1, 0), (MAX_WALL_MS + 1, 0), (0, -1), (0, MAX_COUNTER + 1)])
def test_out_of_range_parts_are_refused(wall, counter):
    with pytest.raises(ValueError, match="超出范围"):
        Hlc(wall, counter, "a")
