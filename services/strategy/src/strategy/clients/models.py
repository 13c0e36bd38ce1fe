"""The clients strategy knows: its copy of proposals' clients (from their events), and of those it was told."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field

from strategy.db import Base


class Client(Base, table=True):
    """A client of a tenant: named by proposals' `client.created`/`.updated`, or first seen in an assessment or
    an initiative (then without a name until proposals' event comes)."""

    __tablename__ = "clients"

    tenant_id: str = Field(sa_column=sa.Column(sa.Text, primary_key=True))
    id: uuid.UUID = Field(sa_column=sa.Column(sa.Uuid, primary_key=True))
    name: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    currency: str | None = Field(default=None, sa_column=sa.Column(sa.Text))
    updated_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))


clients_t: sa.Table = Client.__table__  # type: ignore[attr-defined]
