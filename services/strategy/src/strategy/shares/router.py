"""Share links: the roadmap's (made and revoked with a bearer token), and the public pages they open.

`GET /s/{token}` and `GET /s/{token}/pdf` need no login: the unguessable token is the key. They are rate-limited
per link and address and per address, and answer a revoked, unknown or malformed token alike (404)."""

from __future__ import annotations

import os
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy.ext.asyncio import AsyncSession

from strategy.clients import service as clients
from strategy.deps import Writer
from strategy.shares import pages, render, service
from strategy.shares.schemas import ShareOut
from vcio_shared.clock import Clock
from vcio_shared.db import SessionDep
from vcio_shared.documents import pdf_response
from vcio_shared.errors import NotFound, TooManyRequests
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.ratelimit import RateLimiter
from vcio_shared.runtime import ClockDep, RuntimeDep

router = APIRouter(tags=["share links"])
PER_ADDRESS_FACTOR = 5
_PDF: dict[int | str, dict[str, Any]] = {200: {"content": {"application/pdf": {}}}}


@router.post("/v1/clients/{client_id}/roadmap/share", status_code=201, response_model=ShareOut)
async def share_roadmap(
    client_id: uuid.UUID,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    runtime: RuntimeDep,
    idem: IdempotencyDep,
) -> Any:
    """A link that shows the client its roadmap (HTML and PDF, live); a new link replaces the live one."""

    async def make() -> dict[str, Any]:
        await clients.known(session, principal.tenant_id, client_id)
        base = runtime.settings.public_base_url
        return await service.share(session, principal, "roadmap", client_id, base, clock.now())

    return await idem.once(principal.tenant_id, make)


@router.delete("/v1/clients/{client_id}/roadmap/share", status_code=204)
async def revoke_roadmap_share(
    client_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    await service.revoke(session, principal, "roadmap", client_id, clock.now())
    return Response(status_code=204)


def _limiter(request: Request) -> RateLimiter:
    """One limiter per app (per process), made on first use."""
    state = request.app.state
    if not hasattr(state, "share_limiter"):
        state.share_limiter = RateLimiter(limit=int(os.environ.get("STRATEGY_SHARE_RATE_LIMIT", "60")))
    return state.share_limiter  # type: ignore[no-any-return]


def _guard(request: Request, token: str, clock: Clock) -> None:
    limiter = _limiter(request)
    ip = request.client.host if request.client else "unknown"
    now = clock.now()
    for key, limit in (((ip, token), limiter.limit), ((ip,), limiter.limit * PER_ADDRESS_FACTOR)):
        if not limiter.allow(key, now, limit):
            raise TooManyRequests(
                "too many requests for this link; try again shortly",
                headers={"Retry-After": str(limiter.retry_after(key, now))},
            )


def _nonce(request: Request) -> str:
    return getattr(request.state, "csp_nonce", "")


async def _document(session: AsyncSession, token: str, clock: Clock) -> render.Document:
    return await pages.document(session, await service.resolve(session, token), clock.now())


@router.get("/s/{token}", response_class=HTMLResponse)
async def shared_page(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    _guard(request, token, clock)
    try:
        doc = await _document(session, token, clock)
    except NotFound as exc:
        html = render.render("notice.html", nonce=_nonce(request), title="Link not found", message=exc.detail)
        return HTMLResponse(html, status_code=404)
    return HTMLResponse(render.render(doc.template, nonce=_nonce(request), **doc.context))


@router.get("/s/{token}/pdf", response_class=Response, responses=_PDF)
async def shared_pdf(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    _guard(request, token, clock)
    doc = await _document(session, token, clock)
    html = render.render(doc.template, mode="pdf", **doc.context)
    return await pdf_response(session, request.app.state.pdf, html, doc.filename)
