"""An import's uploaded file is kept in parts of 1 MB (storage/imports/jobs.py): storing a
99 MB sheet whole took the process to a peak of 669 MB on PostgreSQL, in parts 85 MB.

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
    if op.get_bind().dialect.name == "postgresql":
        op.add_column('import_files', sa.Column('part', sa.Integer(), nullable=False,
                                                server_default='0'))
        op.alter_column('import_files', 'part', server_default=None)
        op.drop_constraint('import_files_pkey', 'import_files', type_='primary')
        op.create_primary_key('import_files_pkey', 'import_files', ['import_id', 'part'])
        return
    # SQLite changes a primary key only by copying the table.
    op.create_table(
        'import_files_parts',
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('part', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('import_id', 'part'),
    )
    op.execute("INSERT INTO import_files_parts (import_id, part, content) "
               "SELECT import_id, 0, content FROM import_files")
    op.drop_table('import_files')
    op.rename_table('import_files_parts', 'import_files')


def downgrade() -> None:
    bind = op.get_bind()
    whole: dict[int, bytes] = {}
    for import_id, content in bind.execute(sa.text(
            "SELECT import_id, content FROM import_files ORDER BY import_id, part")):
        whole[import_id] = whole.get(import_id, b"") + bytes(content)
    op.drop_table('import_files')
    op.create_table(
        'import_files',
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['imports.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('import_id'),
    )
    for import_id, content in whole.items():
        bind.execute(sa.text("INSERT INTO import_files (import_id, content) VALUES (:i, :c)"),
                     {"i": import_id, "c": content})
