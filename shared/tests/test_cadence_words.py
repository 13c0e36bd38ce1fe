"""vcio_shared.cadence_words.words: a checked cadence in words, as the console shows it beside the RRULE."""

import datetime as dt

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vcio_shared.cadence import CadenceError, parse
from vcio_shared.cadence_words import words

TODAY = dt.date(2027, 1, 4)


@pytest.mark.parametrize(
    ("rule", "text"),
    [
        ("FREQ=YEARLY", "every year"),
        ("FREQ=MONTHLY", "every month"),
        ("FREQ=MONTHLY;INTERVAL=3", "every 3 months"),
        ("rrule:freq=monthly;interval=6", "every 6 months"),
        ("FREQ=WEEKLY", "every week"),
        ("FREQ=WEEKLY;BYDAY=MO", "every week on Monday"),
        ("FREQ=WEEKLY;INTERVAL=2;BYDAY=FR,MO,WE", "every 2 weeks on Monday, Wednesday and Friday"),
        ("FREQ=YEARLY;INTERVAL=2", "every 2 years"),
        ("FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"),
        ("FREQ=MONTHLY;BYDAY=1TU,3TU", "every month on the 1st Tuesday and the 3rd Tuesday"),
        ("FREQ=MONTHLY;BYMONTHDAY=15", "every month on the 15th"),
        ("FREQ=MONTHLY;BYMONTHDAY=1,22,-1", "every month on the 1st, 22nd and last day"),
        ("FREQ=MONTHLY;BYMONTHDAY=-2", "every month on the 2nd to last day"),
        ("FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", "every year in March on the 1st"),
        ("FREQ=YEARLY;BYMONTH=1,7", "every year in January and July"),
        ("FREQ=YEARLY;BYYEARDAY=100", "every year on the 100th day of the year"),
        ("FREQ=YEARLY;BYWEEKNO=10;BYDAY=MO", "every year in week 10 on Monday"),
        ("FREQ=MONTHLY;BYDAY=MO,TU;BYSETPOS=1", "every month on Monday and Tuesday (the 1st of those each month)"),
        ("FREQ=MONTHLY;INTERVAL=3;COUNT=4", "every 3 months, 4 times"),
        ("FREQ=YEARLY;COUNT=1", "every year, once"),
        ("FREQ=MONTHLY;UNTIL=20271231", "every month, until 2027-12-31"),
        ("FREQ=MONTHLY;UNTIL=20271231T235959Z", "every month, until 2027-12-31"),
        ("FREQ=MONTHLY;BYMONTHDAY=11,12,13", "every month on the 11th, 12th and 13th"),
    ],
)
def test_a_cadence_in_words(rule: str, text: str) -> None:
    assert words(parse(rule, TODAY)) == text


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("FREQ=DAILY", "FREQ=DAILY is too frequent: activities recur weekly, monthly or yearly"),
        ("FREQ=MONTHLY;INTERVAL=0", "INTERVAL must be between 1 and 1000"),
        ("EVERY=MONTH", "is not a valid RRULE: EVERY is not supported"),
    ],
)
def test_a_rule_that_cannot_be_worded_is_refused_by_the_checker_first(rule: str, message: str) -> None:
    with pytest.raises(CadenceError) as refused:
        words(parse(rule, TODAY))
    assert str(refused.value) == message


_PARTS = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["YEARLY", "MONTHLY", "WEEKLY"])},
    optional={
        "INTERVAL": st.integers(1, 12).map(str),
        "COUNT": st.integers(1, 20).map(str),
        "BYDAY": st.lists(
            st.tuples(st.sampled_from(["", "1", "-1", "2", "+3"]), st.sampled_from(["MO", "TU", "WE", "FR", "SU"])),
            min_size=1,
            max_size=3,
        ).map(lambda days: ",".join(n + d for n, d in days)),
        "BYMONTHDAY": st.lists(st.sampled_from([1, 2, 3, 11, 15, 21, 28, -1, -2]), min_size=1, max_size=3).map(
            lambda days: ",".join(map(str, days))
        ),
        "BYMONTH": st.lists(st.integers(1, 12), min_size=1, max_size=3).map(lambda m: ",".join(map(str, m))),
        "BYSETPOS": st.sampled_from(["1", "-1", "1,2"]),
        "BYWEEKNO": st.sampled_from(["1", "10,20", "-1"]),
        "BYYEARDAY": st.sampled_from(["1", "100", "-1"]),
        "WKST": st.sampled_from(["MO", "SU"]),
    },
)


@settings(max_examples=300, deadline=None)
@given(parts=_PARTS)
def test_every_rule_the_checker_accepts_has_words(parts: dict[str, str]) -> None:
    """Whatever `parse` accepts, `words` words (it never raises), starting with the frequency."""
    try:
        checked = parse(";".join(f"{k}={v}" for k, v in parts.items()), TODAY)
    except CadenceError:
        return
    text = words(checked)
    unit = {"YEARLY": "year", "MONTHLY": "month", "WEEKLY": "week"}[parts["FREQ"]]
    interval = parts.get("INTERVAL", "1")
    assert text.startswith(f"every {unit}" if interval == "1" else f"every {interval} {unit}s")
