"""The reads the console needed (issue 18): agreements by the end of their term, runs newest first, and one
client's balance per currency."""

import uuid

from billing_helpers import PAID_AT, accept, accepted, agreement_for, invoices, run

from vcio_shared.ids import uuid7
from vcio_shared.testing import auth


async def test_agreements_by_the_end_of_their_term(app, client) -> None:
    ends = {}
    for start in ("2027-01-01", "2027-03-01", "2027-06-15"):
        event = accepted(start=start, term=12)
        await accept(app, event)
        ends[(await agreement_for(client, event))["end_date"]] = start
    assert sorted(ends) == ["2028-01-01", "2028-03-01", "2028-06-15"]

    async def ending(**window: str) -> list[str]:
        r = await client.get("/v1/agreements", params=window, headers=auth())
        assert r.status_code == 200, r.text
        return sorted(a["end_date"] for a in r.json()["items"])

    # half-open: on or after ends_after, before ends_before
    assert await ending(ends_after="2028-01-01", ends_before="2028-03-01") == ["2028-01-01"]
    assert await ending(ends_after="2028-01-02") == ["2028-03-01", "2028-06-15"]
    assert await ending(ends_before="2028-06-15") == ["2028-01-01", "2028-03-01"]
    assert await ending(ends_after="2028-06-16") == []
    assert await ending(ends_after="2028-01-01", ends_before="2028-06-16", status="active") == [
        "2028-01-01",
        "2028-03-01",
        "2028-06-15",
    ]
    # paged by id like every list: two pages of one and two
    first = (await client.get("/v1/agreements", params={"ends_after": "2028-01-01", "limit": 1}, headers=auth())).json()
    rest = await client.get(
        "/v1/agreements", params={"ends_after": "2028-01-01", "cursor": first["next_cursor"]}, headers=auth()
    )
    assert len(first["items"]) == 1 and len(rest.json()["items"]) == 2
    assert (await client.get("/v1/agreements", params={"ends_after": "2028-01-01"}, headers=auth("b"))).json()[
        "items"
    ] == []
    for bad in ({"ends_before": "2028-02-30"}, {"ends_after": "someday"}, {"ends_after": "0001-01-01"}):
        assert (await client.get("/v1/agreements", params=bad, headers=auth())).status_code == 422, bad


async def test_runs_newest_first(app, client) -> None:
    await accept(app, accepted(start="2027-01-01"))
    made = [(await run(client, f"2027-0{m}-01"))["id"] for m in (1, 2, 3)]
    await run(client, "2027-04-01", dry_run=True)  # a dry run is never listed

    async def listed(**params: str | int) -> dict:
        r = await client.get("/v1/billing-runs", params=params, headers=auth())
        assert r.status_code == 200, r.text
        return r.json()

    assert [r["id"] for r in (await listed())["items"]] == made
    assert [r["id"] for r in (await listed(order="asc"))["items"]] == made
    newest = await listed(order="desc", limit=2)
    assert [(r["id"], r["as_of"]) for r in newest["items"]] == [(made[2], "2027-03-01"), (made[1], "2027-02-01")]
    older = await listed(order="desc", limit=2, cursor=newest["next_cursor"])
    assert [r["id"] for r in older["items"]] == [made[0]] and older["next_cursor"] is None
    assert (await listed(order="desc", limit=1))["items"][0]["invoices_created"] == 1
    assert (await listed(order="desc"))["items"][0]["id"] == made[2]
    assert (await client.get("/v1/billing-runs", params={"order": "newest"}, headers=auth())).status_code == 422
    assert (await client.get("/v1/billing-runs", params={"order": "desc"}, headers=auth("b"))).json()["items"] == []


async def test_a_clients_balance_per_currency(app, client) -> None:
    cid = uuid7()
    await accept(app, accepted(start="2027-01-01", monthly="1500.00", client_id=cid))  # America/Chicago, 30 days
    await accept(app, accepted(start="2027-03-01", monthly="1000.00", currency="EUR", client_id=cid))
    for month in (1, 2, 3):  # each month's run issues that month's invoice, due 30 days later
        await run(client, f"2027-0{month}-01")
    by_start = {i["period_start"]: i for i in await invoices(client, client_id=str(cid)) if i["currency"] == "USD"}
    jan, feb, mar = (by_start[f"2027-0{m}-01"] for m in (1, 2, 3))
    assert [jan["due_date"], feb["due_date"], mar["due_date"]] == ["2027-01-31", "2027-03-03", "2027-03-31"]
    h = auth()

    async def post(path: str, body: dict, status: int = 201) -> None:
        r = await client.post(path, json=body, headers=h)
        assert r.status_code == status, r.text

    await post(f"/v1/invoices/{jan['id']}/payments", {"amount": "1500.00", "paid_at": PAID_AT, "reference": "a"})
    await post(f"/v1/invoices/{feb['id']}/credit-notes", {"amount": "100.00", "reason": "outage"})
    await post(f"/v1/invoices/{mar['id']}/payments", {"amount": "500.00", "paid_at": PAID_AT, "reference": "b"})
    eur = next(i for i in await invoices(client, client_id=str(cid)) if i["currency"] == "EUR")
    assert eur["total"] == "1000.00"

    r = await client.get(f"/v1/clients/{cid}/balance", params={"as_of": "2027-03-05"}, headers=h)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "client_id": str(cid),
        "as_of": "2027-03-05",
        "items": [
            {
                "currency": "EUR",
                "invoiced": "1000.00",
                "paid": "0.00",
                "credited": "0.00",
                "refund_due": "0.00",
                "balance_due": "1000.00",
                "overdue": "0.00",
                "uncollectible": "0.00",
                "open_invoices": 1,
                "overdue_invoices": 0,
            },
            {
                "currency": "USD",
                "invoiced": "4500.00",
                "paid": "2000.00",
                "credited": "100.00",
                "refund_due": "0.00",
                "balance_due": "2400.00",  # February's 1400.00 and March's 1000.00
                "overdue": "1400.00",  # February's, due 2027-03-03
                "uncollectible": "0.00",
                "open_invoices": 2,
                "overdue_invoices": 1,
            },
        ],
    }
    # a refund due, an uncollectible invoice, a void: January credited in full after payment, March written off
    await post(f"/v1/invoices/{jan['id']}/credit-notes", {"amount": "1500.00", "reason": "goodwill"})
    await post(f"/v1/invoices/{mar['id']}/mark-uncollectible", {}, 200)
    await post(f"/v1/invoices/{eur['id']}/void", {}, 200)
    body = (await client.get(f"/v1/clients/{cid}/balance", params={"as_of": "2027-04-01"}, headers=h)).json()
    assert body["items"] == [
        {
            "currency": "USD",
            "invoiced": "4500.00",
            "paid": "2000.00",
            "credited": "1600.00",
            "refund_due": "1500.00",
            "balance_due": "1400.00",
            "overdue": "1400.00",
            "uncollectible": "1000.00",
            "open_invoices": 1,
            "overdue_invoices": 1,
        }
    ]
    # by default overdue is judged on today in the client's zone: 2027-01-04 03:00 UTC is the 3rd in Chicago
    assert (await client.get(f"/v1/clients/{cid}/balance", headers=h)).json()["as_of"] == "2027-01-03"


async def test_a_balance_is_the_tenants_own(app, client) -> None:
    cid = uuid7()
    await accept(app, accepted(start="2027-01-01", client_id=cid))
    assert (await client.get(f"/v1/clients/{cid}/balance", headers=auth("tenant-b"))).status_code == 404
    assert (await client.get(f"/v1/clients/{uuid.uuid4()}/balance", headers=auth())).status_code == 404
    empty = await client.get(f"/v1/clients/{cid}/balance", params={"as_of": "2027-01-01"}, headers=auth())
    assert empty.json() == {"client_id": str(cid), "as_of": "2027-01-01", "items": []}  # nothing billed yet
    for bad in (f"/v1/clients/{cid}/balance?as_of=2027-13-01", "/v1/clients/nope/balance"):
        assert (await client.get(bad, headers=auth())).status_code == 422, bad
    assert (await client.get(f"/v1/clients/{cid}/balance", headers=auth(scopes="billing:write"))).status_code == 403


async def test_invoices_by_period_newest_first(app, client) -> None:
    await accept(app, accepted(start="2027-01-15", monthly="3100.00"))  # January prorated: 17 of 31 days
    await run(client, "2027-01-15")
    await run(client, "2027-03-01")  # February and March, caught up

    async def listed(**params: str | int) -> dict:
        r = await client.get("/v1/invoices", params=params, headers=auth())
        assert r.status_code == 200, r.text
        return r.json()

    everything = (await listed())["items"]
    assert [(i["period_start"], i["total"]) for i in everything] == [
        ("2027-01-15", "1700.00"),
        ("2027-02-01", "3100.00"),
        ("2027-03-01", "3100.00"),
    ]
    newest = await listed(order="desc", limit=2)
    assert [i["period_start"] for i in newest["items"]] == ["2027-03-01", "2027-02-01"]
    older = await listed(order="desc", limit=2, cursor=newest["next_cursor"])
    assert [i["period_start"] for i in older["items"]] == ["2027-01-15"] and older["next_cursor"] is None
    february = await listed(period_start_from="2027-02-01", period_start_before="2027-03-01")
    assert [i["period_start"] for i in february["items"]] == ["2027-02-01"]
    january = await listed(period_start_from="2027-01-01", period_start_before="2027-02-01", status="issued")
    assert [i["total"] for i in january["items"]] == ["1700.00"]
    assert (await listed(period_start_from="2027-03-02"))["items"] == []
    for bad in ({"period_start_from": "2027-02-29"}, {"order": "up"}, {"period_start_before": "3000-01-01"}):
        assert (await client.get("/v1/invoices", params=bad, headers=auth())).status_code == 422, bad
