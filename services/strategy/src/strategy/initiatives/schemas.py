"""Initiative request and response models (CONTRACT.md section 7). Money as decimal strings of the currency."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_core import PydanticCustomError

from vcio_shared import money
from vcio_shared.schemas import Currency, RequestModel, ResponseModel, not_null
from vcio_shared.vocabulary import Category

Priority = Literal["high", "medium", "low"]
Status = Literal["proposed", "approved", "in_progress", "done", "deferred", "declined"]
Frequency = Literal["monthly", "yearly"]
MAX_AMOUNT = Decimal("1000000000")  # a line above this is a typo; it also keeps every sum inside BigInteger

Title = Annotated[str, Field(min_length=1, max_length=200)]
Label = Annotated[str, Field(min_length=1, max_length=200)]
AmountText = Annotated[str, Field(max_length=40)]
Quantity = Annotated[int, Field(ge=1, le=100_000)]
FiscalYear = Annotated[int, Field(ge=1970, le=2999)]
Quarter = Annotated[int, Field(ge=1, le=4)]

# Which status may follow which: a done initiative is closed; a declined one may be proposed again.
TRANSITIONS: dict[str, set[str]] = {
    "proposed": {"approved", "deferred", "declined"},
    "approved": {"proposed", "in_progress", "deferred", "declined"},
    "in_progress": {"done", "deferred"},
    "deferred": {"proposed", "approved", "declined"},
    "declined": {"proposed"},
    "done": set(),
}


def parse_amount(value: str, currency: str) -> int:
    """A money string in the currency's exact digits, not negative, not absurd → minor units."""
    if not value.isascii():
        raise PydanticCustomError("money", 'must be a decimal string such as "1500.00"')
    try:
        minor = money.parse(value, currency)
    except money.MoneyError as exc:
        raise PydanticCustomError("money", str(exc)) from exc
    if money.to_decimal(minor, currency) > MAX_AMOUNT:
        raise PydanticCustomError("money", f"must not exceed {MAX_AMOUNT}")
    return minor


class OneTimeLine(RequestModel):
    label: Label
    amount: AmountText  # per unit
    quantity: Quantity = 1


class RecurringLine(RequestModel):
    label: Label
    amount: AmountText  # per unit and period
    frequency: Frequency
    quantity: Quantity = 1


class Budget(RequestModel):
    currency: Currency
    one_time: Annotated[list[OneTimeLine], Field(max_length=100)] = []
    recurring: Annotated[list[RecurringLine], Field(max_length=100)] = []

    @field_validator("one_time", "recurring")
    @classmethod
    def _amounts(cls, lines: list[OneTimeLine] | list[RecurringLine], info: ValidationInfo) -> list:  # type: ignore[type-arg]
        currency = info.data.get("currency")
        if currency is None:  # an invalid currency is reported on its own field
            return lines
        for line in lines:
            parse_amount(line.amount, currency)
        return lines


class InitiativeCreate(RequestModel):
    client_id: uuid.UUID
    title: Title
    summary: Annotated[str | None, Field(max_length=5000)] = None
    category: Category
    priority: Priority
    status: Status = "proposed"
    fiscal_year: FiscalYear | None = None
    quarter: Quarter | None = None
    owner_id: uuid.UUID | None = None
    finding_ids: Annotated[list[uuid.UUID], Field(max_length=200)] = []
    budget: Budget

    @model_validator(mode="after")
    def _quarter_needs_a_year(self) -> InitiativeCreate:
        if self.quarter is not None and self.fiscal_year is None:
            raise ValueError("a quarter needs its fiscal_year")
        return self


class InitiativeUpdate(RequestModel, json_schema_extra=not_null("title", "category", "priority", "status", "budget")):
    """PATCH: the fields given replace the current ones (`budget` replaces the whole budget); null clears
    `summary`, `fiscal_year`, `quarter` and `owner_id` (unscheduled)."""

    title: Title | None = None
    summary: Annotated[str | None, Field(max_length=5000)] = None
    category: Category | None = None
    priority: Priority | None = None
    status: Status | None = None
    fiscal_year: FiscalYear | None = None
    quarter: Quarter | None = None
    owner_id: uuid.UUID | None = None
    finding_ids: Annotated[list[uuid.UUID] | None, Field(max_length=200)] = None
    budget: Budget | None = None


class BudgetLineOut(ResponseModel):
    label: str
    amount: str
    quantity: int
    total: str  # amount × quantity (per period for a recurring line)


class RecurringLineOut(BudgetLineOut):
    frequency: Frequency
    annual: str  # total × 12 (monthly) or × 1 (yearly)


class BudgetOut(ResponseModel):
    currency: str
    one_time: list[BudgetLineOut]
    recurring: list[RecurringLineOut]
    one_time_total: str
    recurring_annual: str
    total: str  # the first year: one-time plus recurring annualised


class InitiativeOut(ResponseModel):
    id: uuid.UUID
    client_id: uuid.UUID
    title: str
    summary: str | None
    category: str
    priority: Priority
    status: Status
    fiscal_year: int | None
    quarter: int | None
    owner_id: uuid.UUID | None
    finding_ids: list[uuid.UUID]
    budget: BudgetOut
    created_at: dt.datetime
    updated_at: dt.datetime
    approved_at: dt.datetime | None


class QuarterOut(ResponseModel):
    quarter: int
    start_date: dt.date
    end_date: dt.date  # exclusive
    initiatives: list[InitiativeOut]
    one_time: str
    recurring_annual: str
    total: str


class YearOut(ResponseModel):
    fiscal_year: int
    start_date: dt.date
    end_date: dt.date  # exclusive
    quarters: list[QuarterOut]
    unscheduled: list[InitiativeOut]  # in this fiscal year, without a quarter
    one_time: str
    recurring_annual: str
    total: str


class RoadmapOut(ResponseModel):
    client_id: uuid.UUID
    currency: str
    fiscal_year_start_month: int
    unscheduled: list[InitiativeOut]  # without a fiscal year
    years: list[YearOut]
    other_currencies: list[str]  # currencies of this client's initiatives left out of these sums
