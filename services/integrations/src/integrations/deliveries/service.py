"""The rules of deliveries: one per matching endpoint and event, the retry schedule, and what an answer does."""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from integrations.deliveries import repository as repo
from integrations.deliveries.matching import concerns
from integrations.deliveries.schemas import DeliveryOut
from integrations.endpoints import repository as endpoints_repo
from integrations.endpoints import service as endpoints
from vcio_shared import errors
from vcio_shared.events import CloudEvent, encode
from vcio_shared.ids import uuid7
from vcio_shared.schemas import Page, PageParams, page_of

PING = "vcio.integrations.ping"

# Svix's schedule: after the first attempt, retries this long after the previous one (± 10 % jitter).
RETRY_DELAYS = tuple(dt.timedelta(seconds=s) for s in (5, 5 * 60, 30 * 60, 2 * 3600, 5 * 3600, 10 * 3600, 10 * 3600))
JITTER = 0.1
FAILING_LIMIT = dt.timedelta(days=5)  # nothing but failures this long disables the endpoint
MAX_RETRY_AFTER = dt.timedelta(hours=24)


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code (None when no answer came), how long, and the error if any."""

    at: dt.datetime
    status_code: int | None
    duration_ms: int
    error: str | None
    retry_after: dt.timedelta | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def delivery_row(
    endpoint_id: uuid.UUID, tenant_id: str, event_id: str, event_type: str, payload: bytes, now: dt.datetime
) -> dict[str, Any]:
    return {
        "id": uuid7(),
        "tenant_id": tenant_id,
        "endpoint_id": endpoint_id,
        "event_id": event_id,
        "event_type": event_type,
        "payload": payload,
        "status": "pending",
        "attempts": [],
        "tries": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }


async def fan_out(
    session: AsyncSession,
    tenant_id: str,
    event_id: str,
    event_type: str,
    data: Mapping[str, Any],
    payload: bytes,
    now: dt.datetime,
) -> int:
    """One delivery per enabled endpoint of the tenant that the event concerns; the number made."""
    targets = [e for e in await endpoints_repo.enabled_of(session, tenant_id) if concerns(e, event_type, data)]
    rows = [delivery_row(e["id"], tenant_id, event_id, event_type, payload, now) for e in targets]
    return await repo.insert_new(session, rows)


def next_attempt(tries: int, outcome: Outcome, rng: random.Random) -> dt.datetime | None:
    """When to try again after `tries` failed attempts, or None when the schedule is spent.
    A Retry-After (429, 503) wins over the schedule when it asks for longer."""
    if tries > len(RETRY_DELAYS):
        return None
    delay = RETRY_DELAYS[tries - 1] * (1 + rng.uniform(-JITTER, JITTER))
    if outcome.retry_after is not None:
        delay = max(delay, min(outcome.retry_after, MAX_RETRY_AFTER))
    return outcome.at + delay


def attempt_of(outcome: Outcome) -> dict[str, Any]:
    """An attempt as the log keeps it."""
    return {
        "at": outcome.at.isoformat(),
        "status_code": outcome.status_code,
        "duration_ms": outcome.duration_ms,
        "error": outcome.error,
    }


async def record_delivered(session: AsyncSession, done: Sequence[tuple[Mapping[str, Any], Outcome]]) -> None:
    """Many deliveries answered 2xx, recorded at once (the common case, in one statement per table): what
    `record` does for one of them."""
    await repo.mark_delivered(session, [(d["id"], d["lease_until"], attempt_of(o), o.at) for d, o in done])
    await endpoints_repo.clear_failing(session, {d["endpoint_id"] for d, _ in done})


async def record(session: AsyncSession, delivery: Mapping[str, Any], outcome: Outcome, rng: random.Random) -> str:
    """Log an attempt and decide what follows: delivered, retried later, failed; 410 or 5 days of failures
    disable the endpoint. Returns the delivery's status, or "retried"."""
    attempt, lease = attempt_of(outcome), delivery["lease_until"]
    endpoint = await endpoints_repo.note_outcome(session, delivery["endpoint_id"], outcome.delivered, outcome.at)
    if outcome.delivered:
        await repo.record_attempt(session, delivery["id"], lease, attempt, "delivered", None, outcome.at)
        return "delivered"
    if outcome.status_code == 410:
        await repo.record_attempt(session, delivery["id"], lease, attempt, "failed", None, outcome.at)
        await endpoints.disable(session, delivery["endpoint_id"], "the endpoint answered 410 Gone", outcome.at)
        return "failed"
    if endpoint is not None and endpoint["failing_since"] <= outcome.at - FAILING_LIMIT:
        await endpoints.disable(session, delivery["endpoint_id"], "every attempt failed for 5 days", outcome.at)
    when = next_attempt(delivery["tries"] + 1, outcome, rng)
    status = "failed" if when is None else "pending"
    await repo.record_attempt(session, delivery["id"], lease, attempt, status, when, outcome.at)
    return "failed" if when is None else "retried"


async def found(session: AsyncSession, tenant_id: str, delivery_id: uuid.UUID) -> Any:
    return errors.found(await repo.get(session, tenant_id, delivery_id), "no such webhook delivery")


async def get(session: AsyncSession, tenant_id: str, delivery_id: uuid.UUID) -> DeliveryOut:
    return DeliveryOut.model_validate(await found(session, tenant_id, delivery_id))


async def list_deliveries(
    session: AsyncSession,
    tenant_id: str,
    endpoint_id: uuid.UUID,
    status: str | None,
    event_type: str | None,
    page: PageParams,
    newest_first: bool = False,
) -> Page[DeliveryOut]:
    await endpoints.found(session, tenant_id, endpoint_id)
    rows = await repo.page(session, tenant_id, endpoint_id, status, event_type, page.after, page.limit, newest_first)
    return page_of([DeliveryOut.model_validate(r) for r in rows], page.limit)


async def retry(session: AsyncSession, tenant_id: str, delivery_id: uuid.UUID, now: dt.datetime) -> DeliveryOut:
    """Send a delivery again now (same webhook-id), whatever its status; its schedule starts again."""
    row = await found(session, tenant_id, delivery_id)
    await repo.requeue(session, [{**row, "updated_at": now}], now)
    return await get(session, tenant_id, delivery_id)


async def ping(session: AsyncSession, tenant_id: str, endpoint_id: uuid.UUID, now: dt.datetime) -> DeliveryOut:
    """A `vcio.integrations.ping` event for this endpoint only (never published: no other endpoint sees it)."""
    await endpoints.found(session, tenant_id, endpoint_id)
    event = CloudEvent(
        type=PING,
        source="/vcio/integrations",
        tenantid=tenant_id,
        data={"endpoint_id": str(endpoint_id)},
        subject=str(endpoint_id),
        time=now.isoformat(),
    )
    row = delivery_row(endpoint_id, tenant_id, event.id, PING, encode(event), now)
    await repo.insert_new(session, [row])
    return await get(session, tenant_id, row["id"])
