"""The stock ledger under random sequences of everything that moves stock.

A Hypothesis state machine drives one store through receipts, sales of one to
three lines (the same item on several lines, now and then a voided line),
partial returns against earlier receipts (some of them damaged), transfers
sent and received (in full, short or not at all), adjustments of every reason,
stock counts (full and cycle counts, with selling going on between recording
and finishing), and reservations and their releases. The shop has five items
-- ``GUM`` blocks selling below zero, ``MILK`` warns, ``BREAD`` allows it,
``BANANA`` is weighed and never configured (the default, allow) and ``CHEESE``
is weighed and blocks -- at three locations: ``main`` (till-1 sells there;
damaged returns are written off on the spot), ``east`` (till-2 sells there;
damaged returns go to ``back``) and ``back``, a back room nobody sells from.

Alongside, a model keeps the expected on hand and reserved quantity of every
(item, location) from the operations that succeeded; an operation refused with
InsufficientStockError must change nothing. After every step:

- on hand of each (item, location) equals the sum of ``movements()`` for it, and
  ``on_hand_from_ledger()`` (the database's own GROUP BY), and the model;
- reserved equals the model's open reservations, and ``reservations()`` lists them;
- ``check()`` finds the cached levels and the ledger in agreement;
- no blocking item is ever below zero available anywhere;
- every movement has the sign of its kind (sales out, returns in, damage out, ...)
  and the ledger holds exactly the movements the operations should have written.

CI runs it on an in-memory store with a modest budget and briefly on a SQLite
file and on PostgreSQL (a fresh database per example); ``POSSDK_SOAK=1`` runs
many more examples.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from possdk import FixedClock, Receipt, RegisterSession, Settings, Store
from possdk.errors import InsufficientStockError, InventoryError
from possdk.inventory import (
    AdjustmentReason,
    Location,
    LocationKind,
    MovementKind,
    NegativeStock,
    Reservation,
)
from tests.conftest import CASHIER, START, SUPERVISOR, make_catalog

SOAK = os.environ.get("POSSDK_SOAK") == "1"

POLICY = {
    "GUM": NegativeStock.BLOCK,
    "MILK": NegativeStock.WARN,
    "BREAD": NegativeStock.ALLOW,
    "BANANA": NegativeStock.ALLOW,  # never configured: the default
    "CHEESE": NegativeStock.BLOCK,
}
SKUS = tuple(POLICY)
WEIGHED = frozenset({"BANANA", "CHEESE"})
BLOCKING = frozenset(s for s, p in POLICY.items() if p is NegativeStock.BLOCK)
LOCATIONS = ("main", "east", "back")
DAMAGED_TO: dict[str, str | None] = {"main": None, "east": "back", "back": None}
REGISTERS = {"till-1": "main", "till-2": "east"}
ZERO = Decimal(0)
MILLI = Decimal("0.001")

Key = tuple[str, str]


def quantity(sku: str, most: int = 4) -> st.SearchStrategy[Decimal]:
    """A quantity in the item's unit: whole pieces, or kilograms to the gram."""
    if sku in WEIGHED:
        return st.integers(1, most * 600).map(lambda n: Decimal(n) * MILLI)
    return st.integers(1, most).map(Decimal)


def up_to(sku: str, most: Decimal, *, least: int = 1) -> st.SearchStrategy[Decimal]:
    """A quantity from ``least`` steps of the item's unit up to ``most``."""
    step = MILLI if sku in WEIGHED else Decimal(1)
    return st.integers(least, int(most / step)).map(lambda n: Decimal(n) * step)


def line(skus: tuple[str, ...] = SKUS) -> st.SearchStrategy[tuple[str, Decimal]]:
    return st.sampled_from(skus).flatmap(lambda s: st.tuples(st.just(s), quantity(s)))


def distinct_lines(most: int = 4) -> st.SearchStrategy[tuple[tuple[str, Decimal], ...]]:
    """One to three lines of different items."""
    return st.lists(st.sampled_from(SKUS), min_size=1, max_size=3, unique=True).flatmap(
        lambda skus: st.tuples(*(st.tuples(st.just(s), quantity(s, most)) for s in skus))
    )


locations = st.sampled_from(LOCATIONS)
registers = st.sampled_from(sorted(REGISTERS))


class Returnable:
    """A completed sale the model remembers, with what is left to return of each line."""

    def __init__(self, receipt: Receipt, lines: dict[int, tuple[str, Decimal]]) -> None:
        self.receipt = receipt
        self.left = dict(lines)  # line number: (sku, quantity not returned yet)

    def open_lines(self) -> list[int]:
        return [n for n, (_, qty) in self.left.items() if qty > 0]


def open_shop(url: str) -> Store:
    return Store.open(
        url,
        settings=Settings(currency="UAH", locale="uk_UA"),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        clock=FixedClock(START, step=timedelta(seconds=1)),
        load_entry_points=False,
    )


UrlFactory = Callable[[], tuple[str, Callable[[], None]]]


def in_memory() -> tuple[str, Callable[[], None]]:
    return "sqlite://", lambda: None


class InventoryMachine(RuleBasedStateMachine):
    """One store and the model of its stock; see the module's docstring."""

    new_url: UrlFactory = staticmethod(in_memory)

    def __init__(self) -> None:
        super().__init__()
        url, self._cleanup = self.new_url()
        self.store = open_shop(url)
        inv = self.inventory = self.store.inventory
        inv.add_location(Location("back", "Back room", LocationKind.BACKROOM))
        inv.add_location(Location("east", "East hall", damaged_to="back"))
        for sku, policy in POLICY.items():
            if sku != "BANANA":
                inv.set_item(sku, negative=policy)
        for register, location in REGISTERS.items():
            inv.assign_register(register, location)
        self.sessions: dict[str, RegisterSession] = {
            register: self.store.register(register).open_session(
                operator="cashier", opening_float="100000.00"
            )
            for register in REGISTERS
        }
        self.on_hand: Counter[Key] = Counter()
        self.reserved: Counter[Key] = Counter()
        self.reservations: dict[Any, Reservation] = {}
        self.sold: list[Returnable] = []
        self.in_transit: dict[str, tuple[str, str, dict[str, Decimal]]] = {}
        self.count: tuple[str, str, tuple[str, ...] | None] | None = None
        self.count_lines: dict[str, tuple[Decimal, Decimal]] = {}  # sku: (counted, book)
        self.moves = 0  # movements the ledger should hold
        self.refusals = 0

    def teardown(self) -> None:
        try:
            report = self.store.verify_journal()
            assert report.ok, report.as_text()
        finally:
            self.store.close()
            self._cleanup()

    # ---- the model's helpers -----------------------------------------------------------

    def available(self, key: Key) -> Decimal:
        return self.on_hand[key] - self.reserved[key]

    def blocked(self, wanted: dict[Key, Decimal]) -> bool:
        """Whether taking these quantities out takes a blocking item below zero available."""
        return any(k[0] in BLOCKING and q > 0 and self.available(k) < q for k, q in wanted.items())

    def take(self, moves: dict[Key, Decimal]) -> None:
        for key, delta in moves.items():
            self.on_hand[key] += delta

    # ---- receiving, selling, returning ----------------------------------------------------

    @rule(lines=distinct_lines(most=12), location=locations, costed=st.booleans())
    def receive(self, lines: tuple[tuple[str, Decimal], ...], location: str, costed: bool) -> None:
        given: Any = [(sku, qty, "12.345") for sku, qty in lines] if costed else dict(lines)
        moves = self.inventory.receive_stock(given, location=location, reference="DN-1")
        assert [(m.sku, m.quantity, m.kind) for m in moves] == [
            (sku, qty, MovementKind.RECEIPT) for sku, qty in lines
        ]
        self.take({(sku, location): qty for sku, qty in lines})
        self.moves += len(lines)

    @rule(
        register=registers,
        lines=st.lists(line(), min_size=1, max_size=3),
        voided=st.none() | line(),
        tender=st.sampled_from(["cash", "card"]),
    )
    def sell(
        self,
        register: str,
        lines: list[tuple[str, Decimal]],
        voided: tuple[str, Decimal] | None,
        tender: str,
    ) -> None:
        location = REGISTERS[register]
        sale = self.sessions[register].new_sale()
        kept = dict(enumerate(lines, 1))  # by line number on the receipt
        if voided is not None:  # a voided line (line 2) moves nothing and blocks nothing
            kept = {n + (n > 1): ln for n, ln in kept.items()}
            lines = [*lines[:1], voided, *lines[1:]]
        for sku, qty in lines:
            sale.add(sku, qty)
        if voided is not None:
            sale.void_line(2, approved_by="super")
        wanted: dict[Key, Decimal] = Counter()
        for sku, qty in kept.values():
            wanted[sku, location] += qty
        if self.blocked(wanted):
            with pytest.raises(InsufficientStockError) as refused:
                sale.pay(tender)  # checked before the first tender is taken
            assert refused.value.sku in BLOCKING
            assert refused.value.location_id == location
            sale.void(reason="not in stock", approved_by="super")
            self.refusals += 1
            return
        sale.pay(tender)
        receipt = sale.complete()
        self.take({key: -qty for key, qty in wanted.items()})
        self.moves += len(kept)
        self.sold.append(Returnable(receipt, kept))
        moved = self.inventory.movements(document_id=receipt.sale_id)
        assert [(m.line_no, m.sku, m.location_id, m.kind, m.quantity) for m in moved] == [
            (n, sku, location, MovementKind.SALE, -qty) for n, (sku, qty) in kept.items()
        ]
        assert {m.reference for m in moved} == {receipt.number}

    @precondition(lambda self: any(r.open_lines() for r in self.sold))
    @rule(register=registers, data=st.data(), by_refund=st.booleans())
    def give_back(self, register: str, data: st.DataObject, by_refund: bool) -> None:
        sold = data.draw(st.sampled_from([r for r in self.sold if r.open_lines()]), "receipt")
        numbers = data.draw(
            st.lists(st.sampled_from(sold.open_lines()), min_size=1, max_size=3, unique=True),
            "lines",
        )
        location = REGISTERS[register]
        ret = self.sessions[register].new_return(sold.receipt, approved_by="super")
        moves: dict[Key, Decimal] = Counter()
        written = 0
        for n in numbers:
            sku, left = sold.left[n]
            qty = data.draw(up_to(sku, left), f"quantity of line {n}")
            damaged = data.draw(st.booleans(), f"line {n} damaged")
            ret.return_line(n, qty, damaged=damaged)
            sold.left[n] = (sku, left - qty)
            where = DAMAGED_TO[location] if damaged else location
            if where is not None:
                moves[sku, where] += qty
                written += 1
            else:  # back in and written off at once: two movements, no change
                written += 2
        if by_refund:
            ret.refund()
        else:
            ret.pay("cash")
        ret.complete()
        self.take(moves)
        self.moves += written

    # ---- transfers --------------------------------------------------------------------

    @rule(source=locations, destination=locations, lines=distinct_lines())
    def send(self, source: str, destination: str, lines: tuple[tuple[str, Decimal], ...]) -> None:
        if source == destination:
            with pytest.raises(InventoryError, match="two different locations"):
                self.inventory.send_transfer(source, destination, dict(lines))
            return
        wanted = {(sku, source): qty for sku, qty in lines}
        if self.blocked(wanted):
            with pytest.raises(InsufficientStockError):
                self.inventory.send_transfer(source, destination, dict(lines))
            self.refusals += 1
            return
        transfer = self.inventory.send_transfer(source, destination, dict(lines))
        self.take({key: -qty for key, qty in wanted.items()})
        self.moves += len(lines)
        self.in_transit[transfer.number] = (source, destination, dict(lines))

    @precondition(lambda self: self.in_transit)
    @rule(data=st.data())
    def arrive(self, data: st.DataObject) -> None:
        number = data.draw(st.sampled_from(sorted(self.in_transit)), "transfer")
        _, target, sent = self.in_transit.pop(number)
        how = data.draw(st.sampled_from(["all", "short", "some lines"]), "how")
        if how == "all":
            got = dict(sent)
            transfer = self.inventory.receive_transfer(number)
        else:
            skus = sorted(sent)
            if how == "some lines":
                skus = data.draw(st.lists(st.sampled_from(skus), unique=True), "lines arrived")
            got = {sku: data.draw(up_to(sku, sent[sku], least=0), sku) for sku in skus}
            transfer = self.inventory.receive_transfer(number, got)
        assert {ln.sku: ln.received for ln in transfer.lines} == {
            sku: got.get(sku, ZERO) for sku in sent
        }
        self.take({(sku, target): qty for sku, qty in got.items()})
        self.moves += sum(1 for qty in got.values() if qty)

    # ---- adjustments ------------------------------------------------------------------

    @rule(
        sku=st.sampled_from(SKUS),
        location=locations,
        reason=st.sampled_from(list(AdjustmentReason)),
        data=st.data(),
        wrong_sign=st.booleans(),
    )
    def adjust(
        self,
        sku: str,
        location: str,
        reason: AdjustmentReason,
        data: st.DataObject,
        wrong_sign: bool,
    ) -> None:
        qty = data.draw(quantity(sku), "quantity")
        sign = reason.direction or data.draw(st.sampled_from([-1, 1]), "sign")
        note = "shelf fell" if reason is AdjustmentReason.OTHER else ""
        if wrong_sign and reason.direction:
            with pytest.raises(InventoryError, match="adjustments are"):
                self.inventory.adjust(sku, -sign * qty, reason=reason.value, location=location)
            return
        delta = sign * qty
        if delta < 0 and self.blocked({(sku, location): qty}):
            with pytest.raises(InsufficientStockError):
                self.inventory.adjust(sku, delta, reason=reason, location=location, note=note)
            self.refusals += 1
            return
        move = self.inventory.adjust(sku, delta, reason=reason, location=location, note=note)
        assert (move.kind, move.quantity, move.reason) == (
            MovementKind.ADJUSTMENT,
            delta,
            reason.value,
        )
        self.take({(sku, location): delta})
        self.moves += 1

    # ---- counts -------------------------------------------------------------------------

    @precondition(lambda self: self.count is None)
    @rule(location=locations, skus=st.none() | st.sets(st.sampled_from(SKUS), min_size=1))
    def start_count(self, location: str, skus: set[str] | None) -> None:
        count = self.inventory.start_count(location, skus=skus)
        self.count = (count.number, location, count.skus)
        self.count_lines = {}

    @precondition(lambda self: self.count is not None)
    @rule(data=st.data(), add=st.booleans())
    def record_count(self, data: st.DataObject, add: bool) -> None:
        assert self.count is not None
        number, location, scope = self.count
        sku = data.draw(st.sampled_from(scope or SKUS), "sku")
        qty = data.draw(st.just(ZERO) | quantity(sku, most=8), "counted")
        counted = qty
        if add and sku in self.count_lines:
            counted = self.count_lines[sku][0] + qty
        book = self.on_hand[sku, location]
        kept = self.inventory.record_count(number, sku, qty, add=add)
        assert (kept.counted, kept.book) == (counted, book)
        self.count_lines[sku] = (counted, book)

    @precondition(lambda self: self.count is not None)
    @rule(zero_uncounted=st.none() | st.booleans())
    def finish_count(self, zero_uncounted: bool | None) -> None:
        assert self.count is not None
        number, location, scope = self.count
        lines = dict(self.count_lines)
        if zero_uncounted or (zero_uncounted is None and scope is None):
            # What nobody counted (of the count's items) is set to zero.
            for (sku, where), qty in self.on_hand.items():
                if where == location and qty and sku not in lines and sku in (scope or SKUS):
                    lines[sku] = (ZERO, qty)
        diffs = {(sku, location): counted - book for sku, (counted, book) in lines.items()}
        if self.blocked({key: -d for key, d in diffs.items()}):
            with pytest.raises(InventoryError, match="recount it"):
                self.inventory.finish_count(number, zero_uncounted=zero_uncounted)
            self.inventory.cancel_count(number)
            self.refusals += 1
        else:
            result = self.inventory.finish_count(number, zero_uncounted=zero_uncounted)
            assert {v.sku: v.difference for v in result.lines} == {
                sku: counted - book for sku, (counted, book) in lines.items()
            }
            assert set(result.not_counted) == set(scope or ()) - set(lines)
            self.take(diffs)
            self.moves += sum(1 for d in diffs.values() if d)
        self.count = None

    @precondition(lambda self: self.count is not None)
    @rule()
    def cancel_count(self) -> None:
        assert self.count is not None
        self.inventory.cancel_count(self.count[0])
        self.count = None

    # ---- reservations -----------------------------------------------------------------

    @rule(sku=st.sampled_from(SKUS), location=locations, data=st.data())
    def reserve(self, sku: str, location: str, data: st.DataObject) -> None:
        qty = data.draw(quantity(sku), "quantity")
        key = (sku, location)
        if self.blocked({key: qty}):
            with pytest.raises(InsufficientStockError):
                self.inventory.reserve(sku, qty, reference="order-1", location=location)
            self.refusals += 1
            return
        reservation = self.inventory.reserve(sku, qty, reference="order-1", location=location)
        self.reservations[reservation.id] = reservation
        self.reserved[key] += qty

    @precondition(lambda self: self.reservations)
    @rule(data=st.data())
    def release(self, data: st.DataObject) -> None:
        rid = data.draw(st.sampled_from(sorted(self.reservations)), "reservation")
        reservation = self.reservations.pop(rid)
        self.inventory.release(reservation if data.draw(st.booleans(), "object") else rid)
        self.reserved[reservation.sku, reservation.location_id] -= reservation.quantity
        with pytest.raises(InventoryError, match="no open reservation"):
            self.inventory.release(rid)

    # ---- what must hold after every step ----------------------------------------------------

    @invariant()
    def ledger_levels_and_model_agree(self) -> None:
        inv = self.inventory
        levels = {(lv.sku, lv.location_id): lv for lv in inv.levels()}
        movements = inv.movements()
        summed: Counter[Key] = Counter()
        for m in movements:
            summed[m.sku, m.location_id] += m.quantity
            assert m.quantity != 0, m
            assert_sign(m.kind, m.reason, m.quantity)
        ledger = inv.on_hand_from_ledger()
        keys = set(levels) | set(summed) | set(ledger) | set(self.on_hand) | set(self.reserved)
        for key in sorted(keys):
            level = levels.get(key)
            on_hand = level.on_hand if level is not None else ZERO
            reserved = level.reserved if level is not None else ZERO
            assert on_hand == summed[key] == ledger.get(key, ZERO) == self.on_hand[key], (
                key,
                on_hand,
                summed[key],
                ledger.get(key),
                self.on_hand[key],
            )
            assert reserved == self.reserved[key], (key, reserved, self.reserved[key])
            if key[0] in BLOCKING:
                assert on_hand - reserved >= 0, (key, on_hand, reserved)
        assert len(movements) == self.moves, (len(movements), self.moves)
        assert {r.id for r in inv.reservations()} == set(self.reservations)
        check = inv.check()
        assert check.ok, check


SIGN = {
    MovementKind.SALE: -1,
    MovementKind.RETURN: 1,
    MovementKind.RECEIPT: 1,
    MovementKind.TRANSFER_OUT: -1,
    MovementKind.TRANSFER_IN: 1,
}


def assert_sign(kind: MovementKind, reason: str, qty: Decimal) -> None:
    """A movement's sign is its kind's (and for adjustments, its reason's)."""
    if kind is MovementKind.ADJUSTMENT:
        direction = AdjustmentReason(reason).direction
    else:
        direction = SIGN.get(kind, 0)
    if direction:
        assert (qty > 0) == (direction > 0), (kind, reason, qty)


# ---- running it on each backend --------------------------------------------------------------


def sqlite_files() -> tuple[str, Callable[[], None]]:
    folder = tempfile.mkdtemp(prefix="possdk-stock-")
    return f"sqlite:///{folder}/shop.db", lambda: shutil.rmtree(folder, ignore_errors=True)


BUDGET = {  # (examples, steps) per backend; the soak runs many more
    "memory": (2000, 50) if SOAK else (40, 30),
    "sqlite": (200, 40) if SOAK else (10, 25),
    "postgresql": (200, 40) if SOAK else (8, 25),
}


@pytest.mark.parametrize("backend", ["memory", "sqlite", "postgresql"])
def test_stock_ledger_agrees_with_the_model(backend: str, request: pytest.FixtureRequest) -> None:
    factory: UrlFactory
    if backend == "memory":
        factory = in_memory
    elif backend == "sqlite":
        factory = sqlite_files
    else:
        server = request.getfixturevalue("postgresql_server")

        def factory() -> tuple[str, Callable[[], None]]:
            return server.create_database(), lambda: None

    machine = type(f"InventoryOn{backend.title()}", (InventoryMachine,), {})
    machine.new_url = staticmethod(factory)  # type: ignore[assignment]
    examples, steps = BUDGET[backend]
    run_state_machine_as_test(
        machine,
        settings=settings(
            max_examples=examples,
            stateful_step_count=steps,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
