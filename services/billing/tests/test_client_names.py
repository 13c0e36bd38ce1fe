"""Agreements and invoices name their client (issue 18): `client_name` is the name billing last heard from
proposals' events, null for a client it has not heard of, in every answer (lists, one, writes, the dry run and
the hot read alike), never in the events, and only ever the asking tenant's."""

import datetime as dt
import uuid

import orjson
import sqlalchemy as sa
from billing_helpers import PROPOSALS, accept, accepted, agreement_for, invoices, run

from vcio_shared.bus import handle_once
from vcio_shared.events import build
from vcio_shared.ids import uuid7
from vcio_shared.testing import auth


def named(name: str, tenant: str = "tenant-a", **kwargs):
    event = accepted(tenant, **kwargs)
    event.data["client"]["name"] = name
    return event


async def forget_client(app, client_id: str) -> None:
    """As if billing had never heard of the client (its row gone; the agreement and invoices stay)."""
    async with app.state.runtime.sessionmaker() as s, s.begin():
        await s.execute(sa.text("DELETE FROM clients WHERE id = :c"), {"c": client_id})


async def test_agreements_name_their_client_in_every_read_and_write(app, client) -> None:
    acme, birch = named("Acme Dental"), named("Birch & Lowe Law", start="2027-01-01", cycle="annual", monthly="1000.00")
    for event in (acme, birch):
        assert await accept(app, event)
    h = auth()
    listed = (await client.get("/v1/agreements", headers=h)).json()["items"]
    assert sorted((a["client_id"], a["client_name"]) for a in listed) == sorted(
        [(acme.data["client"]["id"], "Acme Dental"), (birch.data["client"]["id"], "Birch & Lowe Law")]
    )
    # the key sits beside client_id
    assert list(listed[0])[:4] == ["id", "proposal_id", "client_id", "client_name"]
    a, b = await agreement_for(client, acme), await agreement_for(client, birch)
    assert (await client.get(f"/v1/agreements/{a['id']}", headers=h)).json()["client_name"] == "Acme Dental"
    window = {"status": "active", "ends_after": "2027-12-01", "ends_before": "2028-01-02"}
    assert {
        x["client_name"] for x in (await client.get("/v1/agreements", params=window, headers=h)).json()["items"]
    } == {
        "Acme Dental",
        "Birch & Lowe Law",
    }

    # the write routes answer it too
    r = await client.patch(f"/v1/agreements/{a['id']}", json={"auto_renew": False}, headers=h)
    assert (r.status_code, r.json()["client_name"], r.json()["auto_renew"]) == (200, "Acme Dental", False)
    await run(client, dt.date(2027, 1, 1))
    r = await client.post(
        f"/v1/agreements/{b['id']}/change",
        json={"effective_date": "2027-07-01", "monthly_amount": "1200.00"},
        headers=h,
    )
    assert r.status_code == 200, r.text
    changed = r.json()
    assert (changed["agreement"]["client_name"], changed["agreement"]["monthly_amount"]) == (
        "Birch & Lowe Law",
        "1200.00",
    )
    assert (changed["settled_by"]["invoice"]["client_name"], changed["settled_by"]["invoice"]["total"]) == (
        "Birch & Lowe Law",
        "1209.86",
    )
    r = await client.post(f"/v1/agreements/{a['id']}/cancel", json={"effective_date": "2027-01-16"}, headers=h)
    assert r.status_code == 200, r.text
    assert (r.json()["client_name"], r.json()["status"], len(r.json()["credit_notes"])) == (
        "Acme Dental",
        "cancelled",
        1,
    )

    # the name follows client.updated; a client billing has not heard of is null
    renamed = build("proposals", "vcio.proposals.client.updated", "tenant-a", {**acme.data["client"], "name": "Acme"})
    await handle_once(app.state.runtime.sessionmaker, PROPOSALS, renamed)
    assert (await client.get(f"/v1/agreements/{a['id']}", headers=h)).json()["client_name"] == "Acme"
    await forget_client(app, acme.data["client"]["id"])
    assert (await client.get(f"/v1/agreements/{a['id']}", headers=h)).json()["client_name"] is None
    names = {x["id"]: x["client_name"] for x in (await client.get("/v1/agreements", headers=h)).json()["items"]}
    assert names == {a["id"]: None, b["id"]: "Birch & Lowe Law"}


async def test_invoices_name_their_client_in_lists_reads_writes_and_the_dry_run(app, client) -> None:
    acme, birch = named("Acme Dental", tax_rate="8.25"), named("Birch & Lowe Law", monthly="990.00")
    for event in (acme, birch):
        assert await accept(app, event)
    h = auth()
    dry = await run(client, dt.date(2027, 1, 1), dry_run=True)
    assert sorted((i["client_name"], i["total"]) for i in dry["invoices"]) == [
        ("Acme Dental", "1623.75"),
        ("Birch & Lowe Law", "990.00"),
    ]
    keys = list(dry["invoices"][0])
    assert keys[keys.index("client_id") + 1] == "client_name"
    await run(client, dt.date(2027, 1, 1))
    listed = await invoices(client)
    assert sorted((i["client_name"], i["number"]) for i in listed) == [
        ("Acme Dental", "INV-2027-000001"),
        ("Birch & Lowe Law", "INV-2027-000002"),
    ]
    newest = (await client.get("/v1/invoices", params={"order": "desc", "limit": 1}, headers=h)).json()["items"]
    assert [i["client_name"] for i in newest] == ["Birch & Lowe Law"]
    acme_inv = next(i for i in listed if i["client_name"] == "Acme Dental")
    birch_inv = next(i for i in listed if i["client_name"] == "Birch & Lowe Law")
    path = f"/v1/invoices/{acme_inv['id']}"
    hot, routed = await client.get(path, headers=h), await client.get(f"{path}?via=route", headers=h)
    assert hot.content == routed.content
    assert hot.json()["client_name"] == "Acme Dental"

    pay = {"amount": "100.00", "paid_at": "2027-01-20T10:00:00+00:00", "reference": "ACH"}
    r = await client.post(f"{path}/payments", json=pay, headers={**h, "Idempotency-Key": str(uuid.uuid4())})
    assert (r.status_code, r.json()["client_name"], r.json()["amount_due"]) == (201, "Acme Dental", "1523.75")
    r = await client.post(f"/v1/invoices/{birch_inv['id']}/mark-uncollectible", headers=h)
    assert (r.status_code, r.json()["client_name"], r.json()["status"]) == (200, "Birch & Lowe Law", "uncollectible")

    # the events carry the invoice and the agreement without it
    async with app.state.runtime.sessionmaker() as s:
        payloads = (
            await s.execute(
                sa.text(
                    "SELECT type, payload FROM outbox WHERE type IN ('vcio.billing.invoice.issued', "
                    "'vcio.billing.agreement.activated')"
                )
            )
        ).all()
    kinds = set()
    for kind, payload in payloads:
        for one in bytes(payload).split(b"\n"):
            kinds.add(kind)
            assert "client_name" not in orjson.loads(one)["data"]
    assert kinds == {"vcio.billing.invoice.issued", "vcio.billing.agreement.activated"}

    # a client billing has not heard of: null, and the hot read still answers exactly as the route
    await forget_client(app, acme.data["client"]["id"])
    hot, routed = await client.get(path, headers=h), await client.get(f"{path}?via=route", headers=h)
    assert (hot.status_code, hot.content) == (200, routed.content)
    assert hot.json()["client_name"] is None
    assert {i["number"]: i["client_name"] for i in await invoices(client)} == {
        "INV-2027-000001": None,
        "INV-2027-000002": "Birch & Lowe Law",
    }
    r = await client.post(f"{path}/void", headers=h)
    assert r.status_code == 409  # it has a payment: the refusal is unchanged
    r = await client.post(f"{path}/mark-uncollectible", headers=h)
    assert (r.status_code, r.json()["client_name"]) == (200, None)


async def test_each_tenant_sees_only_its_own_clients_names(app, client) -> None:
    shared_name = named("Acme Dental")
    other = named("Other MSP's client", tenant="tenant-b")
    for event in (shared_name, other):
        assert await accept(app, event)
    await run(client, dt.date(2027, 1, 1))
    await run(client, dt.date(2027, 1, 1), tenant="tenant-b")
    for tenant, name in (("tenant-a", "Acme Dental"), ("tenant-b", "Other MSP's client")):
        h = auth(tenant)
        assert [x["client_name"] for x in (await client.get("/v1/agreements", headers=h)).json()["items"]] == [name]
        [inv] = await invoices(client, tenant)
        assert inv["client_name"] == name
        assert (await client.get(f"/v1/invoices/{inv['id']}", headers=h)).json()["client_name"] == name
    [b_inv] = await invoices(client, "tenant-b")
    assert (await client.get(f"/v1/invoices/{b_inv['id']}", headers=auth())).status_code == 404
    b_agreement = await agreement_for(client, other)
    assert (await client.get(f"/v1/agreements/{b_agreement['id']}", headers=auth())).status_code == 404
    # an unknown id is a 404, not a nameless answer
    assert (await client.get(f"/v1/invoices/{uuid7()}", headers=auth())).status_code == 404
