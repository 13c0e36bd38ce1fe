"""Staff members who deliver activities."""

from __future__ import annotations

import datetime as dt
import uuid
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg
from sqlmodel import Field

from scheduler.db import Base, text_field


class StaffMember(Base, table=True):
    __tablename__ = "staff_members"
    __table_args__ = (sa.Index("ix_staff_members_tenant_id_id", "tenant_id", "id"),)

    id: uuid.UUID = Field(primary_key=True)
    tenant_id: str = text_field()
    name: str = text_field()
    email: str | None = text_field(nullable=True)
    roles: list[str] = Field(sa_column=sa.Column(pg.ARRAY(sa.Text), nullable=False))
    weekly_capacity_hours: Decimal = Field(sa_column=sa.Column(sa.Numeric(6, 2), nullable=False))
    active: bool = True
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
