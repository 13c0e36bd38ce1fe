"""Test support for the scheduler's suite: event builders and a handle on a running app (conftest.py puts this
directory on sys.path, as import-mode=importlib adds none)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import nats
import orjson
import sqlalchemy as sa
from nats.js.api import DeliverPolicy, StorageType, StreamConfig

from scheduler.main import BILLING_CONSUMER
from vcio_shared.bus import handle_once, stream_name
from vcio_shared.clock import FixedClock
from vcio_shared.events import CloudEvent, build, decode, encode
from vcio_shared.runtime import Runtime
from vcio_shared.testing import auth, eventually

TENANT = "tenant-a"
OTHER = "tenant-b"


def activity(
    name: str = "Monthly ticket review",
    cadence: str = "FREQ=MONTHLY",
    role: str = "vcio",
    effort: str = "2.5",
    category: str = "it_strategy",
    **extra: Any,
) -> dict[str, Any]:
    return {
        "name": name,
        "category": category,
        "track": "business",
        "billing_mode": "included",
        "cadence": cadence,
        "role": role,
        "effort_hours": effort,
        "deliverable": f"{name} notes",
        **extra,
    }


def activated_data(
    *,
    start: str = "2027-01-04",
    end: str = "2028-01-04",
    activities: list[dict[str, Any]] | None = None,
    timezone: str = "America/New_York",
    agreement_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
    client_name: str = "Acme Dental",
) -> dict[str, Any]:
    agreement_id = agreement_id or uuid.uuid4()
    return {
        "id": str(agreement_id),
        "agreement_id": str(agreement_id),
        "proposal_id": str(uuid.uuid4()),
        "client": {
            "id": str(client_id or uuid.uuid4()),
            "name": client_name,
            "email": "ops@acme.test",
            "timezone": timezone,
        },
        "package": {"id": str(uuid.uuid4()), "version": 1, "name": "vCIO Core"},
        "status": "active",
        "start_date": start,
        "end_date": end,
        "term_months": 12,
        "billing_cycle": "monthly",
        "monthly_amount": "1500.00",
        "currency": "USD",
        "auto_renew": True,
        "activities": activities if activities is not None else [activity()],
    }


def billing_event(type_: str, data: dict[str, Any], tenant: str = TENANT) -> CloudEvent:
    return build("billing", type_, tenant, data, subject=data.get("agreement_id"))


@dataclass
class Scheduler:
    client: httpx.AsyncClient
    runtime: Runtime
    clock: FixedClock
    nats_url: str

    async def handle(self, event: CloudEvent) -> bool:
        """Run the consumer's handler in-process, with its inbox row (what the runner does after a fetch)."""
        return await handle_once(self.runtime.sessionmaker, BILLING_CONSUMER, event)

    async def activate(self, tenant: str = TENANT, **kwargs: Any) -> dict[str, Any]:
        data = activated_data(**kwargs)
        assert await self.handle(billing_event("vcio.billing.agreement.activated", data, tenant))
        return data

    async def add_staff(self, name: str = "Dana", roles: list[str] | None = None, hours: str = "40") -> str:
        """A staff member made through the API (vCIO by default); their id."""
        body = {"name": name, "roles": roles or ["vcio"], "weekly_capacity_hours": hours}
        r = await self.client.post("/v1/staff", json=body, headers=auth_headers())
        assert r.status_code == 201, r.text
        return str(r.json()["id"])

    async def publish(self, event: CloudEvent) -> None:
        """Publish to billing's JetStream stream exactly as billing's relay does."""
        nc = await nats.connect(self.nats_url)
        try:
            await nc.jetstream().publish(event.type, encode(event), headers={"Nats-Msg-Id": event.id})
        finally:
            await nc.close()

    async def publish_and_wait(self, event: CloudEvent) -> None:
        """Publish, then wait until the durable consumer has committed it (its inbox row exists)."""
        await self.publish(event)
        await eventually(lambda: self.scalar("SELECT count(*) FROM inbox WHERE event_id = :e", e=event.id))

    async def scalar(self, sql: str, **params: Any) -> Any:
        async with self.runtime.sessionmaker() as session:
            return await session.scalar(sa.text(sql), params)

    async def rows(self, sql: str, **params: Any) -> list[Any]:
        async with self.runtime.sessionmaker() as session:
            return list((await session.execute(sa.text(sql), params)).mappings().all())

    async def activities(self, agreement_id: str, tenant: str = TENANT) -> list[dict[str, Any]]:
        r = await self.client.get(
            "/v1/activities", params={"agreement_id": agreement_id, "limit": 200}, headers=auth_headers(tenant)
        )
        assert r.status_code == 200, r.text
        return sorted(r.json()["items"], key=lambda a: (a["due_date"], a["name"]))

    async def first_activity(self, **kwargs: Any) -> dict[str, Any]:
        """The first activity, by due date, of an agreement activated with `activated_data(**kwargs)`."""
        data = await self.activate(**kwargs)
        return (await self.activities(data["agreement_id"]))[0]

    async def outbox(self, type_: str) -> list[dict[str, Any]]:
        """Every event of this type the service has emitted so far, oldest first, as published (CloudEvent JSON).

        The relay deletes an outbox row once JetStream has acked it, so the service's stream is the event log:
        wait until the relay has drained the outbox (every committed event is then in the stream, exactly once
        per event id), then read the stream. Emit something only after this call has returned, or call it again.
        """
        self.runtime.relay.wake()  # rather than wait out its poll interval
        await eventually(self.drained)
        return await stream_events(self.nats_url, stream_name(self.runtime.spec.name), type_)

    async def drained(self) -> bool:
        """The bus is up (so the service's stream exists) and the relay has published every outbox row."""
        return self.runtime.bus.connected.is_set() and await self.scalar("SELECT NOT EXISTS (SELECT FROM outbox)")


def auth_headers(tenant: str = TENANT, scopes: str = "scheduler:read scheduler:write") -> dict[str, str]:
    return auth(tenant, scopes)


async def stream_events(nats_url: str, stream: str, subject: str) -> list[dict[str, Any]]:
    """Every message on `subject` in `stream`, oldest first, each checked to be a CloudEvent whose
    `Nats-Msg-Id` is its id (what the relay sends), as its JSON object."""
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        info = await js.stream_info(stream, subjects_filter=subject)
        if not (info.state.subjects or {}).get(subject):
            return []
        sub = await js.subscribe(subject, stream=stream, ordered_consumer=True, deliver_policy=DeliverPolicy.ALL)
        try:
            events = []
            while True:
                msg = await sub.next_msg(timeout=5)
                event = decode(msg.data, subject=msg.subject)
                assert (msg.headers or {}).get("Nats-Msg-Id") == event.id, (msg.headers, event.id)
                events.append(orjson.loads(msg.data))
                if msg.metadata.num_pending == 0:
                    return events
        finally:
            await sub.unsubscribe()
    finally:
        await nc.close()


async def create_billing_stream(url: str) -> None:
    """Billing owns the BILLING stream; the tests create it as billing would."""
    nc = await nats.connect(url)
    try:
        await nc.jetstream().add_stream(
            StreamConfig(name="BILLING", subjects=["vcio.billing.>"], storage=StorageType.FILE, duplicate_window=120)
        )
    finally:
        await nc.close()
