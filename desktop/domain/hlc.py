"""Hybrid logical clock (Kulkarni et al., 2014): orders changes across devices whose wall clocks are
wrong. County PCs lose their CMOS battery, jump back years, or run far ahead; the HLC stays monotonic
on each device and respects causality between them.

Clamping: a clock that trusts its own wall time (the provincial server's) is given `max_forward_ms`;
a stamp further ahead than that is not adopted in full, so that one bad PC cannot drag everyone's
clock forward. A county PC adopts what it receives (its own clock is the one more likely wrong).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

DAY_MS = 24 * 3600 * 1000


def system_wall_ms() -> int:
    return time.time_ns() // 1_000_000


@dataclass(frozen=True, order=True)
class Hlc:
    wall_ms: int
    counter: int
    node: str

    def encode(self) -> str:
        """Fixed-width text whose string order is the timestamp order (SQLite compares text)."""
        return f"{self.wall_ms:015d}-{self.counter:05d}-{self.node}"

    @classmethod
    def decode(cls, text: str) -> Hlc:
        parts = text.split("-", 2)
        if len(parts) != 3 or len(parts[0]) != 15 or len(parts[1]) != 5:
            raise ValueError(f"无法识别的时间戳：{text!r}")
        try:
            return cls(int(parts[0]), int(parts[1]), parts[2])
        except ValueError:
            raise ValueError(f"无法识别的时间戳：{text!r}") from None


@dataclass(frozen=True)
class ReceiveResult:
    stamp: Hlc
    clamped: bool  # the remote stamp was too far ahead and was not adopted in full
    skew_ms: int  # remote wall minus local wall, for a "your clock is off" warning


class HybridClock:
    def __init__(
        self,
        node: str,
        *,
        wall_ms: Callable[[], int] = system_wall_ms,
        last: Hlc | None = None,
        max_forward_ms: int | None = None,
    ) -> None:
        self.node = node
        self._wall_ms = wall_ms
        self._max_forward_ms = max_forward_ms
        self._wall = last.wall_ms if last else 0
        self._counter = last.counter if last else 0

    @property
    def last(self) -> Hlc:
        return Hlc(self._wall, self._counter, self.node)

    def now(self) -> Hlc:
        """A stamp for a local event, later than every stamp issued or received before."""
        physical = self._wall_ms()
        if physical > self._wall:
            self._wall, self._counter = physical, 0
        else:
            self._counter += 1
        return self.last

    def receive(self, remote: Hlc) -> ReceiveResult:
        """Merge a stamp from another device, so that our next stamps come after it."""
        physical = self._wall_ms()
        skew = remote.wall_ms - physical
        clamped = self._max_forward_ms is not None and skew > self._max_forward_ms
        remote_wall = physical + (self._max_forward_ms or 0) if clamped else remote.wall_ms
        remote_counter = 0 if clamped else remote.counter
        wall = max(self._wall, remote_wall, physical)
        if wall == self._wall and wall == remote_wall:
            counter = max(self._counter, remote_counter) + 1
        elif wall == self._wall:
            counter = self._counter + 1
        elif wall == remote_wall:
            counter = remote_counter + 1
        else:
            counter = 0
        self._wall, self._counter = wall, counter
        return ReceiveResult(self.last, clamped, skew)
