"""The scheduler's copy of each agreement: what it needs to plan, learnt from billing's events."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from scheduler.db import Base, text_field


class Agreement(Base, table=True):
    """One agreement as billing announced it. `term_start` moves forward on renewal; `start_date` never does."""

    __tablename__ = "agreements"
    __table_args__ = (sa.Index("ix_agreements_tenant_client", "tenant_id", "client_id"),)

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = text_field()
    client_id: uuid.UUID
    client_name: str = text_field()
    client_email: str | None = text_field(nullable=True)
    timezone: str = text_field()
    package_id: uuid.UUID | None = None
    package_version: int | None = None
    package_name: str | None = text_field(nullable=True)
    status: str = text_field()
    start_date: dt.date
    term_start: dt.date
    end_date: dt.date
    cancelled_from: dt.date | None = None
    activities: list[dict[str, Any]] = Field(sa_column=sa.Column(pg.JSONB, nullable=False))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
