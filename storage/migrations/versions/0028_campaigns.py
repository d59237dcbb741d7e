"""campaigns: email campaigns, each customer's part of one, and the addresses no campaign
writes to again

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0028'
down_revision: str | None = '0027'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'campaigns',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('audience', sa.String(500), nullable=False),
        sa.Column('subject', sa.String(200), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('holdout_percent', sa.Integer(), nullable=False),
        sa.Column('window_days', sa.Integer(), nullable=False),
        sa.Column('problem', sa.String(300), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('started_at', UTCDateTime(), nullable=True),
        sa.Column('finished_at', UTCDateTime(), nullable=True),
    )
    op.create_table(
        'campaign_recipients',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('campaign_id', sa.Integer(),
                  sa.ForeignKey('campaigns.id', ondelete='CASCADE'), nullable=False),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('group', sa.String(16), nullable=False),
        sa.Column('reason', sa.String(16), nullable=True),
        sa.Column('email', sa.String(254), nullable=True),
        sa.Column('status', sa.String(16), nullable=True),
        sa.Column('token_hash', sa.String(64), nullable=True, unique=True),
        sa.Column('sent_at', UTCDateTime(), nullable=True),
        sa.Column('error', sa.String(300), nullable=True),
        sa.UniqueConstraint('campaign_id', 'customer_id',
                            name='uq_campaign_recipients_customer'),
    )
    op.create_index('ix_campaign_recipients_status', 'campaign_recipients',
                    ['campaign_id', 'status', 'id'])
    op.create_table(
        'email_suppressions',
        sa.Column('email', sa.String(254), primary_key=True),
        sa.Column('reason', sa.String(16), nullable=False),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='SET NULL'), nullable=True),
        sa.Column('campaign_id', sa.Integer(),
                  sa.ForeignKey('campaigns.id', ondelete='SET NULL'), nullable=True),
        sa.Column('at', UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table('email_suppressions')
    op.drop_index('ix_campaign_recipients_status', 'campaign_recipients')
    op.drop_table('campaign_recipients')
    op.drop_table('campaigns')
