"""Proposal routes for staff (thin). The client's page lives in proposals.client_page."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from proposals.deps import MailerDep, Reader, Writer
from proposals.proposals import document, flows, repository, service
from proposals.proposals.pdf import pdf_response
from proposals.proposals.render import render_page
from proposals.proposals.schemas import (
    PipelineOut,
    ProposalCreate,
    ProposalOut,
    ProposalUpdate,
    SendRequest,
    StaffAcceptRequest,
    Status,
)
from vcio_shared.db import SessionDep
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep, RuntimeDep
from vcio_shared.schemas import Page, PageDep, page_of

router = APIRouter(tags=["proposals"])


async def _answer(row: Awaitable[Any], runtime: Any) -> ProposalOut:
    """The proposal a creating route answers, once the service has written it."""
    return _public(await row, runtime)


def _public(row: Any, runtime: Any, calendar: bool = True) -> ProposalOut:
    return ProposalOut.model_validate(
        document.present(row, base_url=runtime.settings.public_base_url, calendar=calendar)
    )


@router.post("/v1/proposals", status_code=201, response_model=ProposalOut)
async def create_proposal(
    body: ProposalCreate,
    principal: Writer,
    session: SessionDep,
    idem: IdempotencyDep,
    clock: ClockDep,
    runtime: RuntimeDep,
) -> Any:
    return await idem.once(
        principal.tenant_id, lambda: _answer(service.create(session, principal, body, clock.now()), runtime)
    )


@router.get("/v1/proposals")
async def list_proposals(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    runtime: RuntimeDep,
    client_id: uuid.UUID | None = None,
    package_id: uuid.UUID | None = None,
    status: Annotated[Status | None, Query()] = None,
) -> Page[ProposalOut]:
    rows = await repository.list_page(
        session, principal.tenant_id, page.after, page.limit, client_id=client_id, status=status, package_id=package_id
    )
    return page_of([_public(r, runtime, calendar=False) for r in rows], page.limit)


@router.get("/v1/proposals/{proposal_id}")
async def get_proposal(
    proposal_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> ProposalOut:
    return _public(await service.get(session, principal.tenant_id, proposal_id), runtime)


@router.patch("/v1/proposals/{proposal_id}")
async def update_proposal(
    proposal_id: uuid.UUID,
    body: ProposalUpdate,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    runtime: RuntimeDep,
) -> ProposalOut:
    return _public(await service.update_draft(session, principal, proposal_id, body, clock.now()), runtime)


@router.post("/v1/proposals/{proposal_id}/send", response_model=ProposalOut)
async def send_proposal(
    proposal_id: uuid.UUID,
    principal: Writer,
    session: SessionDep,
    idem: IdempotencyDep,
    clock: ClockDep,
    runtime: RuntimeDep,
    mailer: MailerDep,
    body: SendRequest | None = None,
) -> Any:
    """Send a draft and mail it to the client; a retry with the same Idempotency-Key answers the first answer."""
    valid_until = body.valid_until if body else None
    return await idem.once(
        principal.tenant_id,
        lambda: _answer(flows.send(session, principal, proposal_id, valid_until, clock.now(), mailer), runtime),
        status_code=200,
    )


@router.post("/v1/proposals/{proposal_id}/revise", status_code=201, response_model=ProposalOut)
async def revise_proposal(
    proposal_id: uuid.UUID,
    principal: Writer,
    session: SessionDep,
    idem: IdempotencyDep,
    clock: ClockDep,
    runtime: RuntimeDep,
    body: ProposalUpdate | None = None,
) -> Any:
    return await idem.once(
        principal.tenant_id,
        lambda: _answer(flows.revise(session, principal, proposal_id, body or ProposalUpdate(), clock.now()), runtime),
    )


@router.post("/v1/proposals/{proposal_id}/accept")
async def record_acceptance(
    proposal_id: uuid.UUID,
    body: StaffAcceptRequest,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    runtime: RuntimeDep,
    mailer: MailerDep,
) -> ProposalOut:
    """Staff record a contract signed on paper; the hash covers the document as it stood, with these options.
    The signed copy is mailed to the signer and the MSP, as for an acceptance on the client's page."""
    row = await flows.staff_accept(
        session,
        principal,
        proposal_id,
        signer_name=body.signer_name,
        signer_email=body.signer_email,
        selected=body.selected_options,
        accepted_at=body.accepted_at,
        now=clock.now(),
        mailer=mailer,
    )
    return _public(row, runtime)


@router.get("/v1/proposals/{proposal_id}/document")
async def canonical_document(proposal_id: uuid.UUID, principal: Reader, session: SessionDep) -> Response:
    """The exact bytes whose SHA-256 is `document_sha256` (the accepted document, once accepted)."""
    row = await service.get(session, principal.tenant_id, proposal_id)
    body = (
        row.accepted_document
        if row.accepted_document is not None
        else document.canonical_bytes(document.canonical_document(row, []))
    )
    return Response(body, media_type="application/json")


@router.get(
    "/v1/proposals/{proposal_id}/pdf", response_class=Response, responses={200: {"content": {"application/pdf": {}}}}
)
async def proposal_pdf(
    proposal_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep, request: Request
) -> Response:
    row = await service.get(session, principal.tenant_id, proposal_id)
    view = document.present(row, base_url=runtime.settings.public_base_url)
    return await pdf_response(session, request.app.state.pdf, view, f"proposal-{row.id}-v{row.version}.pdf")


# The preview is a document to look at: its own style only, no script, no form, nothing fetched.
PREVIEW_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


@router.get(
    "/v1/proposals/{proposal_id}/preview",
    response_class=HTMLResponse,
    responses={200: {"content": {"text/html": {}}}},
)
async def proposal_preview(
    proposal_id: uuid.UUID, principal: Reader, session: SessionDep, runtime: RuntimeDep
) -> HTMLResponse:
    """The client's page as the client reads it, in any state (a draft too), without its accept and decline
    forms; it records no `viewed`, so staff may look as often as they like."""
    row = await service.get(session, principal.tenant_id, proposal_id)
    html = render_page(document.present(row, base_url=runtime.settings.public_base_url), mode="preview")
    return HTMLResponse(html, headers={"content-security-policy": PREVIEW_CSP, "cache-control": "no-store"})


@router.get("/v1/pipeline", tags=["pipeline"])
async def pipeline(principal: Reader, session: SessionDep) -> PipelineOut:
    """Open pipeline value, win rate and average time to accept, per currency."""
    return PipelineOut(items=await service.pipeline(session, principal.tenant_id))
