"""Webhooks of the whole journey, on the real processes: an endpoint registered over the integrations API, a real
receiver process verifying with standardwebhooks' own Webhook.verify, and the journey driven through the public
APIs (publish → accept → activate → plan → bill → pay). Every event it makes arrives once, signed, byte for byte
the message on NATS."""

import asyncio
import collections
import datetime as dt
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import nats
import orjson
import pytest
from dateutil.relativedelta import relativedelta
from nats.js.api import ConsumerConfig, DeliverPolicy

from vcio_shared.testing import auth, eventually

# the integrations suite's receiver process and its handle (services/integrations/tests/integrations_helpers.py)
sys.path.insert(0, str(Path(__file__).parents[1] / "services" / "integrations" / "tests"))
from integrations_helpers import Receiver, receiver_process  # noqa: E402

TENANT = "webhooks-msp"
H = auth(TENANT)
STREAMS = {"CATALOG": "catalog", "PROPOSALS": "proposals", "BILLING": "billing", "SCHEDULER": "scheduler"}
# What the journey makes: one event of each type, and the mail it sends (the proposal, the signed copy to the
# signer (no MSP copy: this tenant has no profile e-mail), the invoice, the receipt), each `mail.sent` once sent.
# The plan's activities lie in the future: none is overdue.
JOURNEY = collections.Counter(
    {
        "vcio.catalog.package.published": 1,
        "vcio.proposals.client.created": 1,
        "vcio.proposals.proposal.sent": 1,
        "vcio.proposals.proposal.accepted": 1,
        "vcio.proposals.mail.sent": 2,
        "vcio.billing.agreement.activated": 1,
        "vcio.scheduler.plan.created": 1,
        "vcio.billing.invoice.issued": 1,
        "vcio.billing.billing_run.completed": 1,
        "vcio.billing.invoice.paid": 1,
        "vcio.billing.mail.sent": 2,
    }
)
PACKAGE = {
    "name": "vCIO Webhooks",
    "tier": "essentials",
    "currency": "USD",
    "monthly_price": "1500.00",
    "billing_cycle": "monthly",
    "term_months": 12,
    "onboarding_fee": "500.00",
    "activities": [
        {
            "name": "Quarterly business review",
            "category": "account_management",
            "track": "business",
            "billing_mode": "billable",
            "cadence": "FREQ=MONTHLY;INTERVAL=3",
            "role": "account_manager",
            "effort_hours": "3",
        }
    ],
}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiver_process() as handle:
        yield handle


async def _json(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, f"{response.request.method} {response.request.url}: {response.text}"
    return response.json()


async def on_nats(nats_url: str, since: dt.datetime, tenant: str) -> dict[str, tuple[bytes, str]]:
    """Every message of the tenant stored on the four streams since `since`: event id → (bytes, Nats-Msg-Id)."""
    found: dict[str, tuple[bytes, str]] = {}
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for stream, prefix in STREAMS.items():
            config = ConsumerConfig(deliver_policy=DeliverPolicy.BY_START_TIME, opt_start_time=since.isoformat())
            sub = await js.subscribe(f"vcio.{prefix}.>", stream=stream, ordered_consumer=True, config=config)
            try:
                while True:
                    try:
                        msg = await sub.next_msg(timeout=2)
                    except TimeoutError:
                        break  # nothing stored since `since`
                    event = orjson.loads(msg.data)
                    if event["tenantid"] == tenant:
                        found[event["id"]] = (msg.data, (msg.headers or {}).get("Nats-Msg-Id", ""))
                    if msg.metadata.num_pending == 0:
                        break
            finally:
                await sub.unsubscribe()
    finally:
        await nc.close()
    return found


async def test_every_event_of_the_journey_arrives_once_signed_and_as_on_nats(
    fresh_platform: Any, receiver: Receiver
) -> None:
    platform = fresh_platform
    catalog, proposals, billing = platform.url("catalog"), platform.url("proposals"), platform.url("billing")
    integrations = platform.url("integrations")
    start = dt.date.today().replace(day=1) + relativedelta(months=2)  # the whole plan lies ahead
    since = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    async with httpx.AsyncClient(timeout=30) as http:
        # Only the journey's run: billing's automatic run (its 60 s sweep, after 06:00 in the tenant's zone) would
        # otherwise add a billing_run.completed of its own whenever it came round. Billing emits nothing for this.
        await _json(await http.put(f"{billing}/v1/settings", json={"auto_run_enabled": False}, headers=H))
        endpoint = await _json(
            await http.post(
                f"{integrations}/v1/webhook-endpoints",
                json={"url": receiver.url, "description": "the journey"},
                headers=H,
            ),
            201,
        )
        receiver.control(secrets=[endpoint["secret"]])

        package = await _json(await http.post(f"{catalog}/v1/packages", json=PACKAGE, headers=H), 201)
        await _json(await http.post(f"{catalog}/v1/packages/{package['id']}/publish", headers=H))

        async def package_known() -> bool:
            r = await http.get(f"{proposals}/v1/catalog/packages/{package['id']}", headers=H)
            return r.status_code == 200

        await eventually(package_known, timeout=30)
        client = await _json(
            await http.post(
                f"{proposals}/v1/clients",
                headers=H,
                json={"name": "Northwind Dental", "email": "office@northwind.example", "timezone": "America/Chicago"},
            ),
            201,
        )
        proposal = await _json(
            await http.post(
                f"{proposals}/v1/proposals",
                headers=H,
                json={"client_id": client["id"], "package_id": package["id"], "start_date": start.isoformat()},
            ),
            201,
        )
        sent = await _json(await http.post(f"{proposals}/v1/proposals/{proposal['id']}/send", headers=H))
        await _json(
            await http.post(
                f"{sent['accept_url']}/accept",
                json={"signer_name": "Dr. Ada Park", "signer_email": "ada@northwind.example"},
            )
        )

        def arrived(event_type: str) -> bool:
            return any(orjson.loads(r["body"])["type"] == event_type for r in receiver.received())

        # billing activates the agreement, the scheduler plans it: both arrive as webhooks before billing runs
        await eventually(lambda: arrived("vcio.billing.agreement.activated"), timeout=30)
        await eventually(lambda: arrived("vcio.scheduler.plan.created"), timeout=30)
        run = await _json(
            await http.post(f"{billing}/v1/billing-runs", json={"as_of": start.isoformat()}, headers=H), 201
        )
        assert run["invoices_created"] == 1
        [invoice] = (
            await _json(await http.get(f"{billing}/v1/invoices", params={"client_id": client["id"]}, headers=H))
        )["items"]
        assert invoice["total"] == "2000.00"
        await _json(
            await http.post(
                f"{billing}/v1/invoices/{invoice['id']}/payments",
                headers=H,
                json={"amount": "2000.00", "paid_at": f"{start}T15:00:00Z", "reference": "ACH 5120"},
            ),
            201,
        )
        await eventually(lambda: arrived("vcio.billing.invoice.paid"), timeout=30)

        async def all_delivered() -> list[dict[str, Any]]:
            r = await http.get(
                f"{integrations}/v1/webhook-endpoints/{endpoint['id']}/deliveries",
                params={"limit": 100},
                headers=H,
            )
            items = (await _json(r))["items"]
            done = len(items) >= JOURNEY.total() and {d["status"] for d in items} == {"delivered"}
            return items if done else []

        log = await eventually(all_delivered, timeout=60)  # the mail goes out after the change it follows
        await asyncio.sleep(0.5)  # a second sending of anything would land by now
        got = receiver.received()
        stored = await on_nats(platform.env["NATS_URL"], since, TENANT)

    types = [orjson.loads(r["body"])["type"] for r in got]
    assert collections.Counter(types) == JOURNEY  # the exact types, each as many times as the journey makes it
    ids = [r["headers"]["webhook-id"] for r in got]
    assert collections.Counter(ids).most_common(1)[0][1] == 1  # once per event id
    assert set(ids) == set(stored)  # and every event of the tenant on the streams arrived
    for r in got:
        body, msg_id = stored[r["headers"]["webhook-id"]]
        assert r["body"].encode() == body  # the CloudEvent exactly as on NATS
        assert orjson.loads(body)["id"] == msg_id == r["headers"]["webhook-id"]
        assert r["verified_with"] == [0]  # Webhook(secret).verify passed
        assert r["headers"]["webhook-signature"].count("v1,") == 1
        assert r["headers"]["content-type"] == "application/json"
        assert r["answered"] == 200
    assert {d["event_id"] for d in log} == set(ids)
    assert collections.Counter(d["event_type"] for d in log) == JOURNEY
    assert {len(d["attempts"]) for d in log} == {1}
    assert {d["attempts"][0]["status_code"] for d in log} == {200}
