"""customers: indexes for the Mini App's table: (last_contact_at, id), region, and
updated_at with id; customer_tags by tag

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The table lists the latest contact first and the never-contacted last: SQLite's
    # NULL is the smallest value, so its index read backwards is that order; PostgreSQL
    # needs it spelled out.
    if op.get_bind().dialect.name == 'postgresql':
        op.create_index('ix_customers_last_contact', 'customers', [
            sa.text('last_contact_at DESC NULLS LAST'), sa.text('id DESC')])
    else:
        op.create_index('ix_customers_last_contact', 'customers', ['last_contact_at', 'id'])
    op.create_index('ix_customers_region', 'customers', ['region'])
    # The table's default order is (updated_at DESC, id DESC). SQLite's index carries the
    # rowid anyway; PostgreSQL's did not, and sorted every match instead (28-45 ms a page
    # at 100,000 customers).
    op.drop_index('ix_customers_updated', table_name='customers')
    op.create_index('ix_customers_updated', 'customers', ['updated_at', 'id'])
    op.create_index('ix_customer_tags_tag', 'customer_tags', ['tag_id', 'customer_id'])


def downgrade() -> None:
    op.drop_index('ix_customer_tags_tag', table_name='customer_tags')
    op.drop_index('ix_customers_updated', table_name='customers')
    op.create_index('ix_customers_updated', 'customers', ['updated_at'])
    op.drop_index('ix_customers_region', table_name='customers')
    op.drop_index('ix_customers_last_contact', table_name='customers')
