"""Activity cadences: RFC 5545 RRULEs without DTSTART, written once for every service.

`parse` checks user input strictly before python-dateutil sees it, because dateutil alone is not safe on it:
`INTERVAL=0` never returns, a `DTSTART` line overrides the start, and a rule that can never match
(`BYMONTH=2;BYMONTHDAY=30`) is iterated until the year 9999. So the grammar is whitelisted, frequencies are
weekly or slower (a package schedules reviews, not daily chores), and `per_year` counts occurrences on the same
term moved forward by whole 400-year Gregorian cycles, which repeat every weekday and ISO week exactly, so an
impossible rule runs out of calendar within a few centuries.

`expand` and `count` give the dates of a stored rule with DTSTART = the start, inside `[start, end)`: what a
proposal prices, and what the scheduler plans. `next_weekday` is the weekend rule both apply.
"""

from __future__ import annotations

import datetime as dt
import functools
import itertools
import re
from dataclasses import dataclass

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


# a guard against absurd cadences when expanding a stored rule; no real vCIO activity comes near it
MAX_EXPANDED = 20_000


@functools.lru_cache(maxsize=4096)
def expand(rule: str, start: dt.date, end: dt.date) -> tuple[dt.date, ...]:
    """Dates of a cadence (RRULE without DTSTART) with DTSTART = `start`, inside `[start, end)`.

    Cached: it is pure, dateutil spends milliseconds on a year of a weekly rule, and a proposal asks for every
    activity twice (its schedule summary and its delivery calendar) on a handful of packages and start dates."""
    parsed = rrulestr(rule, dtstart=dt.datetime.combine(start, dt.time()))
    limit = dt.datetime.combine(end, dt.time())
    out: list[dt.date] = []
    for when in itertools.islice(parsed, MAX_EXPANDED):  # type: ignore[call-overload]
        if when >= limit:
            break
        out.append(when.date())
    return tuple(out)


def count(rule: str, start: dt.date, end: dt.date) -> int:
    """How many times a cadence happens inside `[start, end)`, DTSTART = `start` (the length of `expand`)."""
    return len(expand(rule, start, end))


def is_valid(rule: str) -> bool:
    """dateutil can read the rule and it carries no DTSTART (the lenient check for rules already stored)."""
    try:
        if "DTSTART" in rule.upper():
            return False
        rrulestr(rule, dtstart=dt.datetime(2000, 1, 1))
        return True
    except (ValueError, TypeError, OverflowError, IndexError, KeyError):
        return False


def next_weekday(day: dt.date) -> dt.date:
    """The weekend rule: Saturday and Sunday move to the following Monday."""
    wd = day.weekday()
    return day + dt.timedelta(days=7 - wd) if wd >= 5 else day
