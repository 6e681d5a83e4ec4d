import random

from desktop.sync.schedule import EVERY_MS, FIRST_RETRY_MS, MAX_RETRY_MS, next_delay_ms


def test_regular_schedule_while_syncs_succeed():
    assert next_delay_ms(0) == EVERY_MS


def test_backoff_grows_with_full_jitter_and_is_capped():
    rng = random.Random(1)
    for failures in range(1, 20):
        bound = min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (failures - 1))
        delays = [next_delay_ms(failures, rng=rng) for _ in range(200)]
        assert all(1000 <= d <= bound for d in delays)
        assert max(delays) > bound * 0.8  # spread over the whole range, not clustered
    assert max(next_delay_ms(50, rng=rng) for _ in range(200)) <= MAX_RETRY_MS
