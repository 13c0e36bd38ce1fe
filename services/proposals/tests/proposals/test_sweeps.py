"""The expiry sweep: open proposals past their validity expire, in the client's time zone, under one lock."""

import datetime as dt

import httpx
from fastapi import FastAPI

from proposals.main import EXPIRY
from services.proposals.tests.support import (
    SIGNER,
    await_published,
    create_client,
    create_proposal,
    package_event,
    path_of,
    seed,
    sent_proposal,
)
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth


async def test_the_sweep_expires_proposals_past_validity_in_the_clients_time_zone(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock, nats_url: str
) -> None:
    package_id = await seed(app, package_event())
    ids = {}
    for tz in ("Pacific/Auckland", "America/Los_Angeles"):
        c = await create_client(client, timezone=tz, name=tz)
        p = await create_proposal(client, c["id"], package_id)
        await client.post(f"/v1/proposals/{p['id']}/send", json={"valid_until": "2027-01-10"}, headers=auth())
        ids[tz] = p["id"]
    runtime = app.state.runtime
    clock.set(dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC))  # 11 January in Auckland, 10th in Los Angeles
    assert await runtime.run_sweep(EXPIRY) == 1
    statuses = {tz: (await client.get(f"/v1/proposals/{i}", headers=auth())).json()["status"] for tz, i in ids.items()}
    assert statuses == {"Pacific/Auckland": "expired", "America/Los_Angeles": "sent"}
    assert await runtime.run_sweep(EXPIRY) == 0
    clock.set(dt.datetime(2027, 1, 11, 8, 0, tzinfo=dt.UTC))  # midnight in Los Angeles
    assert await runtime.run_sweep(EXPIRY) == 1
    events = await await_published(nats_url, "vcio.proposals.proposal.expired", 2)
    assert sorted(e["data"]["proposal_id"] for e in events) == sorted(ids.values())


async def test_the_sweep_leaves_accepted_and_draft_proposals_alone(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    accepted = await sent_proposal(client, app)
    await client.post(f"{path_of(accepted['accept_url'])}/accept", json=SIGNER)
    draft = await create_proposal(client, accepted["client_id"], accepted["package"]["id"])
    clock.advance(days=90)
    assert await app.state.runtime.run_sweep(EXPIRY) == 0
    assert (await client.get(f"/v1/proposals/{draft['id']}", headers=auth())).json()["status"] == "draft"


async def test_the_sweep_is_skipped_while_another_replica_holds_its_lock(
    client: httpx.AsyncClient, app: FastAPI, clock: FixedClock
) -> None:
    from vcio_shared.db import advisory_xact_lock

    p = await sent_proposal(client, app)
    clock.advance(days=40)
    runtime = app.state.runtime
    async with runtime.sessionmaker() as other, other.begin():
        assert await advisory_xact_lock(other, "proposals:expire-proposals")
        assert await runtime.run_sweep(EXPIRY) is None
    assert await runtime.run_sweep(EXPIRY) == 1
    assert (await client.get(f"/v1/proposals/{p['id']}", headers=auth())).json()["status"] == "expired"
