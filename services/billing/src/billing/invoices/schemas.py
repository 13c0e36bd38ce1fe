"""Invoice and credit-note requests and answers (money as decimal strings beside `currency`)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Literal

from pydantic import ConfigDict, Field, field_validator

from vcio_shared.schemas import DateTime, RequestModel, ResponseModel


class PaymentRequest(RequestModel):
    amount: str = Field(max_length=40)
    paid_at: DateTime
    reference: str = Field(default="", max_length=200)

    @field_validator("paid_at")
    @classmethod
    def _aware(cls, v: dt.datetime) -> dt.datetime:
        if v.tzinfo is None:
            raise ValueError("must carry a UTC offset (RFC 3339)")
        if not 1970 <= v.year <= 2999:
            raise ValueError("out of range")
        return v


class CreditNoteCreate(RequestModel):
    amount: str = Field(max_length=40, description="before tax; tax is added at the invoice's rate")
    reason: str = Field(min_length=1, max_length=1000)


class ExactResponse(ResponseModel):
    """An answer's model: a key the model does not name is an error (a 500 in tests), never dropped."""

    model_config = ConfigDict(extra="forbid")


class InvoiceLineOut(ExactResponse):
    kind: str = Field(description="e.g. recurring, one_time, adjustment")
    description: str
    period_start: dt.date | None
    period_end: dt.date | None = Field(description="exclusive: the period is [period_start, period_end)")
    quantity: int
    unit_amount: str = Field(description="decimal string in the currency's digits")
    amount: str


class InvoiceOut(ExactResponse):
    """An invoice as the API answers it; its events carry the same less `client_name`."""

    id: uuid.UUID
    number: str | None = Field(description="INV-<year>-<n>; none while a draft")
    agreement_id: uuid.UUID
    client_id: uuid.UUID
    client_name: str | None = Field(
        description="the client's name as billing last heard it from proposals; null if it has not heard of the "
        "client. Answers carry it; the invoice events do not"
    )
    kind: str
    status: str = Field(description="draft, issued, paid, void or uncollectible")
    period_start: dt.date
    period_end: dt.date = Field(description="exclusive")
    issue_date: dt.date | None
    due_date: dt.date | None
    currency: str
    subtotal: str
    tax_rate: str = Field(description="percent, e.g. 8.25")
    tax: str
    total: str
    amount_paid: str
    amount_credited: str
    amount_due: str
    refund_due: str = Field(description="owed back to the client: credit notes beyond what was left unpaid")
    lines: list[InvoiceLineOut]


class DeliveredActivityOut(ExactResponse):
    id: uuid.UUID
    name: str
    category: str
    billing_mode: str
    role: str
    completed_on: dt.date
    outcome: str
    hours_spent: str


class ValueDeliveredOut(ExactResponse):
    """The activities due in the period before the invoice's own."""

    model_config = ConfigDict(populate_by_name=True)
    from_: dt.date = Field(alias="from")
    to: dt.date = Field(description="exclusive: the invoice's period_start")
    activities: list[DeliveredActivityOut]


class InvoiceDetailOut(InvoiceOut):
    """GET /v1/invoices/{id}: the invoice and the value delivered before it."""

    value_delivered: ValueDeliveredOut


class CreditNoteOut(ExactResponse):
    id: uuid.UUID
    number: str
    invoice_id: uuid.UUID
    agreement_id: uuid.UUID
    client_id: uuid.UUID
    kind: str = Field(description="e.g. manual, adjustment")
    reason: str
    issue_date: dt.date
    currency: str
    subtotal: str
    tax: str
    total: str
    refund_due: str
    lines: list[InvoiceLineOut]


class InvoiceSendOut(ResponseModel):
    """`POST /v1/invoices/{id}/send`: the message written (sent by the mail sender; see `GET /v1/mail`)."""

    invoice_id: uuid.UUID
    mail_id: uuid.UUID
    cause: str
    status: Literal["pending"]


class BalanceItemOut(ExactResponse):
    """One currency of a client's balance: sums over its issued, paid and uncollectible invoices (drafts and voids
    are not owed). invoiced - paid - credited + refund_due = balance_due + uncollectible."""

    currency: str
    invoiced: str = Field(description="the invoices' totals, tax included")
    paid: str
    credited: str = Field(description="credit notes, tax included")
    refund_due: str = Field(description="owed back to the client: credits beyond what was left unpaid")
    balance_due: str = Field(description="what the issued invoices still ask for")
    overdue: str = Field(description="the part of balance_due past its due date (due before as_of)")
    uncollectible: str = Field(description="left unpaid on invoices marked uncollectible")
    open_invoices: int
    overdue_invoices: int


class BalanceOut(ExactResponse):
    client_id: uuid.UUID
    as_of: dt.date = Field(description="overdue means due before this day (default: today in the client's zone)")
    items: list[BalanceItemOut]
