"""mail: the outbox of proposals mailed to clients, signed copies and reminders (issue 17)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 11:30:00
"""

from vcio_shared.mail import mail_table_downgrade, mail_table_upgrade

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    mail_table_upgrade()


def downgrade() -> None:
    mail_table_downgrade()
