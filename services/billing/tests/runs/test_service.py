"""Billing runs: dry run, never twice under concurrency, the run record, idempotency, per-agreement errors."""

import asyncio
import datetime as dt

import sqlalchemy as sa
from billing_helpers import accept, accepted, invoices, run, seed

from vcio_shared.testing import auth


async def test_dry_run_returns_exactly_what_a_real_run_makes_and_writes_nothing(app, client) -> None:
    await accept(app, accepted(start="2027-01-15", one_time=[("Onboarding", "500.00")], tax_rate="8.25"))
    await accept(app, accepted(start="2026-11-01", cycle="quarterly"))
    dry = await run(client, dt.date(2027, 2, 1), dry_run=True)
    assert dry["dry_run"] is True
    assert await invoices(client) == []
    async with app.state.runtime.sessionmaker() as s:
        written = "SELECT count(*) FROM outbox WHERE type <> 'vcio.billing.agreement.activated'"
        assert await s.scalar(sa.text(written)) == 0
        assert await s.scalar(sa.text("SELECT count(*) FROM document_counters")) == 0
    real = await run(client, dt.date(2027, 2, 1))
    made = await invoices(client)

    def strip(xs: list[dict]) -> list[dict]:
        return sorted(({k: v for k, v in x.items() if k != "id"} for x in xs), key=lambda x: x["number"])

    assert strip(dry["invoices"]) == strip(made)
    assert (dry["invoices_created"], dry["totals"]) == (real["invoices_created"], real["totals"])
    assert real["invoices_created"] == 4


async def test_three_simultaneous_runs_make_one_invoice_per_period(app, client) -> None:
    for i in range(30):
        await accept(app, accepted(start=f"2027-01-{1 + i % 28:02d}"))
    results = await asyncio.gather(*(run(client, dt.date(2027, 3, 1)) for _ in range(3)))
    made = await invoices(client)
    assert sum(r["invoices_created"] for r in results) == len(made) == 90
    assert len({(i["agreement_id"], i["period_start"]) for i in made}) == 90
    assert sorted(i["number"] for i in made) == [f"INV-2027-{n:06d}" for n in range(1, 91)]


async def test_a_run_advances_every_agreement_in_place(app, client, settings) -> None:
    """Each agreement's next_bill_date moves on its own page (a HOT update: no index entry is written), even on
    a freshly loaded table whose pages hold as many rows as the fillfactor lets them. At fillfactor 80 three
    quarters of the rows moved page, writing an entry in each of the table's six indexes."""
    seed(settings.database_url, 600)
    where = "SELECT id, (ctid::text::point)[0] AS page FROM agreements ORDER BY id"
    async with app.state.runtime.sessionmaker() as s:
        before = (await s.execute(sa.text(where))).all()
    assert len({page for _, page in before}) > 10  # several pages, each as full as the fillfactor allows
    assert (await run(client, dt.date(2027, 1, 1)))["invoices_created"] == 600
    async with app.state.runtime.sessionmaker() as s:
        after = (await s.execute(sa.text(where))).all()
        advanced = await s.scalar(sa.text("SELECT count(*) FROM agreements WHERE next_bill_date = '2027-02-01'"))
    assert advanced == 600
    assert after == before


async def test_second_run_creates_no_invoice(app, client) -> None:
    await accept(app, accepted(start="2027-01-01"))
    assert (await run(client, dt.date(2027, 1, 1)))["invoices_created"] == 1
    assert (await run(client, dt.date(2027, 1, 1)))["invoices_created"] == 0


async def test_run_records_counts_totals_per_currency_and_duration(app, client) -> None:
    await accept(app, accepted(start="2027-01-01", monthly="1500.00"))
    await accept(app, accepted(start="2027-01-01", monthly="2000.00"))
    await accept(app, accepted(start="2027-01-01", monthly="150000", currency="JPY"))
    result = await run(client, dt.date(2027, 1, 1))
    stored = (await client.get(f"/v1/billing-runs/{result['id']}", headers=auth())).json()
    assert stored == result
    assert (
        stored["status"],
        stored["agreements_total"],
        stored["agreements_processed"],
        stored["invoices_created"],
    ) == ("completed", 3, 3, 3)
    assert stored["totals"] == [{"currency": "JPY", "amount": "150000"}, {"currency": "USD", "amount": "3500.00"}]
    assert stored["errors"] == [] and stored["duration_ms"] >= 0


async def test_one_bad_agreement_does_not_stop_the_run(app, client) -> None:
    await accept(app, accepted(start="2027-01-01"))
    bad = accepted(start="2027-01-01")
    await accept(app, bad)
    async with app.state.runtime.sessionmaker() as s, s.begin():
        await s.execute(
            sa.text(
                "UPDATE agreements SET billing_cycle = 'monthly', price_schedule = '[]'::jsonb WHERE proposal_id = :p"
            ),
            {"p": bad.data["proposal_id"]},
        )
    result = await run(client, dt.date(2027, 1, 1))
    assert result["invoices_created"] == 1
    assert len(result["errors"]) == 1 and "IndexError" in result["errors"][0]["error"]


async def test_run_completed_event_is_written_to_the_outbox(app, client) -> None:
    await accept(app, accepted(start="2027-01-01"))
    await run(client, dt.date(2027, 1, 1))
    async with app.state.runtime.sessionmaker() as s:
        types = (await s.execute(sa.text("SELECT type FROM outbox ORDER BY seq"))).scalars().all()
    assert types == [
        "vcio.billing.agreement.activated",
        "vcio.billing.invoice.issued",
        "vcio.billing.billing_run.completed",
    ]


async def test_background_run_answers_202_and_completes(app, client) -> None:
    await accept(app, accepted(start="2027-01-01"))
    r = await client.post("/v1/billing-runs", json={"as_of": "2027-01-01", "background": True}, headers=auth())
    assert r.status_code == 202
    assert r.json()["status"] == "running"
    await asyncio.gather(*app.state.runtime.extras["billing_runs"])
    done = (await client.get(f"/v1/billing-runs/{r.json()['id']}", headers=auth())).json()
    assert (done["status"], done["invoices_created"]) == ("completed", 1)


async def test_run_with_the_same_idempotency_key_runs_once(app, client) -> None:
    await accept(app, accepted(start="2027-01-01"))
    headers = {**auth(), "Idempotency-Key": "run-1"}
    first = await client.post("/v1/billing-runs", json={"as_of": "2027-01-01"}, headers=headers)
    second = await client.post("/v1/billing-runs", json={"as_of": "2027-01-01"}, headers=headers)
    assert first.json() == second.json()
    assert second.headers.get("Idempotency-Replayed") == "true"
    assert len((await client.get("/v1/billing-runs", headers=auth())).json()["items"]) == 1


async def test_automatic_run_bills_once_the_tenants_hour_has_come(app, client, clock) -> None:
    from billing.main import AUTOMATIC_BILLING

    await accept(app, accepted(start="2027-01-04"))
    await client.put("/v1/settings", json={"timezone": "America/Chicago", "auto_run_hour": 6}, headers=auth())
    clock.set(dt.datetime(2027, 1, 4, 11, 0, tzinfo=dt.UTC))  # 05:00 in Chicago
    assert await app.state.runtime.run_sweep(AUTOMATIC_BILLING) == []
    clock.set(dt.datetime(2027, 1, 4, 12, 30, tzinfo=dt.UTC))  # 06:30 in Chicago
    assert len(await app.state.runtime.run_sweep(AUTOMATIC_BILLING)) == 1
    assert await app.state.runtime.run_sweep(AUTOMATIC_BILLING) == []
    [inv] = await invoices(client)
    assert inv["period_start"] == "2027-01-04"


async def test_issued_events_carry_the_invoice_exactly_as_get_shows_it(app, client) -> None:
    import orjson

    from vcio_shared.events import decode

    await accept(app, accepted(start="2027-01-15", one_time=[("Onboarding", "500.00")], tax_rate="8.25"))
    await accept(app, accepted(start="2027-01-15", monthly="150000", currency="JPY"))
    await run(client, dt.date(2027, 2, 1))
    async with app.state.runtime.sessionmaker() as s:
        [row] = (  # the chunk's events in one batch row (events.emit_batch), its first event's id as the row's
            await s.execute(
                sa.text("SELECT id, payload, event_ids FROM outbox WHERE type = 'vcio.billing.invoice.issued'")
            )
        ).all()
    payloads = bytes(row.payload).split(b"\n")
    assert len(payloads) == len(row.event_ids) == 4
    assert row.id == row.event_ids[0]
    for event_id, payload in zip(row.event_ids, payloads, strict=True):
        event = decode(payload, subject="vcio.billing.invoice.issued")
        assert (event.id, event.source, event.tenantid) == (str(event_id), "/vcio/billing", "tenant-a")
        shown = (await client.get(f"/v1/invoices/{event.data['id']}", headers=auth())).json()
        shown.pop("value_delivered")
        assert shown.pop("client_name") == "Acme Dental"  # answers name the client; the event's data does not
        assert event.data == shown
        assert event.subject == shown["id"]
        assert orjson.loads(payload)["data"]["lines"][0]["amount"] == shown["lines"][0]["amount"]
