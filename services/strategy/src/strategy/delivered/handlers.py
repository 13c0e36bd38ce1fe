"""Events strategy consumes from the scheduler: completed activities, for the QBR's delivered work."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.delivered import repository
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.consumers import PoisonEvent
from vcio_shared.events import CloudEvent

COMPLETED = "vcio.scheduler.activity.completed"


async def handle_scheduler_event(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """`activity.completed`: keep the activity (rows are keyed by the event's tenant and the activity's id)."""
    data = event.data
    try:
        given = data.get("hours_spent")
        due = data.get("due_date")
        completed_at = dt.datetime.fromisoformat(str(data["completed_at"]))
        hours = Decimal(str(given)) if given is not None else None
        row: dict[str, Any] = {
            "tenant_id": event.tenantid,
            "id": uuid.UUID(str(data["id"])),
            "client_id": uuid.UUID(str(data["client_id"])),
            "name": str(data["name"]),
            "category": str(data["category"]),
            "role": data.get("role"),
            "due_date": dt.date.fromisoformat(due) if due else None,
            "completed_at": completed_at,
            "outcome": data.get("outcome"),
            "hours_spent": hours,
        }
    except (KeyError, ValueError, TypeError, InvalidOperation) as exc:
        raise PoisonEvent(f"invalid activity: {exc}") from exc
    if completed_at.tzinfo is None:
        raise PoisonEvent("completed_at has no offset")
    if hours is not None and not (hours.is_finite() and 0 <= hours < 10**8):
        raise PoisonEvent(f"invalid hours_spent {hours}")
    await repository.upsert(session, row)
