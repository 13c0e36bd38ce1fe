"""Package rules: validation beyond types, computed figures, versions, publishing, retiring, pricing."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.packages import bounds, repository, views
from catalog.packages.schemas import (
    PackageCreate,
    PackageOut,
    PackageUpdate,
    PricingLineOut,
    PricingOut,
    PricingRequest,
    QuoteActivityOut,
    QuoteOut,
    QuoteRequest,
    StarterCatalogOut,
    parse_amount,
)
from catalog.tenants import service as tenant_service
from vcio_shared import audit, events, money
from vcio_shared.auth import Principal
from vcio_shared.clock import Clock
from vcio_shared.errors import Conflict, NotFound, Unprocessable
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "catalog"
PUBLISHED = "vcio.catalog.package.published"
RETIRED = "vcio.catalog.package.retired"


def _errors(exc: ValidationError, prefix: Sequence[str | int]) -> Unprocessable:
    errors = [{"loc": [*prefix, *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
    return Unprocessable(detail, errors=errors)


async def _load(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None = None) -> PackageOut:
    row = await repository.get_version(session, tenant_id, package_id, version)
    if row is None:
        what = "package" if version is None else f"version {version} of this package"
        raise NotFound(f"no such {what}")
    activities = await repository.activities_of(session, tenant_id, [(row["id"], row["version"])])
    return views.to_out(row, activities[(row["id"], row["version"])])


# ---------------------------------------------------------------- reads


async def get_package(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None) -> PackageOut:
    return await _load(session, tenant_id, package_id, version)


async def list_packages(
    session: AsyncSession,
    tenant_id: str,
    page: PageParams,
    *,
    status: str | None,
    tier: str | None,
    currency: str | None,
    category: str | None,
) -> Page[PackageOut]:
    rows = await repository.list_latest(
        session,
        tenant_id,
        status=status,
        tier=tier,
        currency=currency,
        category=category,
        after=page.after,
        limit=page.limit + 1,
    )
    keys = [(r["id"], r["version"]) for r in rows]
    activities = await repository.activities_of(session, tenant_id, keys)
    return page_of([views.to_out(r, activities[(r["id"], r["version"])]) for r in rows], page.limit)


# ---------------------------------------------------------------- writes


async def create_package(
    session: AsyncSession,
    principal: Principal,
    clock: Clock,
    body: PackageCreate,
    *,
    status: str = "draft",
    starter_key: str | None = None,
) -> PackageOut:
    basis, activities = await bounds.check(body, clock)
    now = clock.now()
    package_id = uuid7()
    row = {
        **views.version_row(body, basis, activities),
        "id": package_id,
        "version": 1,
        "tenant_id": principal.tenant_id,
        "status": status,
        "starter_key": starter_key,
        "created_at": now,
        "updated_at": now,
        "published_at": now if status == "published" else None,
    }
    await repository.insert_version(session, row, views.activity_rows(principal.tenant_id, package_id, 1, activities))
    package = await _load(session, principal.tenant_id, package_id)
    await audit.record(
        session,
        principal,
        "package.created",
        "package",
        package_id,
        {"version": 1, "name": body.name, "status": status},
    )
    if status == "published":
        await _announce_published(session, principal, package)
    return package


async def _edit(
    session: AsyncSession,
    principal: Principal,
    clock: Clock,
    package_id: uuid.UUID,
    build: Callable[[PackageOut], PackageCreate],
) -> PackageOut:
    """Edit a draft in place; editing a published version opens draft N+1; a retired package is closed."""
    tenant = principal.tenant_id
    await repository.lock_package(session, package_id)
    current = await _load(session, tenant, package_id)
    if current.status == "retired":
        raise Conflict("this package is retired and can no longer be edited")
    body = build(current)
    basis, activities = await bounds.check(body, clock)
    values = views.version_row(body, basis, activities)
    now = clock.now()
    before = views.published_event_data(current)
    if current.status == "draft":
        version = current.version
        await repository.replace_draft(
            session,
            tenant,
            package_id,
            version,
            {**values, "updated_at": now},
            views.activity_rows(tenant, package_id, version, activities),
        )
        action = "package.updated"
    else:
        version = current.version + 1
        row = {
            **values,
            "id": package_id,
            "version": version,
            "tenant_id": tenant,
            "status": "draft",
            "starter_key": None,
            "created_at": now,
            "updated_at": now,
            "published_at": None,
        }
        await repository.insert_version(session, row, views.activity_rows(tenant, package_id, version, activities))
        action = "package.draft_created"
    package = await _load(session, tenant, package_id)
    after = views.published_event_data(package)
    changes = audit.diff(
        {k: v for k, v in before.items() if k not in ("status", "version", "published_at")},
        {k: v for k, v in after.items() if k not in ("status", "version", "published_at")},
    )
    await audit.record(session, principal, action, "package", package_id, {"version": version, **changes})
    return package


def _as_input(package: PackageOut) -> dict[str, Any]:
    return {
        "name": package.name,
        "tier": package.tier,
        "description": package.description,
        "currency": package.currency,
        "monthly_price": package.monthly_price,
        "billing_cycle": package.billing_cycle,
        "term_months": package.term_months,
        "onboarding_fee": package.onboarding_fee,
        "activities": [
            a.model_dump(
                include={"name", "category", "track", "billing_mode", "cadence", "role", "effort_hours", "deliverable"}
            )
            for a in package.activities
        ],
    }


async def replace_package(
    session: AsyncSession, principal: Principal, clock: Clock, package_id: uuid.UUID, body: PackageCreate
) -> PackageOut:
    return await _edit(session, principal, clock, package_id, lambda _: body)


async def patch_package(
    session: AsyncSession, principal: Principal, clock: Clock, package_id: uuid.UUID, patch: PackageUpdate
) -> PackageOut:
    def build(current: PackageOut) -> PackageCreate:
        merged = {**_as_input(current), **patch.model_dump(exclude_unset=True)}
        try:
            return PackageCreate.model_validate(merged)
        except ValidationError as exc:
            raise _errors(exc, ["body"]) from exc

    return await _edit(session, principal, clock, package_id, build)


async def publish(session: AsyncSession, principal: Principal, clock: Clock, package_id: uuid.UUID) -> PackageOut:
    tenant = principal.tenant_id
    await repository.lock_package(session, package_id)
    current = await _load(session, tenant, package_id)
    if current.status == "published":
        raise Conflict(f"version {current.version} is already published; edit the package to open a new draft")
    if current.status == "retired":
        raise Conflict("this package is retired and cannot be published")
    # a draft stored before the bounds existed must not reach proposals: publishing checks the cadences again
    try:
        draft = PackageCreate.model_validate(_as_input(current))
    except ValidationError as exc:
        raise _errors(exc, []) from exc
    await bounds.check(draft, clock, prefix=())
    await repository.mark_published(session, tenant, package_id, current.version, clock.now())
    package = await _load(session, tenant, package_id)
    await audit.record(session, principal, "package.published", "package", package_id, {"version": package.version})
    await _announce_published(session, principal, package)
    return package


async def _announce_published(session: AsyncSession, principal: Principal, package: PackageOut) -> None:
    await events.emit(
        session, SERVICE, PUBLISHED, principal.tenant_id, views.published_event_data(package), subject=str(package.id)
    )


async def retire(session: AsyncSession, principal: Principal, clock: Clock, package_id: uuid.UUID) -> PackageOut:
    tenant = principal.tenant_id
    await repository.lock_package(session, package_id)
    current = await _load(session, tenant, package_id)
    if current.status == "retired":
        raise Conflict("this package is already retired")
    versions = await repository.published_versions(session, tenant, package_id)
    if not versions:
        raise Conflict("this package was never published, so there is nothing to retire")
    now = clock.now()
    await repository.mark_retired(session, tenant, package_id, now)
    await audit.record(session, principal, "package.retired", "package", package_id, {"versions": versions})
    # one event per published version: a consumer that keeps versions (proposals) retires each one it holds
    await events.emit_many(
        session,
        [
            events.build(
                SERVICE,
                RETIRED,
                tenant,
                {
                    "package_id": str(package_id),
                    "version": version,
                    "versions": versions,
                    "retired_at": now.isoformat(),
                },
                subject=str(package_id),
            )
            for version in versions
        ],
    )
    return await _load(session, tenant, package_id)


# ---------------------------------------------------------------- pricing


async def price(
    session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None, body: PricingRequest
) -> PricingOut:
    """Suggested monthly price of a stored version from its effort and the rates."""
    package = await _load(session, tenant_id, package_id, version)
    activities = [a.model_dump() for a in package.activities]
    rates = await _rates(session, tenant_id, package.currency, body.rates)
    suggestion = _suggest(activities, package.term_months, package.currency, package.monthly_price, rates, body)
    return PricingOut(package_id=package.id, version=package.version, **suggestion)


async def quote(session: AsyncSession, tenant_id: str, clock: Clock, body: QuoteRequest) -> QuoteOut:
    """The figures of a package as it is being edited, stored nowhere: its cadences checked as a draft's are,
    its effort, contract value and the price its effort suggests (the same rules as a stored version's)."""
    draft = body.package
    basis, activities = await bounds.check(draft, clock, prefix=("body", "package"))
    row = views.version_row(draft, basis, activities)
    rates = await _rates(session, tenant_id, draft.currency, body.rates)
    suggestion = _suggest(activities, draft.term_months, draft.currency, draft.monthly_price, rates, body)
    contract = row["monthly_price"] * draft.term_months + row["onboarding_fee"]
    return QuoteOut(
        **suggestion,
        contract_value=money.format(contract, draft.currency),
        effort_hours_per_year=row["effort_hours_per_year"],
        schedule_basis_start=basis,
        activities=[
            QuoteActivityOut(
                name=a["name"],
                cadence=a["cadence"],
                occurrences_in_term=a["occurrences_in_term"],
                hours_per_year=views.hours_text(
                    Decimal(a["occurrences_in_term"]) * Decimal(a["effort_hours"]) * 12 / draft.term_months
                ),
            )
            for a in activities
        ],
    )


async def _rates(
    session: AsyncSession, tenant_id: str, currency: str, given: dict[str, str] | None
) -> tuple[dict[str, str], bool]:
    """The rates to price at: those the request gives, else the tenant's saved ones in the currency (no merging:
    given rates are the whole set). Second: whether they came from the settings."""
    if given is not None:
        return given, False
    saved = await tenant_service.rates_for(session, tenant_id, currency)
    if not saved:
        raise Unprocessable.field(
            ["body", "rates"], f"no rates given, and none saved for {currency} (PUT /v1/settings hourly_rates)"
        )
    return saved, True


def _suggest(
    activities: list[dict[str, Any]],
    term_months: int,
    currency: str,
    monthly_price: str,
    given: tuple[dict[str, str], bool],
    body: PricingRequest | QuoteRequest,
) -> dict[str, Any]:
    """Suggested monthly price from effort: Σ per role (hours a year × rate, rounded once) ÷ 12, rounded once."""
    hours = views.effort_per_year(activities, term_months, billable_only=body.billable_only)
    texts, saved = given
    errors: list[dict[str, Any]] = []
    rates: dict[str, int] = {}
    for rated, text in texts.items():
        try:
            rates[rated] = parse_amount(text, currency)
        except ValueError as exc:
            errors.append({"loc": ["body", "rates", rated], "msg": str(exc)})
    for role in hours:
        if role not in texts:
            where = f"the rates saved for {currency} (PUT /v1/settings)" if saved else "the rates given"
            errors.append(
                {
                    "loc": ["body", "rates", role],
                    "msg": f"no rate for {role} in {where}, who spends {hours[role]} hours a year on this package",
                }
            )
    if errors:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
        raise Unprocessable(detail, errors=errors)
    lines = []
    annual = 0
    for role in sorted(hours):
        amount = money.round_half_up(hours[role] * rates[role])
        annual += amount
        lines.append(
            PricingLineOut(
                role=role,
                hours_per_year=str(hours[role]),
                rate=money.format(rates[role], currency),
                annual_amount=money.format(amount, currency),
            )
        )
    suggested = money.prorate(annual, 1, 12)
    list_price = money.parse(monthly_price, currency)
    margin = list_price - suggested
    percent = None
    if list_price > 0:
        percent = str((Decimal(margin) * 100 / Decimal(list_price)).quantize(views.HOURS, rounding=ROUND_HALF_UP))
    return {
        "currency": currency,
        "billable_only": body.billable_only,
        "lines": lines,
        "hours_per_year": views.hours_text(sum(hours.values(), Decimal(0))),
        "annual_effort_amount": money.format(annual, currency),
        "suggested_monthly_price": money.format(suggested, currency),
        "list_monthly_price": money.format(list_price, currency),
        "margin": money.format(margin, currency),
        "margin_percent": percent,
    }


# ---------------------------------------------------------------- starter catalog


async def load_starter_catalog(session: AsyncSession, principal: Principal, clock: Clock) -> StarterCatalogOut:
    """Load the three starter tiers, published; a tier the tenant already has is left alone."""
    from catalog.packages.starter import STARTER_PACKAGES

    tenant = principal.tenant_id
    await repository.lock_starter_catalog(session, tenant)
    existing = await repository.starter_packages(session, tenant)
    created = 0
    packages = []
    for key, body in STARTER_PACKAGES:
        if key in existing:
            packages.append(await _load(session, tenant, existing[key]))
            continue
        packages.append(await create_package(session, principal, clock, body, status="published", starter_key=key))
        created += 1
    return StarterCatalogOut(created=created, packages=packages)
