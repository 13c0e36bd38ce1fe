"""An initiative's budget: its lines as rows (minor units) and as the answer shows them, with their sums.

A line costs amount × quantity; a recurring line's annual cost is that × 12 (monthly) or × 1 (yearly). All in
integer minor units of the initiative's currency, so every sum is exact."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from strategy.initiatives.schemas import Budget, BudgetLineOut, BudgetOut, RecurringLineOut, parse_amount
from vcio_shared import money
from vcio_shared.ids import uuid7

PERIODS_PER_YEAR = {"monthly": 12, "yearly": 1}


@dataclass(frozen=True)
class Totals:
    """Minor units: the one-time total and the recurring cost of a year."""

    one_time: int = 0
    recurring_annual: int = 0

    def __add__(self, other: Totals) -> Totals:
        return Totals(self.one_time + other.one_time, self.recurring_annual + other.recurring_annual)

    @property
    def total(self) -> int:
        return self.one_time + self.recurring_annual


def line_rows(initiative_id: uuid.UUID, budget: Budget) -> list[dict[str, Any]]:
    rows = [
        {
            "kind": "one_time",
            "label": x.label,
            "amount": parse_amount(x.amount, budget.currency),
            "quantity": x.quantity,
            "frequency": None,
        }
        for x in budget.one_time
    ] + [
        {
            "kind": "recurring",
            "label": x.label,
            "amount": parse_amount(x.amount, budget.currency),
            "quantity": x.quantity,
            "frequency": x.frequency,
        }
        for x in budget.recurring
    ]
    return [{**r, "id": uuid7(), "initiative_id": initiative_id, "position": n} for n, r in enumerate(rows, start=1)]


def totals(lines: Sequence[Any]) -> Totals:
    one_time = sum(x["amount"] * x["quantity"] for x in lines if x["kind"] == "one_time")
    recurring = sum(
        x["amount"] * x["quantity"] * PERIODS_PER_YEAR[x["frequency"]] for x in lines if x["kind"] == "recurring"
    )
    return Totals(one_time, recurring)


def to_out(currency: str, lines: Sequence[Any]) -> BudgetOut:
    places = money.digits(currency)

    def fmt(minor: int) -> str:
        return money.format_digits(minor, places)

    one_time = [
        BudgetLineOut(
            label=x["label"], amount=fmt(x["amount"]), quantity=x["quantity"], total=fmt(x["amount"] * x["quantity"])
        )
        for x in lines
        if x["kind"] == "one_time"
    ]
    recurring = [
        RecurringLineOut(
            label=x["label"],
            amount=fmt(x["amount"]),
            quantity=x["quantity"],
            total=fmt(x["amount"] * x["quantity"]),
            frequency=x["frequency"],
            annual=fmt(x["amount"] * x["quantity"] * PERIODS_PER_YEAR[x["frequency"]]),
        )
        for x in lines
        if x["kind"] == "recurring"
    ]
    sums = totals(lines)
    return BudgetOut(
        currency=currency,
        one_time=one_time,
        recurring=recurring,
        one_time_total=fmt(sums.one_time),
        recurring_annual=fmt(sums.recurring_annual),
        total=fmt(sums.total),
    )
