"""Money: integer minor units, Decimal arithmetic from strings, half-up rounding, ISO 4217 digits."""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# Active ISO 4217 codes. Digits default to 2; the exceptions are listed below.
_CODES = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN BZD CAD CDF
CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD
HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD
MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN
PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY
TTD TWD TZS UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG
""".split()  # noqa: SIM905 - a table reads better as text
_ZERO = {"BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF"}
_THREE = {"BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"}
CURRENCY_DIGITS: dict[str, int] = {c: (0 if c in _ZERO else 3 if c in _THREE else 2) for c in _CODES}

_AMOUNT = re.compile(r"^-?[0-9]{1,15}(\.[0-9]+)?$")  # ASCII digits only: "١٥٠٠" is not an amount


class MoneyError(ValueError):
    """An amount or currency that cannot be accepted."""


def check_currency(code: str) -> str:
    """Return the code if it is an active ISO 4217 currency, else raise MoneyError."""
    if code not in CURRENCY_DIGITS:
        raise MoneyError(f"unknown ISO 4217 currency {code!r}")
    return code


def digits(currency: str) -> int:
    return CURRENCY_DIGITS[check_currency(currency)]


def parse(amount: str, currency: str, *, allow_negative: bool = False) -> int:
    """Parse a decimal string into minor units. More digits than the currency has is an error, not a rounding."""
    if not isinstance(amount, str) or not _AMOUNT.match(amount):
        raise MoneyError('must be a decimal string such as "1500.00"')
    d = digits(currency)
    _, _, frac = amount.partition(".")
    if len(frac) > d:
        raise MoneyError(f"{currency} has {d} minor digits; {amount!r} has {len(frac)}")
    value = Decimal(amount)
    if value < 0 and not allow_negative:
        raise MoneyError("must not be negative")
    return int(value.scaleb(d))


def format(minor: int, currency: str) -> str:  # noqa: A001 - the trade's word
    """Format minor units as the contract's decimal string: exactly the currency's digits."""
    return format_digits(int(minor), digits(currency))


@functools.lru_cache(maxsize=65_536)
def format_digits(minor: int, places: int) -> str:
    """`format` with the currency's digits looked up by the caller (once per document, not per amount).
    Cached: bulk work formats the same few prices over and over (a billing run, eight amounts per invoice)."""
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**places)
    return f"{sign}{whole}.{frac:0{places}d}" if places else f"{sign}{whole}"


def round_half_up(value: Decimal) -> int:
    """Round to an integer, halves away from zero (Python's round() would round half to even)."""
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _div_half_up(numerator: int, denominator: int) -> int:
    """`numerator ÷ denominator` (denominator > 0) rounded half away from zero, in exact integer arithmetic."""
    whole, rest = divmod(abs(numerator), denominator)
    if 2 * rest >= denominator:
        whole += 1
    return whole if numerator >= 0 else -whole


def prorate(minor: int, numerator: int, denominator: int) -> int:
    """`minor × numerator ÷ denominator`, rounded half-up once."""
    if denominator <= 0:
        raise MoneyError("denominator must be positive")
    return _div_half_up(int(minor) * int(numerator), int(denominator))


@functools.lru_cache(maxsize=1024)
def _percent_ratio(percent: str) -> tuple[int, int]:
    """A percentage as an exact fraction of one (numerator, denominator > 0); a few rates serve a whole run."""
    try:
        numerator, denominator = Decimal(percent).as_integer_ratio()
    except (InvalidOperation, ValueError, OverflowError) as exc:  # not a number, NaN, infinity
        raise MoneyError("not a percentage") from exc
    return numerator, denominator * 100


def percent_of(minor: int, percent: Decimal | str) -> int:
    """`minor × percent ÷ 100`, rounded half-up once (exact: the rate is a fraction, not a float)."""
    numerator, denominator = _percent_ratio(str(percent))
    return _div_half_up(int(minor) * numerator, denominator)


def to_decimal(minor: int, currency: str) -> Decimal:
    return Decimal(minor).scaleb(-digits(currency))
