"""customers: an index on updated_at, for the most recently changed customers (an empty
inline query lists them)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0016'
down_revision: str | None = '0015'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_customers_updated', 'customers', ['updated_at'])


def downgrade() -> None:
    op.drop_index('ix_customers_updated', table_name='customers')
