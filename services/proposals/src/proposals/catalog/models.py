"""Our own copy of every package version the catalog published (learned from its events, never its tables)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from proposals.db import Base


class CatalogPackage(Base, table=True):
    """One published package version, as `vcio.catalog.package.published` carried it. Immutable but for retirement."""

    __tablename__ = "catalog_packages"

    tenant_id: str = Field(primary_key=True)
    package_id: uuid.UUID = Field(primary_key=True)
    version: int = Field(primary_key=True)
    name: str
    tier: str | None = None
    currency: str
    monthly_price_minor: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    onboarding_fee_minor: int = Field(sa_column=sa.Column(sa.BigInteger, nullable=False))
    billing_cycle: str
    term_months: int
    data: dict[str, Any] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    published_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    retired_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
    received_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
