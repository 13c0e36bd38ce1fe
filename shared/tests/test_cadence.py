"""vcio_shared.cadence: the checker, counter and expansion (pure functions; no servers needed)."""

import datetime as dt
import time

import pytest
from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr
from hypothesis import given, settings
from hypothesis import strategies as st

from vcio_shared import cadence, vocabulary
from vcio_shared.cadence import CadenceError, occurrences, parse, schedule_basis

TODAY = dt.date(2027, 1, 4)
START = dt.date(2027, 2, 1)


def _plain_count(rule: str, start: dt.date, term_months: int) -> int:
    """dateutil on the real dates, for comparison (safe only for rules known to match)."""
    end = dt.datetime.combine(start + relativedelta(months=term_months), dt.time())
    return sum(
        1
        for _ in rrulestr(rule, dtstart=dt.datetime.combine(start, dt.time())).between(
            dt.datetime.combine(start, dt.time()), end - dt.timedelta(seconds=1), inc=True
        )
    )


@pytest.mark.parametrize(
    ("rule", "count"),
    [
        ("FREQ=YEARLY", 1),
        ("FREQ=MONTHLY;INTERVAL=3", 4),
        ("FREQ=MONTHLY", 12),
        ("FREQ=WEEKLY", 53),
        ("FREQ=MONTHLY;BYMONTHDAY=31", 7),
        ("FREQ=MONTHLY;COUNT=3", 3),
        ("FREQ=MONTHLY;BYDAY=1MO", 12),
        ("FREQ=MONTHLY;BYSETPOS=-1;BYDAY=FR", 12),
        ("FREQ=YEARLY;INTERVAL=2", 1),
    ],
)
def test_occurrences_in_a_12_month_term(rule: str, count: int) -> None:
    assert occurrences(parse(rule, TODAY), START, 12) == count


def test_until_inside_the_term_stops_the_count() -> None:
    assert occurrences(parse("FREQ=MONTHLY;UNTIL=20270601", TODAY), START, 12) == 5


def test_a_rule_that_never_matches_counts_zero_quickly() -> None:
    began = time.perf_counter()
    assert occurrences(parse("FREQ=MONTHLY;BYMONTH=2;BYMONTHDAY=30", TODAY), START, 60) == 0
    assert time.perf_counter() - began < 2.0


def test_interval_zero_is_refused_rather_than_looping_forever() -> None:
    with pytest.raises(CadenceError, match="INTERVAL"):
        parse("FREQ=MONTHLY;INTERVAL=0", TODAY)


def test_schedule_basis_is_the_first_of_next_month() -> None:
    assert schedule_basis(dt.date(2027, 12, 31)) == dt.date(2028, 1, 1)
    assert schedule_basis(dt.date(2027, 1, 1)) == dt.date(2027, 2, 1)


RULES = st.sampled_from(
    [
        "FREQ=YEARLY",
        "FREQ=MONTHLY",
        "FREQ=MONTHLY;INTERVAL=3",
        "FREQ=WEEKLY",
        "FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH",
        "FREQ=MONTHLY;BYMONTHDAY=29",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "FREQ=MONTHLY;BYDAY=-1FR",
        "FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29",
        "FREQ=YEARLY;BYWEEKNO=53;BYDAY=MO",
        "FREQ=YEARLY;BYYEARDAY=366",
        "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=1",
        "FREQ=WEEKLY;BYMONTH=2,3",
    ]
)


@settings(max_examples=150, deadline=None)
@given(rule=RULES, start=st.dates(dt.date(2000, 1, 1), dt.date(2199, 12, 1)), term=st.integers(1, 60))
def test_counting_on_the_shifted_calendar_equals_counting_on_the_real_one(rule: str, start: dt.date, term: int) -> None:
    # the Gregorian calendar repeats every 400 years, so moving the term by whole cycles changes nothing
    assert occurrences(parse(rule, dt.date(2000, 1, 1)), start, term) == _plain_count(rule, start, term)


def test_expand_gives_exact_dates_inside_the_half_open_window() -> None:
    assert cadence.expand("FREQ=MONTHLY;INTERVAL=3", dt.date(2027, 1, 31), dt.date(2028, 1, 31)) == (
        dt.date(2027, 1, 31),
        dt.date(2027, 7, 31),  # no 31 April: RFC 5545 skips it
        dt.date(2027, 10, 31),
    )
    assert cadence.expand("FREQ=WEEKLY;BYDAY=MO", dt.date(2027, 3, 1), dt.date(2027, 3, 15)) == (
        dt.date(2027, 3, 1),
        dt.date(2027, 3, 8),
    )
    assert cadence.count("FREQ=MONTHLY", dt.date(2027, 2, 1), dt.date(2028, 2, 1)) == 12
    assert cadence.count("FREQ=YEARLY", dt.date(2027, 2, 1), dt.date(2027, 2, 1)) == 0


def test_expand_counts_what_parse_and_occurrences_count() -> None:
    rule = parse("FREQ=MONTHLY;BYDAY=1MO", TODAY)
    end = START + relativedelta(months=12)
    assert cadence.count(rule.rule, START, end) == occurrences(rule, START, 12) == 12


def test_is_valid_and_next_weekday() -> None:
    assert cadence.is_valid("FREQ=MONTHLY")
    assert not cadence.is_valid("DTSTART:20270101\nRRULE:FREQ=MONTHLY")
    assert not cadence.is_valid("FREQ=NEVER")
    assert cadence.next_weekday(dt.date(2027, 3, 6)) == dt.date(2027, 3, 8)  # Saturday
    assert cadence.next_weekday(dt.date(2027, 3, 7)) == dt.date(2027, 3, 8)  # Sunday
    assert cadence.next_weekday(dt.date(2027, 3, 8)) == dt.date(2027, 3, 8)


def test_vocabulary() -> None:
    assert vocabulary.CATEGORIES[0] == "it_strategy" and len(vocabulary.CATEGORIES) == 9
    assert vocabulary.ROLES == ("vcio", "account_manager", "technical_account_manager", "engineer")
    assert vocabulary.BILLING_CYCLES == ("monthly", "quarterly", "annual")
