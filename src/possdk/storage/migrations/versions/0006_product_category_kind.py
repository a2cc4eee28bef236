"""Products get a merchandise category and a kind (goods or gift card).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add products.category and products.kind (existing products are goods)."""
    op.add_column("products", sa.Column("category", sa.String(length=64), nullable=True))
    op.add_column(
        "products",
        sa.Column("kind", sa.String(length=16), nullable=False, server_default="goods"),
    )


def downgrade() -> None:
    """Drop them."""
    op.execute("ALTER TABLE products DROP COLUMN kind")  # SQLite 3.35+ and PostgreSQL
    op.execute("ALTER TABLE products DROP COLUMN category")
