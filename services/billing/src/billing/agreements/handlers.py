"""Events billing consumes from proposals."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import service
from billing.tenants import service as tenants
from vcio_shared.events import CloudEvent


async def handle_proposals_event(session: AsyncSession, event: CloudEvent) -> None:
    if event.type == "vcio.proposals.proposal.accepted":
        await service.activate_from_proposal(session, event.tenantid, event.data, event.id, dt.datetime.now(dt.UTC))
    elif event.type == "vcio.proposals.client.updated":
        await service.update_client(session, event.tenantid, event.data)
    elif event.type == "vcio.proposals.msp_profile.updated":
        await tenants.apply_msp_profile(session, event.tenantid, event.subject, event.data)
