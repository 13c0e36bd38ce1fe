from typing import Any

import httpx
import nats

from vcio_shared.events import build, encode
from vcio_shared.testing import auth, eventually

CLIENT = "0195b2d0-0000-7000-8000-0000000000d1"


async def publish(nats_url: str, type_: str, data: dict[str, Any], tenant: str = "tenant-a", times: int = 1) -> None:
    """A real CloudEvent on proposals' stream, as its relay publishes it (the same id each time)."""
    event = build("proposals", type_, tenant, data)
    nc = await nats.connect(nats_url)
    try:
        for _ in range(times):
            await nc.jetstream().publish(type_, encode(event), headers={"Nats-Msg-Id": event.id})
    finally:
        await nc.close()


async def test_a_client_proposals_announces_has_a_roadmap_in_its_currency(
    client: httpx.AsyncClient, nats_url: str
) -> None:
    url = f"/v1/clients/{CLIENT}/roadmap"
    assert (await client.get(url, headers=auth())).status_code == 404
    data = {
        "id": CLIENT,
        "name": "Acme Dental",
        "email": "it@acme.example",
        "timezone": "Europe/Berlin",
        "currency": "EUR",
    }
    await publish(nats_url, "vcio.proposals.client.created", data, times=2)

    async def known() -> Any:
        r = await client.get(url, headers=auth())
        return r.status_code == 200 and r.json()

    road = await eventually(known, timeout=20)
    assert (road["currency"], road["unscheduled"], len(road["years"])) == ("EUR", [], 3)
    assert all(y["total"] == "0.00" for y in road["years"])
    # the event's tenant owns the row: another tenant still does not know the client
    assert (await client.get(url, headers=auth("tenant-b"))).status_code == 404
    await publish(nats_url, "vcio.proposals.client.updated", {**data, "currency": "GBP"})

    async def updated() -> bool:
        return (await client.get(url, headers=auth())).json()["currency"] == "GBP"

    await eventually(updated, timeout=20)


async def test_an_invalid_client_event_is_dead_lettered(client: httpx.AsyncClient, nats_url: str) -> None:
    await publish(nats_url, "vcio.proposals.client.created", {"id": "not-a-uuid", "name": "X"})

    async def dead() -> Any:
        items = (await client.get("/v1/dead-letters", headers=auth())).json()["items"]
        return items

    [letter] = await eventually(dead, timeout=20)
    assert letter["consumer"] == "strategy--proposals"
