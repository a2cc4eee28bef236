"""Persistence of webhook subscriptions and their deliveries (the log and the dead letters).

``WebhookRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``WebhookUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.
The journal is the outbox: :meth:`WebhookRepository.enqueue_deliveries` turns
the journal entries a subscription wants into pending delivery rows.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from possdk.reports._webhooks import Delivery, DeliveryAttempt, DeliveryStatus, Subscription
from possdk.storage import _schema as j
from possdk.storage import _schema_outbox as t

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["WebhookRepository", "WebhookUnitOfWork"]

WEBHOOKS_TERMINAL = "@webhooks"
"""The journal terminal of subscription changes; its entries are never delivered."""


class WebhookUnitOfWork(Protocol):
    """The unit of work's methods for webhook subscriptions and their deliveries."""

    def insert_subscription(self, subscription: Subscription) -> None:
        """Keep a new subscription."""
        ...

    def set_subscription_active(self, subscription_id: uuid.UUID, active: bool) -> bool:
        """Switch a subscription on or off; False if there is no such subscription."""
        ...

    def set_subscription_secret(self, subscription_id: uuid.UUID, secret: str) -> bool:
        """Replace a subscription's secret; False if there is no such subscription."""
        ...

    def webhook_subscription(self, subscription_id: uuid.UUID) -> Subscription | None:
        """One subscription by id."""
        ...

    def webhook_subscriptions(self, *, active_only: bool = False) -> list[Subscription]:
        """Every subscription, oldest first."""
        ...

    def enqueue_deliveries(self, subscription: Subscription, now: datetime, limit: int) -> int:
        """Add a pending delivery for each wanted journal entry without one (at most ``limit``)."""
        ...

    def due_deliveries(
        self, subscription_id: uuid.UUID, now: datetime, limit: int
    ) -> list[Delivery]:
        """Pending deliveries due at ``now``, oldest journal entry first."""
        ...

    def claim_delivery(self, delivery: Delivery, now: datetime, lease_until: datetime) -> bool:
        """Count an attempt and hold the delivery until ``lease_until``; False if taken."""
        ...

    def finish_webhook_attempt(
        self,
        delivery_id: uuid.UUID,
        attempts: int,
        *,
        status: DeliveryStatus,
        at: datetime,
        next_attempt_at: datetime | None,
        http_status: int | None,
        error: str | None,
    ) -> None:
        """Record how an attempt ended (only if no later attempt was claimed meanwhile)."""
        ...

    def webhook_deliveries(
        self,
        *,
        subscription_id: uuid.UUID | None = None,
        status: DeliveryStatus | None = None,
        delivery_id: uuid.UUID | None = None,
    ) -> list[Delivery]:
        """Delivery rows, oldest journal entry first, filtered."""
        ...

    def reset_delivery(self, delivery_id: uuid.UUID, now: datetime) -> bool:
        """Make a delivery pending again with no attempts; False if there is none."""
        ...

    def journal_entry_text(self, entry_id: uuid.UUID) -> tuple[str, str, int, str] | None:
        """A journal entry's (terminal, type, seq, payload)."""
        ...

    def webhook_attempts(self, delivery_id: uuid.UUID) -> list[DeliveryAttempt]:
        """A delivery's attempts, oldest first."""
        ...

    def prune_deliveries(self, subscription: Subscription, cutoff: datetime) -> int:
        """Forget delivered rows of events before ``cutoff`` and move ``since`` up to it.

        ``since`` moves no further than the oldest wanted journal entry that has
        no delivery row yet, so pruning never lets an event be delivered twice
        or skipped. Pending and dead rows stay. The number of rows removed.
        """
        ...


def _subscription(row: Any) -> Subscription:
    events = row.events if row.events == "*" else tuple(json.loads(row.events))
    return Subscription(
        id=row.id,
        url=row.url,
        events=events,
        secret=row.secret,
        active=bool(row.active),
        since=row.since,
        created_at=row.created_at,
    )


def _delivery(row: Any) -> Delivery:
    return Delivery(
        id=row.id,
        subscription_id=row.subscription_id,
        event_id=row.entry_id,
        event_type=row.event_type,
        event_at=row.entry_at,
        status=DeliveryStatus(row.status),
        attempts=int(row.attempts),
        next_attempt_at=row.next_attempt_at,
        last_attempt_at=row.last_attempt_at,
        last_status=row.last_status,
        last_error=row.last_error,
        delivered_at=row.delivered_at,
        created_at=row.created_at,
    )


class WebhookRepository:
    """SQL for webhook subscriptions and their deliveries.

    Needs ``conn``, ``raw`` and ``cursor`` from the unit of work.
    """

    conn: Connection
    raw: Any
    cursor: Any

    # ---- subscriptions -------------------------------------------------------------

    def insert_subscription(self, subscription: Subscription) -> None:
        """Keep a new subscription."""
        events = "*" if subscription.events == "*" else json.dumps(list(subscription.events))
        self.conn.execute(
            t.webhook_subscriptions.insert().values(
                id=subscription.id,
                url=subscription.url,
                events=events,
                secret=subscription.secret,
                active=subscription.active,
                since=subscription.since,
                created_at=subscription.created_at,
            )
        )

    def set_subscription_active(self, subscription_id: uuid.UUID, active: bool) -> bool:
        """Switch a subscription on or off; False if there is no such subscription."""
        s = t.webhook_subscriptions
        result = self.conn.execute(
            s.update().where(s.c.id == subscription_id).values(active=active)
        )
        return bool(result.rowcount)

    def set_subscription_secret(self, subscription_id: uuid.UUID, secret: str) -> bool:
        """Replace a subscription's secret; False if there is no such subscription."""
        s = t.webhook_subscriptions
        result = self.conn.execute(
            s.update().where(s.c.id == subscription_id).values(secret=secret)
        )
        return bool(result.rowcount)

    def webhook_subscription(self, subscription_id: uuid.UUID) -> Subscription | None:
        """One subscription by id."""
        s = t.webhook_subscriptions
        row = self.conn.execute(sa.select(s).where(s.c.id == subscription_id)).first()
        return None if row is None else _subscription(row)

    def webhook_subscriptions(self, *, active_only: bool = False) -> list[Subscription]:
        """Every subscription, oldest first."""
        s = t.webhook_subscriptions
        query = sa.select(s).order_by(s.c.created_at, s.c.id)
        if active_only:
            query = query.where(s.c.active.is_(True))
        return [_subscription(r) for r in self.conn.execute(query)]

    # ---- the outbox ------------------------------------------------------------------

    def enqueue_deliveries(self, subscription: Subscription, now: datetime, limit: int) -> int:
        """Add a pending delivery for each wanted journal entry that has none; how many.

        Reads the journal with an anti-join rather than a cursor, so an entry
        committed late (an earlier time, a later commit) is still found; two
        dispatchers racing here insert each row once (ON CONFLICT DO NOTHING,
        and a delivery's id is derived from its pair). At most ``limit`` rows.
        """
        d, jr = t.webhook_deliveries, j.journal
        already = sa.select(sa.literal(1)).where(
            d.c.subscription_id == subscription.id, d.c.entry_id == jr.c.id
        )
        wanted = [jr.c.at >= subscription.since, jr.c.terminal_id != WEBHOOKS_TERMINAL]
        if subscription.events != "*":
            wanted.append(jr.c.type.in_(subscription.events))
        found = self.conn.execute(
            sa.select(jr.c.id, jr.c.type, jr.c.at)
            .where(*wanted, ~already.exists())
            .order_by(jr.c.at, jr.c.id)
            .limit(limit)
        ).all()
        if not found:
            return 0
        values = [
            {
                "id": _delivery_id(subscription.id, r.id),
                "subscription_id": subscription.id,
                "entry_id": r.id,
                "event_type": r.type,
                "entry_at": r.at,
                "status": DeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for r in found
        ]
        dialect = self.conn.dialect.name
        if dialect == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        self.conn.execute(insert(d).on_conflict_do_nothing(), values)
        return len(values)

    def due_deliveries(
        self, subscription_id: uuid.UUID, now: datetime, limit: int
    ) -> list[Delivery]:
        """Pending deliveries due at ``now``, oldest journal entry first."""
        d = t.webhook_deliveries
        query = (
            sa.select(d)
            .where(
                d.c.subscription_id == subscription_id,
                d.c.status == DeliveryStatus.PENDING.value,
                d.c.next_attempt_at <= now,
            )
            .order_by(d.c.entry_at, d.c.entry_id)
            .limit(limit)
        )
        return [_delivery(r) for r in self.conn.execute(query)]

    def claim_delivery(self, delivery: Delivery, now: datetime, lease_until: datetime) -> bool:
        """Count an attempt and hold the delivery until ``lease_until``; False if taken."""
        d = t.webhook_deliveries
        result = self.conn.execute(
            d.update()
            .where(
                d.c.id == delivery.id,
                d.c.status == DeliveryStatus.PENDING.value,
                d.c.attempts == delivery.attempts,
                d.c.next_attempt_at <= now,
            )
            .values(
                attempts=delivery.attempts + 1, next_attempt_at=lease_until, last_attempt_at=now
            )
        )
        return result.rowcount == 1

    def finish_webhook_attempt(
        self,
        delivery_id: uuid.UUID,
        attempts: int,
        *,
        status: DeliveryStatus,
        at: datetime,
        next_attempt_at: datetime | None,
        http_status: int | None,
        error: str | None,
    ) -> None:
        """Record how an attempt ended (only if no later attempt was claimed meanwhile)."""
        d = t.webhook_deliveries
        self.conn.execute(
            d.update()
            .where(d.c.id == delivery_id, d.c.attempts == attempts)
            .values(
                status=status.value,
                next_attempt_at=next_attempt_at,
                last_status=http_status,
                last_error=None if error is None else error[:400],
                delivered_at=at if status is DeliveryStatus.DELIVERED else None,
            )
        )
        self.conn.execute(
            t.webhook_attempts.insert().values(
                id=uuid.uuid4(),
                delivery_id=delivery_id,
                attempt=attempts,
                at=at,
                http_status=http_status,
                error=None if error is None else error[:400],
                outcome=status.value,
            )
        )

    def webhook_deliveries(
        self,
        *,
        subscription_id: uuid.UUID | None = None,
        status: DeliveryStatus | None = None,
        delivery_id: uuid.UUID | None = None,
    ) -> list[Delivery]:
        """Delivery rows, oldest journal entry first, filtered."""
        d = t.webhook_deliveries
        query = sa.select(d).order_by(d.c.entry_at, d.c.entry_id, d.c.subscription_id)
        if subscription_id is not None:
            query = query.where(d.c.subscription_id == subscription_id)
        if status is not None:
            query = query.where(d.c.status == status.value)
        if delivery_id is not None:
            query = query.where(d.c.id == delivery_id)
        return [_delivery(r) for r in self.conn.execute(query)]

    def reset_delivery(self, delivery_id: uuid.UUID, now: datetime) -> bool:
        """Make a delivery pending again with no attempts; False if there is none."""
        d = t.webhook_deliveries
        result = self.conn.execute(
            d.update()
            .where(d.c.id == delivery_id)
            .values(
                status=DeliveryStatus.PENDING.value,
                attempts=0,
                next_attempt_at=now,
                delivered_at=None,
            )
        )
        return result.rowcount == 1

    def journal_entry_text(self, entry_id: uuid.UUID) -> tuple[str, str, int, str] | None:
        """A journal entry's (terminal, type, seq, payload)."""
        jr = j.journal
        row = self.conn.execute(
            sa.select(jr.c.terminal_id, jr.c.type, jr.c.seq, jr.c.payload).where(
                jr.c.id == entry_id
            )
        ).first()
        return None if row is None else (row[0], row[1], int(row[2]), row[3])

    def webhook_attempts(self, delivery_id: uuid.UUID) -> list[DeliveryAttempt]:
        """A delivery's attempts, oldest first."""
        a = t.webhook_attempts.c
        rows = self.conn.execute(
            sa.select(a.delivery_id, a.attempt, a.at, a.http_status, a.error, a.outcome)
            .where(a.delivery_id == delivery_id)
            .order_by(a.at, a.attempt)
        )
        return [
            DeliveryAttempt(r[0], int(r[1]), r[2], r[3], r[4], DeliveryStatus(r[5])) for r in rows
        ]

    def prune_deliveries(self, subscription: Subscription, cutoff: datetime) -> int:
        """Forget delivered rows of events before ``cutoff`` and move ``since`` up to it."""
        d, jr, s = t.webhook_deliveries, j.journal, t.webhook_subscriptions
        already = sa.select(sa.literal(1)).where(
            d.c.subscription_id == subscription.id, d.c.entry_id == jr.c.id
        )
        wanted = [
            jr.c.at >= subscription.since,
            jr.c.at < cutoff,
            jr.c.terminal_id != WEBHOOKS_TERMINAL,
        ]
        if subscription.events != "*":
            wanted.append(jr.c.type.in_(subscription.events))
        missing = self.conn.execute(
            sa.select(sa.func.min(jr.c.at)).where(*wanted, ~already.exists())
        ).scalar()
        until = cutoff if missing is None else min(cutoff, _aware(missing))
        if until <= subscription.since:
            return 0
        old = sa.select(d.c.id).where(
            d.c.subscription_id == subscription.id,
            d.c.status == DeliveryStatus.DELIVERED.value,
            d.c.entry_at < until,
        )
        a = t.webhook_attempts
        self.conn.execute(a.delete().where(a.c.delivery_id.in_(old)))
        removed = self.conn.execute(
            d.delete().where(
                d.c.subscription_id == subscription.id,
                d.c.status == DeliveryStatus.DELIVERED.value,
                d.c.entry_at < until,
            )
        ).rowcount
        self.conn.execute(s.update().where(s.c.id == subscription.id).values(since=until))
        return int(removed)


def _aware(value: Any) -> datetime:
    """A time read back from the database (the column type makes it aware UTC)."""
    assert isinstance(value, datetime)
    return value


def _delivery_id(subscription_id: uuid.UUID, entry_id: uuid.UUID) -> uuid.UUID:
    """A delivery's id, derived from its pair: the same on every dispatcher that makes it."""
    return uuid.uuid5(subscription_id, str(entry_id))
