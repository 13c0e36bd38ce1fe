"""Per-tenant scheduling settings."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field

from scheduler.db import Base, text_field


class TenantSettings(Base, table=True):
    __tablename__ = "tenant_settings"

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    holiday_country: str | None = text_field(nullable=True)
    holiday_subdivision: str | None = text_field(nullable=True)
    # "skip" (RFC 5545, the default) or "last_day": see vcio_shared.cadence.anchored_rule
    month_end: str = Field(
        default="skip", sa_column=sa.Column(sa.Text, nullable=False, server_default=sa.text("'skip'"))
    )
    # The tenant's own zone: its weekly digest goes out on Monday 07:00 there (activities' dates stay their client's).
    timezone: str = Field(default="UTC", sa_column=sa.Column(sa.Text, nullable=False, server_default=sa.text("'UTC'")))
    # The tenant's address on the mail sent to its staff: their Reply-To and the digest's List-Unsubscribe.
    mail_reply_to: str | None = text_field(nullable=True)
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
