"""Agreement routes (thin)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from billing.agreements import flows, renewals, service
from billing.agreements.schemas import (
    AgreementOut,
    AgreementUpdate,
    CancelOut,
    CancelRequest,
    ChangeOut,
    ChangeRequest,
)
from billing.dates import Day
from billing.deps import Listing, Once, Reading, Writing
from vcio_shared.schemas import Page, page_of

router = APIRouter(prefix="/v1/agreements", tags=["agreements"])


@router.get("")
async def list_agreements(
    ls: Listing,
    client_id: uuid.UUID | None = None,
    proposal_id: uuid.UUID | None = None,
    status: Annotated[Literal["active", "cancelled", "expired"] | None, Query()] = None,
    ends_after: Annotated[Day | None, Query(description="end_date on or after this day")] = None,
    ends_before: Annotated[Day | None, Query(description="end_date before this day (not on it)")] = None,
) -> Page[AgreementOut]:
    """The tenant's agreements; `ends_after` and `ends_before` bound the current term's end (`end_date`,
    exclusive like every period) as a half-open range: the renewals due in a window."""
    filters: dict[str, Any] = {"client_id": client_id, "proposal_id": proposal_id, "status": status}
    filters.update(ends_after=ends_after, ends_before=ends_before)
    items = await service.list_agreements(
        ls.session, ls.principal.tenant_id, after=ls.page.after, limit=ls.page.limit, **filters
    )
    return page_of(items, ls.page.limit)


@router.get("/{agreement_id}")
async def get_agreement(agreement_id: uuid.UUID, r: Reading) -> AgreementOut:
    return await service.get_agreement(r.session, r.principal.tenant_id, agreement_id)


@router.patch("/{agreement_id}")
async def update_agreement(agreement_id: uuid.UUID, body: AgreementUpdate, w: Writing) -> AgreementOut:
    return await service.set_auto_renew(w.session, w.principal, agreement_id, body.auto_renew, w.clock.now())


@router.post("/{agreement_id}/cancel")
async def cancel_agreement(agreement_id: uuid.UUID, body: CancelRequest, w: Writing) -> CancelOut:
    return await flows.cancel(
        w.session, w.principal, agreement_id, effective=body.effective_date, reason=body.reason, clock=w.clock
    )


@router.post("/{agreement_id}/change")
async def change_agreement(agreement_id: uuid.UUID, body: ChangeRequest, w: Writing) -> ChangeOut:
    return await flows.change(
        w.session,
        w.principal,
        agreement_id,
        effective=body.effective_date,
        monthly_amount=body.monthly_amount,
        package=body.package.model_dump() if body.package else None,
        activities=body.activities,
        clock=w.clock,
    )


@router.post("/{agreement_id}/renew", response_model=AgreementOut)
async def renew_agreement(agreement_id: uuid.UUID, w: Once) -> Any:
    """Renew the current term now (once per term end; 409 says why not). The same Idempotency-Key replays."""
    return await w.once(lambda: renewals.renew_now(w.session, w.principal, agreement_id, w.clock.now()), 200)
