"""customer value (RFM, churn), owners' decisions on it, satisfaction scores

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'satisfaction',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('comment', sa.String(length=500), nullable=True),
        sa.Column('purchase_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['purchase_id'], ['purchases.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_satisfaction_customer_time', 'satisfaction', ['customer_id', 'created_at'])
    op.create_table(
        'customer_values',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=True),
        sa.Column('recency_days', sa.Integer(), nullable=False),
        sa.Column('frequency', sa.Integer(), nullable=False),
        sa.Column('monetary_minor', sa.BigInteger(), nullable=False),
        sa.Column('r', sa.Integer(), nullable=False),
        sa.Column('f', sa.Integer(), nullable=False),
        sa.Column('m', sa.Integer(), nullable=False),
        sa.Column('suggested_tier', sa.String(length=16), nullable=True),
        sa.Column('churn', sa.JSON(), nullable=True),
        sa.Column('computed_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('customer_id'),
    )
    op.create_index('ix_customer_values_owner', 'customer_values', ['owner_id'])
    op.create_table(
        'value_decisions',
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('kept_tier_against', sa.String(length=16), nullable=True),
        sa.Column('churn_quiet_until', UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('customer_id'),
    )


def downgrade() -> None:
    op.drop_table('value_decisions')
    op.drop_index('ix_customer_values_owner', table_name='customer_values')
    op.drop_table('customer_values')
    op.drop_index('ix_satisfaction_customer_time', table_name='satisfaction')
    op.drop_table('satisfaction')
