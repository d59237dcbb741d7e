"""search: a table of terms replaces the trigram indexes (FTS5 on SQLite, pg_trgm on
PostgreSQL)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-02

Every customer's terms are computed from its search text here, in batches (storage/search/lookup.py
`terms_of`). At 100,000 customers this takes about as long as the old index took to build.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from storage.search.lookup import terms_of

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        'search_terms',
        sa.Column('term', sa.Text().with_variant(sa.Text(collation='C'), 'postgresql'),
                  nullable=False),
        sa.Column('customer_id', sa.Integer(),
                  sa.ForeignKey('customers.id', ondelete='CASCADE'), nullable=False),
        sa.PrimaryKeyConstraint('term', 'customer_id'),
        sqlite_with_rowid=False,
    )
    op.create_index('ix_search_terms_customer', 'search_terms', ['customer_id', 'term'])
    terms = sa.table('search_terms', sa.column('term'), sa.column('customer_id'))
    last = 0
    while True:
        rows = bind.execute(sa.text(
            "SELECT id, search_text FROM customers WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH}).all()
        if not rows:
            break
        bind.execute(terms.insert(), [{"term": term, "customer_id": row.id}
                                      for row in rows for term in terms_of(row.search_text)])
        last = rows[-1].id
    if bind.dialect.name == "sqlite":
        for trigger in ("customers_fts_insert", "customers_fts_delete", "customers_fts_update"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS customer_fts")
        op.execute("DROP TABLE IF EXISTS search_index_paused")
    else:
        op.execute("DROP INDEX IF EXISTS ix_customers_search_trgm")


def downgrade() -> None:
    raise NotImplementedError("restore a backup made before this upgrade")
