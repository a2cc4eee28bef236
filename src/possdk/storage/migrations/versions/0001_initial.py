"""The first schema: settings, catalog, operators, registers, sessions, sales, journal.

Revision ID: 0001
Revises:
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Aware UTC times: TIMESTAMPTZ on PostgreSQL, ISO text on SQLite (as possdk's UTCDateTime).
UTC = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    """Create every table."""
    op.create_table(
        "journal",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("gt_sales_minor", sa.BigInteger(), nullable=False),
        sa.Column("gt_returns_minor", sa.BigInteger(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("terminal_id", "seq", name="uq_journal_terminal_seq"),
    )
    op.create_table(
        "journal_heads",
        sa.Column("terminal_id", sa.String(length=64), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("gt_sales_minor", sa.BigInteger(), nullable=False),
        sa.Column("gt_returns_minor", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("terminal_id"),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "registers",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("receipt_count", sa.Integer(), nullable=False),
        sa.Column("z_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "settings",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "suspended_sales",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("register_id", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("suspended_at", UTC, nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "tax_categories",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("rates", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "products",
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("price", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("tax_category", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("quantity_decimals", sa.Integer(), nullable=True),
        sa.Column("plu", sa.String(length=16), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("parent_sku", sa.String(length=64), nullable=True),
        sa.Column("attributes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tax_category"],
            ["tax_categories.code"],
        ),
        sa.PrimaryKeyConstraint("sku"),
        sa.UniqueConstraint("plu"),
    )
    op.create_table(
        "register_sessions",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("register_id", sa.String(length=64), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("opening_float_minor", sa.BigInteger(), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("totals", sa.Text(), nullable=False),
        sa.Column("z_number", sa.Integer(), nullable=True),
        sa.Column("z_report", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["register_id"],
            ["registers.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_register_sessions_open", "register_sessions", ["register_id", "closed_at"], unique=False
    )
    op.create_table(
        "product_barcodes",
        sa.Column("gtin14", sa.String(length=14), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sku"],
            ["products.sku"],
        ),
        sa.PrimaryKeyConstraint("gtin14"),
    )
    op.create_index(op.f("ix_product_barcodes_sku"), "product_barcodes", ["sku"], unique=False)
    op.create_table(
        "sales",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("register_id", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.Uuid(), nullable=False),
        sa.Column("operator_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("completed_at", UTC, nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("total_minor", sa.BigInteger(), nullable=False),
        sa.Column("rounding_minor", sa.BigInteger(), nullable=False),
        sa.Column("change_minor", sa.BigInteger(), nullable=False),
        sa.Column("return_of", sa.Uuid(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["return_of"],
            ["sales.id"],
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["register_sessions.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number"),
    )
    op.create_index(op.f("ix_sales_completed_at"), "sales", ["completed_at"], unique=False)
    op.create_index(op.f("ix_sales_return_of"), "sales", ["return_of"], unique=False)
    op.create_index(op.f("ix_sales_session_id"), "sales", ["session_id"], unique=False)
    op.create_table(
        "sale_lines",
        sa.Column("sale_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("sku", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("quantity_micro", sa.BigInteger(), nullable=False),
        sa.Column("unit", sa.String(length=8), nullable=False),
        sa.Column("unit_price", sa.String(length=40), nullable=False),
        sa.Column("subtotal_minor", sa.BigInteger(), nullable=False),
        sa.Column("discount_minor", sa.BigInteger(), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.Column("gross_minor", sa.BigInteger(), nullable=False),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("return_of_sale", sa.Uuid(), nullable=True),
        sa.Column("return_of_line", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["sales.id"],
        ),
        sa.PrimaryKeyConstraint("sale_id", "line_no"),
    )
    op.create_index(
        "ix_sale_lines_return_of", "sale_lines", ["return_of_sale", "return_of_line"], unique=False
    )
    op.create_index(op.f("ix_sale_lines_sku"), "sale_lines", ["sku"], unique=False)
    op.create_table(
        "sale_taxes",
        sa.Column("sale_id", sa.Uuid(), nullable=False),
        sa.Column("rate_code", sa.String(length=64), nullable=False),
        sa.Column("percent", sa.String(length=20), nullable=False),
        sa.Column("net_minor", sa.BigInteger(), nullable=False),
        sa.Column("tax_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["sales.id"],
        ),
        sa.PrimaryKeyConstraint("sale_id", "rate_code"),
    )
    op.create_table(
        "tenders",
        sa.Column("sale_id", sa.Uuid(), nullable=False),
        sa.Column("tender_no", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("tendered_minor", sa.BigInteger(), nullable=False),
        sa.Column("change_minor", sa.BigInteger(), nullable=False),
        sa.Column("rounding_minor", sa.BigInteger(), nullable=False),
        sa.Column("reference", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["sale_id"],
            ["sales.id"],
        ),
        sa.PrimaryKeyConstraint("sale_id", "tender_no"),
    )


def downgrade() -> None:
    """Drop every table (loses all data)."""
    for table in (
        "tenders",
        "sale_taxes",
        "sale_lines",
        "sales",
        "product_barcodes",
        "register_sessions",
        "products",
        "tax_categories",
        "suspended_sales",
        "settings",
        "registers",
        "operators",
        "journal_heads",
        "journal",
    ):
        op.drop_table(table)
