"""purchases: the customer index covers currency and amount (the value job, the charts);
no index on the time alone

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-23
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.drop_index('ix_purchases_time', table_name='purchases')
    op.drop_index('ix_purchases_customer_time', table_name='purchases')
    op.create_index('ix_purchases_customer_time', 'purchases',
                    ['customer_id', 'occurred_at', 'currency', 'amount_minor'])


def downgrade() -> None:
    op.drop_index('ix_purchases_customer_time', table_name='purchases')
    op.create_index('ix_purchases_customer_time', 'purchases', ['customer_id', 'occurred_at'])
    op.create_index('ix_purchases_time', 'purchases', ['occurred_at'])
