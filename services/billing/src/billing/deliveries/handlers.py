"""`vcio.scheduler.activity.completed` → the value delivered, shown on the client's next invoice."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation

from pydantic import BaseModel, ConfigDict
from sqlalchemy.ext.asyncio import AsyncSession

from billing.agreements import repository as agreements_repo
from billing.deliveries import repository as repo
from vcio_shared.bus import PoisonEvent
from vcio_shared.events import CloudEvent


class CompletedActivity(BaseModel):
    model_config = ConfigDict(extra="ignore")
    id: uuid.UUID
    agreement_id: uuid.UUID
    client_id: uuid.UUID
    name: str
    category: str = ""
    track: str = ""
    billing_mode: str = "included"
    role: str = ""
    due_date: dt.date | None = None
    completed_at: dt.datetime
    outcome: str | None = ""
    hours_spent: str | None = "0"


async def handle_activity_completed(session: AsyncSession, event: CloudEvent) -> None:
    a = CompletedActivity.model_validate(event.data)
    tenant = event.tenantid
    agreement = await agreements_repo.get(session, tenant, a.agreement_id)
    if agreement is None or agreement["client_id"] != a.client_id:
        raise PoisonEvent("the activity's agreement or client is not this tenant's")
    owner = await repo.owner(session, a.id)
    if owner is not None and owner != tenant:
        raise PoisonEvent("the activity belongs to another tenant")
    try:
        hours = Decimal(a.hours_spent or "0")
    except InvalidOperation as exc:
        raise PoisonEvent("hours_spent is not a decimal") from exc
    if not hours.is_finite() or hours < 0 or hours > 10_000:
        raise PoisonEvent("hours_spent out of range")
    completed_at = a.completed_at if a.completed_at.tzinfo else a.completed_at.replace(tzinfo=dt.UTC)
    await repo.upsert(
        session,
        {
            "id": a.id,
            "tenant_id": tenant,
            "agreement_id": a.agreement_id,
            "client_id": a.client_id,
            "name": a.name,
            "category": a.category,
            "track": a.track,
            "billing_mode": a.billing_mode,
            "role": a.role,
            "due_date": a.due_date,
            "completed_at": completed_at,
            "completed_on": completed_at.date(),
            "outcome": a.outcome or "",
            "hours_spent": str(hours),
        },
    )
