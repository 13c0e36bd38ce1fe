"""The strategy service's own tables share one registry: its metadata is what Alembic migrates."""

from sqlmodel import SQLModel

from vcio_shared.db import make_registry

registry = make_registry()
metadata = registry.metadata


class Base(SQLModel, registry=registry):
    """Base class of every strategy table."""
