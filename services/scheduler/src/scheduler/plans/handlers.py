"""The `scheduler--billing` consumer: agreements become plans. Each handler runs in one transaction with its
inbox row, so a redelivered event changes nothing."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from scheduler.plans import service
from vcio_shared.bus import PoisonEvent
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.events import CloudEvent


async def handle_billing_event(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """The consumer runner calls `(session, event)`; a caller with its own clock passes it (row timestamps only)."""
    now = clock.now()
    try:
        if event.type == "vcio.billing.agreement.activated":
            await service.on_activated(session, event.tenantid, event.data, now)
        elif event.type == "vcio.billing.agreement.changed":
            await service.on_changed(session, event.tenantid, event.data, now)
        elif event.type == "vcio.billing.agreement.renewed":
            await service.on_renewed(session, event.tenantid, event.data, now)
        elif event.type == "vcio.billing.agreement.cancelled":
            await service.on_cancelled(session, event.tenantid, event.data, now)
        else:
            raise PoisonEvent(f"scheduler--billing does not handle {event.type}")
    except service.PlanningError as exc:
        raise PoisonEvent(str(exc)) from exc
