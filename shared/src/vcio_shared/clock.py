"""An injectable clock: tests move time, never sleep."""

from __future__ import annotations

import datetime as dt


class Clock:
    """The real clock."""

    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def today(self) -> dt.date:
        return self.now().date()


SYSTEM_CLOCK = Clock()  # the real time, for code that takes an optional clock


class FixedClock(Clock):
    """A clock that stands still until a test moves it."""

    def __init__(self, at: dt.datetime | dt.date) -> None:
        if not isinstance(at, dt.datetime):
            at = dt.datetime.combine(at, dt.time(9, 0), dt.UTC)
        self.at = at

    def now(self) -> dt.datetime:
        return self.at

    def set(self, at: dt.datetime | dt.date) -> None:
        if not isinstance(at, dt.datetime):
            at = dt.datetime.combine(at, dt.time(9, 0), dt.UTC)
        self.at = at

    def advance(self, **delta: float) -> None:
        self.at = self.at + dt.timedelta(**delta)
