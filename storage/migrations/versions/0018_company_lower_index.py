"""customers: an index on lower(company), for /dupes' grouping by company

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-02
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_customers_company_lower', 'customers', [sa.text('lower(company)')])


def downgrade() -> None:
    op.drop_index('ix_customers_company_lower', table_name='customers')
