"""The 12-month MRR movements chart, as geometry for a server-rendered SVG (templates/_movements.html)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from dateutil.relativedelta import relativedelta

KINDS = ("new", "expansion", "contraction", "churn")  # new and expansion above the axis, the others below
WIDTH, HEIGHT, PAD = 720, 240, 28  # the SVG's viewBox; PAD leaves room for month labels and the axis
LEFT = 72  # room for the scale's figures left of the bars


@dataclass(frozen=True)
class Bar:
    kind: str
    month: str
    amount: str
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Chart:
    currency: str
    months: list[str]
    bars: list[Bar]
    net: list[tuple[str, str]]  # (month, net) in order
    zero_y: float
    label_x: list[float]
    empty: bool
    top: str  # the scale: the largest month's gains, at the top of the chart
    bottom: str  # and its largest losses, at the bottom ("" when there were none)


def twelve_months(today: dt.date) -> list[str]:
    """The twelve months ending with today's, as YYYY-MM."""
    first = today.replace(day=1)
    return [(first - relativedelta(months=11 - i)).strftime("%Y-%m") for i in range(12)]


def movements_chart(rows: list[dict[str, Any]], currency: str, months: list[str]) -> Chart:
    """Stacked bars per month for one currency: gains up from the axis, losses down, to one shared scale."""
    rows = [r for r in rows if r["currency"] == currency]
    by_month = {r["month"]: r for r in rows}
    amounts = {m: {k: Decimal(by_month[m][k]) if m in by_month else Decimal(0) for k in KINDS} for m in months}
    up = max((a["new"] + a["expansion"] for a in amounts.values()), default=Decimal(0))
    down = max((-(a["contraction"] + a["churn"]) for a in amounts.values()), default=Decimal(0))
    span = up + down or Decimal(1)
    inner = HEIGHT - 2 * PAD
    zero_y = PAD + float(up / span) * inner
    slot = (WIDTH - LEFT - PAD) / len(months)
    bars: list[Bar] = []
    for i, month in enumerate(months):
        x = LEFT + i * slot + slot * 0.15
        top, bottom = zero_y, zero_y
        for kind in KINDS:
            value = amounts[month][kind]
            if not value:
                continue
            h = float(abs(value) / span) * inner
            if value > 0:
                top -= h
                y = top
            else:
                y = bottom
                bottom += h
            bars.append(Bar(kind, month, by_month[month][kind], x, y, slot * 0.7, h))
    zero = str(zero_value(rows))  # "0.00" in a currency of two digits
    net = [(m, by_month[m]["net"] if m in by_month else zero) for m in months]
    labels = [LEFT + i * slot + slot / 2 for i in range(len(months))]
    scale_top, scale_bottom = str(up + zero_value(rows)), str(-down + zero_value(rows)) if down else ""
    return Chart(currency, months, bars, net, zero_y, labels, not by_month, scale_top, scale_bottom)


def zero_value(rows: list[dict[str, Any]]) -> Decimal:
    """Zero in the currency's digits (Decimal("0.00")), from any figure the API gave for it."""
    return Decimal(rows[0]["net"]) * 0 if rows else Decimal(0)
