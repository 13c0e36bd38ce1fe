"""An in-process rate limiter for public token endpoints (client pages, calendar feeds)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    """Fixed windows per key, in this process: enough to stop token guessing and hammering one link.

    Each replica counts for itself; behind N replicas the effective limit is up to N times higher."""

    limit: int = 60
    window: dt.timedelta = dt.timedelta(minutes=1)
    max_keys: int = 100_000
    _hits: dict[tuple[str, ...], tuple[dt.datetime, int]] = field(default_factory=dict)

    def allow(self, key: tuple[str, ...], now: dt.datetime, limit: int | None = None) -> bool:
        limit = limit or self.limit
        start, count = self._hits.get(key, (now, 0))
        if now - start >= self.window or now < start:
            start, count = now, 0
        if count >= limit:
            return False
        if len(self._hits) >= self.max_keys:
            cutoff = now - self.window
            self._hits = {k: v for k, v in self._hits.items() if v[0] > cutoff}
        self._hits[key] = (start, count + 1)
        return True

    def retry_after(self, key: tuple[str, ...], now: dt.datetime) -> int:
        start, _ = self._hits.get(key, (now, 0))
        return max(1, int((start + self.window - now).total_seconds()) + 1)
