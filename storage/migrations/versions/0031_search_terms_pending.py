"""An import's search terms wait in `search_terms_pending` and go into `search_terms` in
key order (storage/search/lookup.py `index_pending_terms`).

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'search_terms_pending',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  primary_key=True, autoincrement=True),
        sa.Column('term', sa.Text(), nullable=False),
        sa.Column('customer_id', sa.Integer(), nullable=False),
    )
    op.create_index('ix_search_terms_pending_customer', 'search_terms_pending',
                    ['customer_id'])


def downgrade() -> None:
    op.drop_index('ix_search_terms_pending_customer', 'search_terms_pending')
    op.drop_table('search_terms_pending')
