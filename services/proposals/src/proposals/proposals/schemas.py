"""Proposal request and response models."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, StringConstraints, model_validator

from proposals.clients.schemas import Email, Name
from vcio_shared.schemas import Date, DateTime, RequestModel, ResponseModel
from vcio_shared.vocabulary import BillingCycle

Status = Literal["draft", "sent", "viewed", "accepted", "declined", "expired", "superseded"]
Amount = Annotated[str, StringConstraints(max_length=40)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=300)]
Percent = Annotated[Decimal, Field(ge=0, le=100, max_digits=5, decimal_places=2, allow_inf_nan=False)]
OptionId = Annotated[str, StringConstraints(max_length=40)]


class OptionalItemCreate(RequestModel):
    """An add-on the client may tick: one of the package's activities (taken out of the base scope), or free."""

    # The schema says what _named checks: an activity or a description, not null.
    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["activity"], "properties": {"activity": {"type": "string"}}},
                {"required": ["description"], "properties": {"description": {"type": "string"}}},
            ]
        }
    )
    activity: Text | None = None
    description: Text | None = None
    kind: Literal["recurring", "one_time"] = "recurring"
    amount: Amount

    @model_validator(mode="after")
    def _named(self) -> OptionalItemCreate:
        if self.activity is None and self.description is None:
            raise ValueError("an optional item needs an activity or a description")
        return self


class OneTimeItemCreate(RequestModel):
    description: Text
    amount: Amount


class _Terms(RequestModel):
    package_version: int | None = Field(default=None, ge=1, le=1_000_000)
    start_date: Date | None = None
    term_months: int | None = Field(default=None, ge=1, le=120)
    billing_cycle: BillingCycle | None = None
    auto_renew: bool = True  # billing's default: a vCIO term rolls over (a PATCH without it keeps the version's)
    discount_percent: Percent | None = None
    discount_reason: Annotated[str, StringConstraints(max_length=500)] | None = None
    valid_until: Date | None = None
    optional_items: list[OptionalItemCreate] | None = Field(default=None, max_length=50)
    one_time_items: list[OneTimeItemCreate] | None = Field(default=None, max_length=50)


class ProposalCreate(_Terms):
    client_id: uuid.UUID
    package_id: uuid.UUID
    start_date: Date  # type: ignore[assignment]


class ProposalUpdate(_Terms):
    """Changes to a draft, or the changes a revision makes to a sent version."""


class SendRequest(RequestModel):
    valid_until: Date | None = None


class StaffAcceptRequest(RequestModel):
    """A contract signed on paper (or by other means), recorded by staff."""

    signer_name: Name
    signer_email: Email
    accepted_at: DateTime | None = None
    selected_options: list[OptionId] = Field(default_factory=list, max_length=50)


class ClientAcceptRequest(RequestModel):
    signer_name: Name
    signer_email: Email
    selected_options: list[OptionId] = Field(default_factory=list, max_length=50)


class QuoteRequest(RequestModel):
    selected_options: list[OptionId] = Field(default_factory=list, max_length=50)


class DeclineRequest(RequestModel):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000)]


class LineOut(ResponseModel):
    id: str
    kind: Literal["recurring", "one_time"]
    description: str
    list_amount: str
    discount_amount: str
    amount: str
    optional: bool
    selected: bool
    activity: str | None


class ScopeItemOut(ResponseModel):
    name: str
    cadence: str
    role: str
    occurrences: int
    optional: bool
    option_id: str | None
    description: str
    category: str | None


class CalendarItemOut(ResponseModel):
    date: dt.date
    name: str
    role: str


class CalendarMonthOut(ResponseModel):
    month: str
    items: list[CalendarItemOut]


class InvoiceEstimateOut(ResponseModel):
    period_start: dt.date
    period_end: dt.date
    recurring: str
    one_time: str
    subtotal: str
    tax_rate: str
    tax: str
    total: str
    currency: str


class AcceptanceOut(ResponseModel):
    channel: str | None
    ip: str | None
    user_agent: str | None
    recorded_by: str | None


class ProposalOut(ResponseModel):
    id: uuid.UUID
    version: int
    status: Status
    client_id: uuid.UUID
    client: dict[str, Any]
    msp_name: str
    package: dict[str, Any]
    currency: str
    start_date: dt.date
    end_date: dt.date
    term_months: int
    billing_cycle: BillingCycle
    auto_renew: bool
    renewal_terms: str
    msp_terms: str | None
    discount_percent: str
    discount_reason: str | None
    valid_until: dt.date | None
    lines: list[LineOut]
    selected_options: list[str]
    monthly_total: str
    one_time_total: str
    contract_value: str
    first_invoice_estimate: InvoiceEstimateOut
    schedule_summary: list[ScopeItemOut]
    delivery_calendar: list[CalendarMonthOut] | None = None
    accept_url: str | None
    sent_at: dt.datetime | None
    viewed_at: dt.datetime | None
    accepted_at: dt.datetime | None
    declined_at: dt.datetime | None
    expired_at: dt.datetime | None
    decline_reason: str | None
    signer_name: str | None
    signer_email: str | None
    acceptance: AcceptanceOut | None
    document_sha256: str | None
    supersedes_id: uuid.UUID | None
    superseded_by_id: uuid.UUID | None
    created_at: dt.datetime
    updated_at: dt.datetime


class PipelineRowOut(ResponseModel):
    currency: str
    open_proposals: int
    open_pipeline_value: str
    accepted: int
    declined: int
    expired: int
    won_value: str
    win_rate_percent: str | None
    average_time_to_accept_seconds: int | None
    average_days_to_accept: str | None


class PipelineOut(ResponseModel):
    items: list[PipelineRowOut]
