"""A checked cadence in words, as a person reads it beside the RRULE ("every 3 months"): what the console shows."""

from __future__ import annotations

import datetime as dt

from dateutil.rrule import rrule, rrulestr

from vcio_shared.cadence import Cadence, CadenceError

_DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MONTH_NAMES = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_UNITS = {0: "year", 1: "month", 2: "week"}  # dateutil's YEARLY, MONTHLY, WEEKLY


def _ordinal(n: int) -> str:
    """1 → "1st", 22 → "22nd", -1 → "last", -2 → "second to last"."""
    if n == -1:
        return "last"
    if n < 0:
        return f"{_ordinal(-n)} to last"
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _listed(items: list[str]) -> str:
    """["a"] → "a"; ["a", "b", "c"] → "a, b and c"."""
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def words(cadence: Cadence) -> str:
    """A checked cadence in words, as a person reads it beside the RRULE: "every 3 months", "every year",
    "every week on Monday", "every month on the last Friday", "every year in March on the 1st, 4 times".

    The rule is read by python-dateutil (`rrulestr`); only the parts it was given are worded (its
    `_original_rule`), not the ones it fills in from the start date, which an activity takes from its agreement.
    """
    body = ";".join(p for p in cadence.rule.split(";") if not p.startswith("UNTIL="))
    try:
        rule = rrulestr(body, dtstart=dt.datetime(2000, 1, 3))
    except (ValueError, TypeError, OverflowError, KeyError, IndexError) as exc:
        raise CadenceError(f"is not a valid RRULE: {exc}") from exc
    assert isinstance(rule, rrule)
    given: dict[str, tuple[object, ...] | None] = rule._original_rule  # type: ignore[attr-defined]
    unit = _UNITS.get(rule._freq)  # type: ignore[attr-defined]
    if unit is None:
        raise CadenceError("recurs more often than weekly")
    interval: int = rule._interval  # type: ignore[attr-defined]
    text = [f"every {unit}" if interval == 1 else f"every {interval} {unit}s"]
    if weeks := given.get("byweekno"):
        text.append(f"in week {_listed([str(w) for w in weeks])}")
    if months := given.get("bymonth"):
        text.append(f"in {_listed([_MONTH_NAMES[int(str(m)) - 1] for m in months])}")
    if yeardays := given.get("byyearday"):
        text.append(f"on the {_listed([_ordinal(int(str(d))) for d in yeardays])} day of the year")
    if monthdays := given.get("bymonthday"):
        days = [_ordinal(int(str(d))) + (" day" if int(str(d)) < 0 else "") for d in monthdays]
        text.append(f"on the {_listed(days)}")
    if weekdays := given.get("byweekday"):
        names = []
        for day in weekdays:
            n, name = getattr(day, "n", None), _DAY_NAMES[getattr(day, "weekday", 0)]
            names.append(f"the {_ordinal(n)} {name}" if n else name)
        text.append(f"on {_listed(names)}")
    if positions := given.get("bysetpos"):
        text.append(f"(the {_listed([_ordinal(int(str(p))) for p in positions])} of those each {unit})")
    if count := rule._count:  # type: ignore[attr-defined]
        text[-1] += ", once" if count == 1 else f", {count} times"
    if cadence.until is not None:
        text[-1] += f", until {cadence.until.isoformat()}"
    return " ".join(text)
