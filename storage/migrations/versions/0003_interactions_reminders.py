"""interactions, reminders, and users who blocked the bot

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('users', sa.Column('blocked_at', UTCDateTime(), nullable=True))
    op.create_table(
        'interactions',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('occurred_at', UTCDateTime(), nullable=False),
        sa.Column('summary', sa.Text(), nullable=False),
        sa.Column('outcome', sa.String(length=500), nullable=True),
        sa.Column('attachment_kind', sa.String(length=16), nullable=True),
        sa.Column('attachment_file_id', sa.String(length=256), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_interactions_customer_time', 'interactions',
                    ['customer_id', 'occurred_at'])
    op.create_table(
        'reminders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=True),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_by_id', sa.Integer(), nullable=True),
        sa.Column('due_at', UTCDateTime(), nullable=False),
        sa.Column('text', sa.String(length=500), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('delivery', sa.String(length=16), nullable=False),
        sa.Column('send_after', UTCDateTime(), nullable=True),
        sa.Column('claim_token', sa.String(length=32), nullable=True),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('late', sa.Boolean(), nullable=False),
        sa.Column('done_at', UTCDateTime(), nullable=True),
        sa.Column('outcome_interaction_id', sa.Integer(), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(['customer_id'], ['customers.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id']),
        sa.ForeignKeyConstraint(['created_by_id'], ['users.id']),
        sa.ForeignKeyConstraint(['outcome_interaction_id'], ['interactions.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_reminders_send_after', 'reminders', ['send_after'])
    op.create_index('ix_reminders_user_status_due', 'reminders', ['user_id', 'status', 'due_at'])
    op.create_index('uq_reminders_one_digest', 'reminders', ['user_id', 'due_at'], unique=True,
                    sqlite_where=sa.text("kind = 'digest'"),
                    postgresql_where=sa.text("kind = 'digest'"))


def downgrade() -> None:
    op.drop_table('reminders')
    op.drop_table('interactions')
    op.drop_column('users', 'blocked_at')
