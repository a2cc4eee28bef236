"""Webhooks: the journal is the outbox; signed POSTs to subscribers, retried, dead-lettered.

``store.webhooks.subscribe(url, events=("SaleCompleted",))`` registers a
receiver; each :meth:`Webhooks.deliver` pass (or a background
:class:`Dispatcher`) turns the journal entries a subscription wants into
pending deliveries and POSTs them. Delivery is at least once, with the
journal entry's id as the idempotency key.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import json
import logging
import random as _random
import secrets
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Literal, Protocol

import attrs

from possdk.errors import ConfigurationError

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.storage import UnitOfWork

__all__ = [
    "Delivery",
    "DeliveryAttempt",
    "DeliveryStatus",
    "Dispatcher",
    "PassReport",
    "RetryPolicy",
    "Subscription",
    "Transport",
    "Webhooks",
    "http_post",
    "sign",
    "verify_signature",
]

log = logging.getLogger(__name__)

WEBHOOKS_TERMINAL = "@webhooks"
"""The journal terminal of subscription changes; its entries are never delivered."""

SIGNATURE_SCHEME = "sha256"


class Transport(Protocol):
    """How a delivery is POSTed: ``transport(url, body, headers, timeout) -> HTTP status``.

    Raises ``OSError`` when the receiver cannot be reached or does not answer
    in time. :func:`http_post` is the default; tests and other HTTP clients
    plug in here.
    """

    def __call__(self, url: str, body: bytes, headers: Mapping[str, str], timeout: float, /) -> int:
        """POST ``body`` to ``url``; the HTTP status."""
        ...


# ---- values --------------------------------------------------------------------------


class DeliveryStatus(enum.Enum):
    """Where a delivery stands."""

    PENDING = "pending"
    """Not acknowledged yet: it will be tried (again) at ``next_attempt_at``."""
    DELIVERED = "delivered"
    """The receiver answered 2xx."""
    DEAD = "dead"
    """Every attempt failed: on the dead-letter list until redelivered."""


def _events(value: str | Iterable[str]) -> tuple[str, ...] | Literal["*"]:
    if value == "*":
        return "*"
    if isinstance(value, str):
        value = (value,)
    events = tuple(dict.fromkeys(value))
    for name in events:
        if not isinstance(name, str) or not name or len(name) > 64 or name == "*":
            raise ConfigurationError(
                f"event type {name!r} is not valid: give names such as 'SaleCompleted', "
                f"or events='*' for every event"
            )
    if not events:
        raise ConfigurationError("a subscription needs at least one event type, or events='*'")
    return events


@attrs.frozen
class Subscription:
    """A receiver's URL and the event types it wants."""

    id: uuid.UUID
    """Its id (a UUIDv7)."""
    url: str
    """Where deliveries are POSTed."""
    events: tuple[str, ...] | Literal["*"] = attrs.field(converter=_events)
    """The journal event types it wants, or ``"*"`` for all."""
    secret: str = attrs.field(repr=False)
    """The HMAC key shared with the receiver (never shown in a repr or the journal)."""
    active: bool
    """False once unsubscribed."""
    since: datetime
    """Journal entries from this time on are delivered."""
    created_at: datetime
    """When it was made."""

    def wants(self, event_type: str) -> bool:
        """True if events of this type are delivered to it."""
        return self.events == "*" or event_type in self.events


@attrs.frozen
class Delivery:
    """One journal entry for one subscription: the delivery log's row."""

    id: uuid.UUID
    """The delivery's id (for :meth:`Webhooks.redeliver`)."""
    subscription_id: uuid.UUID
    """The subscription."""
    event_id: uuid.UUID
    """The journal entry's id: ``X-Possdk-Event-Id``, the same on every attempt."""
    event_type: str
    """The journal entry's type."""
    event_at: datetime
    """When the event happened."""
    status: DeliveryStatus
    """Pending, delivered or dead."""
    attempts: int
    """POSTs tried so far."""
    next_attempt_at: datetime | None
    """When it is tried next (pending only)."""
    last_attempt_at: datetime | None
    """When it was last tried."""
    last_status: int | None
    """The HTTP status of the last attempt; None if no answer came."""
    last_error: str | None
    """Why the last attempt failed."""
    delivered_at: datetime | None
    """When the receiver acknowledged it."""
    created_at: datetime
    """When it was taken from the journal."""


@attrs.frozen
class DeliveryAttempt:
    """One POST of a delivery and how it ended: the attempt history."""

    delivery_id: uuid.UUID
    """The delivery."""
    attempt: int
    """Its number (1 for the first; counting starts again after :meth:`Webhooks.redeliver`)."""
    at: datetime
    """When it ended."""
    http_status: int | None
    """The receiver's HTTP status; None if no answer came."""
    error: str | None
    """Why it failed (None when acknowledged)."""
    outcome: DeliveryStatus
    """The delivery's status after it: delivered, pending (to retry) or dead."""


def _positive(instance: object, attribute: attrs.Attribute[timedelta], value: timedelta) -> None:
    if value <= timedelta(0):
        raise ConfigurationError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen
class RetryPolicy:
    """Exponential backoff: ``base * factor ** (attempt - 1)``, capped, optionally jittered.

    After ``attempts`` failed attempts a delivery is dead-lettered. With
    ``jitter=0.2`` a delay is shortened by up to 20% at random (the random
    source is injectable, so tests are deterministic).
    """

    attempts: int = attrs.field(default=8, validator=attrs.validators.ge(1))
    """Attempts before a delivery is dead-lettered."""
    base: timedelta = attrs.field(default=timedelta(seconds=10), validator=_positive)
    """The delay after the first failure."""
    factor: float = attrs.field(default=2.0, validator=attrs.validators.ge(1.0))
    """How much longer each next delay is."""
    max_delay: timedelta = attrs.field(default=timedelta(hours=1), validator=_positive)
    """The longest delay."""
    jitter: float = attrs.field(
        default=0.1, validator=[attrs.validators.ge(0.0), attrs.validators.le(1.0)]
    )
    """The largest fraction taken off a delay at random."""

    def delay(self, attempt: int, draw: float = 0.0) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1, 2, ...); ``draw`` in [0, 1)."""
        seconds = self.base.total_seconds() * self.factor ** (attempt - 1)
        seconds = min(seconds, self.max_delay.total_seconds())
        return timedelta(seconds=seconds * (1.0 - self.jitter * draw))


@attrs.frozen
class PassReport:
    """What one :meth:`Webhooks.deliver` pass did."""

    queued: int
    """New deliveries taken from the journal."""
    delivered: int
    """Deliveries the receivers acknowledged."""
    failed: int
    """Attempts that failed and will be retried."""
    dead: int
    """Deliveries dead-lettered in this pass."""


# ---- signatures ------------------------------------------------------------------------


def _bytes(body: bytes | str) -> bytes:
    return body.encode("utf-8") if isinstance(body, str) else body


def sign(secret: str, timestamp: int | str, body: bytes | str) -> str:
    """The ``X-Possdk-Signature`` value: ``sha256=<hex HMAC-SHA256(secret, "{ts}.{body}")>``."""
    mac = hmac.new(secret.encode("utf-8"), f"{timestamp}.".encode("ascii"), hashlib.sha256)
    mac.update(_bytes(body))
    return f"{SIGNATURE_SCHEME}={mac.hexdigest()}"


def verify_signature(
    secret: str | Iterable[str],
    timestamp: int | str,
    body: bytes | str,
    header: str,
    *,
    tolerance: float = 300,
    now: float | datetime | None = None,
) -> bool:
    """For receivers: True if ``header`` signs ``body`` at ``timestamp`` and that is recent.

    Args:
        secret: the subscription's secret, or several (the old and the new one
            while a :meth:`Webhooks.rotate_secret` reaches the receiver): any of them.
        timestamp: the ``X-Possdk-Timestamp`` header (Unix seconds).
        body: the request body exactly as received (bytes, before any JSON parsing).
        header: the ``X-Possdk-Signature`` header.
        tolerance: how many seconds the timestamp may be from ``now``; an older
            request is refused even if correctly signed, so a captured request
            cannot be replayed later.
        now: the receiver's time (Unix seconds or an aware datetime); the wall clock if None.
    """
    try:
        stamp = int(str(timestamp).strip())
    except ValueError:
        return False
    if now is None:
        current = time.time()
    elif isinstance(now, datetime):
        current = now.timestamp()
    else:
        current = float(now)
    if abs(current - stamp) > tolerance:
        return False
    given = header.strip().encode("utf-8", "replace")
    secrets_ = [secret] if isinstance(secret, str) else list(secret)
    found = False
    for key in secrets_:  # every one compared: the time taken does not say which matched
        found |= hmac.compare_digest(sign(key, stamp, body).encode("ascii"), given)
    return found


# ---- the transport ---------------------------------------------------------------------


def http_post(url: str, body: bytes, headers: Mapping[str, str], timeout: float) -> int:
    """POST with the standard library; the HTTP status. Redirects are not followed.

    Raises:
        OSError: the receiver could not be reached or did not answer within ``timeout``.
    """
    import http.client
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = http.client.HTTPSConnection(host, parts.port, timeout=timeout)
    else:
        connection = http.client.HTTPConnection(host, parts.port, timeout=timeout)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", path, body=body, headers=dict(headers))
        response = connection.getresponse()
        response.read(64 * 1024)
        return response.status
    except http.client.HTTPException as exc:
        raise OSError(f"bad HTTP answer from {host}: {exc!r}") from exc
    finally:
        connection.close()


# ---- the service -----------------------------------------------------------------------


def _check_url(url: str) -> str:
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigurationError(
            f"webhook URL {url!r} is not valid: give an http:// or https:// URL with a host"
        )
    if len(url) > 2000:
        raise ConfigurationError(f"webhook URL is {len(url)} characters; at most 2000")
    return url


def _canonical(data: object) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _body(event_id: uuid.UUID, at: datetime, entry: tuple[str, str, int, str]) -> bytes:
    """The POST body: an envelope with the journal payload embedded verbatim as ``data``."""
    terminal, type_, seq, payload = entry
    try:
        json.loads(payload)
        data = payload
    except ValueError:
        data = json.dumps(payload, ensure_ascii=False)
    head = json.dumps(
        {
            "id": str(event_id),
            "type": type_,
            "terminal": terminal,
            "seq": seq,
            "at": at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        },
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return f'{head[:-1]},"data":{data}}}'.encode()


class Webhooks:
    """``store.webhooks``: subscriptions, delivery passes, the delivery log and dead letters.

    Attributes ``policy`` (a :class:`RetryPolicy`), ``timeout`` (seconds per
    POST), ``transport`` (how a POST is made) and ``random`` (the jitter's
    source) may be replaced, e.g. in tests.
    """

    def __init__(
        self,
        store: Store,
        *,
        policy: RetryPolicy | None = None,
        timeout: float = 10.0,
        transport: Transport = http_post,
        random: Callable[[], float] = _random.random,
    ) -> None:
        self._store = store
        self.policy = policy or RetryPolicy()
        """When to retry and when to give up."""
        self.timeout = timeout
        """Seconds to wait for a receiver's answer."""
        self.transport = transport
        """``transport(url, body, headers, timeout) -> status``."""
        self.random = random
        """The jitter's random source: ``random() -> float`` in [0, 1)."""

    # ---- subscriptions ---------------------------------------------------------------

    def subscribe(
        self,
        url: str,
        events: str | Iterable[str] = "*",
        secret: str | None = None,
        *,
        since: datetime | None = None,
    ) -> Subscription:
        """Register ``url`` for ``events`` (type names, or ``"*"``); journaled.

        A secret is generated when none is given: hand ``subscription.secret``
        to the receiver. Journal entries from ``since`` on (default: now) are
        delivered; pass an earlier time to replay history.
        """
        store = self._store
        now = store.clock.now()
        if secret is not None and not 16 <= len(secret) <= 200:
            raise ConfigurationError("a webhook secret must be 16 to 200 characters long")
        subscription = Subscription(
            id=store.ids.new(now),
            url=_check_url(url),
            events=events,
            secret=secret or secrets.token_hex(32),
            active=True,
            since=since or now,
            created_at=now,
        )
        payload = _canonical(
            {
                "id": str(subscription.id),
                "url": subscription.url,
                "events": subscription.events
                if subscription.events == "*"
                else list(subscription.events),
                "since": subscription.since.isoformat(),
            }
        )

        def work(uow: UnitOfWork) -> None:
            uow.insert_subscription(subscription)
            store._journal(uow, WEBHOOKS_TERMINAL, "WebhookSubscribed", payload, 0)

        store.backend.run(work)
        return subscription

    def unsubscribe(self, subscription_id: uuid.UUID) -> None:
        """Stop delivering to a subscription (its log stays); journaled."""
        store = self._store
        payload = _canonical({"id": str(subscription_id)})

        def work(uow: UnitOfWork) -> None:
            if not uow.set_subscription_active(subscription_id, False):
                raise ConfigurationError(f"there is no webhook subscription {subscription_id}")
            store._journal(uow, WEBHOOKS_TERMINAL, "WebhookUnsubscribed", payload, 0)

        store.backend.run(work)

    def rotate_secret(self, subscription_id: uuid.UUID, secret: str | None = None) -> Subscription:
        """Give a subscription a new secret (generated when none is given); journaled.

        Every POST from now on, retries included, is signed with it. Hand it to
        the receiver, which can accept both while the change reaches it
        (``verify_signature([old, new], ...)``). The secret never enters the journal.
        """
        if secret is not None and not 16 <= len(secret) <= 200:
            raise ConfigurationError("a webhook secret must be 16 to 200 characters long")
        store = self._store
        new = secret or secrets.token_hex(32)
        payload = _canonical({"id": str(subscription_id)})

        def work(uow: UnitOfWork) -> Subscription:
            if not uow.set_subscription_secret(subscription_id, new):
                raise ConfigurationError(f"there is no webhook subscription {subscription_id}")
            store._journal(uow, WEBHOOKS_TERMINAL, "WebhookSecretRotated", payload, 0)
            kept = uow.webhook_subscription(subscription_id)
            assert kept is not None
            return kept

        return store.backend.run(work)

    def subscriptions(self, *, active_only: bool = False) -> tuple[Subscription, ...]:
        """Every subscription, oldest first."""
        return tuple(
            self._store._read(lambda uow: uow.webhook_subscriptions(active_only=active_only))
        )

    # ---- delivering ------------------------------------------------------------------

    def deliver(self, now: datetime | None = None, *, limit: int = 100) -> PassReport:
        """One pass: queue new journal entries, then POST what is due, per subscription.

        At most ``limit`` entries are queued and ``limit`` POSTed per
        subscription. A receiver that cannot be reached or times out ends
        its subscription's pass (the rest wait, untouched, for the next
        one); one that answers non-2xx only delays that delivery.
        """
        store = self._store
        start = now or store.clock.now()
        began = time.monotonic()

        def moment() -> datetime:
            return start + timedelta(seconds=time.monotonic() - began)

        queued = delivered = failed = dead = 0
        for sub in store._read(lambda uow: uow.webhook_subscriptions(active_only=True)):
            queued += self._queue(sub, start, limit)
            for delivery in self._due(sub, start, limit):
                result = self._attempt(sub, delivery, start, moment)
                if result is None:
                    continue  # another dispatcher has it
                status, answered = result
                if status is DeliveryStatus.DELIVERED:
                    delivered += 1
                elif status is DeliveryStatus.DEAD:
                    dead += 1
                else:
                    failed += 1
                if not answered:
                    break  # the receiver is down or stalled: do not wait on it again now
        return PassReport(queued, delivered, failed, dead)

    def _queue(self, sub: Subscription, now: datetime, limit: int) -> int:
        return self._store.backend.run(lambda uow: uow.enqueue_deliveries(sub, now, limit))

    def _due(self, sub: Subscription, now: datetime, limit: int) -> list[Delivery]:
        return self._store._read(lambda uow: uow.due_deliveries(sub.id, now, limit))

    def _attempt(
        self,
        sub: Subscription,
        delivery: Delivery,
        now: datetime,
        moment: Callable[[], datetime],
    ) -> tuple[DeliveryStatus, bool] | None:
        """Claim, POST and record one delivery.

        Its new status and whether the receiver answered at all, or None if
        another dispatcher claimed it first.
        """
        store = self._store
        # The claim holds the row past the POST's timeout: a dispatcher that dies
        # mid-POST leaves it to be retried (with the same event id) after that.
        lease = now + timedelta(seconds=self.timeout + 30)

        def claim(uow: UnitOfWork) -> tuple[str, str, int, str] | None:
            if not uow.claim_delivery(delivery, now, lease):
                return None
            return uow.journal_entry_text(delivery.event_id)

        entry = store.backend.run(claim)
        if entry is None:
            return None
        attempts = delivery.attempts + 1
        body = _body(delivery.event_id, delivery.event_at, entry)
        stamp = str(int(moment().timestamp()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "possdk-webhooks",
            "X-Possdk-Event-Id": str(delivery.event_id),
            "X-Possdk-Event-Type": delivery.event_type,
            "X-Possdk-Timestamp": stamp,
            "X-Possdk-Signature": sign(sub.secret, stamp, body),
            "X-Possdk-Attempt": str(attempts),
        }
        http_status: int | None = None
        error: str | None = None
        try:
            http_status = self.transport(sub.url, body, headers, self.timeout)
        except OSError as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if http_status is not None and 200 <= http_status < 300:
            status, next_at = DeliveryStatus.DELIVERED, None
        else:
            error = error or f"HTTP {http_status}"
            if attempts >= self.policy.attempts:
                status, next_at = DeliveryStatus.DEAD, None
            else:
                status = DeliveryStatus.PENDING
                next_at = now + self.policy.delay(attempts, self.random())
            log.info(
                "webhook %s of %s to %s failed (attempt %d): %s",
                delivery.event_type,
                delivery.event_id,
                sub.url,
                attempts,
                error,
            )
        at = moment()
        store.backend.run(
            lambda uow: uow.finish_webhook_attempt(
                delivery.id,
                attempts,
                status=status,
                at=at,
                next_attempt_at=next_at,
                http_status=http_status,
                error=error,
            )
        )
        return status, http_status is not None

    # ---- the log -----------------------------------------------------------------------

    def delivery_log(self, subscription_id: uuid.UUID | None = None) -> tuple[Delivery, ...]:
        """Deliveries (of one subscription, or all), oldest event first."""
        return tuple(
            self._store._read(lambda uow: uow.webhook_deliveries(subscription_id=subscription_id))
        )

    def dead_letters(self) -> tuple[Delivery, ...]:
        """Deliveries that failed every attempt, oldest event first."""
        return tuple(
            self._store._read(lambda uow: uow.webhook_deliveries(status=DeliveryStatus.DEAD))
        )

    def redeliver(self, delivery_id: uuid.UUID) -> Delivery:
        """Queue a delivery again (dead or delivered) with fresh attempts, due at once."""
        store = self._store
        now = store.clock.now()

        def work(uow: UnitOfWork) -> Delivery:
            if not uow.reset_delivery(delivery_id, now):
                raise ConfigurationError(f"there is no webhook delivery {delivery_id}")
            return uow.webhook_deliveries(delivery_id=delivery_id)[0]

        return store.backend.run(work)

    def attempts(self, delivery_id: uuid.UUID) -> tuple[DeliveryAttempt, ...]:
        """Every POST of a delivery, oldest first (an attempt cut short by a crash has none)."""
        return tuple(self._store._read(lambda uow: uow.webhook_attempts(delivery_id)))

    def prune(
        self, older_than: timedelta = timedelta(days=30), *, now: datetime | None = None
    ) -> int:
        """Forget acknowledged deliveries of events older than ``older_than``; how many.

        Pending and dead deliveries are kept. Each subscription's ``since`` moves
        up to the cut-off (never past an event that has no delivery yet), so the
        journal before it is not read again and nothing is delivered twice.
        ``older_than`` is at least an hour, well past any late commit.
        """
        if older_than < timedelta(hours=1):
            raise ConfigurationError(f"prune older_than must be at least an hour, got {older_than}")
        cutoff = (now or self._store.clock.now()) - older_than
        removed = 0
        for sub in self.subscriptions():
            removed += self._store.backend.run(
                lambda uow, sub=sub: uow.prune_deliveries(sub, cutoff)  # type: ignore[misc]
            )
        return removed

    def dispatcher(self, *, interval: float = 5.0, limit: int = 100) -> Dispatcher:
        """A background :class:`Dispatcher` for these webhooks (not started)."""
        return Dispatcher(self, interval=interval, limit=limit)


class Dispatcher:
    """A thread that runs :meth:`Webhooks.deliver` every ``interval`` seconds.

    ``with store.webhooks.dispatcher(interval=2):`` starts it and stops it at
    the end; or call :meth:`start` and :meth:`stop`. Stop it before closing
    the store. A failing pass is logged and the next one runs as planned.
    """

    def __init__(self, webhooks: Webhooks, *, interval: float = 5.0, limit: int = 100) -> None:
        if interval <= 0:
            raise ConfigurationError(f"interval must be positive, got {interval}")
        self.webhooks = webhooks
        self.interval = interval
        self.limit = limit
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> Dispatcher:
        """Start the thread (once)."""
        if self.running:
            return self
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="possdk-webhooks", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Ask the thread to stop after its current pass and wait for it."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.webhooks.deliver(limit=self.limit)
            except Exception:
                log.exception("a webhook delivery pass failed; the next one runs as planned")
            self._stop.wait(self.interval)

    def __enter__(self) -> Dispatcher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
