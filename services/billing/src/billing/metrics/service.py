"""MRR, ARR, movements and the value of delivered activities."""

from __future__ import annotations

import datetime as dt
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy.ext.asyncio import AsyncSession

from billing.deliveries import repository as deliveries_repo
from billing.metrics import repository as repo
from vcio_shared import money


async def mrr(session: AsyncSession, tenant_id: str, as_of: dt.date) -> list[dict[str, Any]]:
    return [
        {
            "as_of": as_of.isoformat(),
            "currency": r["currency"],
            "mrr": money.format(int(r["mrr"]), r["currency"]),
            "arr": money.format(int(r["mrr"]) * 12, r["currency"]),
            "active_agreements": int(r["n"]),
        }
        for r in await repo.mrr(session, tenant_id, as_of)
    ]


async def movements(session: AsyncSession, tenant_id: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Per month (of [start, end]) and currency: new, expansion, contraction (negative), churn (negative), net."""
    first = start.replace(day=1)
    stop = end.replace(day=1) + relativedelta(months=1)
    buckets: dict[tuple[str, str], dict[str, int]] = {}
    for r in await repo.movements(session, tenant_id, first, stop):
        b = buckets.setdefault((r["month"], r["currency"]), {"new": 0, "expansion": 0, "contraction": 0, "churn": 0})
        b[r["kind"]] += int(r["amount"])
    return [
        {
            "month": month,
            "currency": cur,
            **{k: money.format(v, cur) for k, v in b.items()},
            "net": money.format(sum(b.values()), cur),
        }
        for (month, cur), b in sorted(buckets.items())
    ]


async def activity_value(session: AsyncSession, tenant_id: str, start: dt.date, end: dt.date) -> list[dict[str, Any]]:
    """Revenue drivers (billable) and cost drivers (included), by completed activities and hours."""
    rows = {r["billing_mode"]: r for r in await deliveries_repo.value_by_mode(session, tenant_id, start, end)}
    return [
        {
            "billing_mode": mode,
            "driver": "revenue" if mode == "billable" else "cost",
            "activities": int(rows[mode]["activities"]) if mode in rows else 0,
            "hours": f"{rows[mode]['hours']:.2f}" if mode in rows else "0.00",
        }
        for mode in ("billable", "included")
    ]
