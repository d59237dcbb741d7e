"""installments: a purchase's payment plan; payments say which installment they paid

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
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
    with op.batch_alter_table('payments') as batch:
        batch.add_column(sa.Column('installment_id', sa.Integer(), nullable=True))
        batch.create_foreign_key('fk_payments_installment', 'installments',
                                 ['installment_id'], ['id'], ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('payments') as batch:
        batch.drop_constraint('fk_payments_installment', type_='foreignkey')
        batch.drop_column('installment_id')
    op.drop_index('ix_installments_customer', table_name='installments')
    op.drop_index('ix_installments_purchase', table_name='installments')
    op.drop_table('installments')
