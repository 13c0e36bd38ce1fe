"""A tenant's strategy settings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field

from strategy.db import Base


class TenantSettings(Base, table=True):
    """A tenant's strategy settings: the month its clients' fiscal years start in (1 = January)."""

    __tablename__ = "tenant_settings"
    __table_args__ = (sa.CheckConstraint("fiscal_year_start_month BETWEEN 1 AND 12", name="fiscal_year_start_month"),)

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    fiscal_year_start_month: int = Field(sa_column=sa.Column(sa.Integer, nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


settings_t: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]
