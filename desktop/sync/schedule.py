"""When to try syncing again: on a schedule while things go well, backing off with full jitter while
the link is down, so a county's PCs do not all call the province at the same moment when it returns."""

from __future__ import annotations

import random

EVERY_MS = 10 * 60 * 1000  # a sync every ten minutes while the link works
FIRST_RETRY_MS = 30 * 1000
MAX_RETRY_MS = 60 * 60 * 1000


def next_delay_ms(failures: int, *, rng: random.Random | None = None) -> int:
    """The wait before the next attempt after `failures` failures in a row (0: the regular schedule).
    Full jitter: uniformly between nothing and an exponentially growing, capped bound."""
    if failures <= 0:
        return EVERY_MS
    bound = min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1))
    return max(1000, int((rng or random).uniform(0, bound)))
