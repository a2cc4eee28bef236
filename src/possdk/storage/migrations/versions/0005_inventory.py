"""Inventory: locations, the stock ledger, levels, reorder rules, suppliers and documents.

Purchase orders, transfers and counts are stock documents; registers get a
selling location.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    """Create the inventory tables and the store's first location, ``main``."""
    # A plain ADD COLUMN (no table rebuild): other tables refer to registers.
    op.add_column("registers", sa.Column("location_id", sa.String(length=64), nullable=True))
    locations = op.create_table(
        "locations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("damaged_to", sa.String(length=64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.bulk_insert(locations, [{"id": "main", "name": "Main", "kind": "store", "active": True}])
    op.create_table(
        "stock_items",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("tracked", sa.Boolean(), nullable=False),
        sa.Column("negative", sa.String(length=8), nullable=False),
        sa.Column("average_cost", sa.String(length=40), nullable=True),
        sa.Column("last_cost", sa.String(length=40), nullable=True),
        sa.PrimaryKeyConstraint("sku"),
    )
    op.create_table(
        "stock_levels",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("on_hand_micro", sa.BigInteger(), nullable=False),
        sa.Column("reserved_micro", sa.BigInteger(), nullable=False),
        sa.Column("reorder_point_micro", sa.BigInteger(), nullable=True),
        sa.Column("order_up_to_micro", sa.BigInteger(), nullable=True),
        sa.Column("low", sa.Boolean(), nullable=False),
        sa.CheckConstraint("reserved_micro >= 0", name="ck_stock_levels_reserved_not_negative"),
        sa.PrimaryKeyConstraint("sku", "location_id"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "stock_movements",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("quantity_micro", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("unit_cost", sa.String(length=40), nullable=True),
        sa.Column("note", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_stock_movements_item", "stock_movements", ["sku", "location_id", "at"], unique=False
    )
    op.create_index("ix_stock_movements_document", "stock_movements", ["document_id"], unique=False)
    op.create_table(
        "stock_reservations",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("quantity_micro", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("released_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reorder_rules",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("rule", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("sku", "location_id"),
    )
    op.create_table(
        "suppliers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "supplier_items",
        sa.Column("supplier_id", sa.String(length=64), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("supplier_code", sa.String(length=64), nullable=False),
        sa.Column("unit_cost", sa.String(length=40), nullable=True),
        sa.Column("pack_micro", sa.BigInteger(), nullable=False),
        sa.Column("min_order_micro", sa.BigInteger(), nullable=False),
        sa.Column("preferred", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["supplier_id"], ["suppliers.id"]),
        sa.PrimaryKeyConstraint("supplier_id", "sku"),
    )
    op.create_table(
        "stock_documents",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("location_id", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(
        "ix_stock_documents_kind_status", "stock_documents", ["kind", "status"], unique=False
    )
    op.create_table(
        "stock_count_lines",
        sa.Column("count_id", sa.Uuid(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("counted_micro", sa.BigInteger(), nullable=False),
        sa.Column("book_micro", sa.BigInteger(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["count_id"], ["stock_documents.id"]),
        sa.PrimaryKeyConstraint("count_id", "sku"),
    )
    op.create_table(
        "counters",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    """Drop them (loses all stock records)."""
    for table in (
        "counters",
        "stock_count_lines",
        "stock_documents",
        "supplier_items",
        "suppliers",
        "reorder_rules",
        "stock_reservations",
        "stock_movements",
        "stock_levels",
        "stock_items",
        "locations",
    ):
        op.drop_table(table)
    op.execute("ALTER TABLE registers DROP COLUMN location_id")  # SQLite 3.35+ and PostgreSQL
