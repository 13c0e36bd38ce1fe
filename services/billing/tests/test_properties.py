"""Hypothesis properties of proration and catch-up (the pure engine: no database, so many examples)."""

import datetime as dt

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.runs import engine
from vcio_shared import money

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
