"""Agreement requests, answers (money as decimal strings beside `currency`) and the payloads of the events
billing consumes from proposals (docs/events.md)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

from billing.dates import Day
from billing.invoices.schemas import CreditNoteOut, ExactResponse, InvoiceOut
from vcio_shared.schemas import RequestModel, ResponseModel

# An instant as billing writes it: `datetime.isoformat()` ("+00:00", not pydantic's "Z").
Instant = Annotated[
    dt.datetime,
    PlainSerializer(dt.datetime.isoformat, return_type=str),
    WithJsonSchema({"type": "string", "format": "date-time"}),
]


# ---- requests -----------------------------------------------------------------------------------------------


class PackageRef(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: uuid.UUID | None = None
    version: int | None = Field(default=None, ge=1, le=1_000_000)
    name: str = Field(min_length=1, max_length=200)
    tier: str | None = Field(default=None, max_length=100)


class CancelRequest(RequestModel):
    effective_date: Day
    reason: str | None = Field(default=None, max_length=1000)


class ChangeRequest(RequestModel):
    """A mid-term change of price and/or package, effective on a date."""

    effective_date: Day
    monthly_amount: str = Field(max_length=40)
    package: PackageRef | None = None
    activities: list[dict[str, Any]] | None = Field(default=None, max_length=500)


class AgreementUpdate(RequestModel):
    auto_renew: bool


# ---- answers ------------------------------------------------------------------------------------------------


class PackageOut(ResponseModel):
    id: uuid.UUID | None
    version: int | None
    name: str
    tier: str | None


class PricePointOut(ResponseModel):
    model_config = ConfigDict(serialize_by_alias=True)
    from_: dt.date = Field(alias="from")
    monthly_amount: str


class AgreementOut(ResponseModel):
    id: uuid.UUID
    proposal_id: uuid.UUID
    client_id: uuid.UUID
    client_name: str | None = Field(
        description="the client's name as billing last heard it from proposals; null if it has not heard of the "
        "client. Answers carry it; the agreement events do not"
    )
    status: str
    start_date: dt.date
    end_date: dt.date
    term_start: dt.date
    term_months: int
    term_number: int
    billing_cycle: str
    monthly_amount: str
    one_time_amount: str
    currency: str
    auto_renew: bool
    package: PackageOut
    price_schedule: list[PricePointOut]
    cancel_effective_date: dt.date | None
    next_bill_date: dt.date | None
    activities: list[dict[str, Any]]
    created_at: Instant
    updated_at: Instant


class CancelOut(AgreementOut):
    """The cancelled agreement, with the credit notes issued for the unused days it had been invoiced."""

    credit_notes: list[CreditNoteOut]


class AdjustmentOut(ResponseModel):
    description: str
    period_start: dt.date
    period_end: dt.date
    amount: str


class SettledByInvoiceOut(ExactResponse):
    """A change whose adjustments net to a charge, with no invoice left in the term: an adjustment invoice."""

    invoice: InvoiceOut


class SettledByCreditNoteOut(ExactResponse):
    """A change whose adjustments net to a credit, with no invoice left in the term: a credit note."""

    credit_note: CreditNoteOut


class ChangeOut(ResponseModel):
    """`settled_by` is null unless the change was settled at once (no invoice follows in the term)."""

    agreement: AgreementOut
    settled_by: SettledByInvoiceOut | SettledByCreditNoteOut | None
    adjustments: list[AdjustmentOut]


# ---- events consumed ----------------------------------------------------------------------------------------


class _Loose(BaseModel):
    model_config = ConfigDict(extra="ignore")


class ClientData(_Loose):
    id: uuid.UUID
    name: str
    email: str = ""
    timezone: str = "UTC"
    currency: str | None = None
    tax_rate: str | None = "0"
    payment_terms_days: int | None = Field(default=30, ge=0, le=3650)


class PackageData(_Loose):
    id: uuid.UUID | None = None
    version: int | None = None
    name: str
    tier: str | None = None


class AmountLine(_Loose):
    description: str
    amount: str


class ProposalAccepted(_Loose):
    proposal_id: uuid.UUID
    client: ClientData
    package: PackageData
    currency: str
    monthly_total: str
    one_time_total: str = "0"
    discount_percent: str | None = None
    start_date: dt.date
    term_months: int = Field(ge=1, le=120)
    billing_cycle: str = Field(pattern="^(monthly|quarterly|annual)$")
    recurring_lines: list[AmountLine] = []
    one_time_lines: list[AmountLine] = []
    activities: list[dict[str, Any]] = []
    accepted_at: dt.datetime | None = None
    signer_name: str | None = None
    signer_email: str | None = None
    document_sha256: str | None = None
    auto_renew: bool = True
