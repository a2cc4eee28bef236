"""Indexes for reports: sales by register and time, journal entries by time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the indexes."""
    op.create_index("ix_sales_register_completed", "sales", ["register_id", "completed_at"])
    op.create_index("ix_journal_at", "journal", ["at"])


def downgrade() -> None:
    """Drop them."""
    op.drop_index("ix_journal_at", table_name="journal")
    op.drop_index("ix_sales_register_completed", table_name="sales")
