"""money collected (回款): purchases.paid_minor, payment plans (installments) and
payments; purchases logged before payments were tracked count as paid

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.models import UTCDateTime

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (SQLite has it): batch mode would copy the table, and reflecting
    # it warns about the expression index on customers on every `db upgrade`.
    op.add_column('purchases', sa.Column('paid_minor', sa.BigInteger(), nullable=False,
                                         server_default='0'))
    # A team's history does not turn into debts: what was bought before payments were
    # tracked counts as paid.
    op.execute('UPDATE purchases SET paid_minor = amount_minor')
    op.create_table(
        'installments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('purchase_id', sa.Integer(),
                  sa.ForeignKey('purchases.id', ondelete='CASCADE'), nullable=False),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('due_on', sa.Date(), nullable=False),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('paid_minor', sa.BigInteger(), nullable=False, server_default='0'),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('invoice_no', sa.String(64), nullable=True),
        sa.Column('reminder_id', sa.Integer(),
                  sa.ForeignKey('reminders.id', ondelete='SET NULL'), nullable=True),
    )
    op.create_index('ix_installments_purchase', 'installments', ['purchase_id', 'due_on'])
    op.create_index('ix_installments_customer', 'installments', ['customer_id'])
    op.create_table(
        'payments',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=False),
        sa.Column('purchase_id', sa.Integer(),
                  sa.ForeignKey('purchases.id', ondelete='CASCADE'), nullable=True),
        sa.Column('installment_id', sa.Integer(),
                  sa.ForeignKey('installments.id', ondelete='SET NULL'), nullable=True),
        sa.Column('user_id', sa.Integer(), sa.ForeignKey('users.id'), nullable=True),
        sa.Column('amount_minor', sa.BigInteger(), nullable=False),
        sa.Column('currency', sa.String(3), nullable=False),
        sa.Column('received_at', UTCDateTime(), nullable=False),
        sa.Column('interaction_id', sa.Integer(),
                  sa.ForeignKey('interactions.id', ondelete='SET NULL'), nullable=True),
        sa.Column('created_at', UTCDateTime(), nullable=False),
    )
    op.create_index('ix_payments_customer_time', 'payments', ['customer_id', 'received_at'])
    op.create_index('ix_payments_purchase', 'payments', ['purchase_id'])


def downgrade() -> None:
    op.drop_index('ix_payments_purchase', table_name='payments')
    op.drop_index('ix_payments_customer_time', table_name='payments')
    op.drop_table('payments')
    op.drop_index('ix_installments_customer', table_name='installments')
    op.drop_index('ix_installments_purchase', table_name='installments')
    op.drop_table('installments')
    op.drop_column('purchases', 'paid_minor')
