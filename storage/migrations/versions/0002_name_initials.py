"""pinyin initials of each customer's name, for two-letter lookups

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22

Queries shorter than three characters cannot use the trigram indexes; they are
answered by prefix on name, name_pinyin and this column, each with a btree index.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.search.names import pinyin_initials

revision: str = '0002'
down_revision: str | None = '0001'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ALTERs, not a batch: recreating the table on SQLite would drop the FTS triggers.
    op.add_column('customers', sa.Column(
        'name_initials', sa.String(length=100), nullable=False, server_default=''))
    op.create_index('ix_customers_name_initials', 'customers', ['name_initials'])
    op.create_index('ix_customers_name', 'customers', ['name'])
    customers = sa.table(
        'customers', sa.column('id', sa.Integer), sa.column('name', sa.String),
        sa.column('name_initials', sa.String),
    )
    bind = op.get_bind()
    rows = bind.execute(sa.select(customers.c.id, customers.c.name)).all()
    for row in rows:
        bind.execute(
            customers.update().where(customers.c.id == row.id)
            .values(name_initials=pinyin_initials(row.name))
        )


def downgrade() -> None:
    op.drop_index('ix_customers_name', 'customers')
    op.drop_index('ix_customers_name_initials', 'customers')
    op.drop_column('customers', 'name_initials')
