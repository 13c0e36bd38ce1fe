"""Activity cadences: RFC 5545 RRULEs without DTSTART, written once for every service.

`parse` checks user input strictly before python-dateutil sees it, because dateutil alone is not safe on it:
`INTERVAL=0` never returns, a `DTSTART` line overrides the start, and a rule that can never match
(`BYMONTH=2;BYMONTHDAY=30`) is iterated until the year 9999. So the grammar is whitelisted, frequencies are
weekly or slower (a package schedules reviews, not daily chores), and `per_year` counts occurrences on the same
term moved forward by whole 400-year Gregorian cycles, which repeat every weekday and ISO week exactly, so an
impossible rule runs out of calendar within a few centuries.

`dates` expands a stored rule inside a window: what the scheduler plans. `expand` and `count` are the same
expansion with DTSTART = the start, inside `[start, end)`: what a proposal prices, so the two always agree.
`is_valid` is the same expansion's verdict, and `next_weekday` the weekend rule both apply.

`vcio_shared.cadence_words.words` reads a checked cadence as a person would ("every 3 months").
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
import re
import types
from collections.abc import Iterator
from dataclasses import dataclass

import dateutil.rrule
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrule, rrulestr

MAX_LENGTH = 300  # the longest rule `parse` accepts
FREQUENCIES = ("YEARLY", "MONTHLY", "WEEKLY")
_WEEKDAY = r"(MO|TU|WE|TH|FR|SA|SU)"
_INT_LIST = r"[+-]?\d{1,3}(,[+-]?\d{1,3})*"
_PARTS: dict[str, re.Pattern[str]] = {
    "FREQ": re.compile(r"^[A-Z]+$"),
    "INTERVAL": re.compile(r"^\d{1,4}$"),
    "COUNT": re.compile(r"^\d{1,4}$"),
    "UNTIL": re.compile(r"^\d{8}(T\d{6}Z?)?$"),
    "BYDAY": re.compile(rf"^[+-]?\d{{0,2}}{_WEEKDAY}(,[+-]?\d{{0,2}}{_WEEKDAY})*$"),
    "BYMONTHDAY": re.compile(rf"^{_INT_LIST}$"),
    "BYMONTH": re.compile(rf"^{_INT_LIST}$"),
    "BYYEARDAY": re.compile(rf"^{_INT_LIST}$"),
    "BYWEEKNO": re.compile(rf"^{_INT_LIST}$"),
    "BYSETPOS": re.compile(rf"^{_INT_LIST}$"),
    "WKST": re.compile(rf"^{_WEEKDAY}$"),
}
_RANGES = {"BYMONTHDAY": 31, "BYMONTH": 12, "BYYEARDAY": 366, "BYWEEKNO": 53, "BYSETPOS": 366}
_CYCLE_YEARS = 400


class CadenceError(ValueError):
    """The cadence cannot be accepted; the message says why, for the person who typed it."""


@dataclass(frozen=True)
class Cadence:
    rule: str  # normalised: upper case, no "RRULE:" prefix
    until: dt.date | None


def parse(text: str, today: dt.date) -> Cadence:
    """Check an RRULE against the whitelist; refuse DTSTART, UNTIL in the past and sub-weekly frequencies."""
    rule = _rule_text(text)
    parts = _split(rule)
    freq = _check_numbers(parts)
    _check_days(parts, freq)
    until = _until(parts, today)
    body = ";".join(f"{k}={v}" for k, v in parts.items())
    try:
        rrulestr(body, dtstart=dt.datetime(2000, 1, 3))  # checks what the grammar cannot (e.g. BYDAY ordinals)
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
        raise CadenceError(f"is not a valid RRULE: {exc}") from exc
    return Cadence(rule=rule, until=until)


def _rule_text(text: str) -> str:
    """The rule upper-cased without its "RRULE:" prefix, or why it is not one rule."""
    if not isinstance(text, str):
        raise CadenceError("must be an RRULE string such as FREQ=MONTHLY")
    rule = text.strip().upper()
    if rule.startswith("RRULE:"):
        rule = rule[len("RRULE:") :]
    if not rule:
        raise CadenceError("must be an RRULE such as FREQ=MONTHLY")
    if len(rule) > MAX_LENGTH:
        raise CadenceError(f"must be at most {MAX_LENGTH} characters")
    if "DTSTART" in rule:
        raise CadenceError("must not carry DTSTART: an activity starts with the client's agreement")
    if any(c in rule for c in "\r\n:"):
        raise CadenceError("must be a single RRULE, such as FREQ=MONTHLY;INTERVAL=3")
    return rule


def _split(rule: str) -> dict[str, str]:
    """KEY=VALUE parts, each whitelisted, once, with a value of its grammar."""
    parts: dict[str, str] = {}
    for chunk in rule.split(";"):
        key, sep, value = chunk.partition("=")
        if not sep or not key or not value:
            raise CadenceError(f"is not a valid RRULE: {chunk!r} is not KEY=VALUE")
        if key not in _PARTS:
            raise CadenceError(f"is not a valid RRULE: {key} is not supported")
        if key in parts:
            raise CadenceError(f"is not a valid RRULE: {key} appears twice")
        if not _PARTS[key].match(value):
            raise CadenceError(f"is not a valid RRULE: bad {key} value {value!r}")
        parts[key] = value
    return parts


def _check_numbers(parts: dict[str, str]) -> str:
    """FREQ weekly or slower, and every number in its range; returns FREQ."""
    freq = parts.get("FREQ")
    if freq is None:
        raise CadenceError("is not a valid RRULE: FREQ is required")
    if freq not in FREQUENCIES:
        if freq in ("DAILY", "HOURLY", "MINUTELY", "SECONDLY"):
            raise CadenceError(f"FREQ={freq} is too frequent: activities recur weekly, monthly or yearly")
        raise CadenceError(f"is not a valid RRULE: unknown FREQ {freq!r}")
    if not 1 <= int(parts.get("INTERVAL", "1")) <= 1000:
        raise CadenceError("INTERVAL must be between 1 and 1000")
    if "COUNT" in parts and not 1 <= int(parts["COUNT"]) <= 1000:
        raise CadenceError("COUNT must be between 1 and 1000")
    if "COUNT" in parts and "UNTIL" in parts:
        raise CadenceError("is not a valid RRULE: COUNT and UNTIL must not both be given")
    for key, top in _RANGES.items():
        for number in parts.get(key, "").split(",") if key in parts else ():
            if not 1 <= abs(int(number)) <= top:
                raise CadenceError(f"{key} values must be between 1 and {top} (or -{top} and -1)")
    return freq


def _check_days(parts: dict[str, str], freq: str) -> None:
    """BYDAY ordinals, and the BYxxx parts each frequency may carry."""
    days = parts["BYDAY"].split(",") if "BYDAY" in parts else []
    for day in days:
        ordinal = day[:-2].lstrip("+-")
        if ordinal and not 1 <= int(ordinal) <= 53:
            raise CadenceError("BYDAY ordinals must be between 1 and 53")
        if ordinal and freq == "WEEKLY":
            raise CadenceError("BYDAY must not carry an ordinal with FREQ=WEEKLY (RFC 5545)")
    # RFC 5545 3.3.10: which BYxxx parts each frequency may carry
    if "BYWEEKNO" in parts and freq != "YEARLY":
        raise CadenceError("BYWEEKNO is only allowed with FREQ=YEARLY (RFC 5545)")
    if "BYYEARDAY" in parts and freq != "YEARLY":
        raise CadenceError("BYYEARDAY is only allowed with FREQ=YEARLY (RFC 5545)")
    if "BYMONTHDAY" in parts and freq == "WEEKLY":
        raise CadenceError("BYMONTHDAY is not allowed with FREQ=WEEKLY (RFC 5545)")
    if "BYSETPOS" in parts and freq == "WEEKLY":
        # a week holds one occurrence per BYDAY day: a position beyond that can never match
        per_week = len(days) or 1
        if any(abs(int(p)) > per_week for p in parts["BYSETPOS"].split(",")):
            raise CadenceError(f"BYSETPOS cannot exceed the {per_week} occurrence(s) a week holds")


def _until(parts: dict[str, str], today: dt.date) -> dt.date | None:
    """UNTIL taken out of the parts as a date, refused when it is in the past."""
    until: dt.date | None = None
    if "UNTIL" in parts:
        raw = parts.pop("UNTIL")
        try:
            until = dt.datetime.strptime(raw[:8], "%Y%m%d").date()
        except ValueError as exc:
            raise CadenceError(f"UNTIL {raw} is not a date") from exc
        if until < today:
            raise CadenceError(f"UNTIL {until.isoformat()} is in the past")
    return until


def occurrences(cadence: Cadence, start: dt.date, term_months: int) -> int:
    """How many times the cadence happens in the half-open term `[start, start + term_months)`."""
    return sum(per_year(cadence, start, term_months))


def per_year(cadence: Cadence, start: dt.date, term_months: int) -> list[int]:
    """Occurrences in each year of the term: `[start + k years, start + k + 1 years)`, the last one cut at the
    term's end (a 30-month term has three). Counted with dateutil, so any trick of the grammar that packs
    occurrences (BYDAY of every weekday, BYMONTHDAY 1 to 31, BYSETPOS, COUNT) shows in the figure."""
    end = start + relativedelta(months=term_months)
    years = -(-term_months // 12)
    counts = [0] * years
    if cadence.until is not None and cadence.until < start:
        return counts
    # move the term as close to 9999 as a whole number of 400-year cycles allows (see the module docstring)
    shift = ((dt.MAXYEAR - 1 - end.year) // _CYCLE_YEARS) * _CYCLE_YEARS
    body = ";".join(p for p in cadence.rule.split(";") if not p.startswith("UNTIL="))
    s_start = dt.datetime(start.year + shift, start.month, start.day)
    s_end = dt.datetime(end.year + shift, end.month, end.day)
    bounds = [s_start + relativedelta(years=k + 1) for k in range(years)]
    try:
        rule = rrulestr(body, dtstart=s_start)
        assert isinstance(rule, rrule)
        if cadence.until is not None and cadence.until < end:
            rule = rule.replace(
                until=dt.datetime(cadence.until.year + shift, cadence.until.month, cadence.until.day, 23, 59, 59)
            )
        year = 0
        for when in rule:
            if when >= s_end:
                break
            while when >= bounds[year]:
                year += 1
            counts[year] += 1
        return counts
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
        raise CadenceError(f"cannot be expanded: {exc}") from exc


def schedule_basis(today: dt.date) -> dt.date:
    """The term effort is counted on: agreements usually start on the first of a month, so the next one."""
    return today.replace(day=1) + relativedelta(months=1)


MONTH_END_RULES = ("skip", "last_day")
MAX_OCCURRENCES = 3700  # ten years of a daily rule: no real vCIO activity comes near it
_SUB_DAILY = ("HOURLY", "MINUTELY", "SECONDLY")
_DAY_SOURCES = {"BYMONTHDAY", "BYDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS", "BYEASTER"}
# dateutil checks UNTIL only when a candidate matches: a rule that never matches (FREQ=DAILY;BYMONTH=2;
# BYMONTHDAY=30) is searched day by day until `datetime.MAXYEAR`, about 20 s of CPU, which dateutil reads from its
# module global `datetime`. While `dates` iterates, that global is a view of the datetime module whose MAXYEAR is
# SEARCH_MAX_YEAR, so such a search ends there. Windows end before it (the scheduler plans terms starting before
# SEARCH_MAX_YEAR - 10, ten years at most).
SEARCH_MAX_YEAR = 2200


class _BoundedDatetime(types.ModuleType):
    MAXYEAR = SEARCH_MAX_YEAR

    def __getattr__(self, name: str) -> object:
        return getattr(dt, name)


_BOUNDED = _BoundedDatetime("datetime")


@contextlib.contextmanager
def _bounded_search() -> Iterator[None]:
    """Only while `dates` iterates a rule (synchronously, so no other task sees it): `per_year`, which moves terms
    by 400-year cycles towards 9999, and any other code in the process keep dateutil's real MAXYEAR."""
    original = dateutil.rrule.datetime  # type: ignore[attr-defined]
    dateutil.rrule.datetime = _BOUNDED  # type: ignore[attr-defined]
    try:
        yield
    finally:
        dateutil.rrule.datetime = original  # type: ignore[attr-defined]


def stored_parts(rule: str) -> dict[str, str]:
    """The KEY=VALUE parts of a stored rule (upper case, without "RRULE:"), read leniently: rules reach the
    expansion already checked by `parse`, or from another service's event. FREQ is required, DTSTART refused."""
    text = rule.strip().upper().removeprefix("RRULE:")
    parts: dict[str, str] = {}
    for chunk in text.split(";"):
        if not chunk.strip():
            continue
        key, sep, value = chunk.partition("=")
        if not sep:
            raise CadenceError(f"invalid cadence {rule!r}")
        parts[key.strip()] = value.strip()
    if "FREQ" not in parts:
        raise CadenceError(f"cadence {rule!r} has no FREQ")
    if "DTSTART" in parts:
        raise CadenceError("a cadence carries no DTSTART: the agreement's start is the DTSTART")
    return parts


def anchored_rule(parts: dict[str, str], start: dt.date, month_end: str = "skip") -> str:
    """The rule as expanded. By default (`skip`) exactly RFC 5545: a month without the start's day is skipped.
    With `last_day` (a scheduler tenant's setting), a monthly or yearly cadence whose day comes from a start on
    the 29th-31st falls on the month's last day in shorter months (`BYMONTHDAY=31,-1;BYSETPOS=1`): a monthly
    review sold from 31 January then happens every month, on the 28th in February."""
    freq = parts["FREQ"]
    moves = month_end == "last_day" and start.day > 28 and freq in ("MONTHLY", "YEARLY")
    if moves and not _DAY_SOURCES & parts.keys() and not (freq == "YEARLY" and "BYMONTH" in parts):
        parts = {**parts, "BYMONTHDAY": f"{start.day},-1", "BYSETPOS": "1"}
        if freq == "YEARLY":
            parts["BYMONTH"] = str(start.month)
    return ";".join(f"{k}={v}" for k, v in parts.items())


@functools.lru_cache(maxsize=65536)
def dates(
    rule: str, dtstart: dt.date, window_start: dt.date, window_end: dt.date, month_end: str = "skip"
) -> tuple[dt.date, ...]:
    """The dates of a cadence with DTSTART = `dtstart`, inside `[window_start, window_end)`: what the scheduler
    plans and (through `expand`) what a proposal prices and shows.

    Dates are calendar dates: no time zone enters, so a daylight-saving change cannot move one. UNTIL counts as a
    date, its last day included, as `parse` reads it (a time or a Z after it changes nothing). Cached: pure."""
    parts = stored_parts(rule)
    if parts["FREQ"] in _SUB_DAILY:
        raise CadenceError(f"cadence {rule!r} is more frequent than daily")
    stop = min(window_end, _after_until(rule, parts.pop("UNTIL", None)) or window_end)
    if stop <= dtstart:
        return ()
    try:
        parsed = rrulestr(anchored_rule(parts, dtstart, month_end), dtstart=dt.datetime.combine(dtstart, dt.time()))
        assert isinstance(parsed, rrule)
        # stop at the window's end whatever the rule says (see SEARCH_MAX_YEAR for a rule that never matches)
        parsed = parsed.replace(until=dt.datetime.combine(stop, dt.time()) - dt.timedelta(microseconds=1))
        with _bounded_search():
            found = [when.date() for when in itertools.islice(parsed, MAX_OCCURRENCES * 4 + 2)]
    except (ValueError, TypeError, KeyError, IndexError, OverflowError) as exc:
        raise CadenceError(f"invalid cadence {rule!r}: {exc}") from exc
    # a rule with BYHOUR may fall twice on one day: a day is planned once
    out = tuple(dict.fromkeys(day for day in found if day >= window_start))
    if len(found) > MAX_OCCURRENCES * 4 + 1 or len(out) > MAX_OCCURRENCES:
        raise CadenceError(f"cadence {rule!r} expands to too many occurrences")
    return out


def _after_until(rule: str, until: str | None) -> dt.date | None:
    """The day after UNTIL's date (the window's end it sets), if the rule has one."""
    if until is None:
        return None
    try:
        return dt.datetime.strptime(until[:8], "%Y%m%d").date() + dt.timedelta(days=1)
    except ValueError as exc:
        raise CadenceError(f"cadence {rule!r}: UNTIL {until} is not a date") from exc


def expand(rule: str, start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """Dates of a cadence with DTSTART = `start`, inside `[start, end)`: the dates the scheduler plans for an
    agreement of that term (with the RFC 5545 month-end rule, the default)."""
    return dates(rule, start, start, end)


def count(rule: str, start: dt.date, end: dt.date) -> int:
    """How many times a cadence happens inside `[start, end)`, DTSTART = `start` (the length of `expand`)."""
    return len(expand(rule, start, end))


def is_valid(rule: str) -> bool:
    """`dates` can expand the rule (the lenient check for rules already stored, as the scheduler reads them)."""
    try:
        dates(rule, dt.date(2000, 1, 31), dt.date(2000, 1, 31), dt.date(2000, 2, 1))
    except CadenceError:
        return False
    return True


def next_weekday(day: dt.date) -> dt.date:
    """The weekend rule: Saturday and Sunday move to the following Monday."""
    wd = day.weekday()
    return day + dt.timedelta(days=7 - wd) if wd >= 5 else day
