"""The proposals service's own tables share one registry: its metadata is what Alembic migrates."""

from sqlmodel import SQLModel

from vcio_shared.db import make_registry
from vcio_shared.mail import add_mail_table

registry = make_registry()
metadata = registry.metadata
add_mail_table(metadata)  # the mail outbox: proposals, signed copies and reminders (proposals.proposals.mail)


class Base(SQLModel, registry=registry):
    """Base class of every proposals table."""
