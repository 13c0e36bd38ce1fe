"""The pipeline's figures per tenant, and the audit of every change."""

import httpx
from fastapi import FastAPI

from services.proposals.tests.support import (
    SIGNER,
    create_proposal,
    path_of,
    sent_proposal,
)
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth


async def test_pipeline_figures_per_tenant(client: httpx.AsyncClient, app: FastAPI, clock: FixedClock) -> None:
    won = await sent_proposal(client, app)
    package_id, client_id = won["package"]["id"], won["client_id"]
    clock.advance(days=3)
    await client.post(f"{path_of(won['accept_url'])}/accept", json=SIGNER)  # 3 days after sending
    lost = await create_proposal(client, client_id, package_id)
    lost = (await client.post(f"/v1/proposals/{lost['id']}/send", headers=auth())).json()
    await client.post(f"{path_of(lost['accept_url'])}/decline", json={"reason": "too dear"})
    for term in (24, 36):
        open_ = await create_proposal(client, client_id, package_id, term_months=term)
        await client.post(f"/v1/proposals/{open_['id']}/send", headers=auth())
    await create_proposal(client, client_id, package_id)  # a draft is not in the pipeline
    await sent_proposal(client, app, tenant="tenant-b")
    r = await client.get("/v1/pipeline", headers=auth())
    assert r.status_code == 200
    assert r.json() == {
        "items": [
            {
                "currency": "USD",
                "open_proposals": 2,
                "open_pipeline_value": "91000.00",
                "accepted": 1,
                "declined": 1,
                "expired": 0,
                "won_value": "18500.00",
                "win_rate_percent": "50.00",
                "average_time_to_accept_seconds": 259200,
                "average_days_to_accept": "3.00",
            }
        ]
    }


async def test_pipeline_of_a_new_tenant_is_empty(client: httpx.AsyncClient) -> None:
    assert (await client.get("/v1/pipeline", headers=auth("tenant-new"))).json() == {"items": []}


async def test_every_change_is_audited(client: httpx.AsyncClient, app: FastAPI) -> None:
    p = await sent_proposal(client, app)
    await client.get(path_of(p["accept_url"]))
    await client.post(f"{path_of(p['accept_url'])}/accept", json=SIGNER)
    audit = (await client.get(f"/v1/audit?entity_id={p['id']}", headers=auth())).json()["items"]
    assert [(a["action"], a["actor"]) for a in audit] == [
        ("proposal.created", "tester"),
        ("proposal.sent", "tester"),
        ("proposal.viewed", "client"),
        ("proposal.accepted", "client:ada@acme-dental.example"),
    ]
