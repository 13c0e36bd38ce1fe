"""Alembic, driven from code: every service keeps its revisions in `<package>/migrations`."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy.dialects import postgresql as pg

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
        # Replicas starting together (each Kubernetes pod migrates its database first) take turns: the next
        # one finds the database at head. A session lock, released when the connection closes.
        connection.execute(sa.text("SELECT pg_advisory_lock(hashtext('vcio-migrations'))"))
        connection.commit()
        context.configure(connection=connection, target_metadata=target_metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


# Steps on the platform tables (db.add_platform_tables) that every service's history takes once, each called
# from that service's own revision. Frozen like any revision: a later change is a new function, never an edit.


def outbox_deletes_published_upgrade() -> None:
    """Revision 0002 of every service: the relay deletes what JetStream acked, so rows the 0001 relay marked
    published (they are in the stream already) go, and with them the partial index on unpublished rows."""
    op.execute("DELETE FROM outbox WHERE published_at IS NOT NULL")
    op.drop_index("ix_outbox_unpublished", table_name="outbox", postgresql_where=sa.text("published_at IS NULL"))


def outbox_deletes_published_downgrade() -> None:
    op.create_index("ix_outbox_unpublished", "outbox", ["seq"], postgresql_where=sa.text("published_at IS NULL"))


def outbox_batches_upgrade() -> None:
    """Revision 0003 of catalog, proposals and scheduler, 0004 of billing: an outbox row may hold a batch of
    events (`event_ids`, their JSON one per line in `payload`), which the relay publishes one message each."""
    op.add_column("outbox", sa.Column("event_ids", pg.ARRAY(pg.UUID(as_uuid=True))))


def outbox_batches_downgrade() -> None:
    """Batch rows become one row per event, after every other row (the old relay cannot read a batch)."""
    op.execute(
        "CREATE TEMPORARY TABLE outbox_batches ON COMMIT DROP AS SELECT * FROM outbox WHERE event_ids IS NOT NULL"
    )
    op.execute("DELETE FROM outbox WHERE event_ids IS NOT NULL")
    op.execute(
        "INSERT INTO outbox (id, tenant_id, type, payload, headers, created_at) "
        "SELECT e.id, b.tenant_id, b.type, convert_to(p.line, 'UTF8'), b.headers, b.created_at "
        "FROM outbox_batches b, unnest(b.event_ids) WITH ORDINALITY AS e(id, n) "
        "JOIN string_to_table(convert_from(b.payload, 'UTF8'), E'\\n') WITH ORDINALITY AS p(line, n) USING (n) "
        "ORDER BY b.seq, e.n"
    )
    op.drop_column("outbox", "event_ids")
