"""Webhooks against a local HTTP receiver that fails, stalls and recovers.

The receiver runs on 127.0.0.1 in a thread and follows a plan, one step per
request: ``ok`` (verify, record, 200), ``fail`` (500) or ``stall`` (answer
only after the client's timeout). Time for backoff is passed to
``deliver(now=...)``, so no test sleeps through a retry delay. Runs on an
in-memory store, a SQLite file and PostgreSQL.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from possdk import RegisterSession, Store
from possdk.core import Receipt
from possdk.errors import ConfigurationError
from possdk.reports import DeliveryStatus, RetryPolicy, sign, verify_signature
from tests.integration.conftest import OpenStore

SECRET = "a-shared-secret-of-some-length"
TIMEOUT = 0.3
POLICY = RetryPolicy(attempts=3, base=timedelta(seconds=10), factor=2, jitter=0)


class Receiver:
    """A webhook receiver on 127.0.0.1 that follows a plan of answers."""

    def __init__(self) -> None:
        self.plan: list[str] = []
        self.seen: list[dict[str, Any]] = []  # every request, answered or not
        self.acked: list[str] = []  # event ids answered 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    step = receiver.plan.pop(0) if receiver.plan else "ok"
                    receiver.seen.append({"headers": dict(self.headers), "body": body})
                if step == "stall":
                    time.sleep(TIMEOUT * 3)  # the client has given up by now
                    status = 200
                elif step == "fail":
                    status = 500
                else:
                    stamp = self.headers["X-Possdk-Timestamp"]
                    good = verify_signature(
                        SECRET, stamp, body, self.headers["X-Possdk-Signature"], now=int(stamp)
                    )
                    status = 200 if good else 401
                    if good:
                        with receiver.lock:
                            receiver.acked.append(self.headers["X-Possdk-Event-Id"])
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                except OSError:
                    pass  # the stalled client hung up

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks?shop=1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


def open_hooks(open_store: OpenStore, url: str) -> Store:
    store = open_store(url)
    store.webhooks.policy = POLICY
    store.webhooks.timeout = TIMEOUT
    return store


def sell(session: RegisterSession, sku: str = "BREAD") -> Receipt:
    sale = session.new_sale()
    sale.add(sku)
    sale.pay("cash")
    return sale.complete()


def sale_event_ids(store: Store) -> list[str]:
    return [
        str(e.id)
        for e in sorted(store._read(lambda uow: list(uow.journal_entries())), key=lambda e: e.at)
        if e.type == "SaleCompleted"
    ]


def test_every_event_is_delivered_once_through_failure_and_stall(
    open_store: OpenStore, store_url: str, receiver: Receiver
) -> None:
    store = open_hooks(open_store, store_url)
    sub = store.webhooks.subscribe(receiver.url, events=("SaleCompleted",), secret=SECRET)
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    for sku in ("BREAD", "MILK", "GUM"):
        sell(session, sku)
    expected = sale_event_ids(store)
    assert len(expected) == 3
    t0 = store.clock.now()

    receiver.plan = ["fail", "stall"]
    first = store.webhooks.deliver(t0)
    # The 500 only delays its event; the stall ends the pass, leaving the third untried.
    assert (first.queued, first.delivered, first.failed, first.dead) == (3, 0, 2, 0)
    assert receiver.acked == []
    log = store.webhooks.delivery_log(sub.id)
    assert [d.attempts for d in log] == [1, 1, 0]
    assert log[0].last_status == 500 and log[1].last_status is None
    assert "timed out" in (log[1].last_error or "").lower()

    # Five seconds on, only the untried third is due; the two retries wait for their 10 s.
    assert store.webhooks.deliver(t0 + timedelta(seconds=5)).delivered == 1
    assert store.webhooks.deliver(t0 + timedelta(seconds=10)).delivered == 2
    assert store.webhooks.deliver(t0 + timedelta(hours=1)).delivered == 0

    assert sorted(receiver.acked) == sorted(expected)  # every event
    assert len(set(receiver.acked)) == len(receiver.acked)  # none twice
    log = store.webhooks.delivery_log(sub.id)
    assert {d.status for d in log} == {DeliveryStatus.DELIVERED}
    assert [d.attempts for d in log] == [2, 2, 1]
    # A retry carries the same event id: the receiver's idempotency key.
    ids = [r["headers"]["X-Possdk-Event-Id"] for r in receiver.seen]
    assert ids == [expected[0], expected[1], expected[2], expected[0], expected[1]]
    for request in receiver.seen:
        headers, body = request["headers"], request["body"]
        assert headers["Content-Type"] == "application/json"
        assert headers["X-Possdk-Event-Type"] == "SaleCompleted"
        envelope = json.loads(body)
        assert envelope["id"] == headers["X-Possdk-Event-Id"]
        assert envelope["type"] == "SaleCompleted"
        assert envelope["terminal"] == "till-1"
        assert envelope["data"]["receipt"]["totals"]["total"]["currency"] == "UAH"


def test_signatures_verify_and_tampering_or_replay_is_rejected(
    open_store: OpenStore, receiver: Receiver
) -> None:
    store = open_hooks(open_store, "sqlite://")
    store.webhooks.subscribe(receiver.url, events="*", secret=SECRET)
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    store.webhooks.deliver()
    assert receiver.acked  # the receiver verified every signature it acknowledged
    request = receiver.seen[-1]
    headers, body = request["headers"], request["body"]
    stamp, signature = headers["X-Possdk-Timestamp"], headers["X-Possdk-Signature"]
    now = int(stamp)

    assert signature == sign(SECRET, stamp, body)
    assert signature.startswith("sha256=")
    assert verify_signature(SECRET, stamp, body, signature, now=now)
    assert verify_signature(SECRET, stamp, body.decode(), signature, now=now + 299)
    tampered = body.replace(b'"till-1"', b'"till-9"')
    assert tampered != body
    assert not verify_signature(SECRET, stamp, tampered, signature, now=now)
    assert not verify_signature("another-secret-entirely", stamp, body, signature, now=now)
    assert not verify_signature(SECRET, str(now + 1), body, signature, now=now)  # restamped
    assert not verify_signature(SECRET, stamp, body, signature, now=now + 301)  # replayed late
    assert not verify_signature(SECRET, "yesterday", body, signature, now=now)


def test_dead_letter_after_every_attempt_fails_then_redeliver(
    open_store: OpenStore, store_url: str, receiver: Receiver
) -> None:
    store = open_hooks(open_store, store_url)
    sub = store.webhooks.subscribe(receiver.url, events=["SaleCompleted"], secret=SECRET)
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    [event_id] = sale_event_ids(store)
    t0 = store.clock.now()
    receiver.plan = ["fail"] * 3

    assert store.webhooks.deliver(t0).failed == 1  # attempt 1; next after 10 s
    assert store.webhooks.deliver(t0 + timedelta(seconds=9)).failed == 0
    assert store.webhooks.deliver(t0 + timedelta(seconds=10)).failed == 1  # next after 20 s
    assert store.webhooks.deliver(t0 + timedelta(seconds=29)).failed == 0
    assert store.webhooks.deliver(t0 + timedelta(seconds=30)).dead == 1
    assert store.webhooks.deliver(t0 + timedelta(days=1)) == type(store.webhooks.deliver(t0))(
        0, 0, 0, 0
    )

    [dead] = store.webhooks.dead_letters()
    assert (str(dead.event_id), dead.subscription_id) == (event_id, sub.id)
    assert (dead.status, dead.attempts, dead.last_status) == (DeliveryStatus.DEAD, 3, 500)
    assert receiver.acked == []

    again = store.webhooks.redeliver(dead.id)
    assert (again.status, again.attempts) == (DeliveryStatus.PENDING, 0)
    assert store.webhooks.deliver(t0 + timedelta(days=1, seconds=1)).delivered == 1
    assert receiver.acked == [event_id]
    assert store.webhooks.dead_letters() == ()
    with pytest.raises(ConfigurationError, match="no webhook delivery"):
        store.webhooks.redeliver(uuid.uuid4())


def test_a_crash_after_the_post_means_one_redelivery_with_the_same_id(
    open_store: OpenStore, receiver: Receiver
) -> None:
    store = open_hooks(open_store, "sqlite://")
    store.webhooks.subscribe(receiver.url, events="SaleCompleted", secret=SECRET)
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    [event_id] = sale_event_ids(store)
    real = store.webhooks.transport

    def post_then_crash(*args: Any) -> int:
        real(*args)
        raise RuntimeError("the process died before it could record the answer")

    store.webhooks.transport = post_then_crash
    t0 = store.clock.now()
    with pytest.raises(RuntimeError):
        store.webhooks.deliver(t0)
    store.webhooks.transport = real
    # The claim holds the delivery for the POST's timeout and a margin, then it is retried.
    assert store.webhooks.deliver(t0 + timedelta(seconds=5)).delivered == 0
    assert store.webhooks.deliver(t0 + timedelta(minutes=1)).delivered == 1
    assert receiver.acked == [event_id, event_id]  # at least once: the receiver dedupes by id
    [delivery] = store.webhooks.delivery_log()
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_only_wanted_events_of_active_subscriptions_are_delivered(
    open_store: OpenStore, receiver: Receiver
) -> None:
    store = open_hooks(open_store, "sqlite://")
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)  # before anyone subscribed: not delivered
    returns = store.webhooks.subscribe(receiver.url, events="ReturnCompleted", secret=SECRET)
    everything = store.webhooks.subscribe(receiver.url, secret=SECRET)
    sell(session)
    store.webhooks.deliver()
    assert store.webhooks.delivery_log(returns.id) == ()
    types = [d.event_type for d in store.webhooks.delivery_log(everything.id)]
    assert types == ["SaleCompleted"]  # not the subscriptions' own journal entries

    store.webhooks.unsubscribe(everything.id)
    sell(session)
    store.webhooks.deliver()
    assert len(receiver.acked) == 1
    assert [s.active for s in store.webhooks.subscriptions()] == [True, False]
    assert "secret" not in repr(everything) and SECRET not in repr(everything)
    types = [e.type for e in store._read(lambda uow: list(uow.journal_entries()))]
    assert types.count("WebhookSubscribed") == 2 and types.count("WebhookUnsubscribed") == 1
    with pytest.raises(ConfigurationError, match="http"):
        store.webhooks.subscribe("ftp://example.com/")
    with pytest.raises(ConfigurationError, match="no webhook subscription"):
        store.webhooks.unsubscribe(uuid.uuid4())


def test_replaying_history_with_since(open_store: OpenStore, receiver: Receiver) -> None:
    store = open_hooks(open_store, "sqlite://")
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    store.webhooks.subscribe(
        receiver.url, events="SaleCompleted", secret=SECRET, since=datetime(2000, 1, 1).astimezone()
    )
    assert store.webhooks.deliver().delivered == 1
    assert receiver.acked == sale_event_ids(store)


def test_the_dispatcher_delivers_in_the_background(
    open_store: OpenStore, durable_url: str, receiver: Receiver
) -> None:
    store = open_hooks(open_store, durable_url)
    store.webhooks.subscribe(receiver.url, events="SaleCompleted", secret=SECRET)
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    sell(session, "MILK")
    expected = sale_event_ids(store)
    with store.webhooks.dispatcher(interval=0.02) as dispatcher:
        assert dispatcher.running
        deadline = time.monotonic() + 10
        while len(receiver.acked) < 2 and time.monotonic() < deadline:
            time.sleep(0.02)
    assert not dispatcher.running
    assert receiver.acked == expected


def test_backoff_is_exponential_capped_and_jittered_by_the_injected_random() -> None:
    policy = RetryPolicy(base=timedelta(seconds=10), factor=2, max_delay=timedelta(seconds=60))
    assert [policy.delay(n, 0.0).total_seconds() for n in range(1, 6)] == [10, 20, 40, 60, 60]
    jittered = RetryPolicy(base=timedelta(seconds=10), jitter=0.5)
    assert jittered.delay(1, 1.0) == timedelta(seconds=5)
    assert jittered.delay(2, 0.5) == timedelta(seconds=15)
    with pytest.raises(ConfigurationError):
        RetryPolicy(base=timedelta(0))


def test_every_attempt_is_kept_in_the_history(
    open_store: OpenStore, store_url: str, receiver: Receiver
) -> None:
    store = open_hooks(open_store, store_url)
    store.webhooks.subscribe(receiver.url, events=["SaleCompleted"], secret=SECRET)
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    t0 = store.clock.now()
    receiver.plan = ["fail", "stall", "fail"]
    store.webhooks.deliver(t0)
    store.webhooks.deliver(t0 + timedelta(seconds=10))
    store.webhooks.deliver(t0 + timedelta(seconds=30))
    [dead] = store.webhooks.dead_letters()
    history = store.webhooks.attempts(dead.id)
    assert [(a.attempt, a.http_status, a.outcome) for a in history] == [
        (1, 500, DeliveryStatus.PENDING),
        (2, None, DeliveryStatus.PENDING),  # stalled: no answer within the timeout
        (3, 500, DeliveryStatus.DEAD),
    ]
    assert history[0].error == "HTTP 500" and "timed out" in (history[1].error or "")
    store.webhooks.redeliver(dead.id)
    store.webhooks.deliver(t0 + timedelta(minutes=5))
    last = store.webhooks.attempts(dead.id)[-1]
    assert (last.attempt, last.http_status, last.error, last.outcome) == (
        1,
        200,
        None,
        DeliveryStatus.DELIVERED,
    )
    assert store.webhooks.attempts(uuid.uuid4()) == ()


def test_pruning_forgets_old_acknowledged_deliveries_and_never_delivers_twice(
    open_store: OpenStore, durable_url: str, receiver: Receiver
) -> None:
    store = open_hooks(open_store, durable_url)
    hooks = store.webhooks
    sub = hooks.subscribe(receiver.url, events=["SaleCompleted"], secret=SECRET)
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    sell(session)
    t0 = store.clock.now()
    assert hooks.deliver(t0).delivered == 2
    receiver.plan = ["fail"]
    sell(session)
    assert hooks.deliver(t0).failed == 1  # pending, kept by the prune
    late = hooks.subscribe(
        receiver.url, events=["SaleCompleted"], secret=SECRET, since=t0 - timedelta(days=9)
    )
    # `late` has no delivery rows yet: its since must not move past its first event.

    assert hooks.prune(timedelta(days=1), now=t0 + timedelta(days=2)) == 2
    log = hooks.delivery_log(sub.id)
    assert [d.status for d in log] == [DeliveryStatus.PENDING]
    assert hooks.attempts(log[0].id)[0].http_status == 500
    kept = {s.id: s.since for s in hooks.subscriptions()}
    assert kept[sub.id] == t0 + timedelta(days=1)
    assert kept[late.id] <= t0  # no further than its first undelivered event

    report = hooks.deliver(t0 + timedelta(days=2))
    assert (report.delivered, report.failed) == (4, 0)  # sub's pending one, late's three
    assert sorted(receiver.acked) == sorted(sale_event_ids(store) * 2)  # each once per receiver
    assert hooks.prune(timedelta(days=1), now=t0 + timedelta(days=3)) == 4
    assert hooks.deliver(t0 + timedelta(days=3)).delivered == 0
    with pytest.raises(ConfigurationError, match="at least an hour"):
        hooks.prune(timedelta(minutes=10))


def test_rotating_a_secret_signs_every_later_post_with_the_new_one(
    open_store: OpenStore, store_url: str
) -> None:
    store = open_hooks(open_store, store_url)
    hooks = store.webhooks
    sub = hooks.subscribe("https://erp.example.com/hooks", "SaleCompleted", SECRET)
    posted: list[tuple[bytes, dict[str, str]]] = []
    answers = [500, 200]

    def receiver(url: str, body: bytes, headers: Any, timeout: float) -> int:
        posted.append((body, dict(headers)))
        return answers.pop(0)

    hooks.transport = receiver
    session = store.register("till-1").open_session(operator="cashier", opening_float="100")
    sell(session)
    t0 = store.clock.now()
    hooks.deliver(t0)  # signed with the old secret, refused
    rotated = hooks.rotate_secret(sub.id)
    assert rotated.id == sub.id and rotated.secret != SECRET and len(rotated.secret) == 64
    hooks.deliver(t0 + timedelta(seconds=10))  # the retry: signed with the new one

    def signed_with(secret: str | list[str], i: int) -> bool:
        body, headers = posted[i]
        stamp = headers["X-Possdk-Timestamp"]
        sig = headers["X-Possdk-Signature"]
        return verify_signature(secret, stamp, body, sig, now=int(stamp))

    assert signed_with(SECRET, 0) and not signed_with(rotated.secret, 0)
    assert signed_with(rotated.secret, 1) and not signed_with(SECRET, 1)
    assert signed_with([SECRET, rotated.secret], 0) and signed_with([SECRET, rotated.secret], 1)
    assert not signed_with([], 1)
    chosen = hooks.rotate_secret(sub.id, "a-secret-chosen-by-the-erp-team")
    assert chosen.secret == "a-secret-chosen-by-the-erp-team"
    journal = store._read(lambda uow: list(uow.journal_entries()))
    rotations = [e for e in journal if e.type == "WebhookSecretRotated"]
    assert len(rotations) == 2
    assert all(rotated.secret not in e.payload and "chosen" not in e.payload for e in journal)
    with pytest.raises(ConfigurationError, match="16 to 200"):
        hooks.rotate_secret(sub.id, "short")
    with pytest.raises(ConfigurationError, match="no webhook subscription"):
        hooks.rotate_secret(uuid.uuid4())
