"""stale-record nudges: the quiet / unverified clocks of each customer

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs: a batch (table copy) on SQLite would drop the FTS triggers.
    op.add_column('customers', sa.Column('quiet_since', UTCDateTime(), nullable=True))
    op.add_column('customers', sa.Column('unverified_since', UTCDateTime(), nullable=True))
    op.execute(
        "UPDATE customers SET quiet_since = COALESCE(last_contact_at, created_at), "
        "unverified_since = COALESCE(last_verified_at, created_at) "
        "WHERE archived = false AND merged_into_id IS NULL"
    )
    op.create_index('ix_customers_owner_tier_quiet', 'customers',
                    ['owner_id', 'tier', 'quiet_since'])
    op.create_index('ix_customers_owner_unverified', 'customers',
                    ['owner_id', 'unverified_since'])
    op.create_index('ix_reminders_user_kind_created', 'reminders',
                    ['user_id', 'kind', 'created_at'])
    op.create_index('ix_reminders_customer_kind_status', 'reminders',
                    ['customer_id', 'kind', 'status'])


def downgrade() -> None:
    op.drop_index('ix_reminders_customer_kind_status', 'reminders')
    op.drop_index('ix_reminders_user_kind_created', 'reminders')
    op.drop_index('ix_customers_owner_unverified', 'customers')
    op.drop_index('ix_customers_owner_tier_quiet', 'customers')
    op.drop_column('customers', 'unverified_since')
    op.drop_column('customers', 'quiet_since')
