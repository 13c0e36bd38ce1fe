"""Helpers of strategy's tests: a client named by proposals' event, and a roadmap with worked figures."""

from typing import Any

import httpx
import nats

from vcio_shared.events import build, encode
from vcio_shared.testing import auth, eventually

CLIENT = "0195b2d0-0000-7000-8000-0000000000e1"
OWNER = "0195b2d0-0000-7000-8000-00000000a0a0"


async def name_client(
    client: httpx.AsyncClient,
    nats_url: str,
    client_id: str = CLIENT,
    name: str = "Acme Dental",
    tenant: str = "tenant-a",
) -> None:
    """Proposals' `client.created` on its stream (USD), and wait until strategy knows the client by name."""
    data = {
        "id": client_id,
        "name": name,
        "email": "it@acme.example",
        "timezone": "America/New_York",
        "currency": "USD",
    }
    event = build("proposals", "vcio.proposals.client.created", tenant, data)
    nc = await nats.connect(nats_url)
    try:
        await nc.jetstream().publish(event.type, encode(event), headers={"Nats-Msg-Id": event.id})
    finally:
        await nc.close()

    async def known() -> bool:
        r = await client.get(f"/v1/clients/{client_id}/roadmap", headers=auth(tenant))
        return r.status_code == 200

    await eventually(known, timeout=20)


async def initiative(
    client: httpx.AsyncClient, title: str, year: int | None, quarter: int | None, tenant: str = "tenant-a", **extra: Any
) -> dict[str, Any]:
    budget = {"currency": "USD", "one_time": extra.pop("one_time", []), "recurring": extra.pop("recurring", [])}
    body = {
        "client_id": extra.pop("client_id", CLIENT),
        "title": title,
        "category": extra.pop("category", "infrastructure"),
        "priority": "high",
        "fiscal_year": year,
        "quarter": quarter,
        "budget": budget,
        **extra,
    }
    r = await client.post("/v1/initiatives", json=body, headers=auth(tenant))
    assert r.status_code == 201, r.text
    return r.json()  # type: ignore[no-any-return]


async def july_roadmap(client: httpx.AsyncClient) -> None:
    """Fiscal years from July (today, 2026-11-29, is in fiscal year 2027), and four initiatives:

    FY2027 Q1: Firewall refresh, one-time 2 x 2,400.00 + 1,200.00 = 6,000.00, recurring 45.50 x 2 x 12 = 1,092.00;
               Microsoft 365 migration, one-time 3,500.00, recurring 22.00 x 15 x 12 = 3,960.00.
               Q1 and FY2027: 9,500.00 one-time + 5,052.00 recurring = 14,552.00.
    FY2028 Q2: ERP selection, 5,000.00 one-time + 300.00 x 12 = 3,600.00: 8,600.00.
    Unscheduled (no year): Data warehouse, 10,000.00, in no sum."""
    r = await client.put("/v1/settings", json={"fiscal_year_start_month": 7}, headers=auth())
    assert r.status_code == 200
    await initiative(
        client,
        "Firewall refresh",
        2027,
        1,
        summary="Replace the two end-of-life firewalls",
        owner_id=OWNER,
        one_time=[
            {"label": "Firewalls", "amount": "2400.00", "quantity": 2},
            {"label": "Install", "amount": "1200.00"},
        ],
        recurring=[{"label": "Support", "amount": "45.50", "frequency": "monthly", "quantity": 2}],
    )
    await initiative(
        client,
        "Microsoft 365 migration",
        2027,
        1,
        category="office_productivity",
        one_time=[{"label": "Migration", "amount": "3500.00"}],
        recurring=[{"label": "Licences", "amount": "22.00", "frequency": "monthly", "quantity": 15}],
    )
    await initiative(
        client,
        "ERP selection",
        2028,
        2,
        category="business_applications",
        one_time=[{"label": "Selection", "amount": "5000.00"}],
        recurring=[{"label": "Hosting", "amount": "300.00", "frequency": "monthly"}],
    )
    await initiative(client, "Data warehouse", None, None, one_time=[{"label": "Build", "amount": "10000.00"}])
