"""agreements: fillfactor 50, so that a billing run's advance of next_bill_date is a HOT update

A run updates every agreement of a chunk in one transaction. No index holds the columns it sets, so each
update can stay on its page (no index entry written) if the page has room for a second version of the row,
and until the transaction commits the old version keeps its place. At 80 only a quarter of the rows found that
room: the rest moved page and wrote an entry in each of the table's six indexes (4 s of PostgreSQL CPU in a
100,000-agreement run). A table billed every month ends up half empty anyway, once its old versions are
vacuumed; 50 gives every run, the first included, the room.

The new setting applies to pages written from now on. `VACUUM FULL agreements` (or pg_repack) rewrites an
existing table with it; without that, pages reach it as they are rewritten.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:20:00
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE agreements SET (fillfactor = 50)")


def downgrade() -> None:
    op.execute("ALTER TABLE agreements SET (fillfactor = 80)")
