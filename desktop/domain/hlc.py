"""Hybrid logical clock (Kulkarni et al., 2014): orders changes across devices whose wall clocks are wrong.

County PCs lose their CMOS battery and jump back years, or are set far ahead by hand. Each stamp is
(wall_ms, counter, node): the wall part follows real time when the PC's clock is sane, the counter
keeps stamps strictly increasing when it is not, and the node breaks ties between devices.

Clamping: a clock that trusts its own wall time (the provincial server's) is given `max_forward_ms`:
a remote stamp further ahead than that is adopted only up to that bound, so that one PC set to 2036
cannot drag every other device's clock (and so every later change) into 2036. A county PC passes no
bound and adopts what it receives: of the two clocks, its own is the one more likely wrong, and
clamping there would sort its next edits before the server's. `ReceiveResult.clamped` and `skew_ms`
exist so the caller can tell the user to fix the clock that is wrong; nothing is raised.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000
MAX_WALL_MS = 10**15 - 1  # 15 digits in the text form: good until the year 33658
MAX_COUNTER = 99_999  # 5 digits in the text form

_ENCODED = re.compile(r"([0-9]{15})-([0-9]{5})-(.*)", re.DOTALL)


def system_wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True)
class Hlc:
    wall_ms: int
    counter: int
    node: str

    def __post_init__(self) -> None:
        # Out-of-range parts would encode wider than the fixed width and break text ordering.
        if not 0 <= self.wall_ms <= MAX_WALL_MS:
            raise ValueError(f"时间戳的毫秒数超出范围：{self.wall_ms}")
        if not 0 <= self.counter <= MAX_COUNTER:
            raise ValueError(f"时间戳的计数器超出范围：{self.counter}")

    def encode(self) -> str:
        """Fixed-width text whose string order is the tuple order (the database compares it as text)."""
        return f"{self.wall_ms:015d}-{self.counter:05d}-{self.node}"

    @classmethod
    def decode(cls, text: str) -> Hlc:
        match = _ENCODED.fullmatch(text)
        if match is None:
            raise ValueError(f"无法识别的时间戳：{text!r}")
        return cls(int(match[1]), int(match[2]), match[3])


@dataclass(frozen=True)
class ReceiveResult:
    stamp: Hlc  # the clock after merging; later than the remote stamp unless clamped
    clamped: bool  # the remote stamp was too far ahead and was adopted only up to the bound
    skew_ms: int  # remote wall minus local wall, for a "one of the clocks is wrong" warning


class HybridClock:
    def __init__(
        self,
        node: str,
        *,
        wall_ms: Callable[[], int] = system_wall_ms,
        last: Hlc | None = None,
        max_forward_ms: int | None = None,
    ) -> None:
        if max_forward_ms is not None and max_forward_ms < 0:
            raise ValueError(f"max_forward_ms 不能为负数：{max_forward_ms}")
        self.node = node
        self._wall_ms = wall_ms
        self._max_forward_ms = max_forward_ms
        # `last` comes from storage, so that a restart with the clock set back still goes on upward.
        self._last = Hlc(last.wall_ms, last.counter, node) if last else Hlc(0, 0, node)
        # The UI thread and the sync worker both write; two equal stamps would break last-writer-wins.
        self._lock = threading.Lock()

    def wall_ms(self) -> int:
        """This PC's clock as the stamps see it (what sync compares with the server's)."""
        return self._wall_ms()

    @property
    def last(self) -> Hlc:
        """The latest stamp issued or merged: persist it, and pass it back as `last` after a restart."""
        return self._last

    def now(self) -> Hlc:
        """A stamp for a local event, later than every stamp issued or received before."""
        with self._lock:
            physical = self._physical()
            if physical > self._last.wall_ms:
                self._last = Hlc(physical, 0, self.node)
            else:
                self._last = self._stamp(self._last.wall_ms, self._last.counter + 1)
            return self._last

    def receive(self, remote: Hlc) -> ReceiveResult:
        """Merge a stamp from another device, so that our next stamps come after it (unless clamped)."""
        with self._lock:
            physical = self._physical()
            limit = MAX_WALL_MS if self._max_forward_ms is None else physical + self._max_forward_ms
            clamped = remote.wall_ms > limit
            remote_wall, remote_counter = (limit, 0) if clamped else (remote.wall_ms, remote.counter)
            local = self._last
            wall = max(local.wall_ms, remote_wall, physical)
            if wall == local.wall_ms == remote_wall:
                counter = max(local.counter, remote_counter) + 1
            elif wall == local.wall_ms:
                counter = local.counter + 1
            elif wall == remote_wall:
                counter = remote_counter + 1
            else:
                counter = 0
            self._last = self._stamp(wall, counter)
            return ReceiveResult(self._last, clamped, remote.wall_ms - physical)

    def _physical(self) -> int:
        # A clock reading before 1970 cannot be encoded; treat it as the epoch, the counter does the rest.
        return min(max(self._wall_ms(), 0), MAX_WALL_MS)

    def _stamp(self, wall: int, counter: int) -> Hlc:
        # A clock stuck in the past can issue more than MAX_COUNTER stamps in one millisecond (a bulk
        # import); borrowing the next millisecond keeps the text form fixed-width and still increasing.
        if counter > MAX_COUNTER:
            return Hlc(wall + 1, 0, self.node)
        return Hlc(wall, counter, self.node)
