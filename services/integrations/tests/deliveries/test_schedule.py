import datetime as dt
import random

import httpx

from integrations.deliveries.sender import retry_after
from integrations.deliveries.service import RETRY_DELAYS, Outcome, next_attempt

AT = dt.datetime(2027, 1, 4, 9, 0, tzinfo=dt.UTC)
SCHEDULE_S = [5, 300, 1800, 7200, 18000, 36000, 36000]


def test_the_schedule_is_svixs_with_ten_percent_jitter_then_spent() -> None:
    assert [d.total_seconds() for d in RETRY_DELAYS] == SCHEDULE_S
    rng = random.Random(1)
    failed = Outcome(AT, 500, 12, "HTTP 500")
    for tries, seconds in enumerate(SCHEDULE_S, start=1):
        for _ in range(50):
            when = next_attempt(tries, failed, rng)
            assert when is not None
            assert seconds * 0.9 <= (when - AT).total_seconds() <= seconds * 1.1
    assert next_attempt(8, failed, rng) is None  # 1 attempt + 7 retries, then failed


def test_retry_after_wins_when_it_asks_for_longer_and_is_capped_at_a_day() -> None:
    rng = random.Random(1)
    asked = Outcome(AT, 429, 3, "HTTP 429", retry_after=dt.timedelta(seconds=120))
    assert next_attempt(1, asked, rng) == AT + dt.timedelta(seconds=120)
    short = Outcome(AT, 503, 3, "HTTP 503", retry_after=dt.timedelta(seconds=1))
    assert 270 <= (next_attempt(2, short, rng) - AT).total_seconds() <= 330  # type: ignore[operator]
    huge = Outcome(AT, 503, 3, "HTTP 503", retry_after=dt.timedelta(days=30))
    assert next_attempt(1, huge, rng) == AT + dt.timedelta(hours=24)


def test_retry_after_is_read_from_429_and_503_only() -> None:
    def answer(status: int, value: str) -> httpx.Response:
        return httpx.Response(status, headers={"retry-after": value})

    assert retry_after(answer(429, "120"), AT) == dt.timedelta(seconds=120)
    assert retry_after(answer(503, "Mon, 04 Jan 2027 09:10:00 GMT"), AT) == dt.timedelta(minutes=10)
    assert retry_after(answer(503, "Mon, 04 Jan 2027 08:00:00 GMT"), AT) == dt.timedelta(0)
    assert retry_after(answer(500, "120"), AT) is None
    assert retry_after(answer(429, "soon"), AT) is None
