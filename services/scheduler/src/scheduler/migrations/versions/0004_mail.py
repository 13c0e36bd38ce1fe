"""mail: the outbox of the mail the scheduler sends (weekly digests, overdue notices)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 11:20:00
"""

from vcio_shared.mail import mail_table_downgrade, mail_table_upgrade

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    mail_table_upgrade()


def downgrade() -> None:
    mail_table_downgrade()
