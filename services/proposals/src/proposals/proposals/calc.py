"""Pure proposal arithmetic: lines, totals, scope, the delivery calendar and the first invoice estimate.

Amounts are integer minor units. A discount applies to recurring lines only, rounded half-up once per line.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

from vcio_shared import cadence, money
from vcio_shared.dates import term_end

_FREQ_WORDS = {
    "YEARLY": ("annually", "year"),
    "MONTHLY": ("monthly", "month"),
    "WEEKLY": ("weekly", "week"),
    "DAILY": ("daily", "day"),
}


def describe_cadence(cadence: str) -> str:
    """`FREQ=MONTHLY;INTERVAL=3` → "quarterly": the cadence in plain words."""
    parts = dict(p.split("=", 1) for p in cadence.upper().split(";") if "=" in p)
    freq = parts.get("FREQ", "")
    try:
        interval = int(parts.get("INTERVAL", "1"))
    except ValueError:
        interval = 1
    if freq == "MONTHLY" and interval == 3:
        return "quarterly"
    if freq == "MONTHLY" and interval == 6:
        return "twice a year"
    word, unit = _FREQ_WORDS.get(freq, (freq.lower() or "on a schedule", freq.lower()))
    if interval == 1:
        return word
    return f"every {interval} {unit}s"


def plain_scope(name: str, count: int, cadence: str) -> str:
    """ "4 × Quarterly business review (quarterly)"."""
    return f"{count} × {name} ({describe_cadence(cadence)})"


def discounted(list_amount: int, discount_percent: Decimal) -> tuple[int, int]:
    """(discount, amount after discount), the discount rounded half-up once."""
    discount = money.percent_of(list_amount, discount_percent) if discount_percent else 0
    return discount, list_amount - discount


def line(
    line_id: str,
    kind: str,
    description: str,
    list_amount: int,
    discount_percent: Decimal,
    *,
    optional: bool = False,
    source: str,
    activity: dict[str, Any] | None = None,
) -> dict[str, Any]:
    disc, amount = discounted(list_amount, discount_percent) if kind == "recurring" else (0, list_amount)
    return {
        "id": line_id,
        "kind": kind,
        "description": description,
        "list_amount": list_amount,
        "discount_amount": disc,
        "amount": amount,
        "optional": optional,
        "source": source,
        "activity": activity,
    }


@dataclass(frozen=True)
class Totals:
    monthly: int
    one_time: int
    contract_value: int


def included(lines: Iterable[dict[str, Any]], selected: Iterable[str]) -> list[dict[str, Any]]:
    """The lines that are part of the deal: every non-optional line, and the optional ones ticked."""
    chosen = set(selected)
    return [ln for ln in lines if not ln["optional"] or ln["id"] in chosen]


def totals(lines: Sequence[dict[str, Any]], selected: Iterable[str], term_months: int) -> Totals:
    inc = included(lines, selected)
    monthly = sum(ln["amount"] for ln in inc if ln["kind"] == "recurring")
    one_time = sum(ln["amount"] for ln in inc if ln["kind"] == "one_time")
    return Totals(monthly, one_time, monthly * term_months + one_time)


def scope_activities(
    package: dict[str, Any], lines: Sequence[dict[str, Any]], selected: Iterable[str]
) -> list[dict[str, Any]]:
    """The activities delivered: the package's, less those offered as optional items, plus the ones ticked."""
    moved = {
        ln["activity"]["name"] for ln in lines if ln["optional"] and ln.get("activity") and ln["source"] == "package"
    }
    base = [a for a in package.get("activities", []) if a["name"] not in moved]
    chosen = set(selected)
    extra = [ln["activity"] for ln in lines if ln["optional"] and ln.get("activity") and ln["id"] in chosen]
    return base + extra


def schedule_summary(
    package: dict[str, Any], lines: Sequence[dict[str, Any]], start: dt.date, term_months: int
) -> list[dict[str, Any]]:
    """Every activity offered, with how often it happens in the term; optional ones are marked."""
    end = term_end(start, term_months)
    offered = [(a, None) for a in scope_activities(package, lines, ())]
    offered += [(ln["activity"], ln["id"]) for ln in lines if ln["optional"] and ln.get("activity")]
    out = []
    for activity, option_id in offered:
        count = cadence.count(activity["cadence"], start, end)
        out.append(
            {
                "name": activity["name"],
                "cadence": activity["cadence"],
                "role": activity["role"],
                "category": activity.get("category"),
                "track": activity.get("track"),
                "occurrences": count,
                "optional": option_id is not None,
                "option_id": option_id,
                "description": plain_scope(activity["name"], count, activity["cadence"]),
            }
        )
    return out


def delivery_calendar(
    activities: Sequence[dict[str, Any]], start: dt.date, term_months: int, months: int = 12
) -> list[dict[str, Any]]:
    """The first `months` months of the plan, grouped by month; weekend dates move to Monday."""
    end = min(term_end(start, term_months), term_end(start, months))
    items = []
    for activity in activities:
        for day in cadence.expand(activity["cadence"], start, end):
            items.append({"date": cadence.next_weekday(day), "name": activity["name"], "role": activity["role"]})
    items.sort(key=lambda i: (i["date"], i["name"]))
    grouped: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        grouped.setdefault(item["date"].strftime("%Y-%m"), []).append(item)
    return [{"month": m, "items": v} for m, v in grouped.items()]


def cycle_months(billing_cycle: str) -> int:
    return {"monthly": 1, "quarterly": 3, "annual": 12}[billing_cycle]


def first_period(start: dt.date, billing_cycle: str) -> tuple[dt.date, dt.date]:
    """The calendar-aligned period [period_start, period_end) that contains the start date."""
    n = cycle_months(billing_cycle)
    month0 = ((start.month - 1) // n) * n + 1
    period_start = dt.date(start.year, month0, 1)
    return period_start, period_start + relativedelta(months=n)


def first_invoice_estimate(
    monthly: int, one_time: int, start: dt.date, billing_cycle: str, tax_rate: Decimal, currency: str
) -> dict[str, Any]:
    """In advance; a partial first period prorated by days (half-up once); one-time fees on it; tax on top."""
    p_start, p_end = first_period(start, billing_cycle)
    full = monthly * cycle_months(billing_cycle)
    recurring = money.prorate(full, (p_end - start).days, (p_end - p_start).days)
    subtotal = recurring + one_time
    tax = money.percent_of(subtotal, tax_rate)
    fmt = lambda v: money.format(v, currency)  # noqa: E731
    return {
        "period_start": start,
        "period_end": p_end,
        "recurring": fmt(recurring),
        "one_time": fmt(one_time),
        "subtotal": fmt(subtotal),
        "tax_rate": format_percent(tax_rate),
        "tax": fmt(tax),
        "total": fmt(subtotal + tax),
        "currency": currency,
    }


def format_percent(value: Decimal) -> str:
    """At least two decimals ("8.25", "10.00"), more only when the value has them ("8.875")."""
    normal = value.normalize()
    exponent = normal.as_tuple().exponent
    places = max(2, -exponent if isinstance(exponent, int) else 2)
    return f"{value:.{places}f}"


_MONTHS = {i: calendar.month_name[i] for i in range(1, 13)}


def month_label(ym: str) -> str:
    y, m = ym.split("-")
    return f"{_MONTHS[int(m)]} {y}"
