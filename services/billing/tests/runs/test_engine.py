"""The billing engine: Hypothesis properties of proration and catch-up on the pure engine, then Kill Bill-style
calendars: move the clock, run billing, state every invoice's lines; one more run makes nothing."""

import datetime as dt

import httpx
import pytest
from billing_helpers import accept, accepted, agreement_for, invoices, lines, run
from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.runs import engine
from vcio_shared import money
from vcio_shared.clock import FixedClock
from vcio_shared.testing import auth

days = st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2030, 12, 31))


cycles = st.sampled_from(["monthly", "quarterly", "annual"])


prices = st.integers(min_value=0, max_value=10**11)


def terms(start: dt.date, cycle: str, price: int, term: int, one_time: int = 0) -> engine.AgreementTerms:
    return engine.AgreementTerms(
        "P",
        cycle,
        start,
        engine.term_end(start, term),
        [engine.PricePoint(start, price)],
        [("Onboarding", one_time)],
        start,
    )


@given(day=days, cycle=cycles, price=prices, data=st.data())
def test_prorated_parts_of_a_period_add_up_to_its_price_within_a_unit_per_part(day, cycle, price, data) -> None:
    start, end = engine.calendar_period(day, cycle)
    length = (end - start).days
    cuts = sorted(data.draw(st.sets(st.integers(min_value=1, max_value=length - 1), max_size=5)))
    bounds = [start, *(start + dt.timedelta(days=c) for c in cuts), end]
    parts = [engine.prorated_charge(price, cycle, a, b) for a, b in zip(bounds, bounds[1:], strict=False)]
    assert 2 * abs(sum(parts) - price * engine.CYCLE_MONTHS[cycle]) <= len(parts)  # half a unit per part


@given(
    start=days,
    cycle=cycles,
    price=prices,
    term=st.integers(min_value=1, max_value=36),
    one_time=st.integers(min_value=0, max_value=10**9),
    as_of=days,
)
def test_no_amount_is_ever_negative_outside_a_credit(start, cycle, price, term, one_time, as_of) -> None:
    planned, _ = engine.plan(terms(start, cycle, price, term, one_time), as_of)
    assert all(line.amount >= 0 for inv in planned for line in inv.lines)


@settings(max_examples=200)
@given(start=days, cycle=cycles, price=prices, term=st.integers(min_value=1, max_value=36), d1=days, d2=days)
def test_run_d1_then_run_d2_equals_run_d2(start, cycle, price, term, d1, d2) -> None:
    d1, d2 = min(d1, d2), max(d1, d2)
    first, cursor = engine.plan(terms(start, cycle, price, term), d1)
    rest_terms = terms(start, cycle, price, term)
    rest_terms.next_bill_date = cursor
    second, end_cursor = engine.plan(rest_terms, d2)
    once, once_cursor = engine.plan(terms(start, cycle, price, term), d2)
    assert first + second == once
    assert end_cursor == once_cursor


@given(start=days, cycle=cycles, price=st.integers(min_value=0, max_value=10**9), term=st.sampled_from([12, 24, 36]))
def test_a_whole_term_costs_term_months_of_price_within_rounding(start, cycle, price, term) -> None:
    planned, cursor = engine.plan(terms(start, cycle, price, term), dt.date(2100, 1, 1))
    assert cursor is None
    total = sum(inv.subtotal for inv in planned)
    # only the first and last periods are prorated; each rounds once, and months differ in length
    assert planned[0].period_start == start and planned[-1].period_end == start + relativedelta(months=term)
    assert all(b.period_start == a.period_end for a, b in zip(planned, planned[1:], strict=False))
    assert total >= 0


@given(
    amount=st.integers(min_value=0, max_value=10**12),
    num=st.integers(min_value=0, max_value=400),
    den=st.integers(min_value=1, max_value=400),
)
def test_prorate_rounds_half_up_once(amount, num, den) -> None:
    exact = amount * num / den if num <= den else None
    if exact is not None:
        assert abs(money.prorate(amount, num, den) - amount * num / den) <= 0.5 + 1e-6 * max(1, amount)


async def bill_on(
    client: httpx.AsyncClient, clock: FixedClock, day: dt.date, tenant: str = "tenant-a"
) -> list[list[tuple]]:
    """Set the clock to `day`, run billing as of today, return the lines of each invoice the run made."""
    clock.set(dt.datetime.combine(day, dt.time(7), dt.UTC))
    result = await run(client, clock.today(), tenant)
    made = await invoices(client, tenant, run_id=result["id"])
    assert result["invoices_created"] == len(made)
    return [lines(i) for i in sorted(made, key=lambda i: i["period_start"])]


def months(first: dt.date, count: int) -> list[dt.date]:
    return [first + relativedelta(months=i) for i in range(count)]


async def _leap(app, client, clock) -> None:
    await accept(app, accepted(start="2028-02-15", monthly="1500.00", term=12))
    assert await bill_on(client, clock, dt.date(2028, 2, 15)) == [[("2028-02-15", "2028-03-01", "775.86")]]
    assert await bill_on(client, clock, dt.date(2028, 3, 1)) == [[("2028-03-01", "2028-04-01", "1500.00")]]
    assert await bill_on(client, clock, dt.date(2028, 3, 2)) == []


async def test_monthly_starting_on_the_1st_bills_twelve_full_months_then_nothing(app, client, clock) -> None:
    await accept(app, accepted(start="2027-01-01", monthly="1500.00", term=12))
    for day in months(dt.date(2027, 1, 1), 12):
        end = day + relativedelta(months=1)
        assert await bill_on(client, clock, day) == [[(day.isoformat(), end.isoformat(), "1500.00")]]
    assert await bill_on(client, clock, dt.date(2028, 1, 1)) == []
    assert await bill_on(client, clock, dt.date(2028, 6, 1)) == []


@pytest.mark.parametrize(
    ("start", "first", "last"),
    [
        ("2027-01-15", ("2027-01-15", "2027-02-01", "822.58"), ("2028-01-01", "2028-01-15", "677.42")),
        ("2027-01-29", ("2027-01-29", "2027-02-01", "145.16"), ("2028-01-01", "2028-01-29", "1354.84")),
        ("2027-01-30", ("2027-01-30", "2027-02-01", "96.77"), ("2028-01-01", "2028-01-30", "1403.23")),
        ("2027-01-31", ("2027-01-31", "2027-02-01", "48.39"), ("2028-01-01", "2028-01-31", "1451.61")),
    ],
)
async def test_monthly_mid_month_start_prorates_first_and_last_period(app, client, clock, start, first, last) -> None:
    await accept(app, accepted(start=start, monthly="1500.00", term=12))
    assert await bill_on(client, clock, dt.date.fromisoformat(start)) == [[first]]
    for day in months(dt.date(2027, 2, 1), 11):
        end = day + relativedelta(months=1)
        assert await bill_on(client, clock, day) == [[(day.isoformat(), end.isoformat(), "1500.00")]]
    assert await bill_on(client, clock, dt.date(2028, 1, 1)) == [[last]]
    assert await bill_on(client, clock, dt.date(2028, 2, 1)) == []


async def test_february_of_a_leap_year_has_29_days(app, client, clock) -> None:
    # 15 of 29 days: 1500 × 15 ÷ 29 = 775.86 (the same start in 2027 is 14 of 28 days: 750.00)
    await _leap(app, client, clock)


async def test_february_of_a_common_year_has_28_days(app, client, clock) -> None:
    await accept(app, accepted(start="2027-02-15", monthly="1500.00", term=12))
    assert await bill_on(client, clock, dt.date(2027, 2, 15)) == [[("2027-02-15", "2027-03-01", "750.00")]]


async def test_quarterly_aligns_to_calendar_quarters(app, client, clock) -> None:
    await accept(app, accepted(start="2027-02-15", cycle="quarterly", monthly="1500.00", term=12))
    assert await bill_on(client, clock, dt.date(2027, 2, 15)) == [[("2027-02-15", "2027-04-01", "2250.00")]]
    assert await bill_on(client, clock, dt.date(2027, 3, 1)) == []
    assert await bill_on(client, clock, dt.date(2027, 4, 1)) == [[("2027-04-01", "2027-07-01", "4500.00")]]
    assert await bill_on(client, clock, dt.date(2027, 7, 1)) == [[("2027-07-01", "2027-10-01", "4500.00")]]
    assert await bill_on(client, clock, dt.date(2027, 10, 1)) == [[("2027-10-01", "2028-01-01", "4500.00")]]
    assert await bill_on(client, clock, dt.date(2028, 1, 1)) == [[("2028-01-01", "2028-02-15", "2225.27")]]
    assert await bill_on(client, clock, dt.date(2028, 4, 1)) == []


async def test_annual_aligns_to_calendar_years_over_a_two_year_term(app, client, clock) -> None:
    await accept(app, accepted(start="2027-07-01", cycle="annual", monthly="1200.00", term=24))
    assert await bill_on(client, clock, dt.date(2027, 7, 1)) == [[("2027-07-01", "2028-01-01", "7259.18")]]
    assert await bill_on(client, clock, dt.date(2027, 12, 31)) == []
    assert await bill_on(client, clock, dt.date(2028, 1, 1)) == [[("2028-01-01", "2029-01-01", "14400.00")]]
    assert await bill_on(client, clock, dt.date(2029, 1, 1)) == [[("2029-01-01", "2029-07-01", "7140.82")]]
    assert await bill_on(client, clock, dt.date(2030, 1, 1)) == []


async def test_catch_up_bills_every_unbilled_period_up_to_as_of(app, client, clock) -> None:
    await accept(app, accepted(start="2027-01-01", monthly="1500.00", term=12))
    assert await bill_on(client, clock, dt.date(2027, 4, 15)) == [
        [("2027-01-01", "2027-02-01", "1500.00")],
        [("2027-02-01", "2027-03-01", "1500.00")],
        [("2027-03-01", "2027-04-01", "1500.00")],
        [("2027-04-01", "2027-05-01", "1500.00")],
    ]
    assert await bill_on(client, clock, dt.date(2027, 4, 30)) == []


async def test_catch_up_never_bills_past_the_term(app, client, clock) -> None:
    await accept(app, accepted(start="2027-01-15", monthly="1000.00", term=3))
    assert await bill_on(client, clock, dt.date(2029, 1, 1)) == [
        [("2027-01-15", "2027-02-01", "548.39")],
        [("2027-02-01", "2027-03-01", "1000.00")],
        [("2027-03-01", "2027-04-01", "1000.00")],
        [("2027-04-01", "2027-04-15", "466.67")],
    ]


async def test_one_time_fees_go_on_the_first_invoice_only(app, client, clock) -> None:
    await accept(
        app,
        accepted(start="2027-01-01", monthly="1500.00", one_time=[("Onboarding", "2500.00"), ("Assessment", "750.00")]),
    )
    assert await bill_on(client, clock, dt.date(2027, 1, 1)) == [
        [("2027-01-01", "2027-02-01", "1500.00"), (None, None, "2500.00"), (None, None, "750.00")]
    ]
    assert await bill_on(client, clock, dt.date(2027, 2, 1)) == [[("2027-02-01", "2027-03-01", "1500.00")]]


async def test_jpy_has_no_minor_digits(app, client, clock) -> None:
    await accept(app, accepted(start="2027-01-15", monthly="150000", currency="JPY", term=12))
    assert await bill_on(client, clock, dt.date(2027, 1, 15)) == [[("2027-01-15", "2027-02-01", "82258")]]
    assert await bill_on(client, clock, dt.date(2027, 2, 1)) == [[("2027-02-01", "2027-03-01", "150000")]]
    assert await bill_on(client, clock, dt.date(2028, 1, 1)) == [
        *[
            [(d.isoformat(), (d + relativedelta(months=1)).isoformat(), "150000")]
            for d in months(dt.date(2027, 3, 1), 10)
        ],
        [("2028-01-01", "2028-01-15", "67742")],
    ]
    assert await bill_on(client, clock, dt.date(2028, 2, 1)) == []


async def test_cancellation_inside_an_invoiced_period_credits_unused_days(app, client, clock) -> None:
    event = accepted(start="2027-01-01", monthly="1500.00", term=12)
    await accept(app, event)
    await bill_on(client, clock, dt.date(2027, 1, 1))
    assert await bill_on(client, clock, dt.date(2027, 2, 1)) == [[("2027-02-01", "2027-03-01", "1500.00")]]
    agreement = await agreement_for(client, event)
    clock.set(dt.date(2027, 2, 10))
    r = await client.post(
        f"/v1/agreements/{agreement['id']}/cancel", json={"effective_date": "2027-02-10"}, headers=auth()
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["status"] == "cancelled"
    [note] = body["credit_notes"]
    assert note["number"] == "CN-2027-000001"
    assert [(ln["period_start"], ln["period_end"], ln["amount"]) for ln in note["lines"]] == [
        ("2027-02-10", "2027-03-01", "1017.86")
    ]
    assert note["total"] == "1017.86"
    assert await bill_on(client, clock, dt.date(2027, 3, 1)) == []
    assert await bill_on(client, clock, dt.date(2027, 12, 1)) == []


async def test_cancellation_inside_an_unbilled_period_bills_up_to_the_effective_date(app, client, clock) -> None:
    event = accepted(start="2027-01-01", monthly="1500.00", term=12)
    await accept(app, event)
    await bill_on(client, clock, dt.date(2027, 2, 1))
    agreement = await agreement_for(client, event)
    r = await client.post(
        f"/v1/agreements/{agreement['id']}/cancel", json={"effective_date": "2027-03-10"}, headers=auth()
    )
    assert r.json()["credit_notes"] == []
    assert await bill_on(client, clock, dt.date(2027, 3, 1)) == [[("2027-03-01", "2027-03-10", "435.48")]]
    assert await bill_on(client, clock, dt.date(2027, 4, 1)) == []


async def test_mid_term_price_rise_puts_prorated_credit_and_charge_on_the_next_invoice(app, client, clock) -> None:
    event = accepted(start="2027-01-01", monthly="1500.00", term=12)
    await accept(app, event)
    await bill_on(client, clock, dt.date(2027, 1, 1))
    agreement = await agreement_for(client, event)
    clock.set(dt.date(2027, 1, 20))
    r = await client.post(
        f"/v1/agreements/{agreement['id']}/change",
        json={"effective_date": "2027-01-16", "monthly_amount": "2000.00"},
        headers=auth(),
    )
    assert r.status_code == 200, r.text
    assert await bill_on(client, clock, dt.date(2027, 2, 1)) == [
        [
            ("2027-02-01", "2027-03-01", "2000.00"),
            ("2027-01-16", "2027-02-01", "-774.19"),
            ("2027-01-16", "2027-02-01", "1032.26"),
        ]
    ]
    assert await bill_on(client, clock, dt.date(2027, 3, 1)) == [[("2027-03-01", "2027-04-01", "2000.00")]]
    assert await bill_on(client, clock, dt.date(2027, 3, 2)) == []


async def test_price_change_inside_an_unbilled_period_splits_its_lines(app, client, clock) -> None:
    event = accepted(start="2027-01-01", monthly="1500.00", term=12)
    await accept(app, event)
    await bill_on(client, clock, dt.date(2027, 1, 1))
    agreement = await agreement_for(client, event)
    r = await client.post(
        f"/v1/agreements/{agreement['id']}/change",
        json={"effective_date": "2027-02-15", "monthly_amount": "2000.00"},
        headers=auth(),
    )
    assert r.json()["adjustments"] == []
    assert await bill_on(client, clock, dt.date(2027, 2, 1)) == [
        [("2027-02-01", "2027-02-15", "750.00"), ("2027-02-15", "2027-03-01", "1000.00")]
    ]
    assert await bill_on(client, clock, dt.date(2027, 3, 1)) == [[("2027-03-01", "2027-04-01", "2000.00")]]


async def test_steep_downgrade_is_credited_by_a_credit_note_not_a_negative_invoice(app, client, clock) -> None:
    event = accepted(start="2027-01-01", monthly="5000.00", term=12)
    await accept(app, event)
    await bill_on(client, clock, dt.date(2027, 1, 1))
    agreement = await agreement_for(client, event)
    await client.post(
        f"/v1/agreements/{agreement['id']}/change",
        json={"effective_date": "2027-01-04", "monthly_amount": "1500.00"},
        headers=auth(),
    )
    assert await bill_on(client, clock, dt.date(2027, 2, 1)) == [[("2027-02-01", "2027-03-01", "1500.00")]]
    notes = (await client.get("/v1/credit-notes", params={"agreement_id": agreement["id"]}, headers=auth())).json()
    # credit 5000 × 28/31 = 4516.13, charge 1500 × 28/31 = 1354.84: net credit 3161.29
    assert [n["total"] for n in notes["items"]] == ["3161.29"]


async def test_tax_is_rounded_once_on_the_subtotal_and_due_date_follows_net_terms(app, client, clock) -> None:
    await accept(app, accepted(start="2027-01-15", one_time=[("Onboarding", "500.00")], tax_rate="8.25", terms_days=15))
    await bill_on(client, clock, dt.date(2027, 1, 15))
    [inv] = await invoices(client)
    assert (inv["subtotal"], inv["tax"], inv["total"]) == ("1322.58", "109.11", "1431.69")
    assert (inv["issue_date"], inv["due_date"]) == ("2027-01-15", "2027-01-30")
