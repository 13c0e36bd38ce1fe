"""Activity requests and answers."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BeforeValidator, Field, HttpUrl

from vcio_shared.schemas import Date, DateTime, RequestModel, ResponseModel, decimal_text

Status = Literal["planned", "scheduled", "completed", "skipped", "cancelled"]
Reason = Annotated[str, Field(min_length=1, max_length=2000)]


def _hours(value: Decimal) -> Decimal:
    if not value.is_finite() or value < 0 or value > Decimal("9999.99"):
        raise ValueError("hours must be between 0 and 9999.99")
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("hours have at most two decimals")
    return value.quantize(Decimal("0.01"))


SaneDate = Date  # the platform's one date type (1970-01-01..2999-12-31, bounds in the OpenAPI schema)
Hours = Annotated[Decimal, AfterValidator(_hours), decimal_text(r"^[0-9]{1,4}(\.[0-9]{1,2})?$", "hours, 0 to 9999.99")]


class ScheduleRequest(RequestModel):
    """planned → scheduled: a date, optionally a local time, and who delivers it."""

    date: SaneDate
    time: dt.time | None = None
    assignee_id: uuid.UUID | None = None


class RescheduleRequest(RequestModel):
    date: SaneDate
    time: dt.time | None = None
    reason: Reason


class AssignRequest(RequestModel):
    assignee_id: uuid.UUID | None


class CompleteRequest(RequestModel):
    outcome: Annotated[str, Field(min_length=1, max_length=5000)]
    hours_spent: Hours | None = None
    completed_at: DateTime | None = None
    deliverable_links: Annotated[list[HttpUrl], Field(max_length=50)] = []


class SkipRequest(RequestModel):
    reason: Reason


def hours_text(value: Any) -> Any:
    """Hours as the API writes them: a NUMERIC column's value with two decimals ("2.50")."""
    return f"{value:.2f}" if isinstance(value, Decimal) else value


HoursText = Annotated[str, BeforeValidator(hours_text)]
Links = Annotated[list[str], BeforeValidator(lambda value: value or [])]


# read from its row: ActivityOut.model_validate(row)
class ActivityOut(ResponseModel):
    id: uuid.UUID
    agreement_id: uuid.UUID
    client_id: uuid.UUID
    name: str
    category: str
    track: str
    billing_mode: str
    cadence: str  # the RRULE its dates were planned from
    role: str
    effort_hours: HoursText
    deliverable: str | None
    occurrence_date: dt.date
    planned_date: dt.date
    due_date: dt.date
    scheduled_time: dt.time | None
    status: Status
    assignee_id: uuid.UUID | None
    completed_at: dt.datetime | None
    outcome: str | None
    hours_spent: HoursText | None
    deliverable_links: Links
    skip_reason: str | None
    cancel_reason: str | None
    overdue: bool
    created_at: dt.datetime
    updated_at: dt.datetime


class ActivityChangeOut(ResponseModel):
    id: uuid.UUID
    action: str
    actor: str
    from_date: dt.date | None
    to_date: dt.date | None
    from_time: dt.time | None
    to_time: dt.time | None
    reason: str | None
    at: dt.datetime
