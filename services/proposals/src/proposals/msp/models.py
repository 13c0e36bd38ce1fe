"""The MSP's own profile: the name and contact shown on proposals."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlmodel import Field

from proposals.db import Base


class MspProfile(Base, table=True):
    __tablename__ = "msp_profiles"

    tenant_id: str = Field(primary_key=True)
    name: str
    email: str | None = None
    phone: str | None = None
    website: str | None = None
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
