"""Per-tenant billing settings: the automatic run's hour and time zone, draft review, renewal notice, payment
reminders."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

from billing.agreements.models import col
from billing.db import Base


class TenantSettings(Base, table=True):
    __tablename__ = "tenant_settings"
    tenant_id: str = col(sa.Text, primary_key=True)
    timezone: str = col(sa.Text, server_default="UTC")
    auto_run_enabled: bool = col(sa.Boolean, server_default=sa.true())
    auto_run_hour: int = col(sa.Integer, server_default="6")
    draft_review: bool = col(sa.Boolean, server_default=sa.false())
    renewal_notice_days: int = col(sa.Integer, server_default="60")
    # days after an unpaid invoice's due date (the client's date) on which a reminder is mailed
    payment_reminder_days: list[int] = col(pg.ARRAY(sa.Integer), server_default=sa.text("'{7,14}'"))
    last_auto_run_on: dt.date | None = col(sa.Date, nullable=True)
    updated_at: dt.datetime = col(sa.DateTime(timezone=True), server_default=sa.func.now())


class MspProfile(Base, table=True):
    """The MSP as proposals describes it (vcio.proposals.msp_profile.updated): the seller on every invoice."""

    __tablename__ = "msp_profiles"
    tenant_id: str = col(sa.Text, primary_key=True)
    name: str = col(sa.Text)
    legal_name: str | None = col(sa.Text, nullable=True)
    email: str | None = col(sa.Text, nullable=True)
    phone: str | None = col(sa.Text, nullable=True)
    website: str | None = col(sa.Text, nullable=True)
    address: str | None = col(sa.Text, nullable=True)  # several lines
    tax_id: str | None = col(sa.Text, nullable=True)
    payment_instructions: str | None = col(sa.Text, nullable=True)  # several lines
    terms: str | None = col(sa.Text, nullable=True)
    updated_at: dt.datetime = col(sa.DateTime(timezone=True))  # the profile's, from the event: the latest wins
