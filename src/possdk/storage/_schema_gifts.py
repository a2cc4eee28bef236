"""Tables of coupons and their redemptions, gift card details.

Defined on the store's one :data:`~possdk.storage._schema.metadata`; the
matching Alembic migration creates them in existing databases. A gift card's
balance and ledger are its row in ``accounts`` and its ``account_entries``;
``gift_cards`` holds only what an account does not say (expiry, origin, block
reason).
"""

from __future__ import annotations

import sqlalchemy as sa

from possdk.storage._schema import UTCDateTime, Uuid, metadata

__all__ = ["coupon_redemptions", "coupons", "gift_cards"]

coupons = sa.Table(
    "coupons",
    metadata,
    sa.Column("code", sa.String(64), primary_key=True),  # upper case
    sa.Column("campaign", sa.String(64), nullable=True),
    sa.Column("max_uses", sa.Integer, nullable=True),  # None: unlimited
    sa.Column("uses", sa.Integer, nullable=False),
    sa.Column("per_customer", sa.Integer, nullable=True),
    sa.Column("valid_from", UTCDateTime, nullable=True),
    sa.Column("valid_until", UTCDateTime, nullable=True),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.CheckConstraint("max_uses IS NULL OR uses <= max_uses", name="ck_coupons_uses_within_max"),
    sa.Index("ix_coupons_campaign", "campaign"),
)

coupon_redemptions = sa.Table(
    "coupon_redemptions",
    metadata,
    sa.Column("code", sa.String(64), sa.ForeignKey("coupons.code"), primary_key=True),
    sa.Column("sale_id", Uuid, primary_key=True),  # once per sale
    sa.Column("customer_id", sa.String(64), nullable=True),
    sa.Column("register_id", sa.String(64), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Index("ix_coupon_redemptions_customer", "code", "customer_id"),
)

gift_cards = sa.Table(
    "gift_cards",
    metadata,
    sa.Column("number", sa.String(64), sa.ForeignKey("accounts.number"), primary_key=True),
    sa.Column("origin", sa.String(16), nullable=False),  # sale | issue | refund | account
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("expires_at", UTCDateTime, nullable=True),
    sa.Column("sale_id", Uuid, nullable=True),
    sa.Column("customer_id", sa.String(64), nullable=True),
    sa.Column("blocked_reason", sa.String(200), nullable=True),
)
