"""Renewals: notices before the end, auto-renewal or expiry at the tenant's midnight, one renewal per term end."""

import asyncio
import datetime as dt

import pytest
import sqlalchemy as sa
from agreement_helpers import outbox_types, renew, renewed_events
from billing_helpers import accept, accepted, agreement_for, invoices, lines, run
from sqlalchemy.exc import IntegrityError

from billing.main import RENEWALS
from vcio_shared.testing import auth


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


async def test_renew_adds_one_term_replays_its_key_and_refuses_the_rest(app, client) -> None:
    """Three calls took a 12-month agreement to 2031: now the first renews, its key replays, the rest are 409."""
    event = accepted(start="2027-01-01", term=12)
    await accept(app, event)
    a = await agreement_for(client, event)
    first = await renew(client, a["id"], "renew-1")
    assert first.status_code == 200, first.text
    assert (first.json()["term_start"], first.json()["end_date"], first.json()["term_number"]) == (
        "2028-01-01",
        "2029-01-01",
        2,
    )
    again = await renew(client, a["id"], "renew-1")
    assert (again.status_code, again.headers.get("Idempotency-Replayed"), again.json()) == (200, "true", first.json())
    for key in ("renew-2", None):
        r = await renew(client, a["id"], key)
        assert r.status_code == 409, r.text
        assert r.json()["detail"] == (
            "the term ending 2028-01-01 is already renewed; the current term (2028-01-01 to 2029-01-01) "
            "starts on 2028-01-01 and can be renewed from then"
        )
    after = await agreement_for(client, event)
    assert (after["end_date"], after["term_number"]) == ("2029-01-01", 2)
    assert await renewed_events(app) == 1


async def test_renew_before_the_first_term_starts_or_without_auto_renew_is_409(app, client) -> None:
    later = accepted(start="2027-03-01", term=12)  # the clock stands at 2027-01-04
    await accept(app, later)
    r = await renew(client, (await agreement_for(client, later))["id"])
    assert (r.status_code, r.json()["detail"]) == (409, "the first term has not started yet: it starts on 2027-03-01")
    off = accepted(start="2027-01-01", term=12)
    await accept(app, off)
    a = await agreement_for(client, off)
    await client.patch(f"/v1/agreements/{a['id']}", json={"auto_renew": False}, headers=auth())
    r = await renew(client, a["id"])
    assert (r.status_code, r.json()["detail"]) == (
        409,
        "auto_renew is off for this agreement: it expires at the end of its term (set auto_renew to renew it)",
    )
    assert [(x["end_date"], x["term_number"]) for x in (await agreement_for(client, later), a)] == [
        ("2028-03-01", 1),
        ("2028-01-01", 1),
    ]
    assert await renewed_events(app) == 0


async def test_two_concurrent_renewals_renew_once(app, client) -> None:
    event = accepted(start="2027-01-01", term=12)
    await accept(app, event)
    a = await agreement_for(client, event)
    answers = await asyncio.gather(*(renew(client, a["id"], f"k{i}") for i in range(4)))
    assert sorted(r.status_code for r in answers) == [200, 409, 409, 409]
    assert ((await agreement_for(client, event))["end_date"], await renewed_events(app)) == ("2029-01-01", 1)


async def test_a_manual_renewal_and_the_sweep_renew_a_term_end_once(app, client, clock) -> None:
    event = accepted(start="2027-01-01", term=12)
    await accept(app, event)
    a = await agreement_for(client, event)
    assert (await renew(client, a["id"])).status_code == 200
    clock.set(dt.date(2028, 1, 1))  # the old end: the sweep finds nothing more to renew
    assert (await app.state.runtime.run_sweep(RENEWALS))["renewed"] == 0
    assert (await renew(client, a["id"])).status_code == 200  # the second term has started: it may renew
    after = await agreement_for(client, event)
    assert (after["term_start"], after["end_date"], after["term_number"]) == ("2029-01-01", "2030-01-01", 3)
    assert await renewed_events(app) == 2


async def test_the_database_refuses_a_second_renewal_of_one_term_end(app, client) -> None:
    event = accepted(start="2027-01-01", term=12)
    await accept(app, event)
    a = await agreement_for(client, event)
    assert (await renew(client, a["id"])).status_code == 200
    async with app.state.runtime.sessionmaker() as s:
        with pytest.raises(IntegrityError):
            await s.execute(
                sa.text(
                    "INSERT INTO agreement_renewals (id, tenant_id, agreement_id, previous_end_date, end_date,"
                    " term_number, renewed_by, created_at) VALUES (gen_random_uuid(), 'tenant-a', :a, '2028-01-01',"
                    " '2029-01-01', 3, 'x', now())"
                ),
                {"a": a["id"]},
            )
