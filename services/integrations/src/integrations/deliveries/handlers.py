"""The events this service consumes: every event of the platform, fanned out to the endpoints it concerns."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from integrations.deliveries import service
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.events import CloudEvent, encode


async def handle_event(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """One delivery per matching enabled endpoint, in the inbox row's transaction. The body kept is the
    message's bytes as they came off NATS (`encode` only for an event that was not decoded from one, as in a
    test). The consumer runner calls `(session, event)`; a caller with its own clock passes it."""
    payload = event.raw or encode(event)
    await service.fan_out(session, event.tenantid, event.id, event.type, event.data, payload, clock.now())
