"""surveys: a satisfaction survey link per customer (token kept as its SHA-256) and the
customer's own answer

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'surveys',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('request_id', sa.Integer(),
                  sa.ForeignKey('service_requests.id', ondelete='SET NULL'), nullable=True),
        sa.Column('purchase_id', sa.Integer(),
                  sa.ForeignKey('purchases.id', ondelete='SET NULL'), nullable=True),
        sa.Column('token_hash', sa.String(64), nullable=False, unique=True),
        sa.Column('language', sa.String(8), nullable=False),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('expires_at', UTCDateTime(), nullable=False),
        sa.Column('answered_at', UTCDateTime(), nullable=True),
        sa.Column('stars', sa.Integer(), nullable=True),
        sa.Column('recommend', sa.Integer(), nullable=True),
        sa.Column('comment', sa.Text(), nullable=True),
    )
    op.create_index('ix_surveys_customer_time', 'surveys', ['customer_id', 'created_at'])


def downgrade() -> None:
    op.drop_table('surveys')
