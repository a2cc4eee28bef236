"""Tables of customers, loyalty cards and the points ledger.

Defined on the store's one :data:`~possdk.storage._schema.metadata`; the
matching Alembic migration creates them in existing databases. A customer's
``points`` is a cache of their ledger's sum (``store.loyalty.points.check()``
compares them); the programme itself is a setting (``loyalty_programme``).
"""

from __future__ import annotations

import sqlalchemy as sa

from possdk.storage._schema import UTCDateTime, Uuid, metadata

__all__ = ["customers", "loyalty_cards", "points_ledger"]

customers = sa.Table(
    "customers",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("phone", sa.String(16), nullable=True),
    sa.Column("email", sa.String(254), nullable=True),
    sa.Column("marketing_consent", sa.Boolean, nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=True),
    sa.Column("postcode", sa.String(32), nullable=True),
    sa.Column("gender", sa.String(64), nullable=True),
    sa.Column("tier", sa.String(64), nullable=True),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("erased_at", UTCDateTime, nullable=True),
    sa.UniqueConstraint("phone", name="uq_customers_phone"),
    sa.UniqueConstraint("email", name="uq_customers_email"),
)

loyalty_cards = sa.Table(
    "loyalty_cards",
    metadata,
    sa.Column("number", sa.String(19), primary_key=True),
    sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("issued_at", UTCDateTime, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=True),
    sa.Column("replaced_by", sa.String(19), nullable=True),
    sa.Index("ix_loyalty_cards_customer", "customer_id"),
)

points_ledger = sa.Table(
    "points_ledger",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("customer_id", sa.String(36), sa.ForeignKey("customers.id"), nullable=False),
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("points", sa.BigInteger, nullable=False),
    sa.Column("sale_id", Uuid, nullable=True),
    sa.Column("line_no", sa.Integer, nullable=True),
    sa.Column("reference", sa.String(64), nullable=False),
    sa.Column("of_sale_id", Uuid, nullable=True),
    sa.Column("of_line_no", sa.Integer, nullable=True),
    sa.Column("amount_minor", sa.BigInteger, nullable=True),
    sa.Column("waived", sa.BigInteger, nullable=False),
    sa.Column("note", sa.String(200), nullable=False),
    sa.Index("ix_points_ledger_customer", "customer_id", "at"),
    sa.Index("ix_points_ledger_sale", "sale_id"),
    sa.Index("ix_points_ledger_of_sale", "of_sale_id"),
    sa.Index("ix_points_ledger_reference", "reference"),
)
