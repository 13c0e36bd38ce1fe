"""Reading agreements: the list filters by client and status and pages by cursor."""

from billing_helpers import accept, accepted

from vcio_shared.testing import auth


async def test_agreements_filter_by_client_and_status_and_page(app, client) -> None:
    events = [accepted() for _ in range(3)]
    for e in events:
        await accept(app, e)
    r = await client.get("/v1/agreements", params={"client_id": events[1].data["client"]["id"]}, headers=auth())
    assert [a["proposal_id"] for a in r.json()["items"]] == [events[1].data["proposal_id"]]
    page1 = (await client.get("/v1/agreements", params={"limit": 2}, headers=auth())).json()
    page2 = (
        await client.get("/v1/agreements", params={"limit": 2, "cursor": page1["next_cursor"]}, headers=auth())
    ).json()
    assert len(page1["items"]) == 2 and len(page2["items"]) == 1 and page2["next_cursor"] is None
    assert (await client.get("/v1/agreements", params={"status": "cancelled"}, headers=auth())).json()["items"] == []
