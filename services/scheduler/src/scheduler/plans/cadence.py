"""Expanding an activity's RRULE cadence into due dates: pure functions, cached, no I/O."""

from __future__ import annotations

import datetime as dt
import types
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import dateutil.rrule
import holidays
from dateutil.rrule import DAILY, MONTHLY, WEEKLY, YEARLY, rrulestr

# Sub-daily cadences make no sense for delivery work and would expand to thousands of rows.
_ALLOWED_FREQ = {YEARLY, MONTHLY, WEEKLY, DAILY}
_DAY_SOURCES = {"BYMONTHDAY", "BYDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "BYEASTER"}
MAX_OCCURRENCES = 3700  # ten years of a daily cadence


# dateutil checks UNTIL only when a candidate matches: a rule that never matches (FREQ=DAILY;BYMONTH=2;
# BYMONTHDAY=30) is searched day by day until the year 9999, about 20 s of CPU per expansion. Its only other
# stop is `datetime.MAXYEAR`, read from its module global `datetime`: give it a view of the datetime module whose
# MAXYEAR is PLAN_MAX_YEAR, so such a search ends there. Plans never reach that far (terms start before
# PLAN_MAX_YEAR - 10 and last at most ten years).
PLAN_MAX_YEAR = 2200


class _BoundedDatetime(types.ModuleType):
    MAXYEAR = PLAN_MAX_YEAR

    def __getattr__(self, name: str) -> object:
        return getattr(dt, name)


_BOUNDED = _BoundedDatetime("datetime")


@contextmanager
def _bounded_search() -> Iterator[None]:
    """Only while this service iterates a rule (synchronously, so no other task sees it): the catalog and other
    code in the same process (the test suite runs them together) keep dateutil's real MAXYEAR."""
    original = dateutil.rrule.datetime  # type: ignore[attr-defined]
    dateutil.rrule.datetime = _BOUNDED  # type: ignore[attr-defined]
    try:
        yield
    finally:
        dateutil.rrule.datetime = original  # type: ignore[attr-defined]


class CadenceError(ValueError):
    """A cadence that cannot be expanded."""


def _parts(cadence: str) -> dict[str, str]:
    text = cadence.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        if not chunk:
            continue
        key, sep, value = chunk.partition("=")
        if not sep:
            raise CadenceError(f"invalid cadence {cadence!r}")
        parts[key.strip().upper()] = value.strip()
    if "FREQ" not in parts:
        raise CadenceError(f"cadence {cadence!r} has no FREQ")
    if "DTSTART" in parts:
        raise CadenceError("a cadence carries no DTSTART: the agreement's start is the DTSTART")
    return parts


MONTH_END_RULES = ("skip", "last_day")


def anchored_rule(cadence: str, start: dt.date, month_end: str = "skip") -> str:
    """The rule as expanded. By default (`skip`) exactly RFC 5545: a month without the start's day is skipped, as
    proposals counts occurrences. With `last_day` (a tenant setting), a monthly or yearly cadence whose day comes
    from a start on the 29th-31st falls on the month's last day in shorter months (`BYMONTHDAY=31,-1;BYSETPOS=1`):
    a monthly review sold from 31 January then happens every month, on the 28th in February."""
    parts = _parts(cadence)
    freq = parts["FREQ"].upper()
    if month_end != "last_day" or start.day <= 28 or freq not in ("MONTHLY", "YEARLY") or _DAY_SOURCES & parts.keys():
        return ";".join(f"{k}={v}" for k, v in parts.items())
    if freq == "YEARLY":
        if "BYMONTH" in parts:
            return ";".join(f"{k}={v}" for k, v in parts.items())
        parts["BYMONTH"] = str(start.month)
    parts["BYMONTHDAY"] = f"{start.day},-1"
    parts["BYSETPOS"] = "1"
    return ";".join(f"{k}={v}" for k, v in parts.items())


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError) as exc:
        raise CadenceError(f"unknown time zone {name!r}") from exc


@lru_cache(maxsize=65536)
def occurrence_dates(
    cadence: str,
    dtstart: dt.date,
    window_start: dt.date,
    window_end: dt.date,
    timezone: str = "UTC",
    month_end: str = "skip",
) -> tuple[dt.date, ...]:
    """The local dates on which `cadence` (DTSTART = local midnight of `dtstart` in `timezone`) occurs inside
    the half-open window `[window_start, window_end)`."""
    tz = zone(timezone)
    start = dt.datetime.combine(dtstart, dt.time(0, 0), tzinfo=tz)
    try:
        rule = rrulestr(anchored_rule(cadence, dtstart, month_end), dtstart=start)
        # Stop at the window's end whatever the rule says: a rule that never matches (BYMONTHDAY=31;BYMONTH=2)
        # would otherwise be searched until the year 9999.
        stop = dt.datetime.combine(window_end, dt.time(0, 0), tzinfo=tz)
        until = getattr(rule, "_until", None)
        rule = rule.replace(until=stop if until is None or until > stop else until)
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise CadenceError(f"invalid cadence {cadence!r}: {exc}") from exc
    if getattr(rule, "_freq", None) not in _ALLOWED_FREQ:
        raise CadenceError(f"cadence {cadence!r} is more frequent than daily")
    out: list[dt.date] = []
    last: dt.date | None = None
    try:
        with _bounded_search():
            for n, occurrence in enumerate(rule):
                day = occurrence.date()
                if day >= window_end:
                    break
                if n > MAX_OCCURRENCES * 4:
                    raise CadenceError(f"cadence {cadence!r} expands to too many occurrences")
                if day < window_start or day == last:
                    continue
                out.append(day)
                last = day
    except (ValueError, OverflowError) as exc:
        raise CadenceError(f"cadence {cadence!r} cannot be expanded: {exc}") from exc
    if len(out) > MAX_OCCURRENCES:
        raise CadenceError(f"cadence {cadence!r} expands to too many occurrences")
    return tuple(out)


@lru_cache(maxsize=512)
def _holidays(country: str, subdivision: str | None, year: int) -> frozenset[dt.date]:
    return frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year).keys())


def is_holiday(day: dt.date, country: str | None, subdivision: str | None = None) -> bool:
    return country is not None and day in _holidays(country, subdivision, day.year)


@lru_cache(maxsize=65536)
def business_day(day: dt.date, country: str | None = None, subdivision: str | None = None) -> dt.date:
    """Saturday/Sunday moves to Monday; with a holiday calendar, onwards to the next business day."""
    while day.weekday() >= 5 or is_holiday(day, country, subdivision):
        day += dt.timedelta(days=1)
    return day


def validate_cadence(cadence: str) -> None:
    occurrence_dates(cadence, dt.date(2000, 1, 31), dt.date(2000, 1, 31), dt.date(2000, 2, 1))
