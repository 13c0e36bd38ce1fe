"""The events this service consumes: every event of the platform, fanned out to the endpoints it concerns."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from integrations.deliveries import service
from integrations.deliveries.sender import wake_senders
from vcio_shared.consumers import current_payload
from vcio_shared.events import CloudEvent, encode


async def handle_event(session: AsyncSession, event: CloudEvent) -> None:
    """One delivery per matching enabled endpoint, in the inbox row's transaction. The body kept is the
    message's bytes as they came off NATS (`encode` only for a caller that has no message, as a test)."""
    payload = current_payload.get() or encode(event)
    now = dt.datetime.now(dt.UTC)
    if await service.fan_out(session, event.tenantid, event.id, event.type, event.data, payload, now):
        sa.event.listen(session.sync_session, "after_commit", lambda _: wake_senders(), once=True)
