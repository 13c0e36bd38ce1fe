"""Due dates: the cadence's dates (vcio_shared.cadence.dates), then the weekend and holiday move."""

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from scheduler.plans.business_days import business_day
from vcio_shared.cadence import dates

D = dt.date


def due_dates(cadence: str, start: D, end: D, country: str | None = None, month_end: str = "skip") -> list[D]:
    return [business_day(d, country) for d in dates(cadence, start, start, end, month_end)]


def test_monthly_on_the_31st_moves_weekend_month_ends_to_monday() -> None:
    # 31 January and 28 February 2027 are a Sunday and a Sunday
    assert due_dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 7, 1)) == [D(2027, 2, 1), D(2027, 3, 31), D(2027, 5, 31)]
    assert due_dates("FREQ=MONTHLY", D(2027, 1, 31), D(2027, 7, 1), month_end="last_day") == [
        D(2027, 2, 1),
        D(2027, 3, 1),
        D(2027, 3, 31),
        D(2027, 4, 30),
        D(2027, 5, 31),
        D(2027, 6, 30),
    ]


def test_quarterly_from_30_november_skips_february() -> None:
    assert dates("FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2026, 11, 30), D(2027, 11, 30)) == (
        D(2026, 11, 30),
        D(2027, 5, 30),
        D(2027, 8, 30),
    )
    # 30 May 2027 is a Sunday
    assert due_dates("FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2027, 11, 30)) == [
        D(2026, 11, 30),
        D(2027, 5, 31),
        D(2027, 8, 30),
    ]


def test_quarterly_from_30_november_with_last_day_keeps_four_quarters() -> None:
    assert dates("FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2026, 11, 30), D(2027, 11, 30), "last_day") == (
        D(2026, 11, 30),
        D(2027, 2, 28),
        D(2027, 5, 30),
        D(2027, 8, 30),
    )
    assert due_dates("FREQ=MONTHLY;INTERVAL=3", D(2026, 11, 30), D(2027, 11, 30), month_end="last_day") == [
        D(2026, 11, 30),
        D(2027, 3, 1),
        D(2027, 5, 31),
        D(2027, 8, 30),
    ]


def test_annual_from_29_february_with_last_day_falls_on_28_february_in_common_years() -> None:
    assert dates("FREQ=YEARLY", D(2028, 2, 29), D(2028, 2, 29), D(2033, 2, 28), "last_day") == (
        D(2028, 2, 29),
        D(2029, 2, 28),
        D(2030, 2, 28),
        D(2031, 2, 28),
        D(2032, 2, 29),
    )
    # 28 February 2031 is a Friday; 2029 and 2030 are a Wednesday and a Thursday
    assert due_dates("FREQ=YEARLY", D(2028, 2, 29), D(2031, 3, 1), month_end="last_day") == [
        D(2028, 2, 29),
        D(2029, 2, 28),
        D(2030, 2, 28),
        D(2031, 2, 28),
    ]


def test_a_start_on_a_saturday_is_due_the_next_monday() -> None:
    # 2027-01-02 is a Saturday
    assert due_dates("FREQ=MONTHLY", D(2027, 1, 2), D(2027, 5, 1)) == [
        D(2027, 1, 4),
        D(2027, 2, 2),
        D(2027, 3, 2),
        D(2027, 4, 2),
    ]
    assert due_dates("FREQ=WEEKLY", D(2027, 1, 2), D(2027, 1, 17)) == [D(2027, 1, 4), D(2027, 1, 11), D(2027, 1, 18)]


def test_a_sunday_occurrence_is_due_the_next_monday() -> None:
    assert business_day(D(2027, 1, 3)) == D(2027, 1, 4)


def test_us_holiday_calendar_moves_new_year_to_the_next_business_day() -> None:
    # 2027-01-01 is a Friday (New Year's Day); 2027-12-25 is a Saturday, observed on Friday 24th in the US
    assert business_day(D(2027, 1, 1), "US") == D(2027, 1, 4)
    assert business_day(D(2027, 12, 24), "US") == D(2027, 12, 27)


@settings(max_examples=100, deadline=None)
@given(
    start=st.dates(dt.date(2020, 1, 1), dt.date(2035, 12, 31)),
    cadence=st.sampled_from(
        [
            "FREQ=MONTHLY",
            "FREQ=MONTHLY;INTERVAL=3",
            "FREQ=YEARLY",
            "FREQ=WEEKLY",
            "FREQ=WEEKLY;INTERVAL=2;BYDAY=TU",
            "FREQ=MONTHLY;BYDAY=1MO",
        ]
    ),
    month_end=st.sampled_from(["skip", "last_day"]),
)
def test_every_due_date_is_a_business_day_inside_a_one_year_term(start: D, cadence: str, month_end: str) -> None:
    end = start + dt.timedelta(days=365)
    occurrences = dates(cadence, start, start, end, month_end)
    assert list(occurrences) == sorted(set(occurrences))
    assert all(start <= d < end for d in occurrences)
    due = [business_day(d) for d in occurrences]
    assert all(d.weekday() < 5 and 0 <= (d - o).days <= 2 for d, o in zip(due, occurrences, strict=True))
    expected = {"FREQ=MONTHLY": 12, "FREQ=MONTHLY;INTERVAL=3": 4, "FREQ=YEARLY": 1}
    if cadence in expected:
        assert occurrences[0] == start  # the DTSTART itself is the first occurrence
        if month_end == "last_day" or start.day <= 28:
            assert len(occurrences) == expected[cadence]
        else:
            assert 1 <= len(occurrences) <= expected[cadence]
