"""merges that can be taken back within a day

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'merges',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('survivor_id', sa.Integer(), nullable=False),
        sa.Column('merged_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
        sa.Column('undone_at', UTCDateTime(), nullable=True),
        sa.Column('undo', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(['survivor_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['merged_id'], ['customers.id']),
        sa.ForeignKeyConstraint(['actor_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )


def downgrade() -> None:
    op.drop_table('merges')
