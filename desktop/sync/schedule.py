"""When to try syncing again: on a schedule while things go well, backing off with full jitter while
the link is down, so a county's PCs do not all call the province at the same moment when it returns."""

from __future__ import annotations

import random

EVERY_MS = 10 * 60 * 1000  # a sync every ten minutes while the link works
FIRST_RETRY_MS = 30 * 1000
MAX_RETRY_MS = 60 * 60 * 1000


def next_delay_ms(
    failures: int, *, rng: random.Random | None = None, retry_after: float | None = None
) -> int:
    """The wait before the next attempt after `failures` failures in a row (0: the regular schedule).
    Full jitter: uniformly between nothing and an exponentially growing, capped bound. Never shorter
    than the server's Retry-After (seconds), when it sent one: it knows when it can take us again."""
    if failures <= 0:
        delay = EVERY_MS
    else:
        bound = min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1))
        delay = max(1000, int((rng or random).uniform(0, bound)))
    if retry_after is not None:
        # Capped, so that a wrong date in the header cannot silence sync for days.
        delay = max(delay, min(MAX_RETRY_MS, int(retry_after * 1000)))
    return delay
