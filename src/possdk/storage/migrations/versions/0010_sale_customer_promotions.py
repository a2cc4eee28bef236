"""Receipts name their customer and what each promotion took off, for reports.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-27

``sales.customer_id`` and ``sale_promotions`` were only inside each receipt's
JSON document; customer and promotion reports need them as columns. Existing
receipts are read once and the new columns filled from their documents.
"""

from __future__ import annotations

import json
from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_BATCH = 1000


def _minor(amount: str) -> int:
    """A stored amount (``"12.50"``, already at the currency's exponent) in minor units."""
    value = Decimal(amount)
    exponent = value.as_tuple().exponent
    assert isinstance(exponent, int)
    return int(value.scaleb(-exponent)) if exponent < 0 else int(value)


def upgrade() -> None:
    """Add ``sales.customer_id`` and ``sale_promotions``, filled from the receipts."""
    op.add_column("sales", sa.Column("customer_id", sa.String(length=36), nullable=True))
    op.create_index(
        "ix_sales_customer_completed", "sales", ["customer_id", "completed_at"], unique=False
    )
    promotions = op.create_table(
        "sale_promotions",
        sa.Column("sale_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("promotion_id", sa.String(length=64), nullable=False),
        sa.Column("description", sa.String(length=400), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["sale_id"], ["sales.id"]),
        sa.PrimaryKeyConstraint("sale_id", "seq"),
    )
    assert promotions is not None
    bind = op.get_bind()
    sales = sa.table(
        "sales",
        sa.column("id", sa.Uuid()),
        sa.column("receipt", sa.Text()),
        sa.column("customer_id", sa.String()),
    )
    # Only documents that can hold either: a receipt without both is left as it is.
    wanted = sa.or_(
        sales.c.receipt.like('%"customer_id": "%'),
        sales.c.receipt.like('%"customer_id":"%'),
        sales.c.receipt.like('%"promotion_id"%'),
    )
    rows = bind.execute(sa.select(sales.c.id, sales.c.receipt).where(wanted)).all()
    for start in range(0, len(rows), _BATCH):
        customers: list[dict[str, object]] = []
        found: list[dict[str, object]] = []
        for sale_id, text in rows[start : start + _BATCH]:
            doc = json.loads(text)
            if doc.get("customer_id"):
                customers.append({"sid": sale_id, "cid": doc["customer_id"]})
            for seq, p in enumerate(doc.get("totals", {}).get("promotions", []), 1):
                found.append(
                    {
                        "sale_id": sale_id,
                        "seq": seq,
                        "promotion_id": p["promotion_id"],
                        "description": p["description"],
                        "line_no": p.get("line_no"),
                        "amount_minor": _minor(p["amount"]["amount"]),
                    }
                )
        if customers:
            bind.execute(
                sales.update()
                .where(sales.c.id == sa.bindparam("sid"))
                .values(customer_id=sa.bindparam("cid")),
                customers,
            )
        if found:
            bind.execute(promotions.insert(), found)


def downgrade() -> None:
    """Drop them (the receipts' documents still hold the same facts)."""
    op.drop_table("sale_promotions")
    op.drop_index("ix_sales_customer_completed", table_name="sales")
    op.execute("ALTER TABLE sales DROP COLUMN customer_id")  # SQLite 3.35+ and PostgreSQL
