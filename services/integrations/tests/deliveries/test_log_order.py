"""An endpoint's delivery log newest first (`?order=desc`), as the console shows it (issue 18)."""

import httpx

from vcio_shared.testing import auth

URL = "https://hooks.example.com/vcio"


async def test_the_delivery_log_newest_first(client: httpx.AsyncClient) -> None:
    endpoint = (await client.post("/v1/webhook-endpoints", json={"url": URL}, headers=auth())).json()
    base = f"/v1/webhook-endpoints/{endpoint['id']}"
    pings = []
    for _ in range(3):
        r = await client.post(f"{base}/test", headers=auth())
        assert r.status_code == 202, r.text
        pings.append(r.json()["id"])

    async def listed(**params: str | int) -> dict:
        r = await client.get(f"{base}/deliveries", params=params, headers=auth())
        assert r.status_code == 200, r.text
        return r.json()

    assert [d["id"] for d in (await listed())["items"]] == pings
    newest = await listed(order="desc", limit=2)
    assert [d["id"] for d in newest["items"]] == [pings[2], pings[1]]
    older = await listed(order="desc", limit=2, cursor=newest["next_cursor"])
    assert [d["id"] for d in older["items"]] == [pings[0]] and older["next_cursor"] is None
    assert [d["event_type"] for d in (await listed(order="desc"))["items"]] == ["vcio.integrations.ping"] * 3
    assert (await listed(order="desc", event_type="vcio.billing.invoice.paid"))["items"] == []
    assert (await client.get(f"{base}/deliveries", params={"order": "latest"}, headers=auth())).status_code == 422
    other = await client.get(f"{base}/deliveries", params={"order": "desc"}, headers=auth("tenant-b"))
    assert other.status_code == 404
