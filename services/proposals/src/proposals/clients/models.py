"""Client tables."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from proposals.db import Base
from vcio_shared.ids import uuid7


class Client(Base, table=True):
    """A client of the MSP: who proposals are addressed to and billing invoices."""

    __tablename__ = "clients"
    __table_args__ = (
        sa.Index("ix_clients_tenant_id_id", "tenant_id", "id"),
        sa.Index("ix_clients_tenant_id_email", "tenant_id", "email"),
    )

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    tenant_id: str
    name: str
    email: str
    timezone: str
    currency: str
    tax_rate: Decimal = Field(sa_column=sa.Column(sa.Numeric(7, 4), nullable=False))
    payment_terms_days: int
    contacts: list[dict[str, Any]] = Field(default_factory=list, sa_column=sa.Column(pg.JSONB, nullable=False))
    external_refs: dict[str, str] = Field(default_factory=dict, sa_column=sa.Column(pg.JSONB, nullable=False))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
