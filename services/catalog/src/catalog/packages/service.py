"""Package rules: validation beyond types, computed figures, versions, publishing, retiring (pricing: pricing.py)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from catalog.packages import bounds, repository, views
from catalog.packages.schemas import (
    PackageCreate,
    PackageOut,
    PackageUpdate,
    StarterCatalogOut,
)
from vcio_shared import audit, events
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
