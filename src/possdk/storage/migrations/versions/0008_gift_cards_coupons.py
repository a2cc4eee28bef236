"""Coupons and their redemptions, gift card details.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True).with_variant(sa.String(32), "sqlite")


def upgrade() -> None:
    """Create ``coupons``, ``coupon_redemptions`` and ``gift_cards``."""
    op.create_table(
        "coupons",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("campaign", sa.String(length=64), nullable=True),
        sa.Column("max_uses", sa.Integer(), nullable=True),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("per_customer", sa.Integer(), nullable=True),
        sa.Column("valid_from", UTC, nullable=True),
        sa.Column("valid_until", UTC, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.CheckConstraint(
            "max_uses IS NULL OR uses <= max_uses", name="ck_coupons_uses_within_max"
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_index("ix_coupons_campaign", "coupons", ["campaign"], unique=False)
    op.create_table(
        "coupon_redemptions",
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("sale_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("register_id", sa.String(length=64), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["code"], ["coupons.code"]),
        sa.PrimaryKeyConstraint("code", "sale_id"),
    )
    op.create_index(
        "ix_coupon_redemptions_customer",
        "coupon_redemptions",
        ["code", "customer_id"],
        unique=False,
    )
    op.create_table(
        "gift_cards",
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=True),
        sa.Column("sale_id", sa.Uuid(), nullable=True),
        sa.Column("customer_id", sa.String(length=64), nullable=True),
        sa.Column("blocked_reason", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(["number"], ["accounts.number"]),
        sa.PrimaryKeyConstraint("number"),
    )


def downgrade() -> None:
    """Drop them again."""
    op.drop_table("gift_cards")
    op.drop_index("ix_coupon_redemptions_customer", table_name="coupon_redemptions")
    op.drop_table("coupon_redemptions")
    op.drop_index("ix_coupons_campaign", table_name="coupons")
    op.drop_table("coupons")
