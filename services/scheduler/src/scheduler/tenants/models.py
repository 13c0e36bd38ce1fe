"""Per-tenant scheduling settings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field

from scheduler.db import Base


class TenantSettings(Base, table=True):
    __tablename__ = "tenant_settings"

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    holiday_country: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    holiday_subdivision: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
