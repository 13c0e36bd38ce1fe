"""Package routes (thin: parse, call the service, shape the answer)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from catalog.deps import Reader, Writer
from catalog.packages import pricing, service
from catalog.packages.schemas import (
    Category,
    PackageCreate,
    PackageOut,
    PackageUpdate,
    PricingOut,
    PricingRequest,
    QuoteOut,
    QuoteRequest,
    StarterCatalogOut,
    Status,
)
from vcio_shared import money
from vcio_shared.db import SessionDep
from vcio_shared.errors import Unprocessable
from vcio_shared.idempotency import IdempotencyDep
from vcio_shared.runtime import ClockDep
from vcio_shared.schemas import Currency, Page, PageDep

router = APIRouter(prefix="/v1/packages", tags=["packages"])
starter_router = APIRouter(prefix="/v1/starter-catalog", tags=["packages"])

# the long form of vcio_shared.auth.scoped(...), which mypy can read as a type
VersionQuery = Annotated[int | None, Query(ge=1, le=1_000_000, description="an older version; default the latest")]


@router.post("", status_code=201, response_model=PackageOut)
async def create_package(
    body: PackageCreate, principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> object:
    return await idem.once(principal.tenant_id, lambda: service.create_package(session, principal, clock, body))


@router.post("/quote")
async def quote_package(body: QuoteRequest, principal: Reader, session: SessionDep, clock: ClockDep) -> QuoteOut:
    """The figures of a package being edited, stored nowhere: its cadences checked as a draft's, its effort and
    contract value, and the monthly price its effort suggests at the rates given (as /{id}/pricing prices a
    stored version; without rates, at the tenant's saved ones)."""
    return await pricing.quote(session, principal.tenant_id, clock, body)


@router.get("", response_model=Page[PackageOut])
async def list_packages(
    principal: Reader,
    session: SessionDep,
    page: PageDep,
    status: Status | None = None,
    tier: Annotated[str | None, Query(min_length=1, max_length=50)] = None,
    category: Category | None = None,
    currency: Annotated[Currency | None, Query()] = None,
) -> Response:
    if currency is not None and currency not in money.CURRENCY_DIGITS:
        raise Unprocessable.field(["query", "currency"], f"unknown ISO 4217 currency {currency!r}")
    if tier is not None and "\x00" in tier:
        raise Unprocessable.field(["query", "tier"], "must not contain NUL characters")
    result = await service.list_packages(
        session, principal.tenant_id, page, status=status, tier=tier, currency=currency, category=category
    )
    # already a checked Page[PackageOut]: serialise it once, without FastAPI validating it again
    return Response(result.model_dump_json(), media_type="application/json")


@router.get("/{package_id}")
async def get_package(
    package_id: uuid.UUID, principal: Reader, session: SessionDep, version: VersionQuery = None
) -> PackageOut:
    return await service.get_package(session, principal.tenant_id, package_id, version)


@router.put("/{package_id}")
async def replace_package(
    package_id: uuid.UUID, body: PackageCreate, principal: Writer, session: SessionDep, clock: ClockDep
) -> PackageOut:
    return await service.replace_package(session, principal, clock, package_id, body)


@router.patch("/{package_id}")
async def patch_package(
    package_id: uuid.UUID, body: PackageUpdate, principal: Writer, session: SessionDep, clock: ClockDep
) -> PackageOut:
    return await service.patch_package(session, principal, clock, package_id, body)


@router.post("/{package_id}/publish")
async def publish_package(package_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep) -> PackageOut:
    return await service.publish(session, principal, clock, package_id)


@router.post("/{package_id}/retire")
async def retire_package(package_id: uuid.UUID, principal: Writer, session: SessionDep, clock: ClockDep) -> PackageOut:
    return await service.retire(session, principal, clock, package_id)


@router.post("/{package_id}/pricing")
async def price_package(
    package_id: uuid.UUID, body: PricingRequest, principal: Reader, session: SessionDep, version: VersionQuery = None
) -> PricingOut:
    """Suggested monthly price from effort and hourly rates per role; changes nothing."""
    return await pricing.price(session, principal.tenant_id, package_id, version, body)


@starter_router.post("", responses={200: {"model": StarterCatalogOut}, 201: {"model": StarterCatalogOut}})
async def load_starter_catalog(
    principal: Writer, session: SessionDep, clock: ClockDep, idem: IdempotencyDep
) -> JSONResponse:
    """Load the three starter tiers (published). Loading again changes nothing: 201 when loaded, else 200."""
    if (replayed := await idem.replay(principal.tenant_id)) is not None:
        return replayed
    result = await service.load_starter_catalog(session, principal, clock)
    status = 201 if result.created else 200
    body = await idem.remember(status, result.model_dump(mode="json"))
    return JSONResponse(body, status_code=status)
