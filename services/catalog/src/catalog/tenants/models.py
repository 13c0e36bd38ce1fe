"""Per-tenant catalog settings: the hourly rates effort is priced at."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from catalog.db import Base


class TenantSettings(Base, table=True):
    __tablename__ = "tenant_settings"

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    # {currency: {role: "175.00"}}: each rate in its currency's exact digits (minor units are not kept: a rate is
    # read back as it was given, normalised)
    hourly_rates: dict[str, Any] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


settings_t: sa.Table = TenantSettings.__table__  # type: ignore[attr-defined]
