"""Cancel and change: the term rules, settlement at once when no invoice follows, and the MRR they move."""

import datetime as dt

from agreement_helpers import outbox_types
from billing_helpers import accept, accepted, agreement_for, lines, run

from vcio_shared.testing import auth


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


async def test_a_second_settlement_of_the_same_period_is_a_conflict(app, client) -> None:
    event = accepted(start="2027-01-01", cycle="annual", monthly="1000.00", term=12)
    await accept(app, event)
    await run(client, dt.date(2027, 1, 1))
    a = await agreement_for(client, event)
    url, body = f"/v1/agreements/{a['id']}/change", {"effective_date": "2027-07-01", "monthly_amount": "1200.00"}
    assert (await client.post(url, json=body, headers=auth())).status_code == 200
    r = await client.post(url, json={**body, "monthly_amount": "1300.00"}, headers=auth())
    assert (r.status_code, r.headers["content-type"]) == (409, "application/problem+json")
    r = await client.get(f"/v1/agreements/{a['id']}", headers=auth())
    assert r.json()["monthly_amount"] == "1200.00"


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
