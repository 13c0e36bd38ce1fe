"""Tokenised calendar subscriptions: a URL a calendar app can poll without a bearer token."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field

from scheduler.db import Base, text_field


class CalendarSubscription(Base, table=True):
    __tablename__ = "calendar_subscriptions"
    __table_args__ = (
        sa.CheckConstraint("kind IN ('client','staff')", name="kind"),
        sa.Index("ix_calendar_subscriptions_tenant_id_id", "tenant_id", "id"),
    )

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = text_field()
    kind: str = text_field()
    subject_id: uuid.UUID
    # Only the hash is kept: a leaked database does not leak working feed URLs.
    token_sha256: str = Field(sa_column=sa.Column(sa.Text, nullable=False, unique=True))
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    revoked_at: dt.datetime | None = Field(default=None, sa_column=sa.Column(sa.DateTime(timezone=True)))
