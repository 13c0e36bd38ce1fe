"""When a planned date is due: the weekend rule of `vcio_shared.cadence`, and a tenant's holiday calendar."""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

import holidays

from vcio_shared.cadence import next_weekday


@lru_cache(maxsize=512)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def is_holiday(day: dt.date, country: str | None, subdivision: str | None = None) -> bool:
    return country is not None and day in _holidays(country, subdivision, day.year)


@lru_cache(maxsize=65536)
def business_day(day: dt.date, country: str | None = None, subdivision: str | None = None) -> dt.date:
    """Saturday and Sunday move to Monday (as a proposal shows them); with a holiday calendar, onwards to the next
    business day."""
    day = next_weekday(day)
    while is_holiday(day, country, subdivision):
        day = next_weekday(day + dt.timedelta(days=1))
    return day
