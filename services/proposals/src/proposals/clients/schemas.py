"""Client request and response models."""

from __future__ import annotations

import datetime as dt
import functools
import uuid
import zoneinfo
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, WithJsonSchema, field_validator

from proposals.proposals.calc import format_percent
from vcio_shared import money
from vcio_shared.schemas import SPACE_OR_CONTROL, Email, RequestModel, ResponseModel, not_null
from vcio_shared.schemas import Currency as SharedCurrency
from vcio_shared.schemas import TimeZone as SharedTimeZone


@functools.cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _timezone(value: str) -> str:
    if value not in _zones():
        raise ValueError('not an IANA time zone (e.g. "America/New_York")')
    return value


def _currency(value: str) -> str:
    try:
        return money.check_currency(value)
    except money.MoneyError as exc:
        raise ValueError(str(exc)) from exc


def _tax_rate(value: str) -> str:
    if Decimal(value) >= 100:
        raise ValueError("a tax rate is a percentage below 100")
    return value


TimeZone = Annotated[SharedTimeZone, AfterValidator(_timezone)]
Currency = Annotated[SharedCurrency, AfterValidator(_currency)]
TaxRate = Annotated[str, StringConstraints(pattern=r"^\d{1,2}(\.\d{1,4})?$"), AfterValidator(_tax_rate)]
# A name goes into mail headers (To, From): no line break or other control character.
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
RefKey = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_-]{0,39}$")]
RefValue = Annotated[str, StringConstraints(min_length=1, max_length=200)]
# Keys other than RefKey's are refused: the schema says so (pydantic writes patternProperties alone).
RefMap = Annotated[
    dict[RefKey, RefValue],
    WithJsonSchema(
        {
            "type": "object",
            "maxProperties": 20,
            "patternProperties": {
                RefKey.__metadata__[0].pattern: {
                    "type": "string",
                    "minLength": 1,
                    "maxLength": 200,
                    "pattern": rf"^[^\x00]*[^{SPACE_OR_CONTROL}][^\x00]*$",  # no NUL, not blank once stripped
                }
            },
            "additionalProperties": False,
        }
    ),
]


class ContactCreate(RequestModel):
    name: Name
    email: Email | None = None
    phone: Annotated[str, StringConstraints(max_length=50)] | None = None
    role: Annotated[str, StringConstraints(max_length=100)] | None = None


class ClientCreate(RequestModel):
    name: Name
    email: Email
    timezone: TimeZone
    currency: Currency = "USD"
    tax_rate: TaxRate = "0.00"
    payment_terms_days: int = Field(default=30, ge=0, le=365)
    contacts: list[ContactCreate] = Field(default_factory=list, max_length=50)
    external_refs: RefMap = Field(default_factory=dict, max_length=20)


class ClientUpdate(RequestModel):
    model_config = ConfigDict(json_schema_extra=not_null())  # a field given may not be null (the service says so)

    name: Name | None = None
    email: Email | None = None
    timezone: TimeZone | None = None
    currency: Currency | None = None
    tax_rate: TaxRate | None = None
    payment_terms_days: int | None = Field(default=None, ge=0, le=365)
    contacts: list[ContactCreate] | None = Field(default=None, max_length=50)
    external_refs: RefMap | None = Field(default=None, max_length=20)


class ClientOut(ResponseModel):
    id: uuid.UUID
    name: str
    email: str
    timezone: str
    currency: str
    tax_rate: str
    payment_terms_days: int
    contacts: list[dict[str, Any]]
    external_refs: dict[str, str]
    created_at: dt.datetime
    updated_at: dt.datetime

    @field_validator("tax_rate", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> str:
        """The stored NUMERIC as the percent it answers: at least two decimals ("8.25", "10.00")."""
        return format_percent(Decimal(value))


def public(row: Any) -> ClientOut:
    """The client a `clients` row holds."""
    return ClientOut.model_validate(row)


def event_data(row: Any) -> dict[str, Any]:
    """The client as `vcio.proposals.client.created/.updated` carry it (docs/events.md)."""
    return public(row).model_dump(mode="json")
