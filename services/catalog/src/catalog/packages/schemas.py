"""Package request and response models (CONTRACT.md section 4, catalog)."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, StrictInt, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from vcio_shared import money
from vcio_shared.schemas import CatalogActivityOut, Currency, RequestModel, ResponseModel, decimal_text
from vcio_shared.vocabulary import BillingCycle, BillingMode, Category, Role, Track

Status = Literal["draft", "published", "retired"]

# A price above this is a typo, and keeping it bounded keeps contract values inside BigInteger for any currency.
MAX_AMOUNT = Decimal("1000000000")


def _plain_text(value: str) -> str:
    """PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded: refuse them as input errors."""
    if "\x00" in value:
        raise PydanticCustomError("text", "must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise PydanticCustomError("text", "must be valid Unicode text") from exc
    return value


def _one_line(value: str) -> str:
    if any(ord(c) < 32 for c in value):
        raise PydanticCustomError("text", "must be a single line without control characters")
    return value


Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(_plain_text), AfterValidator(_one_line)]
Tier = Annotated[str, Field(min_length=1, max_length=50), AfterValidator(_plain_text), AfterValidator(_one_line)]
LongText = Annotated[str, Field(max_length=5000), AfterValidator(_plain_text)]
Deliverable = Annotated[str, Field(max_length=1000), AfterValidator(_plain_text)]
CurrencyCode = Currency
AmountText = Annotated[str, Field(max_length=40)]
EffortHours = Annotated[
    Decimal,
    Field(gt=0, le=1000, decimal_places=2, max_digits=6),
    decimal_text(
        r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,2}(\.[0-9]{1,2})?|1000(\.0{1,2})?)$", "hours, above 0 up to 1000"
    ),
]


def parse_amount(value: str, currency: str) -> int:
    """A money string in the currency's exact digits, not negative, not absurd → minor units."""
    if not value.isascii():  # money.parse's \d would take other scripts' digits (see the README)
        raise PydanticCustomError("money", 'must be a decimal string such as "1500.00"')
    try:
        minor = money.parse(value, currency)
    except money.MoneyError as exc:
        raise PydanticCustomError("money", str(exc)) from exc
    if money.to_decimal(minor, currency) > MAX_AMOUNT:
        raise PydanticCustomError("money", f"must not exceed {MAX_AMOUNT}")
    return minor


class ActivityCreate(RequestModel):
    name: Name
    category: Category
    track: Track
    billing_mode: BillingMode
    cadence: Annotated[str, Field(min_length=1, max_length=1000)]
    role: Role
    effort_hours: EffortHours
    deliverable: Deliverable | None = None


class PackageCreate(RequestModel):
    """A whole package version: what POST /v1/packages and PUT /v1/packages/{id} take."""

    name: Name
    tier: Tier | None = None
    description: LongText | None = None
    currency: CurrencyCode
    monthly_price: AmountText
    billing_cycle: BillingCycle
    term_months: Annotated[StrictInt, Field(ge=1, le=60)]
    onboarding_fee: AmountText | None = None
    activities: Annotated[list[ActivityCreate], Field(min_length=1, max_length=50)]

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str) -> str:
        if value not in money.CURRENCY_DIGITS:
            raise PydanticCustomError("currency", "unknown ISO 4217 currency {code}", {"code": repr(value)})
        return value

    @field_validator("monthly_price", "onboarding_fee")
    @classmethod
    def _amount(cls, value: str | None, info: ValidationInfo) -> str | None:
        currency = info.data.get("currency")
        if value is None or currency is None:  # an invalid currency is reported on its own field
            return value
        parse_amount(value, currency)
        return value

    def minor(self, field: str) -> int:
        value = getattr(self, field)
        return 0 if value is None else parse_amount(value, self.currency)


class PackageUpdate(RequestModel):
    """PATCH: the fields given replace the current ones; `activities`, when given, replaces the whole list."""

    name: Name | None = None
    tier: Tier | None = None
    description: LongText | None = None
    currency: CurrencyCode | None = None
    monthly_price: AmountText | None = None
    billing_cycle: BillingCycle | None = None
    term_months: Annotated[StrictInt, Field(ge=1, le=60)] | None = None
    onboarding_fee: AmountText | None = None
    activities: Annotated[list[ActivityCreate], Field(min_length=1, max_length=50)] | None = None


class ActivityOut(CatalogActivityOut):
    deliverable: str | None  # always sent by catalog
    occurrences_in_term: int = Field(description="times it happens in a term starting on schedule_basis_start")
    hours_per_year: str


class PackageOut(ResponseModel):
    id: uuid.UUID
    version: int
    latest_version: int
    status: Status
    name: str
    tier: str | None
    description: str | None
    currency: str
    monthly_price: str
    billing_cycle: str
    term_months: int
    onboarding_fee: str
    contract_value: str = Field(description="monthly_price × term_months + onboarding_fee")
    effort_hours_per_year: dict[str, str] = Field(description="hours a year per role, from cadences and effort")
    total_effort_hours_per_year: str
    schedule_basis_start: dt.date
    activities: list[ActivityOut]
    created_at: dt.datetime
    updated_at: dt.datetime
    published_at: dt.datetime | None
    retired_at: dt.datetime | None


class StarterCatalogOut(ResponseModel):
    created: int = Field(description="packages loaded by this call (0 when the starter catalog was already there)")
    packages: list[PackageOut]


RatesGiven = Annotated[
    dict[Role, AmountText] | None,
    Field(
        min_length=1,
        description="hourly rate per role in the package's currency; when left out, the tenant's saved rates in "
        "that currency (GET /v1/settings)",
    ),
]


class PricingRequest(RequestModel):
    rates: RatesGiven = None
    billable_only: bool = False


class PricingLineOut(ResponseModel):
    role: str
    hours_per_year: str
    rate: str
    annual_amount: str


class Suggestion(ResponseModel):
    """The price effort suggests (shared by a stored version's pricing and a quote)."""

    currency: str
    billable_only: bool
    lines: list[PricingLineOut]
    hours_per_year: str
    annual_effort_amount: str
    suggested_monthly_price: str = Field(description="hours per year × rate ÷ 12, summed over roles")
    list_monthly_price: str
    margin: str = Field(description="list_monthly_price − suggested_monthly_price")
    margin_percent: str | None = Field(description="margin ÷ list price × 100; null when the list price is 0")


class PricingOut(Suggestion):
    package_id: uuid.UUID
    version: int


class QuoteRequest(RequestModel):
    """A package as it is being edited (not stored), and the rates to price its effort at."""

    package: PackageCreate
    rates: RatesGiven = None
    billable_only: bool = False


class QuoteActivityOut(ResponseModel):
    name: str
    cadence: str
    occurrences_in_term: int
    hours_per_year: str


class QuoteOut(Suggestion):
    contract_value: str = Field(description="monthly_price × term_months + onboarding_fee")
    effort_hours_per_year: dict[str, str]
    schedule_basis_start: dt.date
    activities: list[QuoteActivityOut]
