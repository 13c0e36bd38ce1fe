"""Alembic, driven from code: every service keeps its revisions in `<package>/migrations`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config

from vcio_shared.settings import to_driver_url


def alembic_config(package: str, database_url: str) -> Config:
    """An Alembic config for a service package, pointed at a database."""
    module = __import__(package)
    script_location = Path(str(module.__file__)).parent / "migrations"
    cfg = Config()
    cfg.set_main_option("script_location", str(script_location))
    cfg.set_main_option("sqlalchemy.url", to_driver_url(database_url, "psycopg").replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    return cfg


def upgrade(package: str, database_url: str, revision: str = "head") -> None:
    """Apply a service's migrations (idempotent)."""
    command.upgrade(alembic_config(package, database_url), revision)


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's `migrations/env.py`."""
    url = str(context.config.get_main_option("sqlalchemy.url"))
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=target_metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()
