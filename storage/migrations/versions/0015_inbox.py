"""inbox: every update from Telegram stored before it is acknowledged

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'inbox',
        sa.Column('update_id', sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column('chat_key', sa.BigInteger(), nullable=False),
        sa.Column('payload', sa.JSON(), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.Column('done_at', UTCDateTime(), nullable=True),
        sa.Column('answers', sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint('update_id'),
    )
    op.create_index('ix_inbox_pending', 'inbox', ['done_at', 'update_id'])


def downgrade() -> None:
    op.drop_index('ix_inbox_pending', table_name='inbox')
    op.drop_table('inbox')
