"""customers shared with a colleague, erased customers, managers' weekly summaries

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('customers', sa.Column('erased_at', UTCDateTime(), nullable=True))
    op.create_table(
        'customer_shares',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('customer_id', 'user_id'),
    )
    op.create_index('ix_customer_shares_user', 'customer_shares', ['user_id'])
    op.create_index('uq_reminders_one_weekly', 'reminders', ['user_id', 'due_at'], unique=True,
                    sqlite_where=sa.text("kind = 'weekly'"),
                    postgresql_where=sa.text("kind = 'weekly'"))


def downgrade() -> None:
    op.drop_index('uq_reminders_one_weekly', 'reminders')
    op.drop_table('customer_shares')
    op.drop_column('customers', 'erased_at')
