"""Events billing consumes from proposals."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import activation
from billing.tenants import service as tenants
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.events import CloudEvent


async def handle_proposals_event(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """The consumer runner calls `(session, event)`; a caller with its own clock passes it (row timestamps only)."""
    if event.type == "vcio.proposals.proposal.accepted":
        await activation.activate_from_proposal(session, event.tenantid, event.data, event.id, clock.now())
    elif event.type == "vcio.proposals.client.updated":
        await activation.update_client(session, event.tenantid, event.data)
    elif event.type == "vcio.proposals.msp_profile.updated":
        await tenants.apply_msp_profile(session, event.tenantid, event.subject, event.data)
