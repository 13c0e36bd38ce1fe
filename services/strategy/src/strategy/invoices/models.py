"""Billing's invoices and agreements as strategy keeps them (from billing's events), for the QBR's money part."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field

from strategy.db import Base


class ClientInvoice(Base, table=True):
    """An invoice of a client: its latest state from `invoice.issued` / `.paid` / `.voided` (minor units)."""

    __tablename__ = "client_invoices"
    __table_args__ = (sa.Index("ix_client_invoices_client", "tenant_id", "client_id", "issue_date"),)

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, primary_key=True))
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    number: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    status: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    issue_date: dt.date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    period_start: dt.date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    period_end: dt.date | None = Field(default=None, sa_column=sa.Column(sa.Date))
    currency: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    total: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    amount_due: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))


class ClientAgreement(Base, table=True):
    """A client's agreement: its monthly amount and term, from `agreement.activated` / `.changed` / `.renewed`
    / `.cancelled`, for the client's MRR at a quarter's end."""

    __tablename__ = "client_agreements"

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, primary_key=True))
    client_id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, nullable=False))
    currency: str = Field(sa_column=sa.Column(sa.Text, nullable=False))
    monthly_amount: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    start_date: dt.date = Field(sa_column=sa.Column(sa.Date, nullable=False))
    end_date: dt.date | None = Field(default=None, sa_column=sa.Column(sa.Date))  # exclusive
    cancelled_from: dt.date | None = Field(default=None, sa_column=sa.Column(sa.Date))


invoices_t: sa.Table = ClientInvoice.__table__  # type: ignore[attr-defined]
agreements_t: sa.Table = ClientAgreement.__table__  # type: ignore[attr-defined]
