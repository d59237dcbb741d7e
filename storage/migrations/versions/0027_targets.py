"""targets: what each member is to achieve per month or quarter, per metric

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0027'
down_revision: str | None = '0026'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'targets',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id', ondelete='CASCADE'),
                  nullable=False),
        sa.Column('period', sa.String(7), nullable=False),
        sa.Column('metric', sa.String(16), nullable=False),
        sa.Column('goal', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=True),
        sa.Column('set_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('updated_at', UTCDateTime(), nullable=False),
        sa.UniqueConstraint('user_id', 'period', 'metric',
                            name='uq_targets_member_period_metric'),
    )
    op.create_index('ix_targets_period', 'targets', ['period'])


def downgrade() -> None:
    op.drop_index('ix_targets_period', 'targets')
    op.drop_table('targets')
