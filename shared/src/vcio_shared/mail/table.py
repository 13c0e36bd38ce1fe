"""The mail outbox table, one per service database, and the migration steps that create it.

A service gets it with one line in its `db.py` (`add_mail_table(metadata)`) and one revision whose body is
`mail_table_upgrade()` / `mail_table_downgrade()`, as the event outbox's steps are taken from
`vcio_shared.migrations`. Frozen like any revision step: a later change is a new function, never an edit."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql as pg

TABLE = "mail"
STATUSES = ("pending", "sent", "failed")


def _columns() -> list[Any]:
    return [
        sa.Column("id", pg.UUID(as_uuid=True), primary_key=True),
        sa.Column("tenant_id", sa.Text, nullable=False),
        # What caused the mail, stable across redeliveries (`invoice.issued:<invoice id>`): one row per cause.
        sa.Column("cause", sa.Text, nullable=False),
        sa.Column("client_id", sa.Text),  # for `GET /v1/mail?client_id=`; NULL for internal mail
        sa.Column("message_id", sa.Text, nullable=False),
        sa.Column("to_addrs", pg.ARRAY(sa.Text), nullable=False),
        sa.Column("cc_addrs", pg.ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("text_body", sa.Text, nullable=False),
        sa.Column("html_body", sa.Text),
        # Each attachment's filename and content type, in order; its bytes at the same index of attachment_data.
        sa.Column("attachments", pg.JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
        sa.Column("attachment_data", pg.ARRAY(sa.LargeBinary), nullable=False, server_default=sa.text("'{}'")),
        sa.Column("sender_name", sa.Text),
        sa.Column("reply_to", sa.Text),
        sa.Column("footer", sa.Text),
        sa.Column("unsubscribe", sa.Text),  # a List-Unsubscribe target (reminders, digests); NULL on invoices
        sa.Column("status", sa.Text, nullable=False, server_default="pending"),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        # A sender holds a claimed row until then; past it another replica may take the row again.
        sa.Column("lease_until", sa.DateTime(timezone=True)),
        sa.Column("error", sa.Text),
        sa.Column("sent_at", sa.DateTime(timezone=True)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()),
    ]


def add_mail_table(metadata: sa.MetaData) -> sa.Table:
    """The `mail` table in a service's metadata (beside `db.add_platform_tables`)."""
    return sa.Table(
        TABLE,
        metadata,
        *_columns(),
        sa.UniqueConstraint("tenant_id", "cause", name=sa.schema.conv("uq_mail_tenant_id_cause")),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name=sa.schema.conv("ck_mail_status")),
        sa.Index("ix_mail_due", "next_attempt_at", postgresql_where=sa.text("status = 'pending'")),
        sa.Index("ix_mail_tenant_id_created", "tenant_id", "created_at", "id"),
    )


def mail_table_upgrade() -> None:
    """The revision of every sending service that adds the mail outbox."""
    from alembic import op  # here, not at the top: every running service imports this module, never Alembic

    op.create_table(
        TABLE,
        *_columns(),
        sa.UniqueConstraint("tenant_id", "cause", name=sa.schema.conv("uq_mail_tenant_id_cause")),
        sa.CheckConstraint(f"status IN {STATUSES!r}", name=sa.schema.conv("ck_mail_status")),
    )
    op.create_index("ix_mail_due", TABLE, ["next_attempt_at"], postgresql_where=sa.text("status = 'pending'"))
    op.create_index("ix_mail_tenant_id_created", TABLE, ["tenant_id", "created_at", "id"])


def mail_table_downgrade() -> None:
    from alembic import op

    op.drop_table(TABLE)
