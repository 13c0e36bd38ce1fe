"""Consumer `proposals--catalog`: keep our own copy of every published package version."""

from __future__ import annotations

import datetime as dt

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from proposals.catalog import repository
from proposals.catalog.schemas import PackagePublished, PackageRetired
from vcio_shared import cadence, money
from vcio_shared.bus import PoisonEvent
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.events import CloudEvent

PUBLISHED = "vcio.catalog.package.published"
RETIRED = "vcio.catalog.package.retired"


class RetiredBeforePublished(Exception):
    """The retirement of a version we have not seen yet: retried (the publication may still be on its way)."""


async def on_published(session: AsyncSession, event: CloudEvent, now: dt.datetime) -> None:
    try:
        pkg = PackagePublished.model_validate(event.data)
        monthly = money.parse(pkg.monthly_price, pkg.currency)
        onboarding = money.parse(pkg.onboarding_fee or "0", pkg.currency) if pkg.onboarding_fee else 0
    except (ValidationError, money.MoneyError) as exc:
        raise PoisonEvent(f"invalid package payload: {exc}") from exc
    for activity in pkg.activities:
        if not cadence.is_valid(activity.cadence):
            raise PoisonEvent(f"activity {activity.name!r} has an invalid cadence")
    data = pkg.model_dump(mode="json")
    data["onboarding_fee"] = money.format(onboarding, pkg.currency)
    data["monthly_price"] = money.format(monthly, pkg.currency)
    await repository.insert_version(
        session,
        {
            "tenant_id": event.tenantid,
            "package_id": pkg.id,
            "version": pkg.version,
            "name": pkg.name,
            "tier": pkg.tier,
            "currency": pkg.currency,
            "monthly_price_minor": monthly,
            "onboarding_fee_minor": onboarding,
            "billing_cycle": pkg.billing_cycle,
            "term_months": pkg.term_months,
            "data": data,
            "published_at": pkg.published_at,
            "retired_at": None,
            "received_at": now,
        },
    )


async def on_retired(session: AsyncSession, event: CloudEvent) -> None:
    try:
        msg = PackageRetired.model_validate(event.data)
    except ValidationError as exc:
        raise PoisonEvent(f"invalid retirement payload: {exc}") from exc
    at = msg.retired_at or dt.datetime.fromisoformat(event.time)
    if not await repository.exists(session, event.tenantid, msg.package_id, msg.version):
        raise RetiredBeforePublished(f"package {msg.package_id} v{msg.version} is not known yet")
    await repository.retire(session, event.tenantid, msg.package_id, msg.version, at)


async def handle(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """The consumer runner calls `(session, event)`; a caller with its own clock passes it (row timestamps only)."""
    if event.type == PUBLISHED:
        await on_published(session, event, clock.now())
    elif event.type == RETIRED:
        await on_retired(session, event)
    else:
        raise PoisonEvent(f"proposals--catalog does not handle {event.type}")
