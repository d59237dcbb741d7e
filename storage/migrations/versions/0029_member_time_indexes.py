"""indexes by member and time on purchases, payments and interactions: a team's
attainment reads each member's month from them (bench/steering.py)

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0029'
down_revision: str | None = '0028'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_purchases_user_time', 'purchases',
                    ['user_id', 'occurred_at', 'currency', 'amount_minor', 'returned_minor'])
    op.create_index('ix_payments_user_time', 'payments',
                    ['user_id', 'received_at', 'kind', 'currency', 'amount_minor'])
    op.create_index('ix_interactions_user_time', 'interactions',
                    ['user_id', 'occurred_at', 'kind'])


def downgrade() -> None:
    op.drop_index('ix_interactions_user_time', 'interactions')
    op.drop_index('ix_payments_user_time', 'payments')
    op.drop_index('ix_purchases_user_time', 'purchases')
