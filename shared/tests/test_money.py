"""Money: minor units, exact digits, half-up, prorations that never lose or invent a cent."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from vcio_shared import money
from vcio_shared.ids import uuid7


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1500.00", "USD", 150000),
        ("1500", "USD", 150000),
        ("0.5", "EUR", 50),
        ("150000", "JPY", 150000),
        ("1.234", "KWD", 1234),
        ("0", "GBP", 0),
    ],
)
def test_parse(amount: str, currency: str, minor: int) -> None:
    assert money.parse(amount, currency) == minor


@pytest.mark.parametrize(
    ("amount", "currency", "message"),
    [
        ("1500.001", "USD", "USD has 2 minor digits"),
        ("1.5", "JPY", "JPY has 0 minor digits"),
        ("-1.00", "USD", "must not be negative"),
        ("1e3", "USD", "decimal string"),
        ("", "USD", "decimal string"),
        ("12.00", "XYZ", "unknown ISO 4217 currency"),
        ("NaN", "USD", "decimal string"),
        ("١٥٠٠.٠٠", "USD", "decimal string"),
    ],
)
def test_parse_refuses(amount: str, currency: str, message: str) -> None:
    with pytest.raises(money.MoneyError, match=message):
        money.parse(amount, currency)


def test_format_has_exactly_the_currency_digits() -> None:
    assert money.format(150000, "USD") == "1500.00"
    assert money.format(150000, "JPY") == "150000"
    assert money.format(1234, "KWD") == "1.234"
    assert money.format(-5, "USD") == "-0.05"


def test_round_half_up_not_half_even() -> None:
    assert money.round_half_up(Decimal("2.5")) == 3
    assert money.round_half_up(Decimal("3.5")) == 4
    assert money.round_half_up(Decimal("-2.5")) == -3
    assert money.prorate(150000, 17, 31) == 82258  # 82258.06...
    assert money.prorate(101, 1, 2) == 51
    assert money.percent_of(1999, "8.25") == 165  # 164.9175


@given(st.integers(min_value=0, max_value=10**12), st.sampled_from(sorted(money.CURRENCY_DIGITS)))
def test_format_then_parse_round_trips(minor: int, currency: str) -> None:
    assert money.parse(money.format(minor, currency), currency) == minor


@given(st.integers(min_value=0, max_value=10**10), st.integers(min_value=28, max_value=366), st.data())
def test_prorated_parts_add_up_to_the_whole_within_a_cent_per_part(price: int, days: int, data: st.DataObject) -> None:
    cut = data.draw(st.integers(min_value=1, max_value=days - 1))
    parts = [money.prorate(price, cut, days), money.prorate(price, days - cut, days)]
    assert abs(sum(parts) - price) <= len(parts) // 2 + 1
    assert all(p >= 0 for p in parts)


def test_uuid7_is_version_7_and_time_ordered() -> None:
    ids = [uuid7() for _ in range(2000)]
    assert all(i.version == 7 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == 2000


def _decimal_half_up(minor: int, numerator: Decimal, denominator: Decimal) -> int:
    """The Decimal arithmetic percent_of and prorate used before they went to integers (28 digits suffice here)."""
    return money.round_half_up(Decimal(minor) * numerator / denominator)


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    percent=st.decimals(min_value=0, max_value=100, places=4, allow_nan=False, allow_infinity=False),
)
def test_percent_of_is_the_decimal_rounding_exactly(minor: int, percent: Decimal) -> None:
    assert money.percent_of(minor, str(percent)) == _decimal_half_up(minor, percent, Decimal(100))
    assert money.percent_of(minor, percent) == money.percent_of(minor, str(percent))


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    days=st.integers(min_value=1, max_value=366),
    data=st.data(),
)
def test_prorate_is_the_decimal_rounding_exactly(minor: int, days: int, data: st.DataObject) -> None:
    used = data.draw(st.integers(min_value=0, max_value=days))
    assert money.prorate(minor, used, days) == _decimal_half_up(minor, Decimal(used), Decimal(days))


def test_percent_of_refuses_what_is_not_a_number() -> None:
    for bad in ("abc", "NaN", "Infinity", ""):
        with pytest.raises(money.MoneyError):
            money.percent_of(1000, bad)
    assert money.percent_of(1000, "8.25") == 83  # 82.5 rounds up
    assert money.percent_of(-1000, "8.25") == -83  # and away from zero below it


@given(st.integers(min_value=-(10**17), max_value=10**17), st.sampled_from(["USD", "JPY", "KWD", "EUR", "CLP"]))
def test_format_digits_is_format_and_the_decimal_text(minor: int, currency: str) -> None:
    """The fast form (digits looked up once by the caller, cached) writes what `format` writes, and both write
    the amount as Decimal does with exactly the currency's digits."""
    places = money.digits(currency)
    expected = f"{Decimal(minor).scaleb(-places):.{places}f}"
    assert money.format_digits(minor, places) == money.format(minor, currency) == expected
    assert money.format_digits(minor, places) == expected  # a second time: from the cache
