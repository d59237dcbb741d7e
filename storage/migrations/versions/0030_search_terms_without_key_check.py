"""PostgreSQL: search terms follow their customer by a trigger, not a foreign key.

The key's check ran once per term: the 3.4 million terms of a 100,000-row import took
19.2 s to COPY with it, 10.7 s without (this VM). What the key gave, its cascade, is now
one statement per DELETE of customers. A term can no longer name a customer that never
was: every lookup joins `customers`, so one left behind (a customer deleted while an edit
re-indexed it) is never found, and ids are never given twice. SQLite keeps its key: there
its check costs under a second of the same import, and dropping it means copying the
whole table.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0030'
down_revision: str | None = '0029'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_constraint('search_terms_customer_id_fkey', 'search_terms', type_='foreignkey')
    op.execute("CREATE FUNCTION search_terms_follow_customers() RETURNS trigger "
               "LANGUAGE plpgsql AS $$ BEGIN DELETE FROM search_terms WHERE customer_id IN "
               "(SELECT id FROM gone); RETURN NULL; END $$")
    op.execute("CREATE TRIGGER search_terms_follow_customers AFTER DELETE ON customers "
               "REFERENCING OLD TABLE AS gone FOR EACH STATEMENT "
               "EXECUTE FUNCTION search_terms_follow_customers()")


def downgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP TRIGGER search_terms_follow_customers ON customers")
    op.execute("DROP FUNCTION search_terms_follow_customers()")
    op.execute("DELETE FROM search_terms WHERE customer_id NOT IN (SELECT id FROM customers)")
    op.create_foreign_key('search_terms_customer_id_fkey', 'search_terms', 'customers',
                          ['customer_id'], ['id'], ondelete='CASCADE')
