"""The billing calendar and proration, as pure functions: no database, no clock.

Periods are half-open `[start, end)` and aligned to calendar months, quarters (Jan/Apr/Jul/Oct) or years.
A period cut short (the first days of a term, a cancellation, the term's end) is prorated by days over the
full calendar period: `price × days_used ÷ days_in_period`, rounded half-up once per line.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from dateutil.relativedelta import relativedelta

from vcio_shared import money

CYCLE_MONTHS = {"monthly": 1, "quarterly": 3, "annual": 12}
CYCLE_WORD = {"monthly": "month", "quarterly": "quarter", "annual": "year"}


def calendar_period(day: dt.date, cycle: str) -> tuple[dt.date, dt.date]:
    """The calendar month, quarter or year that contains `day`."""
    return _calendar_period(day.year, day.month, cycle)


@functools.lru_cache(maxsize=8192)
def _calendar_period(year: int, month: int, cycle: str) -> tuple[dt.date, dt.date]:
    months = CYCLE_MONTHS[cycle]
    first_month = ((month - 1) // months) * months + 1
    after = first_month - 1 + months  # months since January of `year`, zero-based
    return dt.date(year, first_month, 1), dt.date(year + after // 12, after % 12 + 1, 1)


def term_end(start: dt.date, term_months: int) -> dt.date:
    """The exclusive end of a term: start + term months (a 31st start ends on the month's last day if need be)."""
    return start + relativedelta(months=term_months)


@dataclass(frozen=True)
class PricePoint:
    start: dt.date
    monthly_amount: int


def parse_schedule(raw: Sequence[dict[str, Any]]) -> list[PricePoint]:
    return [PricePoint(dt.date.fromisoformat(p["from"]), int(p["monthly_amount"])) for p in raw]


def price_on(schedule: Sequence[PricePoint], day: dt.date) -> int:
    price = schedule[0].monthly_amount
    for point in schedule:
        if point.start <= day:
            price = point.monthly_amount
    return price


@dataclass(frozen=True)
class Line:
    kind: str  # recurring | one_time | adjustment
    description: str
    period_start: dt.date | None
    period_end: dt.date | None
    quantity: int
    unit_amount: int
    amount: int


@dataclass
class PlannedInvoice:
    period_start: dt.date
    period_end: dt.date
    lines: list[Line] = field(default_factory=list)
    kind: str = "recurring"

    @property
    def subtotal(self) -> int:
        return sum(line.amount for line in self.lines)


def adjustment_lines(adjustments: Iterable[Mapping[Any, Any]]) -> list[Line]:
    """Pending adjustments as invoice lines (signed amounts), on the next invoice or an adjustment invoice."""
    return [
        Line("adjustment", a["description"], a["period_start"], a["period_end"], 1, a["amount"], a["amount"])
        for a in adjustments
    ]


def prorated_charge(monthly_amount: int, cycle: str, start: dt.date, end: dt.date) -> int:
    """What `[start, end)` costs, inside one calendar period, at a monthly price."""
    cal_start, cal_end = calendar_period(start, cycle)
    if not (cal_start <= start < end <= cal_end):
        raise ValueError("a charge must lie inside one calendar period")
    period_price = monthly_amount * CYCLE_MONTHS[cycle]
    days, days_in_period = (end - start).days, (cal_end - cal_start).days
    return period_price if days == days_in_period else money.prorate(period_price, days, days_in_period)


def period_lines(name: str, cycle: str, schedule: Sequence[PricePoint], start: dt.date, end: dt.date) -> list[Line]:
    """The recurring lines of `[start, end)`: one per price in force, each prorated on its own."""
    cal_start, cal_end = calendar_period(start, cycle)
    days_in_period = (cal_end - cal_start).days
    if len(schedule) == 1:  # the common case: one price for the whole term
        price = schedule[0].monthly_amount * CYCLE_MONTHS[cycle]
        days = (end - start).days
        if days == days_in_period:
            return [Line("recurring", f"{name}, {cycle} subscription", start, end, 1, price, price)]
        amount = money.prorate(price, days, days_in_period)
        return [
            Line(
                "recurring",
                f"{name}, {cycle} subscription (prorated {days}/{days_in_period} days)",
                start,
                end,
                1,
                amount,
                amount,
            )
        ]
    cuts = sorted({start, end, *(p.start for p in schedule if start < p.start < end)})
    lines = []
    for seg_start, seg_end in zip(cuts, cuts[1:], strict=False):
        price = price_on(schedule, seg_start)
        amount = prorated_charge(price, cycle, seg_start, seg_end)
        days = (seg_end - seg_start).days
        description = f"{name}, {cycle} subscription"
        if days != days_in_period:
            description += f" (prorated {days}/{days_in_period} days)"
        lines.append(Line("recurring", description, seg_start, seg_end, 1, amount, amount))
    return lines


@dataclass
class AgreementTerms:
    """What the engine needs to know of an agreement."""

    name: str
    cycle: str
    start_date: dt.date
    end_date: dt.date
    schedule: list[PricePoint]
    one_time_lines: list[tuple[str, int]]
    next_bill_date: dt.date | None
    cancel_effective_date: dt.date | None = None

    @property
    def billing_end(self) -> dt.date:
        if self.cancel_effective_date is not None:
            return min(self.end_date, self.cancel_effective_date)
        return self.end_date


def plan(terms: AgreementTerms, as_of: dt.date) -> tuple[list[PlannedInvoice], dt.date | None]:
    """Every period that starts on or before `as_of` and is not invoiced yet (catch-up), in order.

    Returns the invoices and the agreement's new `next_bill_date` (None once billed up to its end).
    """
    cursor, stop = terms.next_bill_date, terms.billing_end
    invoices: list[PlannedInvoice] = []
    while cursor is not None and cursor < stop and cursor <= as_of:
        _, cal_end = calendar_period(cursor, terms.cycle)
        end = min(cal_end, stop)
        invoice = PlannedInvoice(cursor, end, period_lines(terms.name, terms.cycle, terms.schedule, cursor, end))
        if cursor == terms.start_date:
            invoice.lines.extend(Line("one_time", d, None, None, 1, a, a) for d, a in terms.one_time_lines if a)
        invoices.append(invoice)
        cursor = end
    return invoices, (cursor if cursor is not None and cursor < stop else None)


def tax_of(subtotal: int, tax_rate: str) -> int:
    """Tax is rounded once per invoice, on its subtotal."""
    return money.percent_of(subtotal, tax_rate) if subtotal > 0 else 0
