"""Properties of the proposal arithmetic (pure functions, no servers needed)."""

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from proposals.proposals import calc
from vcio_shared import cadence

minor = st.integers(min_value=0, max_value=10**12)
percent = st.decimals(min_value=0, max_value=100, places=2)


@settings(max_examples=200, deadline=None)
@given(
    base=minor,
    options=st.lists(st.tuples(minor, st.sampled_from(["recurring", "one_time"]), st.booleans()), max_size=6),
    fees=st.lists(minor, max_size=4),
    discount=percent,
    term=st.integers(min_value=1, max_value=120),
)
def test_included_lines_add_up_exactly_to_the_totals(base, options, fees, discount, term) -> None:
    lines = [calc.line("package", "recurring", "Package", base, discount, source="package")]
    chosen = []
    for i, (amount, kind, ticked) in enumerate(options):
        lines.append(calc.line(f"option-{i}", kind, "Option", amount, discount, optional=True, source="custom"))
        if ticked:
            chosen.append(f"option-{i}")
    lines += [calc.line(f"fee-{i}", "one_time", "Fee", a, discount, source="custom") for i, a in enumerate(fees)]
    t = calc.totals(lines, chosen, term)
    inc = calc.included(lines, chosen)
    assert t.monthly == sum(ln["amount"] for ln in inc if ln["kind"] == "recurring")
    assert (
        t.one_time
        == sum(ln["amount"] for ln in inc if ln["kind"] == "one_time")
        == sum(fees) + sum(a for a, k, ticked in options if k == "one_time" and ticked)
    )
    assert t.contract_value == t.monthly * term + t.one_time


@settings(max_examples=300, deadline=None)
@given(amount=minor, discount=percent)
def test_a_discount_is_rounded_half_up_once_and_never_loses_a_cent(amount, discount) -> None:
    off, after = calc.discounted(amount, discount)
    exact = Decimal(amount) * discount / 100
    assert off == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert off + after == amount and 0 <= after <= amount


@settings(max_examples=200, deadline=None)
@given(
    start=st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31)),
    cycle=st.sampled_from(["monthly", "quarterly", "annual"]),
)
def test_the_first_period_is_calendar_aligned_and_contains_the_start(start, cycle) -> None:
    p_start, p_end = calc.first_period(start, cycle)
    assert p_start.day == 1 and p_start <= start < p_end
    assert (p_start.month - 1) % calc.cycle_months(cycle) == 0


def test_occurrences_fall_inside_the_half_open_term() -> None:
    days = cadence.expand("FREQ=MONTHLY;INTERVAL=3", dt.date(2027, 1, 31), dt.date(2028, 1, 31))
    assert days == (dt.date(2027, 1, 31), dt.date(2027, 7, 31), dt.date(2027, 10, 31))  # no 31 April or 31 January 2028


def test_cadences_read_in_plain_words() -> None:
    assert [
        calc.describe_cadence(c)
        for c in (
            "FREQ=MONTHLY",
            "FREQ=MONTHLY;INTERVAL=3",
            "FREQ=MONTHLY;INTERVAL=6",
            "FREQ=YEARLY",
            "FREQ=WEEKLY;INTERVAL=2",
        )
    ] == ["monthly", "quarterly", "twice a year", "annually", "every 2 weeks"]


def test_percentages_show_at_least_two_decimals() -> None:
    assert [calc.format_percent(Decimal(v)) for v in ("0", "8.25", "8.875", "10")] == ["0.00", "8.25", "8.875", "10.00"]
