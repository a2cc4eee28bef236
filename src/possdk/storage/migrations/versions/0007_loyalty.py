"""Customers, loyalty cards and the points ledger.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    """Create the customers, loyalty_cards and points_ledger tables."""
    op.create_table(
        "customers",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("phone", sa.String(length=16), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("marketing_consent", sa.Boolean(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=True),
        sa.Column("postcode", sa.String(length=32), nullable=True),
        sa.Column("gender", sa.String(length=64), nullable=True),
        sa.Column("tier", sa.String(length=64), nullable=True),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("erased_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("phone", name="uq_customers_phone"),
        sa.UniqueConstraint("email", name="uq_customers_email"),
    )
    op.create_table(
        "loyalty_cards",
        sa.Column("number", sa.String(length=19), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("changed_at", UTC, nullable=True),
        sa.Column("replaced_by", sa.String(length=19), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("number"),
    )
    op.create_index("ix_loyalty_cards_customer", "loyalty_cards", ["customer_id"], unique=False)
    op.create_table(
        "points_ledger",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=36), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("points", sa.BigInteger(), nullable=False),
        sa.Column("sale_id", sa.Uuid(), nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("of_sale_id", sa.Uuid(), nullable=True),
        sa.Column("of_line_no", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("waived", sa.BigInteger(), nullable=False),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_points_ledger_customer", "points_ledger", ["customer_id", "at"], unique=False
    )
    op.create_index("ix_points_ledger_sale", "points_ledger", ["sale_id"], unique=False)
    op.create_index("ix_points_ledger_of_sale", "points_ledger", ["of_sale_id"], unique=False)
    op.create_index("ix_points_ledger_reference", "points_ledger", ["reference"], unique=False)


def downgrade() -> None:
    """Drop them (loses every customer, card and points record)."""
    for table in ("points_ledger", "loyalty_cards", "customers"):
        op.drop_table(table)
