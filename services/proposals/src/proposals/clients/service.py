"""Client rules: create and change, each audited and announced in the same transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from proposals.clients import repository
from proposals.clients.schemas import ClientCreate, ClientOut, ClientUpdate, event_data, public
from vcio_shared import audit, events
from vcio_shared.auth import Principal
from vcio_shared.errors import NotFound, Unprocessable
from vcio_shared.ids import uuid7

SERVICE = "proposals"


async def create(session: AsyncSession, principal: Principal, body: ClientCreate, now: dt.datetime) -> ClientOut:
    values = body.model_dump(mode="json")
    values.update(
        id=uuid7(), tenant_id=principal.tenant_id, tax_rate=Decimal(body.tax_rate), created_at=now, updated_at=now
    )
    row = await repository.insert(session, values)
    data = event_data(row)
    await audit.record(session, principal, "client.created", "client", row.id, data)
    await events.emit(session, SERVICE, "vcio.proposals.client.created", principal.tenant_id, data, subject=str(row.id))
    return public(row)


async def get(session: AsyncSession, tenant_id: str, client_id: uuid.UUID, *, for_update: bool = False) -> Any:
    row = await repository.get(session, tenant_id, client_id, for_update=for_update)
    if row is None:
        raise NotFound("no such client")
    return row


async def update(
    session: AsyncSession, principal: Principal, client_id: uuid.UUID, body: ClientUpdate, now: dt.datetime
) -> Any:
    before = await get(session, principal.tenant_id, client_id, for_update=True)
    changes = body.model_dump(mode="json", exclude_unset=True)
    if any(v is None for v in changes.values()):
        key = next(k for k, v in changes.items() if v is None)
        raise Unprocessable.field(["body", key], "may not be null")
    if "tax_rate" in changes:
        changes["tax_rate"] = Decimal(changes["tax_rate"])
    old = event_data(before)
    if not changes:
        return before
    row = await repository.update(session, principal.tenant_id, client_id, {**changes, "updated_at": now})
    new = event_data(row)
    diff = audit.diff({k: old[k] for k in changes}, {k: new[k] for k in changes})
    if not diff:
        return row
    await audit.record(session, principal, "client.updated", "client", row.id, diff)
    await events.emit(session, SERVICE, "vcio.proposals.client.updated", principal.tenant_id, new, subject=str(row.id))
    return row
