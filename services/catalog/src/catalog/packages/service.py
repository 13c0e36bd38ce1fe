"""Package rules: validation beyond types, computed figures, versions, publishing, retiring, pricing."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import uuid
from collections.abc import Callable, Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from dateutil.relativedelta import relativedelta
from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.packages import repository
from catalog.packages.schemas import (
    PackageIn,
    PackageOut,
    PackagePatch,
    PricingIn,
    PricingLine,
    PricingOut,
    StarterCatalogOut,
    parse_amount,
)
from vcio_shared import audit, events, money
from vcio_shared import cadence as cadences
from vcio_shared.auth import Principal
from vcio_shared.clock import Clock
from vcio_shared.errors import Conflict, NotFound, Unprocessable
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

SERVICE = "catalog"
PUBLISHED = "vcio.catalog.package.published"
RETIRED = "vcio.catalog.package.retired"
HOURS = Decimal("0.01")


def _hours(value: Decimal) -> str:
    return str(value.quantize(HOURS, rounding=ROUND_HALF_UP))


def _errors(exc: ValidationError, prefix: Sequence[str | int]) -> Unprocessable:
    errors = [{"loc": [*prefix, *e["loc"]], "msg": e["msg"]} for e in exc.errors()]
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
    return Unprocessable(detail, errors=errors)


# ---------------------------------------------------------------- computed figures


def effort_per_year(
    activities: Sequence[Mapping[str, Any]], term_months: int, *, billable_only: bool = False
) -> dict[str, Decimal]:
    """Hours a year per role: occurrences in the term × effort × 12 ÷ term, rounded half-up per role."""
    totals: dict[str, Decimal] = {}
    for a in activities:
        if billable_only and a["billing_mode"] != "billable":
            continue
        hours = Decimal(a["occurrences_in_term"]) * Decimal(a["effort_hours"]) * 12 / Decimal(term_months)
        totals[a["role"]] = totals.get(a["role"], Decimal(0)) + hours
    return {role: h.quantize(HOURS, rounding=ROUND_HALF_UP) for role, h in totals.items() if h > 0}


# Bounds on the work a package plans, per year of its term (counted, not read off the pattern: see cadence.per_year).
# An activity recurs at most weekly (53 fit in a year); a package plans at most 600 a year across its activities,
# about a dozen weekly ones. Without them 50 daily-equivalent activities planned 91,300 activities per client.
MAX_PER_ACTIVITY_YEAR = 53
MAX_PER_PACKAGE_YEAR = 600


@functools.lru_cache(maxsize=4096)
def _count(text: str, today: dt.date, basis: dt.date, term_months: int) -> tuple[str, tuple[int, ...]] | str:
    """(normalised rule, occurrences in each year of the term), or the reason the cadence is refused."""
    try:
        parsed = cadences.parse(text, today)
        return parsed.rule, tuple(cadences.per_year(parsed, basis, term_months))
    except cadences.CadenceError as exc:
        return f"cadence {exc}"


def _year_label(basis: dt.date, year: int) -> str:
    start = basis + relativedelta(years=year)
    return f"the year from {start.isoformat()}"


def _check_sync(
    body: PackageIn, today: dt.date, prefix: Sequence[str | int] = ("body",)
) -> tuple[dt.date, list[dict[str, Any]]]:
    basis = cadences.schedule_basis(today)
    errors: list[dict[str, Any]] = []
    activities: list[dict[str, Any]] = []
    package_years: list[int] = []
    for i, activity in enumerate(body.activities):
        loc = [*prefix, "activities", i, "cadence"]
        counted = _count(activity.cadence, today, basis, body.term_months)
        if isinstance(counted, str):
            errors.append({"loc": loc, "msg": counted})
            continue
        rule, years = counted
        count = sum(years)
        if count == 0:
            errors.append(
                {
                    "loc": loc,
                    "msg": f"cadence {rule} yields no occurrence in a {body.term_months}-"
                    f"month term starting {basis.isoformat()}",
                }
            )
            continue
        busiest = max(range(len(years)), key=lambda y: years[y])
        if years[busiest] > MAX_PER_ACTIVITY_YEAR:
            errors.append(
                {
                    "loc": loc,
                    "msg": f"activity {activity.name!r}: cadence {rule} happens {years[busiest]} times in "
                    f"{_year_label(basis, busiest)}; an activity recurs at most weekly "
                    f"({MAX_PER_ACTIVITY_YEAR} times a year)",
                }
            )
            continue
        package_years = [a + b for a, b in zip(package_years or [0] * len(years), years, strict=True)]
        activities.append({**activity.model_dump(), "cadence": rule, "occurrences_in_term": count})
    if package_years and max(package_years) > MAX_PER_PACKAGE_YEAR:
        busiest = max(range(len(package_years)), key=lambda y: package_years[y])
        errors.append(
            {
                "loc": [*prefix, "activities"],
                "msg": f"the activities happen {package_years[busiest]} times in {_year_label(basis, busiest)}; "
                f"a package plans at most {MAX_PER_PACKAGE_YEAR} a year",
            }
        )
    if errors:
        detail = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in errors)[:500]
        raise Unprocessable(detail, errors=errors)
    return basis, activities


async def _check(
    body: PackageIn, clock: Clock, prefix: Sequence[str | int] = ("body",)
) -> tuple[dt.date, list[dict[str, Any]]]:
    """The checks types cannot make: each cadence is a valid RRULE, happens at least once in the term and within
    the bounds above.

    A rule that never matches costs a scan of a few centuries (see cadence.py), so the check runs off the
    event loop, and each distinct rule is counted once.
    """
    return await asyncio.to_thread(_check_sync, body, clock.today(), prefix)


def _version_row(body: PackageIn, basis: dt.date, activities: list[dict[str, Any]]) -> dict[str, Any]:
    hours = effort_per_year(activities, body.term_months)
    return {
        "name": body.name,
        "tier": body.tier,
        "description": body.description,
        "currency": body.currency,
        "monthly_price": body.minor("monthly_price"),
        "onboarding_fee": body.minor("onboarding_fee"),
        "billing_cycle": body.billing_cycle,
        "term_months": body.term_months,
        "effort_hours_per_year": {role: str(h) for role, h in sorted(hours.items())},
        "schedule_basis_start": basis,
    }


def _activity_rows(
    tenant_id: str, package_id: uuid.UUID, version: int, activities: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    return [
        {
            **a,
            "id": uuid7(),
            "tenant_id": tenant_id,
            "package_id": package_id,
            "package_version": version,
            "position": i,
        }
        for i, a in enumerate(activities)
    ]


def to_out(row: Mapping[Any, Any], activities: Sequence[Mapping[Any, Any]]) -> PackageOut:
    currency, term = row["currency"], row["term_months"]
    hours = row["effort_hours_per_year"]
    return PackageOut.model_validate(
        {
            "id": row["id"],
            "version": row["version"],
            "latest_version": row["latest_version"],
            "status": row["status"],
            "name": row["name"],
            "tier": row["tier"],
            "description": row["description"],
            "currency": currency,
            "monthly_price": money.format(row["monthly_price"], currency),
            "billing_cycle": row["billing_cycle"],
            "term_months": term,
            "onboarding_fee": money.format(row["onboarding_fee"], currency),
            "contract_value": money.format(row["monthly_price"] * term + row["onboarding_fee"], currency),
            "effort_hours_per_year": hours,
            "total_effort_hours_per_year": _hours(sum((Decimal(h) for h in hours.values()), Decimal(0))),
            "schedule_basis_start": row["schedule_basis_start"],
            # plain dicts: pydantic-core validates the whole version at once, faster than a model per activity
            "activities": [
                {
                    "name": a["name"],
                    "category": a["category"],
                    "track": a["track"],
                    "billing_mode": a["billing_mode"],
                    "cadence": a["cadence"],
                    "role": a["role"],
                    "effort_hours": _hours(Decimal(a["effort_hours"])),
                    "deliverable": a["deliverable"],
                    "occurrences_in_term": a["occurrences_in_term"],
                    "hours_per_year": _hours(
                        Decimal(a["occurrences_in_term"]) * Decimal(a["effort_hours"]) * 12 / term
                    ),
                }
                for a in activities
            ],
            "created_at": row["created_at"],
            "updated_at": row["updated_at"],
            "published_at": row["published_at"],
            "retired_at": row["retired_at"],
        }
    )


def published_event_data(package: PackageOut) -> dict[str, Any]:
    """The whole version, as docs/events.md lists it (plus the effort figures); nothing that changes later."""
    return package.model_dump(mode="json", exclude={"latest_version", "retired_at", "updated_at"})


async def _load(session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None = None) -> PackageOut:
    row = await repository.get_version(session, tenant_id, package_id, version)
    if row is None:
        what = "package" if version is None else f"version {version} of this package"
        raise NotFound(f"no such {what}")
    activities = await repository.activities_of(session, tenant_id, [(row["id"], row["version"])])
    return to_out(row, activities[(row["id"], row["version"])])


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
    return page_of([to_out(r, activities[(r["id"], r["version"])]) for r in rows], page.limit)


# ---------------------------------------------------------------- writes


async def create_package(
    session: AsyncSession,
    principal: Principal,
    clock: Clock,
    body: PackageIn,
    *,
    status: str = "draft",
    starter_key: str | None = None,
) -> PackageOut:
    basis, activities = await _check(body, clock)
    now = clock.now()
    package_id = uuid7()
    row = {
        **_version_row(body, basis, activities),
        "id": package_id,
        "version": 1,
        "tenant_id": principal.tenant_id,
        "status": status,
        "starter_key": starter_key,
        "created_at": now,
        "updated_at": now,
        "published_at": now if status == "published" else None,
    }
    await repository.insert_version(session, row, _activity_rows(principal.tenant_id, package_id, 1, activities))
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
    build: Callable[[PackageOut], PackageIn],
) -> PackageOut:
    """Edit a draft in place; editing a published version opens draft N+1; a retired package is closed."""
    tenant = principal.tenant_id
    await repository.lock_package(session, package_id)
    current = await _load(session, tenant, package_id)
    if current.status == "retired":
        raise Conflict("this package is retired and can no longer be edited")
    body = build(current)
    basis, activities = await _check(body, clock)
    values = _version_row(body, basis, activities)
    now = clock.now()
    before = published_event_data(current)
    if current.status == "draft":
        version = current.version
        await repository.replace_draft(
            session,
            tenant,
            package_id,
            version,
            {**values, "updated_at": now},
            _activity_rows(tenant, package_id, version, activities),
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
        await repository.insert_version(session, row, _activity_rows(tenant, package_id, version, activities))
        action = "package.draft_created"
    package = await _load(session, tenant, package_id)
    after = published_event_data(package)
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
    session: AsyncSession, principal: Principal, clock: Clock, package_id: uuid.UUID, body: PackageIn
) -> PackageOut:
    return await _edit(session, principal, clock, package_id, lambda _: body)


async def patch_package(
    session: AsyncSession, principal: Principal, clock: Clock, package_id: uuid.UUID, patch: PackagePatch
) -> PackageOut:
    def build(current: PackageOut) -> PackageIn:
        merged = {**_as_input(current), **patch.model_dump(exclude_unset=True)}
        try:
            return PackageIn.model_validate(merged)
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
        draft = PackageIn.model_validate(_as_input(current))
    except ValidationError as exc:
        raise _errors(exc, []) from exc
    await _check(draft, clock, prefix=())
    await repository.mark_published(session, tenant, package_id, current.version, clock.now())
    package = await _load(session, tenant, package_id)
    await audit.record(session, principal, "package.published", "package", package_id, {"version": package.version})
    await _announce_published(session, principal, package)
    return package


async def _announce_published(session: AsyncSession, principal: Principal, package: PackageOut) -> None:
    await events.emit(
        session, SERVICE, PUBLISHED, principal.tenant_id, published_event_data(package), subject=str(package.id)
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
    session: AsyncSession, tenant_id: str, package_id: uuid.UUID, version: int | None, body: PricingIn
) -> PricingOut:
    """Suggested monthly price from effort: Σ per role (hours a year × rate, rounded once) ÷ 12, rounded once."""
    package = await _load(session, tenant_id, package_id, version)
    currency = package.currency
    hours = effort_per_year(
        [a.model_dump() for a in package.activities], package.term_months, billable_only=body.billable_only
    )
    errors: list[dict[str, Any]] = []
    rates: dict[str, int] = {}
    for rated, text in body.rates.items():
        try:
            rates[rated] = parse_amount(text, currency)
        except ValueError as exc:
            errors.append({"loc": ["body", "rates", rated], "msg": str(exc)})
    for role in hours:
        if role not in body.rates:
            errors.append(
                {
                    "loc": ["body", "rates", role],
                    "msg": f"no rate for {role}, who spends {hours[role]} hours a year on this package",
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
            PricingLine(
                role=role,
                hours_per_year=str(hours[role]),
                rate=money.format(rates[role], currency),
                annual_amount=money.format(amount, currency),
            )
        )
    suggested = money.prorate(annual, 1, 12)
    list_price = money.parse(package.monthly_price, currency)
    margin = list_price - suggested
    percent = None
    if list_price > 0:
        percent = str((Decimal(margin) * 100 / Decimal(list_price)).quantize(HOURS, rounding=ROUND_HALF_UP))
    return PricingOut(
        package_id=package.id,
        version=package.version,
        currency=currency,
        billable_only=body.billable_only,
        lines=lines,
        hours_per_year=_hours(sum(hours.values(), Decimal(0))),
        annual_effort_amount=money.format(annual, currency),
        suggested_monthly_price=money.format(suggested, currency),
        list_monthly_price=package.monthly_price,
        margin=money.format(margin, currency),
        margin_percent=percent,
    )


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
