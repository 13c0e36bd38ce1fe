"""The scheduler's own tables share one registry: its metadata is what Alembic migrates."""

import datetime as dt
import uuid
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from vcio_shared.db import make_registry
from vcio_shared.mail import add_mail_table

registry = make_registry()
metadata = registry.metadata
MAIL = add_mail_table(metadata)  # the mail outbox: weekly digests and overdue notices (vcio_shared.mail)


class Base(SQLModel, registry=registry):
    """Base class of every scheduler table."""


def update_one(table: sa.Table, tenant_id: str, row_id: uuid.UUID, now: dt.datetime, values: dict[str, Any]) -> Any:
    """UPDATE one of a tenant's rows by id, stamping updated_at: how every repository here changes a row."""
    return sa.update(table).where(table.c.tenant_id == tenant_id, table.c.id == row_id).values(**values, updated_at=now)


def text_field(*, nullable: bool = False) -> Any:
    """A TEXT column (SQLModel alone would make a str a VARCHAR), NOT NULL and required unless `nullable`."""
    if nullable:
        return Field(default=None, sa_column=sa.Column(sa.Text))
    return Field(sa_column=sa.Column(sa.Text, nullable=False))
