"""Invoices, their lines, payments, credit notes and the per-tenant number counters."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from billing.agreements.models import col
from billing.db import AgreementRow, Base, TenantRow


class Invoice(AgreementRow, table=True):
    """One invoice per (agreement, period start, kind): a unique key, so no run can bill a period twice."""

    __tablename__ = "invoices"
    client_id: uuid.UUID = col(pg.UUID(as_uuid=True))
    kind: str = col(sa.Text)  # recurring | adjustment
    number: str | None = col(sa.Text, nullable=True)
    status: str = col(sa.Text)  # draft | issued | paid | void | uncollectible
    period_start: dt.date = col(sa.Date)
    period_end: dt.date = col(sa.Date)
    issue_date: dt.date | None = col(sa.Date, nullable=True)
    due_date: dt.date | None = col(sa.Date, nullable=True)
    currency: str = col(sa.Text)
    subtotal: int = col(sa.BigInteger)
    tax: int = col(sa.BigInteger)
    total: int = col(sa.BigInteger)
    tax_rate: str = col(sa.Text)
    payment_terms_days: int = col(sa.Integer)
    amount_paid: int = col(sa.BigInteger, server_default="0")
    amount_credited: int = col(sa.BigInteger, server_default="0")
    # what paid + credited exceed the total by: owed back to the client (a credit note on a paid invoice)
    amount_refund_due: int = col(sa.BigInteger, server_default="0")
    run_id: uuid.UUID | None = col(pg.UUID(as_uuid=True), nullable=True)
    created_at: dt.datetime = col(sa.DateTime(timezone=True))
    issued_at: dt.datetime | None = col(sa.DateTime(timezone=True), nullable=True)
    paid_at: dt.datetime | None = col(sa.DateTime(timezone=True), nullable=True)
    voided_at: dt.datetime | None = col(sa.DateTime(timezone=True), nullable=True)

    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "period_start", "kind", name="uq_invoices_agreement_period_kind"),
        sa.UniqueConstraint("tenant_id", "number", name="uq_invoices_tenant_id_number"),
        sa.Index("ix_invoices_tenant_id_client_id", "tenant_id", "client_id", "id"),
        sa.Index("ix_invoices_tenant_id_status", "tenant_id", "status", "id"),
        sa.Index("ix_invoices_run_id", "run_id"),
        sa.CheckConstraint("status IN ('draft', 'issued', 'paid', 'void', 'uncollectible')", name="status"),
        sa.CheckConstraint("kind IN ('recurring', 'adjustment')", name="kind"),
        sa.CheckConstraint("total >= 0 AND subtotal >= 0 AND tax >= 0", name="not_negative"),
        sa.CheckConstraint("amount_credited <= total AND amount_paid <= total", name="not_overpaid"),
        # Credits may reach the total, never beyond; whatever paid + credited exceed it is a refund due, stored
        # exactly (so paid + credited - refund_due <= total), and nothing is negative.
        sa.CheckConstraint(
            "amount_paid >= 0 AND amount_credited >= 0 "
            "AND amount_refund_due = GREATEST(amount_paid + amount_credited - total, 0)",
            name="refund_due",
        ),
    )


class InvoiceLine(TenantRow, table=True):
    __tablename__ = "invoice_lines"
    # deferred: a billing run writes a chunk's lines before it takes the number lock and writes the invoices
    invoice_id: uuid.UUID = col(
        pg.UUID(as_uuid=True), sa.ForeignKey("invoices.id", ondelete="CASCADE", deferrable=True, initially="DEFERRED")
    )
    position: int = col(sa.Integer)
    kind: str = col(sa.Text)  # recurring | one_time | adjustment
    description: str = col(sa.Text)
    period_start: dt.date | None = col(sa.Date, nullable=True)
    period_end: dt.date | None = col(sa.Date, nullable=True)
    quantity: int = col(sa.Integer)
    unit_amount: int = col(sa.BigInteger)
    amount: int = col(sa.BigInteger)

    __table_args__ = (sa.Index("ix_invoice_lines_invoice_id", "invoice_id", "position"),)


class Payment(TenantRow, table=True):
    __tablename__ = "payments"
    invoice_id: uuid.UUID = col(pg.UUID(as_uuid=True), sa.ForeignKey("invoices.id"))
    amount: int = col(sa.BigInteger)
    currency: str = col(sa.Text)
    paid_at: dt.datetime = col(sa.DateTime(timezone=True))
    reference: str = col(sa.Text)
    created_at: dt.datetime = col(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index("ix_payments_tenant_id_invoice_id", "tenant_id", "invoice_id"),
        sa.CheckConstraint("amount > 0", name="positive"),
    )


class CreditNote(TenantRow, table=True):
    """A credit against an issued invoice: cancellation (unused days), a downgrade, or a manual credit."""

    __tablename__ = "credit_notes"
    number: str = col(sa.Text)
    invoice_id: uuid.UUID = col(pg.UUID(as_uuid=True), sa.ForeignKey("invoices.id"))
    agreement_id: uuid.UUID = col(pg.UUID(as_uuid=True))
    client_id: uuid.UUID = col(pg.UUID(as_uuid=True))
    kind: str = col(sa.Text)  # cancellation | adjustment | manual
    reason: str = col(sa.Text)
    issue_date: dt.date = col(sa.Date)
    currency: str = col(sa.Text)
    subtotal: int = col(sa.BigInteger)
    tax: int = col(sa.BigInteger)
    total: int = col(sa.BigInteger)
    # the part of `total` beyond the invoice's unpaid balance when issued: money owed back to the client
    refund_due: int = col(sa.BigInteger, server_default="0")
    lines: list[dict[str, Any]] = col(pg.JSONB)
    created_at: dt.datetime = col(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "number", name="uq_credit_notes_tenant_id_number"),
        sa.Index("ix_credit_notes_tenant_id_invoice_id", "tenant_id", "invoice_id", "id"),
        sa.Index("ix_credit_notes_tenant_id_agreement_id", "tenant_id", "agreement_id", "id"),
        sa.Index(
            "uq_credit_notes_cancellation", "invoice_id", unique=True, postgresql_where=sa.text("kind = 'cancellation'")
        ),
        sa.CheckConstraint("total > 0 AND subtotal >= 0 AND tax >= 0", name="positive"),
        sa.CheckConstraint("refund_due >= 0 AND refund_due <= total", name="refund_due"),
    )


class DocumentCounter(Base, table=True):
    """The last number given per tenant, series (INV/CN) and year; its row lock keeps numbers gapless."""

    __tablename__ = "document_counters"
    tenant_id: str = col(sa.Text, primary_key=True)
    series: str = col(sa.Text, primary_key=True)
    year: int = col(sa.Integer, primary_key=True)
    last_number: int = col(sa.BigInteger)
