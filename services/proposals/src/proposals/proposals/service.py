"""Proposal rules for drafts: compose a new one from a package snapshot, edit it, read it, and the pipeline's
figures. What happens after a draft (send, revise, accept, decline, expire) is in flows.py."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.proposals import compose, repository
from proposals.proposals.schemas import PipelineRowOut, ProposalCreate, ProposalUpdate
from vcio_shared import audit, money
from vcio_shared.auth import Principal
from vcio_shared.errors import Conflict, NotFound
from vcio_shared.ids import uuid7


async def get(session: AsyncSession, tenant_id: str, proposal_id: uuid.UUID, *, for_update: bool = False) -> Any:
    row = await repository.get(session, tenant_id, proposal_id, for_update=for_update)
    if row is None:
        raise NotFound("no such proposal")
    return row


async def by_token(session: AsyncSession, token: str, *, for_update: bool = False) -> Any:
    row = await repository.by_token(session, token, for_update=for_update)
    if row is None:
        raise NotFound("no such proposal link")
    return row


async def create(session: AsyncSession, principal: Principal, body: ProposalCreate, now: dt.datetime) -> Any:
    client = await compose.load_client(session, principal.tenant_id, body.client_id)
    pkg = await compose.load_package(session, principal.tenant_id, body.package_id, body.package_version)
    terms = body.model_dump(exclude_none=True)
    values = compose.compose(pkg, client, terms, now)
    row = await repository.insert(
        session,
        {
            **values,
            "id": uuid7(),
            "tenant_id": principal.tenant_id,
            "client_id": client.id,
            "version": 1,
            "status": "draft",
            **await compose.msp_terms(session, principal.tenant_id),
            "created_at": now,
            "updated_at": now,
        },
    )
    await audit.record(
        session, principal, "proposal.created", "proposal", row.id, body.model_dump(mode="json", exclude_none=True)
    )
    return row


async def update_draft(
    session: AsyncSession, principal: Principal, proposal_id: uuid.UUID, body: ProposalUpdate, now: dt.datetime
) -> Any:
    row = await get(session, principal.tenant_id, proposal_id, for_update=True)
    if row.status != "draft":
        raise Conflict(f"a {row.status} proposal never changes; revise it to make a new version")
    values = await compose.recompose(session, principal.tenant_id, row, body, now)
    row = await repository.update(session, principal.tenant_id, row.id, {**values, "updated_at": now})
    await audit.record(
        session, principal, "proposal.updated", "proposal", row.id, body.model_dump(mode="json", exclude_unset=True)
    )
    return row


async def pipeline(session: AsyncSession, tenant_id: str) -> list[PipelineRowOut]:
    out = []
    for r in await repository.pipeline(session, tenant_id):
        decided = r.accepted + r.declined + r.expired
        win = (Decimal(r.accepted * 100) / decided).quantize(Decimal("0.01"), ROUND_HALF_UP) if decided else None
        avg = None if r.avg_seconds is None else int(Decimal(r.avg_seconds).quantize(Decimal(1), ROUND_HALF_UP))
        out.append(
            PipelineRowOut(
                currency=r.currency,
                open_proposals=r.open_proposals,
                open_pipeline_value=money.format(int(r.open_value), r.currency),
                accepted=r.accepted,
                declined=r.declined,
                expired=r.expired,
                won_value=money.format(int(r.won_value), r.currency),
                win_rate_percent=None if win is None else str(win),
                average_time_to_accept_seconds=avg,
                average_days_to_accept=None
                if avg is None
                else str((Decimal(avg) / 86400).quantize(Decimal("0.01"), ROUND_HALF_UP)),
            )
        )
    return out
