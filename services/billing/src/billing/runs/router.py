"""Billing-run routes (thin)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from billing.deps import Listing, Once, Reading
from billing.runs import service
from billing.runs.schemas import DryRunOut, RunCreate, RunOut
from vcio_shared.runtime import RuntimeDep
from vcio_shared.schemas import Page, page_of

router = APIRouter(prefix="/v1/billing-runs", tags=["billing runs"])


@router.post(
    "",
    status_code=201,
    response_model=RunOut,
    responses={
        200: {"model": DryRunOut, "description": "a dry run: what a real run would make; nothing written"},
        202: {"model": RunOut, "description": "started in the background"},
    },
)
async def create_run(body: RunCreate, w: Once, runtime: RuntimeDep) -> Any:
    principal, idem, clock = w.principal, w.idem, w.clock
    if (replayed := await idem.replay(principal.tenant_id)) is not None:
        return replayed
    if body.dry_run:
        out = await service.dry_run(runtime.sessionmaker, clock, principal.tenant_id, body.as_of)
        await idem.remember(200, out)
        return JSONResponse(out, status_code=200)
    async with runtime.sessionmaker() as own, own.begin():  # the run row commits before the chunks start
        run = await service.start(
            own, principal.tenant_id, body.as_of, trigger="api", created_by=principal.sub, now=clock.now()
        )
    if body.background:
        service.spawn(runtime, service.execute(runtime.sessionmaker, clock, run))
        out = service.run_out({**run})
        await idem.remember(202, out)
        return JSONResponse(out, status_code=202)
    out = await service.execute(runtime.sessionmaker, clock, run)
    return await idem.remember(201, out)


@router.get("", response_model=Page[RunOut])
async def list_runs(ls: Listing, order: Annotated[Literal["asc", "desc"], Query()] = "asc") -> dict[str, Any]:
    """The tenant's runs in the order they started (`asc`), or newest first (`desc`: the last run is the first
    item); the cursor follows the order asked for."""
    items = await service.list_runs(
        ls.session, ls.principal.tenant_id, ls.page.after, ls.page.limit, newest_first=order == "desc"
    )
    return page_of(items, ls.page.limit, id_of=lambda x: x["id"]).model_dump()


@router.get("/{run_id}", response_model=RunOut)
async def get_run(run_id: uuid.UUID, r: Reading) -> dict[str, Any]:
    return await service.get_run(r.session, r.principal.tenant_id, run_id)
