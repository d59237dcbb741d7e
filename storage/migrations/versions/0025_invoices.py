"""invoices (开票) on installments: installments.invoice_on beside invoice_no

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (see 0020): no installment had an invoice date before.
    op.add_column('installments', sa.Column('invoice_on', sa.Date(), nullable=True))


def downgrade() -> None:
    op.drop_column('installments', 'invoice_on')
