"""Events strategy consumes from proposals: the clients' names and currencies."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from strategy.clients import repository
from vcio_shared.clock import SYSTEM_CLOCK, Clock
from vcio_shared.consumers import PoisonEvent
from vcio_shared.events import CloudEvent
from vcio_shared.money import CURRENCY_DIGITS


async def handle_proposals_event(session: AsyncSession, event: CloudEvent, clock: Clock = SYSTEM_CLOCK) -> None:
    """`client.created` / `.updated`: keep the client's name and currency (rows are keyed by tenant and id, so an
    event of one tenant never touches another's)."""
    data = event.data
    try:
        client_id = uuid.UUID(str(data["id"]))
        name = str(data["name"])
        currency = data.get("currency")
    except (KeyError, ValueError, TypeError) as exc:
        raise PoisonEvent(f"invalid client: {exc}") from exc
    if currency is not None and currency not in CURRENCY_DIGITS:
        raise PoisonEvent(f"invalid client currency {currency!r}")
    values = {"tenant_id": event.tenantid, "id": client_id, "name": name, "currency": currency}
    await repository.upsert(session, {**values, "updated_at": clock.now()})
