"""The quarter's delivered work and money, from what the scheduler and billing announced (strategy's own copies).

- `activities`: the activities completed in the quarter, their count and hours. Upcoming activities are not
  known here: the scheduler announces a plan's size, not its activities.
- `invoices`: the invoices issued in the quarter (status and what is still owed), and per currency the sum
  invoiced (voided invoices left out), the sum owed, and the MRR on the quarter's last day: the monthly amounts
  of the agreements in force that day (an agreement's latest amount)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.delivered import repository as delivered
from strategy.invoices import repository as invoices
from vcio_shared import money


def _midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), dt.UTC)


async def activities(
    session: AsyncSession, tenant: str, client_id: uuid.UUID, start: dt.date, end: dt.date
) -> dict[str, Any]:
    rows = await delivered.between(session, tenant, client_id, _midnight(start), _midnight(end))
    hours = sum((r["hours_spent"] or Decimal(0) for r in rows), Decimal(0))
    return {
        "count": len(rows),
        "hours": f"{hours:.2f}",
        "delivered": [
            {
                "name": r["name"],
                "category": r["category"],
                "completed_at": r["completed_at"].isoformat(),
                "outcome": r["outcome"],
                "hours_spent": f"{r['hours_spent']:.2f}" if r["hours_spent"] is not None else None,
            }
            for r in rows
        ],
    }


async def money_of_quarter(
    session: AsyncSession, tenant: str, client_id: uuid.UUID, start: dt.date, end: dt.date
) -> dict[str, Any]:
    rows = await invoices.invoices_between(session, tenant, client_id, start, end)
    active = await invoices.active_on(session, tenant, client_id, end - dt.timedelta(days=1))
    sums: dict[str, dict[str, int]] = {}
    for r in rows:
        s = sums.setdefault(r["currency"], {"invoiced": 0, "outstanding": 0, "mrr": 0})
        if r["status"] != "voided":
            s["invoiced"] += r["total"]
            s["outstanding"] += r["amount_due"]
    for a in active:
        sums.setdefault(a["currency"], {"invoiced": 0, "outstanding": 0, "mrr": 0})["mrr"] += a["monthly_amount"]

    def fmt(minor: int, currency: str) -> str:
        return money.format_digits(minor, money.digits(currency))

    return {
        "items": [
            {
                "number": r["number"],
                "issue_date": r["issue_date"].isoformat(),
                "status": r["status"],
                "currency": r["currency"],
                "total": fmt(r["total"], r["currency"]),
                "amount_due": fmt(r["amount_due"], r["currency"]),
            }
            for r in rows
        ],
        "totals": [
            {
                "currency": c,
                **{k: fmt(v, c) for k, v in s.items()},
                "active_agreements": sum(1 for a in active if a["currency"] == c),
            }
            for c, s in sorted(sums.items())
        ],  # fmt: skip
    }
