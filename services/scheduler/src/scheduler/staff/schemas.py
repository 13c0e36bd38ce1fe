"""Staff and capacity requests and answers."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field

from scheduler.activities.schemas import HoursText
from vcio_shared.schemas import Email, RequestModel, ResponseModel, decimal_text, not_null
from vcio_shared.vocabulary import Role


def _capacity(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > 168:
        raise ValueError("weekly capacity is between 0 and 168 hours")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("at most two decimals")
    return value.quantize(Decimal("0.01"))


def _roles(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("roles must not repeat")
    return value


_CAPACITY_TEXT = decimal_text(
    r"^([0-9]{1,2}|1[0-5][0-9]|16[0-7])(\.[0-9]{1,2})?$|^168(\.0{1,2})?$", "hours a week, 0 to 168"
)
Capacity = Annotated[Decimal, AfterValidator(_capacity), _CAPACITY_TEXT]
Roles = Annotated[
    list[Role], Field(min_length=1, max_length=4, json_schema_extra={"uniqueItems": True}), AfterValidator(_roles)
]
Name = Annotated[str, Field(min_length=1, max_length=200)]


class StaffCreate(RequestModel):
    name: Name
    email: Email | None = None
    roles: Roles
    weekly_capacity_hours: Capacity


class StaffUpdate(RequestModel):
    # Left out keeps a field; null is refused, but for email (null clears it).
    model_config = ConfigDict(json_schema_extra=not_null("name", "roles", "weekly_capacity_hours", "active"))

    name: Name | None = None
    email: Email | None = None
    roles: Roles | None = None
    weekly_capacity_hours: Capacity | None = None
    active: bool | None = None


class StaffOut(ResponseModel):
    id: uuid.UUID
    name: str
    email: str | None
    roles: list[str]
    weekly_capacity_hours: HoursText
    active: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class CapacityRowOut(ResponseModel):
    staff_id: uuid.UUID
    name: str
    roles: list[str]
    period_start: dt.date
    period_end: dt.date
    capacity_hours: str
    booked_hours: str
    activities: int
    utilisation_percent: str | None
    overbooked: bool


class CapacityReportOut(ResponseModel):
    period: Literal["week", "month"]
    period_from: dt.date = Field(serialization_alias="from")
    period_to: dt.date = Field(serialization_alias="to")
    items: list[CapacityRowOut]
