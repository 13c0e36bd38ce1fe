"""Agreements: activation, listing, cancel/change rules, renewal and expiry, client updates, MRR metrics."""

import datetime as dt

import sqlalchemy as sa
from billing_helpers import PROPOSALS, accept, accepted, agreement_for, invoices, lines, run

from billing.main import RENEWALS
from vcio_shared.bus import handle_once
from vcio_shared.events import build
from vcio_shared.testing import auth


async def outbox_types(app) -> list[str]:
    async with app.state.runtime.sessionmaker() as s:
        return list((await s.execute(sa.text("SELECT type FROM outbox ORDER BY seq"))).scalars())


async def test_agreement_carries_the_proposal_terms(app, client) -> None:
    event = accepted(
        start="2027-03-31", cycle="quarterly", monthly="2250.50", term=12, one_time=[("Onboarding", "1000.00")]
    )
    assert await accept(app, event)
    a = await agreement_for(client, event)
    assert (
        a["start_date"],
        a["end_date"],
        a["billing_cycle"],
        a["monthly_amount"],
        a["one_time_amount"],
        a["term_months"],
        a["status"],
        a["auto_renew"],
        a["next_bill_date"],
    ) == ("2027-03-31", "2028-03-31", "quarterly", "2250.50", "1000.00", 12, "active", True, "2027-03-31")
    assert (await client.get(f"/v1/agreements/{a['id']}", headers=auth())).json() == a


async def test_same_proposal_accepted_twice_with_new_event_ids_is_one_agreement(app, client) -> None:
    event = accepted()
    assert await accept(app, event)
    assert await accept(app, build("proposals", event.type, event.tenantid, event.data))  # a new event id: handled
    assert not await accept(app, event)  # the same event id: a duplicate, refused by the inbox
    assert len((await client.get("/v1/agreements", headers=auth())).json()["items"]) == 1
    assert (await outbox_types(app)).count("vcio.billing.agreement.activated") == 1


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


async def test_cancel_twice_is_a_conflict_and_outside_the_term_is_invalid(app, client) -> None:
    event = accepted(start="2027-01-01")
    await accept(app, event)
    a = await agreement_for(client, event)
    r = await client.post(f"/v1/agreements/{a['id']}/cancel", json={"effective_date": "2029-01-01"}, headers=auth())
    assert r.status_code == 422
    r = await client.post(f"/v1/agreements/{a['id']}/cancel", json={"effective_date": "2027-05-01"}, headers=auth())
    assert r.status_code == 200
    r = await client.post(f"/v1/agreements/{a['id']}/cancel", json={"effective_date": "2027-05-01"}, headers=auth())
    assert r.status_code == 409
    assert "vcio.billing.agreement.cancelled" in await outbox_types(app)


async def test_change_before_the_latest_invoiced_period_is_refused(app, client) -> None:
    event = accepted(start="2027-01-01")
    await accept(app, event)
    await run(client, dt.date(2027, 3, 1))
    a = await agreement_for(client, event)
    r = await client.post(
        f"/v1/agreements/{a['id']}/change",
        json={"effective_date": "2027-02-10", "monthly_amount": "2000.00"},
        headers=auth(),
    )
    assert r.status_code == 422
    r = await client.post(
        f"/v1/agreements/{a['id']}/change",
        json={"effective_date": "2027-03-10", "monthly_amount": "20.001"},
        headers=auth(),
    )
    assert r.status_code == 422


async def test_change_after_the_last_invoice_of_the_term_settles_at_once(app, client) -> None:
    event = accepted(start="2027-01-01", cycle="annual", monthly="1000.00", term=12)
    await accept(app, event)
    await run(client, dt.date(2027, 1, 1))
    a = await agreement_for(client, event)
    r = await client.post(
        f"/v1/agreements/{a['id']}/change",
        json={"effective_date": "2027-07-01", "monthly_amount": "1200.00"},
        headers=auth(),
    )
    invoice = r.json()["settled_by"]["invoice"]
    # 184 of 365 days: credit 12000 × 184/365 = 6049.32, charge 14400 × 184/365 = 7259.18
    assert lines(invoice) == [("2027-07-01", "2028-01-01", "-6049.32"), ("2027-07-01", "2028-01-01", "7259.18")]
    assert (invoice["number"], invoice["total"]) == ("INV-2027-000002", "1209.86")
    assert "vcio.billing.agreement.changed" in await outbox_types(app)


async def test_renewal_due_goes_out_once_n_days_before_the_end(app, client, clock) -> None:
    await accept(app, accepted(start="2027-01-01", term=12))
    await client.put("/v1/settings", json={"renewal_notice_days": 30}, headers=auth())
    clock.set(dt.date(2027, 12, 1))
    assert (await app.state.runtime.run_sweep(RENEWALS))["notices"] == 0
    clock.set(dt.date(2027, 12, 2))
    assert (await app.state.runtime.run_sweep(RENEWALS))["notices"] == 1
    assert (await app.state.runtime.run_sweep(RENEWALS))["notices"] == 0
    assert (await outbox_types(app)).count("vcio.billing.agreement.renewal_due") == 1


async def test_auto_renewal_starts_a_new_term_that_bills_on(app, client, clock) -> None:
    event = accepted(start="2027-01-01", term=12, one_time=[("Onboarding", "500.00")])
    await accept(app, event)
    await run(client, dt.date(2027, 12, 1))
    clock.set(dt.date(2028, 1, 1))
    assert (await app.state.runtime.run_sweep(RENEWALS))["renewed"] == 1
    a = await agreement_for(client, event)
    assert (a["term_start"], a["end_date"], a["term_number"], a["status"]) == ("2028-01-01", "2029-01-01", 2, "active")
    result = await run(client, dt.date(2028, 1, 1))
    [inv] = await invoices(client, run_id=result["id"])
    assert lines(inv) == [("2028-01-01", "2028-02-01", "1500.00")]
    assert "vcio.billing.agreement.renewed" in await outbox_types(app)


async def test_a_term_ends_at_midnight_in_the_tenants_time_zone(app, client, clock) -> None:
    """Tokyo is 9 hours ahead of UTC: its 2028-01-01 starts at 15:00 UTC on 2027-12-31, and its scheduled run
    that day must find the new term. The sweep used the UTC date, and renewed 9 hours late."""
    await client.put("/v1/settings", json={"timezone": "Asia/Tokyo"}, headers=auth())
    event = accepted(start="2027-01-01", term=12)
    await accept(app, event)
    clock.set(dt.datetime(2027, 12, 31, 14, 59, tzinfo=dt.UTC))  # 23:59 in Tokyo
    assert (await app.state.runtime.run_sweep(RENEWALS))["renewed"] == 0
    clock.set(dt.datetime(2027, 12, 31, 15, 0, tzinfo=dt.UTC))  # midnight in Tokyo
    assert (await app.state.runtime.run_sweep(RENEWALS))["renewed"] == 1
    assert (await agreement_for(client, event))["term_start"] == "2028-01-01"


async def test_a_term_west_of_utc_is_not_renewed_before_its_own_midnight(app, client, clock) -> None:
    """Los Angeles is 8 hours behind UTC in winter: the UTC date renewed and noticed 8 hours early."""
    await client.put(
        "/v1/settings", json={"timezone": "America/Los_Angeles", "renewal_notice_days": 30}, headers=auth()
    )
    event = accepted(start="2027-01-01", term=12)
    await accept(app, event)
    clock.set(dt.datetime(2027, 12, 2, 7, 59, tzinfo=dt.UTC))  # 23:59 on 1 December in Los Angeles
    assert (await app.state.runtime.run_sweep(RENEWALS))["notices"] == 0
    clock.set(dt.datetime(2027, 12, 2, 8, 0, tzinfo=dt.UTC))  # 30 days before the end, there
    assert (await app.state.runtime.run_sweep(RENEWALS))["notices"] == 1
    clock.set(dt.datetime(2028, 1, 1, 7, 59, tzinfo=dt.UTC))
    assert (await app.state.runtime.run_sweep(RENEWALS))["renewed"] == 0
    assert (await agreement_for(client, event))["term_number"] == 1
    clock.set(dt.datetime(2028, 1, 1, 8, 0, tzinfo=dt.UTC))
    assert (await app.state.runtime.run_sweep(RENEWALS))["renewed"] == 1


async def test_without_auto_renew_the_agreement_expires_and_billing_stops(app, client, clock) -> None:
    event = accepted(start="2027-01-01", term=12)
    await accept(app, event)
    a = await agreement_for(client, event)
    r = await client.patch(f"/v1/agreements/{a['id']}", json={"auto_renew": False}, headers=auth())
    assert r.json()["auto_renew"] is False
    await run(client, dt.date(2027, 12, 1))
    clock.set(dt.date(2028, 1, 1))
    assert (await app.state.runtime.run_sweep(RENEWALS))["expired"] == 1
    assert (await agreement_for(client, event))["status"] == "expired"
    assert (await run(client, dt.date(2028, 3, 1)))["invoices_created"] == 0


async def test_client_update_changes_the_tax_rate_of_later_invoices(app, client) -> None:
    event = accepted(start="2027-01-01", tax_rate="0")
    await accept(app, event)
    updated = build(
        "proposals",
        "vcio.proposals.client.updated",
        "tenant-a",
        {**event.data["client"], "tax_rate": "10", "payment_terms_days": 45},
    )
    await handle_once(app.state.runtime.sessionmaker, PROPOSALS, updated)
    await run(client, dt.date(2027, 1, 1))
    [inv] = await invoices(client)
    assert (inv["tax"], inv["total"], inv["due_date"]) == ("150.00", "1650.00", "2027-02-15")


async def test_mrr_arr_and_movements_per_currency(app, client) -> None:
    first, second = accepted(start="2027-01-01", monthly="1500.00"), accepted(start="2027-02-15", monthly="2000.00")
    for e in (first, second, accepted(start="2027-01-01", monthly="150000", currency="JPY")):
        await accept(app, e)
    a1, a2 = await agreement_for(client, first), await agreement_for(client, second)
    await client.post(
        f"/v1/agreements/{a1['id']}/change",
        json={"effective_date": "2027-04-01", "monthly_amount": "2000.00"},
        headers=auth(),
    )
    await client.post(f"/v1/agreements/{a2['id']}/cancel", json={"effective_date": "2027-06-01"}, headers=auth())
    mrr = (await client.get("/v1/metrics/mrr", params={"as_of": "2027-03-01"}, headers=auth())).json()["items"]
    assert mrr == [
        {"as_of": "2027-03-01", "currency": "JPY", "mrr": "150000", "arr": "1800000", "active_agreements": 1},
        {"as_of": "2027-03-01", "currency": "USD", "mrr": "3500.00", "arr": "42000.00", "active_agreements": 2},
    ]
    later = (await client.get("/v1/metrics/mrr", params={"as_of": "2027-06-01"}, headers=auth())).json()["items"]
    assert [(m["currency"], m["mrr"], m["active_agreements"]) for m in later] == [
        ("JPY", "150000", 1),
        ("USD", "2000.00", 1),
    ]
    moves = (
        await client.get("/v1/metrics/movements", params={"from": "2027-01-01", "to": "2027-06-30"}, headers=auth())
    ).json()["items"]
    usd = [
        (m["month"], m["new"], m["expansion"], m["contraction"], m["churn"], m["net"])
        for m in moves
        if m["currency"] == "USD"
    ]
    assert usd == [
        ("2027-01", "1500.00", "0.00", "0.00", "0.00", "1500.00"),
        ("2027-02", "2000.00", "0.00", "0.00", "0.00", "2000.00"),
        ("2027-04", "0.00", "500.00", "0.00", "0.00", "500.00"),
        ("2027-06", "0.00", "0.00", "0.00", "-2000.00", "-2000.00"),
    ]
