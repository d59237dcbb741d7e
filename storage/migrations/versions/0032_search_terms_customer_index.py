"""PostgreSQL: a customer's search terms are found by an index of `customer_id` alone.

That index serves only the deletion of a customer's terms (re-indexing an edited record,
the trigger of migration 0030); lookups read the primary key. Keyed by (customer_id,
term) it held each term a second time: 144 MB at 100,000 customers, and the 3.4 million
terms of a 100,000-row import took 13.6-13.9 s to COPY with it. By `customer_id` alone
PostgreSQL keeps one entry a customer with its rows listed (deduplication): 25 MB, and
12.5-12.7 s (this VM; the table and its key alone 10.0 s). Building it takes about 1.2 s
per 100,000 customers, during which no terms can be written. SQLite keeps the pair: a
table without rowids puts its key in every index anyway.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0032'
down_revision: str | None = '0031'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_search_terms_customer', table_name='search_terms')
    op.create_index('ix_search_terms_customer', 'search_terms', ['customer_id'])


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index('ix_search_terms_customer', table_name='search_terms')
    op.create_index('ix_search_terms_customer', 'search_terms', ['customer_id', 'term'])
