"""Agreement and client tables: what billing keeps of proposals' clients and accepted proposals."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from billing.db import AgreementRow, TenantRow


def col(type_: Any, *args: Any, nullable: bool = False, **kwargs: Any) -> Any:
    return Field(sa_column=sa.Column(type_, *args, nullable=nullable, **kwargs))


class Client(TenantRow, table=True):
    """A client as proposals last described it (from proposal.accepted / client.updated)."""

    __tablename__ = "clients"
    name: str = col(sa.Text)
    email: str = col(sa.Text, server_default="")
    timezone: str = col(sa.Text, server_default="UTC")
    currency: str | None = col(sa.Text, nullable=True)
    tax_rate: str = col(sa.Text, server_default="0")  # percent, e.g. "8.25"
    payment_terms_days: int = col(sa.Integer, server_default="30")
    updated_at: dt.datetime = col(sa.DateTime(timezone=True), server_default=sa.func.now())

    __table_args__ = (sa.Index("ix_clients_tenant_id_id", "tenant_id", "id"),)


class Agreement(TenantRow, table=True):
    """One accepted proposal: exactly one per proposal, whatever happens to its event."""

    __tablename__ = "agreements"
    proposal_id: uuid.UUID = col(pg.UUID(as_uuid=True))
    client_id: uuid.UUID = col(pg.UUID(as_uuid=True))
    package_id: uuid.UUID | None = col(pg.UUID(as_uuid=True), nullable=True)
    package_version: int | None = col(sa.Integer, nullable=True)
    package_name: str = col(sa.Text)
    package_tier: str | None = col(sa.Text, nullable=True)
    status: str = col(sa.Text)  # active | cancelled | expired
    start_date: dt.date = col(sa.Date)
    end_date: dt.date = col(sa.Date)  # exclusive end of the current term
    term_start: dt.date = col(sa.Date)  # start of the current term (renewals move it)
    term_months: int = col(sa.Integer)
    term_number: int = col(sa.Integer, server_default="1")
    billing_cycle: str = col(sa.Text)
    currency: str = col(sa.Text)
    monthly_amount: int = col(sa.BigInteger)  # current price, minor units
    one_time_amount: int = col(sa.BigInteger, server_default="0")
    discount_percent: str | None = col(sa.Text, nullable=True)
    # [{"from": "YYYY-MM-DD", "monthly_amount": minor}] in date order: the price over time (mid-term changes)
    price_schedule: list[dict[str, Any]] = col(pg.JSONB)
    recurring_lines: list[dict[str, Any]] = col(pg.JSONB, server_default=sa.text("'[]'::jsonb"))
    one_time_lines: list[dict[str, Any]] = col(pg.JSONB, server_default=sa.text("'[]'::jsonb"))
    activities: list[dict[str, Any]] = col(pg.JSONB, server_default=sa.text("'[]'::jsonb"))
    auto_renew: bool = col(sa.Boolean, server_default=sa.true())
    cancel_effective_date: dt.date | None = col(sa.Date, nullable=True)
    cancelled_at: dt.datetime | None = col(sa.DateTime(timezone=True), nullable=True)
    # the start of the next period to invoice; NULL once everything up to the (effective) end is invoiced
    next_bill_date: dt.date | None = col(sa.Date, nullable=True)
    renewal_notice_for: dt.date | None = col(sa.Date, nullable=True)
    accepted_at: dt.datetime | None = col(sa.DateTime(timezone=True), nullable=True)
    signer_name: str | None = col(sa.Text, nullable=True)
    signer_email: str | None = col(sa.Text, nullable=True)
    document_sha256: str | None = col(sa.Text, nullable=True)
    created_at: dt.datetime = col(sa.DateTime(timezone=True))
    updated_at: dt.datetime = col(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.UniqueConstraint("tenant_id", "proposal_id", name="uq_agreements_tenant_id_proposal_id"),
        sa.Index("ix_agreements_proposal_id", "proposal_id"),
        sa.Index("ix_agreements_tenant_id_id", "tenant_id", "id"),
        sa.Index("ix_agreements_tenant_id_client_id", "tenant_id", "client_id", "id"),
        sa.Index("ix_agreements_tenant_id_status", "tenant_id", "status", "id"),
        sa.CheckConstraint("billing_cycle IN ('monthly', 'quarterly', 'annual')", name="billing_cycle"),
        sa.CheckConstraint("status IN ('active', 'cancelled', 'expired')", name="status"),
        sa.CheckConstraint("end_date > start_date", name="term"),
        sa.CheckConstraint("monthly_amount >= 0 AND one_time_amount >= 0", name="amounts"),
        # No index holds next_bill_date, and every page keeps room for a second version of each of its rows: a
        # run advances a whole chunk in one transaction, and each advance stays a HOT update (migration 0003).
        {"postgresql_with": {"fillfactor": "50"}},
    )


class PendingAdjustment(AgreementRow, table=True):
    """A prorated charge or credit from a mid-term change, waiting for the agreement's next invoice."""

    __tablename__ = "pending_adjustments"
    description: str = col(sa.Text)
    period_start: dt.date = col(sa.Date)
    period_end: dt.date = col(sa.Date)
    amount: int = col(sa.BigInteger)  # signed: a credit is negative
    invoice_id: uuid.UUID | None = col(pg.UUID(as_uuid=True), nullable=True)
    credit_note_id: uuid.UUID | None = col(pg.UUID(as_uuid=True), nullable=True)
    created_at: dt.datetime = col(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.Index(
            "ix_pending_adjustments_open",
            "agreement_id",
            postgresql_where=sa.text("invoice_id IS NULL AND credit_note_id IS NULL"),
        ),
    )


class AgreementRenewal(AgreementRow, table=True):
    """One renewal: a term end renewed at most once (the unique key), whoever asks and however often."""

    __tablename__ = "agreement_renewals"
    previous_end_date: dt.date = col(sa.Date)  # the term end renewed: the new term starts here
    end_date: dt.date = col(sa.Date)
    term_number: int = col(sa.Integer)  # the new term's number
    renewed_by: str = col(sa.Text)  # "renewal-sweep" or the principal's subject
    created_at: dt.datetime = col(sa.DateTime(timezone=True))

    __table_args__ = (
        sa.UniqueConstraint(
            "agreement_id", "previous_end_date", name="uq_agreement_renewals_agreement_id_previous_end"
        ),
        sa.UniqueConstraint("agreement_id", "term_number", name="uq_agreement_renewals_agreement_id_term_number"),
        sa.CheckConstraint("end_date > previous_end_date AND term_number >= 2", name="term"),
    )


class MrrMovement(AgreementRow, table=True):
    """A change of MRR on a date: new, expansion, contraction or churn (the scheduled churn moves on renewal)."""

    __tablename__ = "mrr_movements"
    currency: str = col(sa.Text)
    on_date: dt.date = col(sa.Date)
    kind: str = col(sa.Text)
    amount: int = col(sa.BigInteger)  # signed MRR delta, minor units

    __table_args__ = (
        sa.Index("ix_mrr_movements_tenant_id_on_date", "tenant_id", "on_date"),
        sa.Index("uq_mrr_movements_churn", "agreement_id", unique=True, postgresql_where=sa.text("kind = 'churn'")),
        sa.CheckConstraint("kind IN ('new', 'expansion', 'contraction', 'churn')", name="kind"),
    )
