"""Tables of webhook subscriptions and their deliveries (the delivery log and dead letters).

Defined on the store's one :data:`~possdk.storage._schema.metadata`; the
matching Alembic migration creates them in existing databases. The journal
is the outbox: a delivery row is made for each journal entry a subscription
wants, and says whether it is pending, delivered or dead.
"""

from __future__ import annotations

import sqlalchemy as sa

from possdk.storage._schema import UTCDateTime, Uuid, metadata

__all__ = ["webhook_attempts", "webhook_deliveries", "webhook_subscriptions"]

webhook_subscriptions = sa.Table(
    "webhook_subscriptions",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("url", sa.String(2000), nullable=False),
    sa.Column("events", sa.Text, nullable=False),  # JSON list of event types, or "*"
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("active", sa.Boolean, nullable=False),
    sa.Column("since", UTCDateTime, nullable=False),  # journal entries from this time on
    sa.Column("created_at", UTCDateTime, nullable=False),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("subscription_id", Uuid, sa.ForeignKey("webhook_subscriptions.id"), nullable=False),
    sa.Column("entry_id", Uuid, nullable=False),  # the journal entry: the event id
    sa.Column("event_type", sa.String(64), nullable=False),
    sa.Column("entry_at", UTCDateTime, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("next_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_attempt_at", UTCDateTime, nullable=True),
    sa.Column("last_status", sa.Integer, nullable=True),
    sa.Column("last_error", sa.String(400), nullable=True),
    sa.Column("delivered_at", UTCDateTime, nullable=True),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.UniqueConstraint("subscription_id", "entry_id", name="uq_webhook_deliveries_entry"),
    sa.Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",  # every POST tried and how it ended (0011)
    metadata,
    sa.Column("id", Uuid, primary_key=True),
    sa.Column("delivery_id", Uuid, sa.ForeignKey("webhook_deliveries.id"), nullable=False),
    sa.Column("attempt", sa.Integer, nullable=False),  # 1, 2, ... (from 1 again on redelivery)
    sa.Column("at", UTCDateTime, nullable=False),
    sa.Column("http_status", sa.Integer, nullable=True),
    sa.Column("error", sa.String(400), nullable=True),
    sa.Column("outcome", sa.String(16), nullable=False),  # the delivery's status after it
    sa.Index("ix_webhook_attempts_delivery", "delivery_id", "at"),
)
