"""Catalog tables."""

from __future__ import annotations

import datetime as dt
import uuid

import sqlalchemy as sa
from sqlmodel import Field

from catalog.db import Base
from vcio_shared.ids import uuid7


class Package(Base, table=True):
    """One version of a package. (id, version) is the key: a published version never changes."""

    __tablename__ = "packages"

    id: uuid.UUID = Field(default_factory=uuid7, primary_key=True)
    version: int = Field(default=1, primary_key=True)
    tenant_id: str = Field(index=True)
    name: str
    status: str = "draft"
    created_at: dt.datetime = Field(sa_column=sa.Column(sa.DateTime(timezone=True), nullable=False))
