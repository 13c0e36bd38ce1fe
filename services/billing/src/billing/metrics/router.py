"""Metrics routes (thin)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from billing.dates import Day
from billing.deps import Reading
from billing.metrics import service
from billing.metrics.schemas import ActivityValueOut, MovementOut, MrrOut
from vcio_shared.errors import Unprocessable
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Page

router = APIRouter(prefix="/v1/metrics", tags=["metrics"])


@router.get("/mrr", response_model=Page[MrrOut])
async def mrr(r: Reading, clock: ClockDep, as_of: Annotated[Day | None, Query()] = None) -> dict[str, Any]:
    return {"items": await service.mrr(r.session, r.principal.tenant_id, as_of or clock.today()), "next_cursor": None}


async def _period(from_: Annotated[Day, Query(alias="from")], to: Annotated[Day, Query()]) -> tuple[dt.date, dt.date]:
    """The query's days `from` and `to`, in order."""
    if to < from_:
        raise Unprocessable.field(["query", "to"], "must not be before from")
    return from_, to


Period = Annotated[tuple[dt.date, dt.date], Depends(_period)]


@router.get("/movements", response_model=Page[MovementOut])
async def movements(r: Reading, period: Period) -> dict[str, Any]:
    return {"items": await service.movements(r.session, r.principal.tenant_id, *period), "next_cursor": None}


@router.get("/activity-value", response_model=Page[ActivityValueOut])
async def activity_value(r: Reading, period: Period) -> dict[str, Any]:
    return {"items": await service.activity_value(r.session, r.principal.tenant_id, *period), "next_cursor": None}
