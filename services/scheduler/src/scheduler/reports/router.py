"""Delivery report routes: JSON by default, `?format=html` or `?format=pdf` for people."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse, JSONResponse

from scheduler.activities.schemas import SaneDate
from scheduler.deps import Reader
from scheduler.reports import service
from scheduler.reports.schemas import DeliveryReportOut
from vcio_shared.db import SessionDep
from vcio_shared.runtime import ClockDep

router = APIRouter(prefix="/v1/reports", tags=["reports"])


@router.get(
    "/delivery/{client_id}",
    response_model=DeliveryReportOut,
    response_model_by_alias=True,
    responses={200: {"content": {"text/html": {}, "application/pdf": {}}}},
)
async def delivery_report(
    client_id: uuid.UUID,
    principal: Reader,
    session: SessionDep,
    clock: ClockDep,
    period_from: Annotated[SaneDate, Query(alias="from")],
    period_to: Annotated[SaneDate, Query(alias="to")],
    format: Literal["json", "html", "pdf"] = "json",  # noqa: A002 - the query parameter's name
) -> Any:
    report = await service.delivery_report(
        session, principal.tenant_id, client_id, period_from, period_to, clock.today()
    )
    if format == "html":
        return HTMLResponse(service.render_html(report, clock.today()))
    if format == "pdf":
        pdf = await service.render_pdf(report, clock.today())
        # a file name is read by people too: the last included day, as in the report
        filename = f"delivery-{period_from}-{period_to - dt.timedelta(days=1)}.pdf"
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )
    return JSONResponse(report.model_dump(mode="json", by_alias=True))
