"""Calendar routes: bearer-token feeds under /v1, and tokenised subscribe URLs a calendar app can poll."""

from __future__ import annotations

import os
import uuid
from typing import Any

from fastapi import APIRouter, Request, Response

from scheduler.calendars import service
from scheduler.calendars.schemas import SubscriptionCreate, SubscriptionCreatedOut, SubscriptionOut
from scheduler.deps import Reader, Writer
from vcio_shared.db import SessionDep
from vcio_shared.errors import TooManyRequests
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.ratelimit import RateLimiter
from vcio_shared.runtime import ClockDep, RuntimeDep
from vcio_shared.schemas import Page, PageDep

router = APIRouter(tags=["calendars"])
ICS = "text/calendar; charset=utf-8"
_ICS_RESPONSE: dict[int | str, dict[str, Any]] = {200: {"content": {"text/calendar": {}}}}


@router.get("/v1/calendars/clients/{client_id}.ics", response_class=Response, responses=_ICS_RESPONSE)
async def client_calendar(client_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep) -> Response:
    body = await service.client_calendar(session, principal.tenant_id, client_id, clock.today())
    return Response(body, media_type=ICS)


@router.get("/v1/calendars/staff/{staff_id}.ics", response_class=Response, responses=_ICS_RESPONSE)
async def staff_calendar(staff_id: uuid.UUID, principal: Reader, session: SessionDep, clock: ClockDep) -> Response:
    body = await service.staff_calendar(session, principal.tenant_id, staff_id, clock.today())
    return Response(body, media_type=ICS)


@router.post("/v1/calendars/subscriptions", status_code=201, response_model=SubscriptionCreatedOut)
async def create_subscription(
    body: SubscriptionCreate,
    principal: Writer,
    session: SessionDep,
    clock: ClockDep,
    runtime: RuntimeDep,
    idem: IdempotencyDep,
) -> Any:
    url = runtime.settings.public_base_url
    return await idem.once(principal.tenant_id, lambda: service.subscribe(session, principal, body, url, clock.now()))


@router.get("/v1/calendars/subscriptions")
async def list_subscriptions(principal: Reader, session: SessionDep, page: PageDep) -> Page[SubscriptionOut]:
    return await service.list_subscriptions(session, principal.tenant_id, page)


@router.delete("/v1/calendars/subscriptions/{subscription_id}", status_code=204)
async def revoke_subscription(
    subscription_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep
) -> Response:
    await service.revoke(session, principal, subscription_id, clock.now())
    return Response(status_code=204)


def _feed_limiter(request: Request) -> RateLimiter:
    """One limiter per app (per process), made on first use."""
    state = request.app.state
    if not hasattr(state, "feed_limiter"):
        state.feed_limiter = RateLimiter(limit=int(os.environ.get("SCHEDULER_FEED_RATE_LIMIT", "60")))
    return state.feed_limiter  # type: ignore[no-any-return]


@router.get("/calendars/{token}.ics", response_class=Response, responses=_ICS_RESPONSE)
async def subscribed_calendar(token: str, request: Request, session: SessionDep, clock: ClockDep) -> Response:
    """No bearer token: the unguessable token in the URL is the credential (calendar apps cannot send headers).
    Rate-limited per address, so the token space cannot be walked."""
    address = request.client.host if request.client else "unknown"
    limiter = _feed_limiter(request)
    if not limiter.allow((address,), clock.now()):
        retry = limiter.retry_after((address,), clock.now())
        raise TooManyRequests("too many calendar requests; retry later", headers={"Retry-After": str(retry)})
    body = await service.feed_by_token(session, token, clock.today())
    return Response(body, media_type=ICS, headers={"Cache-Control": "private, max-age=300"})
