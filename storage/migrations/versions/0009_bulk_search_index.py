"""SQLite: a bulk insert of customers may index its rows itself

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-23

The insert trigger that keeps the FTS5 table in step fires unless the writing transaction
has put a row into `search_index_paused` (see storage.search.lookup.insert_customers).
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PAUSABLE = """CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers
    WHEN NOT EXISTS (SELECT 1 FROM search_index_paused) BEGIN
        INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END"""
ALWAYS = """CREATE TRIGGER customers_fts_insert AFTER INSERT ON customers BEGIN
        INSERT INTO customer_fts(rowid, search_text) VALUES (new.id, new.search_text);
    END"""


def upgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("CREATE TABLE search_index_paused (paused INTEGER NOT NULL)")
    op.execute("DROP TRIGGER customers_fts_insert")
    op.execute(PAUSABLE)


def downgrade() -> None:
    if op.get_bind().dialect.name != "sqlite":
        return
    op.execute("DROP TRIGGER customers_fts_insert")
    op.execute(ALWAYS)
    op.execute("DROP TABLE search_index_paused")
