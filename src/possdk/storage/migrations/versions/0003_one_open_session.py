"""At most one open session per register, enforced by the database.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the partial unique index."""
    op.create_index(
        "ux_register_sessions_one_open",
        "register_sessions",
        ["register_id"],
        unique=True,
        sqlite_where=sa.text("closed_at IS NULL"),
        postgresql_where=sa.text("closed_at IS NULL"),
    )


def downgrade() -> None:
    """Drop it."""
    op.drop_index("ux_register_sessions_one_open", table_name="register_sessions")
