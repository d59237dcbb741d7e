"""returns and write-offs: payments.kind (payment, return, write_off) and quantity,
purchases.returned_minor

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (see 0020): every payment so far was money received.
    op.add_column('payments', sa.Column('kind', sa.String(16), nullable=False,
                                        server_default='payment'))
    op.add_column('payments', sa.Column('quantity', sa.Integer(), nullable=True))
    op.add_column('purchases', sa.Column('returned_minor', sa.BigInteger(), nullable=False,
                                         server_default='0'))


def downgrade() -> None:
    op.drop_column('purchases', 'returned_minor')
    op.drop_column('payments', 'quantity')
    op.drop_column('payments', 'kind')
