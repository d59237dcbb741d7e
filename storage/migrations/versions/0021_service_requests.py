"""service requests (工单): a customer's question, fault, complaint or return, with its
assignee, due time, reminder and the times of its first response and resolution

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'service_requests',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('kind', sa.String(16), nullable=False),
        sa.Column('priority', sa.String(16), nullable=False),
        sa.Column('problem', sa.Text(), nullable=False),
        sa.Column('status', sa.String(16), nullable=False),
        sa.Column('assignee_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=False),
        sa.Column('created_by_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('due_at', UTCDateTime(), nullable=True),
        sa.Column('reminder_id', sa.Integer(),
                  sa.ForeignKey('reminders.id', ondelete='SET NULL'), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
        sa.Column('first_response_at', UTCDateTime(), nullable=True),
        sa.Column('resolved_at', UTCDateTime(), nullable=True),
        sa.Column('resolution', sa.Text(), nullable=True),
    )
    op.create_index('ix_service_requests_assignee_status', 'service_requests',
                    ['assignee_id', 'status'])
    op.create_index('ix_service_requests_customer_status', 'service_requests',
                    ['customer_id', 'status'])


def downgrade() -> None:
    op.drop_table('service_requests')
