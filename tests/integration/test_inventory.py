"""The stock ledger through the store: selling, returning, reordering, purchase orders,
transfers, counts, valuation, the ledger check, the journal and what is kept.

What depends on the database (a sale's movements kept with it or not at all,
the purchase-order flow, reopening a store) runs on memory, a SQLite file and
PostgreSQL; the rest runs on an in-memory store. Expected reorder points,
average costs and values are worked out by hand in each test from the
documented formulas, not read back from the code under test.
"""

from __future__ import annotations

import logging
import math
import threading
from datetime import timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from fractions import Fraction
from typing import Any

import pytest
import sqlalchemy as sa

from possdk import Gtin, Money, RegisterSession, Settings, Store, hookimpl
from possdk.core import Receipt, SaleState
from possdk.errors import InsufficientStockError, PluginError
from possdk.inventory import (
    INVENTORY_TERMINAL,
    Location,
    LocationKind,
    MovementKind,
    NegativeStock,
    PurchaseOrderStatus,
    ReorderRule,
    StockCountStatus,
    Supplier,
    SupplierItem,
    TransferStatus,
)
from possdk.payments import CardTerminalSimulator
from tests.conftest import make_store
from tests.integration.conftest import OpenStore

D = Decimal


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def till(store: Store, register: str = "till-1") -> RegisterSession:
    return store.register(register).open_session(operator="cashier", opening_float="500.00")


def sell(session: RegisterSession, *lines: tuple[str, Any], tender: str = "cash") -> Receipt:
    sale = session.new_sale()
    for sku, qty in lines:
        sale.add(sku, qty)
    sale.pay(tender)
    return sale.complete()


def give_back(
    session: RegisterSession, receipt: Receipt, *lines: tuple[int, Any], damaged: bool = False
) -> Receipt:
    ret = session.new_return(receipt, approved_by="super")
    for line_no, qty in lines:
        ret.return_line(line_no, qty, damaged=damaged)
    ret.refund("cash")
    return ret.complete()


def kinds(store: Store, sku: str, location: str | None = None) -> list[tuple[str, Decimal]]:
    return [
        (m.kind.value, m.quantity) for m in store.inventory.movements(sku=sku, location=location)
    ]


def inventory_journal(store: Store) -> list[str]:
    with store.backend.unit_of_work(write=False) as uow:
        return [e.type for e in uow.journal_entries() if e.terminal_id == INVENTORY_TERMINAL]


def everything(store: Store) -> tuple[Any, ...]:
    """What the inventory holds, to compare before and after something that must change nothing."""
    inv = store.inventory
    return (
        inv.levels(),
        inv.movements(),
        inv.orders(),
        inv.transfers(),
        inv.reservations(),
        inv.check(),
    )


def ceil_to(value: Fraction, decimals: int) -> Decimal:
    """``value`` rounded up to ``decimals`` places, computed exactly."""
    scaled = math.ceil(value * 10**decimals)
    return D(scaled).scaleb(-decimals)


def cost6(value: Fraction) -> Decimal:
    """An average cost as possdk keeps it: six decimals, half-even."""
    exact = D(value.numerator) / D(value.denominator)
    return exact.quantize(D("0.000001"), rounding=ROUND_HALF_EVEN)


def cents(value: Decimal) -> Decimal:
    return value.quantize(D("0.01"), rounding=ROUND_HALF_EVEN)


class LowStock:
    """Records every possdk_stock_low call."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, Any]] = []

    @hookimpl
    def possdk_stock_low(self, level: Any, suggestion: Any) -> None:
        self.calls.append((level, suggestion))


class Switchable:
    """A plugin that fails in one hook while ``failing`` names it."""

    def __init__(self) -> None:
        self.failing: str | None = None

    @hookimpl
    def possdk_receipt_extra_lines(self, receipt: Any) -> list[str]:
        if self.failing == "extra_lines":
            raise RuntimeError("fiscal printer is offline")
        return []

    @hookimpl
    def possdk_journal_sign(self, entry: Any) -> str | None:
        if self.failing == "sign" and entry.type == "SaleCompleted":
            raise RuntimeError("signing device is offline")
        return None


@pytest.fixture
def store() -> Any:
    s = make_store()
    yield s
    s.close()


@pytest.fixture
def session(store: Store) -> RegisterSession:
    return till(store)


# ---- selling ---------------------------------------------------------------------------


def test_a_sale_writes_one_sale_movement_per_line_in_its_transaction(
    open_store: OpenStore, store_url: str
) -> None:
    store = open_store(store_url)
    inv = store.inventory
    inv.receive_stock({"MILK": 10, "BANANA": "5.000"})
    session = till(store)

    receipt = sell(session, ("MILK", 2), ("BANANA", "1.347"), ("MILK", 3))

    sale_moves = inv.movements(document_id=receipt.sale_id)
    assert [(m.kind, m.sku, m.quantity, m.line_no) for m in sale_moves] == [
        (MovementKind.SALE, "MILK", D(-2), 1),
        (MovementKind.SALE, "BANANA", D("-1.347"), 2),
        (MovementKind.SALE, "MILK", D(-3), 3),
    ]
    assert {m.reference for m in sale_moves} == {receipt.number}
    assert {m.location_id for m in sale_moves} == {"main"}
    assert {m.at for m in sale_moves} == {receipt.completed_at}
    assert inv.on_hand("MILK") == 5
    assert inv.on_hand("BANANA") == D("3.653")
    assert inv.on_hand_from_ledger() == {("MILK", "main"): D(5), ("BANANA", "main"): D("3.653")}
    assert inv.check().ok


def test_a_sale_records_the_cost_of_goods_sold(store: Store, session: RegisterSession) -> None:
    store.inventory.receive_stock([("COFFEE", 4, "120.50")])

    receipt = sell(session, ("COFFEE", 1))

    [move] = store.inventory.movements(document_id=receipt.sale_id)
    assert move.unit_cost == D("120.50")


def test_lines_of_one_blocking_item_are_checked_together_and_refused_as_a_whole(
    store: Store, session: RegisterSession
) -> None:
    inv = store.inventory
    inv.set_item("MILK", negative="block")
    inv.receive_stock({"MILK": 5, "BREAD": 5})
    sale = session.new_sale()
    sale.add("MILK", 3)
    sale.add("BREAD", 1)
    sale.add("MILK", 3)  # 3 and 3 fit 5 each on their own, not together
    before = everything(store)

    with pytest.raises(InsufficientStockError, match=r"'MILK' at 'main': 6 wanted, 5 available"):
        sale.pay("cash")

    assert sale.state is SaleState.OPEN
    assert sale.tenders == ()
    assert everything(store) == before
    assert inv.movements(document_id=sale.id) == ()

    sale.set_quantity(3, 2, approved_by="super")  # the cashier fixes it and goes on
    sale.pay("cash")
    receipt = sale.complete()
    assert [m.quantity for m in inv.movements(document_id=receipt.sale_id)] == [-3, -1, -2]
    assert inv.on_hand("MILK") == 0
    assert inv.check().ok


def test_shortages_list_every_uncovered_item_with_its_policy(
    store: Store, session: RegisterSession
) -> None:
    inv = store.inventory
    inv.set_item("MILK", negative="block")
    inv.set_item("BREAD", negative="warn")
    inv.set_item("BOOK", tracked=False)
    inv.receive_stock({"MILK": 5, "BREAD": 1, "COFFEE": 9, "BANANA": "1.000"})
    sale = session.new_sale()
    sale.add("MILK", 2)
    sale.add("BREAD", 2)
    sale.add("COFFEE", 9)  # exactly what there is: no shortage
    sale.add("BOOK", 1)  # not tracked: never short
    sale.add("BANANA", "0.600")
    sale.add("BANANA", "0.500")
    sale.add("MILK", 4)

    found = inv.shortages(sale)

    assert [(s.sku, s.wanted, s.available, s.policy) for s in found] == [
        ("BANANA", D("1.100"), D(1), NegativeStock.ALLOW),
        ("BREAD", D(2), D(1), NegativeStock.WARN),
        ("MILK", D(6), D(5), NegativeStock.BLOCK),
    ]
    assert {s.location_id for s in found} == {"main"}
    sale.void_line(7, approved_by="super")
    assert [s.sku for s in inv.shortages(sale)] == ["BANANA", "BREAD"]


def test_reserved_stock_is_not_available_to_a_sale(store: Store, session: RegisterSession) -> None:
    inv = store.inventory
    inv.set_item("MILK", negative="block")
    inv.receive_stock({"MILK": 5})
    reservation = inv.reserve("MILK", 4, reference="web order 17")
    sale = session.new_sale()
    sale.add("MILK", 2)

    with pytest.raises(InsufficientStockError, match="2 wanted, 1 available"):
        sale.pay("cash")

    inv.release(reservation)
    sale.pay("cash")
    sale.complete()
    assert inv.level("MILK").available == 3
    assert inv.reservations() == ()
    assert inv.check().ok


def test_the_blocking_check_comes_at_the_first_payment_before_any_money_moves(
    open_store: OpenStore,
) -> None:
    sim = CardTerminalSimulator()
    store = open_store("sqlite://", plugins=[sim])
    store.inventory.set_item("COFFEE", negative="block")
    store.inventory.receive_stock({"COFFEE": 1})
    sale = till(store).new_sale()
    sale.add("COFFEE", 2)

    with pytest.raises(InsufficientStockError):
        sale.pay("card")

    assert sim.calls == []
    assert store.payments.all_payments() == []
    assert sale.state is SaleState.OPEN and sale.tenders == ()


def test_stock_sold_by_another_till_after_payment_stops_completion_and_nothing_is_kept(
    open_store: OpenStore, store_url: str
) -> None:
    store = open_store(store_url)
    inv = store.inventory
    inv.set_item("MILK", negative="block")
    inv.receive_stock({"MILK": 3})
    first, second = till(store, "till-1"), till(store, "till-2")
    sale = first.new_sale()
    sale.add("MILK", 2)
    sale.pay("cash")  # 3 available: fine
    sell(second, ("MILK", 2))  # meanwhile the other till sells 2
    before = everything(store)
    journal_before = inventory_journal(store)

    with pytest.raises(InsufficientStockError, match="2 wanted, 1 available"):
        sale.complete()

    assert sale.state is SaleState.TENDERING
    assert everything(store) == before
    assert inventory_journal(store) == journal_before
    assert store.verify_journal().ok

    inv.receive_stock({"MILK": 1})  # the stock is found: now it completes
    receipt = sale.complete()
    assert inv.on_hand("MILK") == 0
    assert [m.quantity for m in inv.movements(document_id=receipt.sale_id)] == [-2]
    assert inv.check().ok


def test_two_tills_completing_the_last_units_at_once_only_one_sells_them(
    open_store: OpenStore, durable_url: str
) -> None:
    first = open_store(durable_url)
    first.inventory.set_item("MILK", negative="block")
    first.inventory.receive_stock({"MILK": 2})
    second = open_store(durable_url, new=False)
    sales = [till(first, "till-1").new_sale(), till(second, "till-2").new_sale()]
    for sale in sales:
        sale.add("MILK", 2)
        sale.pay("cash")  # both see 2 available
    start = threading.Barrier(2)
    outcomes: list[Any] = [None, None]

    def complete(i: int) -> None:
        start.wait()
        try:
            sales[i].complete()
            outcomes[i] = "sold"
        except Exception as exc:  # reported below
            outcomes[i] = exc

    threads = [threading.Thread(target=complete, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)

    assert outcomes.count("sold") == 1, outcomes
    [refused] = [o for o in outcomes if o != "sold"]
    assert isinstance(refused, InsufficientStockError), refused
    assert first.inventory.on_hand("MILK") == 0
    assert [m.kind for m in first.inventory.movements()] == [
        MovementKind.RECEIPT,
        MovementKind.SALE,
    ]
    assert first.inventory.check().ok
    assert first.verify_journal().ok


def test_services_that_are_not_tracked_write_nothing(
    store: Store, session: RegisterSession
) -> None:
    inv = store.inventory
    inv.set_item("BOOK", tracked=False)
    inv.receive_stock({"MILK": 2})

    receipt = sell(session, ("BOOK", 1), ("MILK", 1), ("BOOK", 2))
    give_back(session, receipt, (1, 1))

    assert [(m.sku, m.quantity) for m in inv.movements(document_id=receipt.sale_id)] == [
        ("MILK", D(-1))
    ]
    assert inv.movements(sku="BOOK") == ()
    assert inv.levels(sku="BOOK") == ()
    assert inv.shortages(session.new_sale()) == ()


def test_a_return_against_a_receipt_puts_the_stock_back(
    store: Store, session: RegisterSession
) -> None:
    inv = store.inventory
    inv.receive_stock({"MILK": 10, "CHEESE": "2.000"})
    receipt = sell(session, ("MILK", 4), ("CHEESE", "0.750"))

    refund = give_back(session, receipt, (1, 3), (2, "0.250"))

    moves = inv.movements(document_id=refund.sale_id)
    assert [(m.kind, m.sku, m.quantity, m.reason) for m in moves] == [
        (MovementKind.RETURN, "MILK", D(3), ""),
        (MovementKind.RETURN, "CHEESE", D("0.250"), ""),
    ]
    assert {m.reference for m in moves} == {refund.number}
    assert inv.on_hand("MILK") == 9
    assert inv.on_hand("CHEESE") == D("1.500")
    assert inv.check().ok


def test_a_return_without_a_receipt_puts_stock_back_and_void_or_park_moves_nothing(
    store: Store, session: RegisterSession
) -> None:
    inv = store.inventory
    inv.receive_stock({"MILK": 5})
    ret = session.new_return(approved_by="super")
    ret.add("MILK", 2)
    ret.refund("cash")
    refund = ret.complete()
    voided = session.new_sale()
    voided.add("MILK", 1)
    voided.pay("cash")
    voided.void(approved_by="super")
    parked = session.new_sale()
    parked.add("MILK", 1)
    parked.suspend()

    assert kinds(store, "MILK") == [("receipt", D(5)), ("return", D(2))]
    assert inv.movements(document_id=refund.sale_id)[0].reference == refund.number
    assert inv.on_hand("MILK") == 7


def test_a_damaged_return_without_a_damaged_location_is_written_off_at_once(
    store: Store, session: RegisterSession
) -> None:
    inv = store.inventory
    inv.receive_stock([("MILK", 5, "20")])
    receipt = sell(session, ("MILK", 2))

    refund = give_back(session, receipt, (1, 2), damaged=True)

    moves = inv.movements(document_id=refund.sale_id)
    assert [(m.kind, m.location_id, m.quantity, m.reason, m.note) for m in moves] == [
        (MovementKind.RETURN, "main", D(2), "damaged", ""),
        (MovementKind.ADJUSTMENT, "main", D(-2), "damage", "returned damaged"),
    ]
    assert inv.on_hand("MILK") == 3  # not back on the shelf
    assert inv.check().ok


def test_a_damaged_return_goes_to_the_locations_damaged_goods_location(
    store: Store, session: RegisterSession
) -> None:
    inv = store.inventory
    inv.add_location(Location("quarantine", "Damaged goods", LocationKind.DAMAGED))
    inv.add_location(Location("main", "Main", damaged_to="quarantine"))
    inv.receive_stock({"MILK": 5, "BREAD": 5})
    receipt = sell(session, ("MILK", 2), ("BREAD", 1))
    ret = session.new_return(receipt, approved_by="super")
    ret.return_line(1, 2)
    ret.return_line(2, 1)
    ret.mark_damaged(1)  # the milk is leaking; the bread is fine
    ret.refund("cash")

    refund = ret.complete()

    moves = inv.movements(document_id=refund.sale_id)
    assert [(m.sku, m.location_id, m.kind, m.quantity, m.reason) for m in moves] == [
        ("MILK", "quarantine", MovementKind.RETURN, D(2), "damaged"),
        ("BREAD", "main", MovementKind.RETURN, D(1), ""),
    ]
    assert inv.on_hand("MILK") == 3
    assert inv.on_hand("MILK", "quarantine") == 2
    assert inv.on_hand("BREAD") == 5
    assert inv.check().ok


@pytest.mark.parametrize("failing", ["extra_lines", "sign"])
def test_a_sale_that_fails_to_complete_keeps_none_of_its_stock_movements(
    open_store: OpenStore, store_url: str, failing: str
) -> None:
    plugin = Switchable()
    store = open_store(store_url, plugins=[plugin])
    inv = store.inventory
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=8, order_up_to=20))
    inv.receive_stock({"MILK": 10})
    sale = till(store).new_sale()
    sale.add("MILK", 3)
    sale.pay("cash")
    before = everything(store)
    plugin.failing = failing

    with pytest.raises(PluginError):
        sale.complete()

    assert sale.state is SaleState.TENDERING
    assert everything(store) == before
    assert inv.level("MILK").low is False  # the crossing was rolled back with the stock
    assert store.verify_journal().ok

    plugin.failing = None
    receipt = sale.complete()
    assert [m.quantity for m in inv.movements(document_id=receipt.sale_id)] == [-3]
    assert inv.level("MILK").on_hand == 7 and inv.level("MILK").low is True
    assert inv.check().ok


def test_warn_sells_below_zero_and_logs_a_warning(
    store: Store, session: RegisterSession, caplog: pytest.LogCaptureFixture
) -> None:
    inv = store.inventory
    inv.set_item("BREAD", negative="warn")
    inv.receive_stock({"BREAD": 1})

    with caplog.at_level(logging.WARNING, logger="possdk.inventory"):
        sell(session, ("BREAD", 3))

    assert inv.on_hand("BREAD") == -2
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "BREAD at main went below zero (on hand -2)" in warnings[0].getMessage()
    assert [lv.sku for lv in inv.negative_stock()] == ["BREAD"]


def test_allow_sells_below_zero_quietly_and_negative_stock_lists_it(
    store: Store, session: RegisterSession, caplog: pytest.LogCaptureFixture
) -> None:
    inv = store.inventory
    inv.add_location(Location("kiosk", "Kiosk"))
    inv.assign_register("till-2", "kiosk")
    inv.receive_stock({"GUM": 1, "MILK": 1})
    assert inv.item("GUM").negative is NegativeStock.ALLOW  # the default

    with caplog.at_level(logging.WARNING, logger="possdk.inventory"):
        sell(session, ("GUM", 4), ("MILK", 1))
        sell(till(store, "till-2"), ("GUM", 1))

    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert [(lv.sku, lv.location_id, lv.on_hand) for lv in inv.negative_stock()] == [
        ("GUM", "kiosk", D(-1)),
        ("GUM", "main", D(-3)),
    ]
    assert [lv.location_id for lv in inv.negative_stock("kiosk")] == ["kiosk"]
    assert inv.check().ok


def test_a_register_sells_from_the_location_it_is_assigned(store: Store) -> None:
    inv = store.inventory
    inv.add_location(Location("kiosk", "Kiosk"))
    inv.assign_register("till-2", "kiosk")
    inv.receive_stock({"MILK": 3}, location="kiosk")

    sell(till(store, "till-2"), ("MILK", 2))

    assert inv.location_for("till-2") == "kiosk"
    assert inv.location_for("till-1") == "main"
    assert (inv.on_hand("MILK", "kiosk"), inv.on_hand("MILK")) == (1, 0)


# ---- adjustments and reservations -----------------------------------------------------------


def test_adjustments_carry_their_reason_note_and_cost(store: Store) -> None:
    inv = store.inventory
    inv.receive_stock([("MILK", 10, "20")])

    inv.adjust("MILK", -2, reason="damage")
    inv.adjust("MILK", -1, reason="theft", note="seen on camera")
    inv.adjust("MILK", 1, reason="found")
    inv.adjust("MILK", "-1", reason="other", note="used in the cafe")

    adjustments = [m for m in inv.movements(sku="MILK") if m.kind is MovementKind.ADJUSTMENT]
    assert [(m.quantity, m.reason, m.note, m.unit_cost) for m in adjustments] == [
        (D(-2), "damage", "", D(20)),
        (D(-1), "theft", "seen on camera", D(20)),
        (D(1), "found", "", D(20)),
        (D(-1), "other", "used in the cafe", D(20)),
    ]
    assert inv.on_hand("MILK") == 7


def test_reservations_hold_stock_until_released(store: Store) -> None:
    inv = store.inventory
    inv.receive_stock({"CHEESE": "3.000"})

    held = inv.reserve("CHEESE", "1.250", reference="order 5")

    assert (inv.on_hand("CHEESE"), inv.available("CHEESE")) == (D(3), D("1.750"))
    assert inv.reservations() == (held,)
    assert inv.check().ok
    inv.release(held.id)
    assert inv.available("CHEESE") == 3
    assert inv.check().ok


# ---- reordering -----------------------------------------------------------------------


def test_the_low_stock_hook_fires_once_per_crossing(store: Store) -> None:
    low = LowStock()
    store.plugins.register(low)
    inv = store.inventory
    inv.receive_stock({"MILK": 10})
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=5, order_up_to=20))
    session = till(store)

    sell(session, ("MILK", 4))  # 6: above the point
    assert low.calls == []
    sell(session, ("MILK", 1))  # 5: at the point, crossed
    assert len(low.calls) == 1
    level, suggestion = low.calls[0]
    assert (level.sku, level.available, level.reorder_point, level.low) == ("MILK", 5, 5, True)
    assert suggestion.supplier_id is None  # no supplier known: still says what is needed
    assert [(ln.sku, ln.quantity) for ln in suggestion.lines] == [("MILK", D(15))]
    sell(session, ("MILK", 1))  # 4: still low, no second call
    inv.adjust("MILK", -1, reason="damage")
    assert len(low.calls) == 1

    inv.receive_stock({"MILK": 2})  # 5: not above the point, not re-armed
    sell(session, ("MILK", 1))
    assert len(low.calls) == 1
    inv.receive_stock({"MILK": 10})  # 14: above, re-armed
    assert inv.level("MILK").low is False
    sell(session, ("MILK", 9))  # 5 again: a new crossing
    assert len(low.calls) == 2
    assert low.calls[1][0].available == 5


def test_setting_a_rule_below_which_the_stock_already_is_fires_at_once(store: Store) -> None:
    low = LowStock()
    store.plugins.register(low)
    store.inventory.receive_stock({"BREAD": 2})

    level = store.inventory.set_reorder_rule(
        "BREAD", ReorderRule.fixed(reorder_point=3, order_up_to=10)
    )

    assert level.low is True
    assert [c[0].sku for c in low.calls] == ["BREAD"]
    store.inventory.set_reorder_rule("BREAD", ReorderRule.fixed(reorder_point=3, order_up_to=12))
    assert len(low.calls) == 1  # still the same crossing


def test_reserving_can_cross_the_reorder_point(store: Store) -> None:
    low = LowStock()
    store.plugins.register(low)
    inv = store.inventory
    inv.receive_stock({"MILK": 10})
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=5, order_up_to=10))

    held = inv.reserve("MILK", 6, reference="catering")

    assert [c[0].available for c in low.calls] == [4]
    inv.release(held)
    assert inv.level("MILK").low is False


def test_a_plugin_failing_in_the_low_stock_hook_undoes_nothing(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    class Broken:
        @hookimpl
        def possdk_stock_low(self, level: Any, suggestion: Any) -> None:
            raise RuntimeError("mail server down")

    store.plugins.register(Broken())
    store.inventory.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=5, order_up_to=9))
    store.inventory.receive_stock({"MILK": 6})

    with caplog.at_level(logging.ERROR):
        sell(till(store), ("MILK", 1))

    assert store.inventory.on_hand("MILK") == 5
    assert "possdk_stock_low" in caplog.text


def _velocity_history(store: Store) -> RegisterSession:
    """Sales of MILK and BANANA: one old sale outside the window, then four days of selling."""
    clock = store.clock
    session = till(store)
    store.inventory.receive_stock({"MILK": 100, "BANANA": "50.000"})
    sell(session, ("MILK", 40), ("BANANA", "20.000"))  # 11 days before "now": outside
    clock.advance(timedelta(days=5))  # type: ignore[attr-defined]
    first = sell(session, ("MILK", 2), ("BANANA", "1.347"))
    clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    sell(session, ("MILK", 3), ("BANANA", "0.250"))
    clock.advance(timedelta(days=1))  # type: ignore[attr-defined]
    sell(session, ("MILK", 5), ("BANANA", "2.105"))
    give_back(session, first, (1, 1))  # a return counts against what was sold
    clock.advance(timedelta(days=4))  # type: ignore[attr-defined]
    return session


def test_a_velocity_rule_sets_the_points_from_recent_sales(store: Store) -> None:
    _velocity_history(store)
    inv = store.inventory
    window, lead, review = 7, 3, 4

    milk = inv.set_reorder_rule(
        "MILK",
        ReorderRule.velocity(
            window_days=window, lead_time_days=lead, safety_stock=2, review_days=review
        ),
    )
    banana = inv.set_reorder_rule(
        "BANANA",
        ReorderRule.velocity(
            window_days=window, lead_time_days=lead, safety_stock="0.5", review_days=review
        ),
    )

    # MILK: 2 + 3 + 5 sold, 1 returned in the last 7 days; each: whole pieces.
    d = Fraction(2 + 3 + 5 - 1, window)
    assert (milk.reorder_point, milk.order_up_to) == (
        ceil_to(d * lead + 2, 0),
        ceil_to(d * (lead + review) + 2, 0),
    )
    assert (milk.reorder_point, milk.order_up_to) == (6, 11)
    # BANANA: kg to three decimals.
    d = Fraction(D("1.347") + D("0.250") + D("2.105")) / window
    half = Fraction(1, 2)
    assert (banana.reorder_point, banana.order_up_to) == (
        ceil_to(d * lead + half, 3),
        ceil_to(d * (lead + review) + half, 3),
    )
    assert (banana.reorder_point, banana.order_up_to) == (D("2.087"), D("4.202"))
    assert abs(Fraction(inv.velocity("MILK", days=window)) - Fraction(9, 7)) < Fraction(1, 10**30)
    assert inv.level("MILK").reorder_point == 6


def test_recomputing_reorder_points_follows_the_sales(store: Store) -> None:
    inv = store.inventory
    session = _velocity_history(store)
    rule = ReorderRule.velocity(window_days=7, lead_time_days=3, safety_stock=2, review_days=4)
    inv.set_reorder_rule("MILK", rule)
    inv.set_reorder_rule("BREAD", ReorderRule.fixed(reorder_point=1, order_up_to=4))

    assert inv.recompute_reorder_points() == ()  # nothing sold since: nothing changes
    sell(session, ("MILK", 14))
    changed = inv.recompute_reorder_points()

    d = Fraction(9 + 14, 7)
    assert [(lv.sku, lv.reorder_point, lv.order_up_to) for lv in changed] == [
        ("MILK", ceil_to(d * 3 + 2, 0), ceil_to(d * 7 + 2, 0))
    ]
    assert inv.level("BREAD").reorder_point == 1  # a fixed rule is left alone
    store.clock.advance(timedelta(days=30))  # type: ignore[attr-defined]
    [quiet] = inv.recompute_reorder_points()
    assert (quiet.reorder_point, quiet.order_up_to) == (2, 2)  # only the safety stock


def _suppliers(store: Store) -> None:
    inv = store.inventory
    for sid in ("bakery", "dairy", "farm", "roaster-a", "roaster-b"):
        inv.add_supplier(Supplier(sid, sid.title()))
    inv.set_supplier_item(SupplierItem("dairy", "MILK", "D-MILK", "21.00", 12, preferred=True))
    inv.set_supplier_item(SupplierItem("farm", "MILK", "F-MILK", "19.00", 6))  # cheaper
    inv.set_supplier_item(SupplierItem("bakery", "BREAD", "B-RYE", "15.00", 6, 12))
    inv.set_supplier_item(SupplierItem("roaster-a", "COFFEE", "RA-1", "100.00"))
    inv.set_supplier_item(SupplierItem("roaster-b", "COFFEE", "RB-1", "90.00", 1))
    inv.set_supplier_item(SupplierItem("farm", "BANANA", "F-BAN", "30", "2.5", "4"))


def test_suggestions_are_grouped_by_supplier_in_whole_packs_above_the_minimum(
    store: Store,
) -> None:
    inv = store.inventory
    _suppliers(store)
    inv.receive_stock({"MILK": 2, "BANANA": "0.400", "COFFEE": 1, "CIGS": 50})
    rules = {
        "MILK": (5, 30),  # 2 available: 28 needed, packs of 12 -> 36 (preferred dairy)
        "BREAD": (3, 10),  # 0: 10 needed, minimum 12 in packs of 6 -> 12
        "COFFEE": (2, 7),  # 1 + 1 on order: 5 needed from the cheaper roaster-b
        "BANANA": ("1", "5"),  # 0.4 kg: 4.6 needed, packs of 2.5 kg -> 5
        "GUM": (1, 5),  # nobody sells it: 5, with no supplier
        "CIGS": (10, 60),  # 50 available: not due
    }
    for sku, (point, up_to) in rules.items():
        inv.set_reorder_rule(sku, ReorderRule.fixed(reorder_point=point, order_up_to=up_to))
    po = inv.create_order("roaster-b", {"COFFEE": 1})
    inv.send_order(po.id)
    inv.create_order("roaster-a", {"COFFEE": 50})  # a draft is not on order

    found = inv.suggest_orders()

    summary = [
        (s.supplier_id, s.location_id, [(ln.sku, ln.quantity, ln.on_order) for ln in s.lines])
        for s in found
    ]
    assert summary == [
        ("bakery", "main", [("BREAD", D(12), D(0))]),
        ("dairy", "main", [("MILK", D(36), D(0))]),
        ("farm", "main", [("BANANA", D(5), D(0))]),
        ("roaster-b", "main", [("COFFEE", D(5), D(1))]),
        (None, "main", [("GUM", D(5), D(0))]),
    ]
    milk = found[1].lines[0]
    assert (milk.available, milk.reorder_point, milk.order_up_to) == (2, 5, 30)
    assert (milk.unit_cost, milk.supplier_code) == (D("21.00"), "D-MILK")
    assert found[3].lines[0].unit_cost == D("90.00")
    assert [s.supplier_id for s in inv.suggest_orders(skus=["MILK", "GUM"])] == ["dairy", None]


def test_enough_on_order_means_no_suggestion(store: Store) -> None:
    inv = store.inventory
    _suppliers(store)
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=5, order_up_to=30))
    po = inv.send_order(inv.create_order("dairy", {"MILK": 6}).id)
    assert inv.suggest_orders() == ()  # 0 available + 6 on order is above 5

    inv.receive_order(po.id, {"MILK": 2})  # 4 still on order, 2 here: 6
    assert inv.suggest_orders() == ()
    inv.close_order(po.id)  # the rest is not coming: 2, due again
    [suggestion] = inv.suggest_orders()
    assert [(ln.sku, ln.quantity, ln.on_order) for ln in suggestion.lines] == [
        ("MILK", D(36), D(0))
    ]


def test_creating_draft_orders_twice_changes_nothing(store: Store) -> None:
    inv = store.inventory
    _suppliers(store)
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=5, order_up_to=30))
    inv.set_reorder_rule("BREAD", ReorderRule.fixed(reorder_point=3, order_up_to=10))
    inv.set_reorder_rule("GUM", ReorderRule.fixed(reorder_point=1, order_up_to=5))

    made = inv.create_draft_orders()

    assert [
        (po.supplier_id, po.status, [(ln.sku, ln.quantity) for ln in po.lines]) for po in made
    ] == [
        ("bakery", PurchaseOrderStatus.DRAFT, [("BREAD", D(12))]),
        ("dairy", PurchaseOrderStatus.DRAFT, [("MILK", D(36))]),
    ]  # GUM has no supplier: left out
    assert made[1].lines[0].unit_cost == D("21.00")
    assert made[1].lines[0].supplier_code == "D-MILK"
    orders, journal = inv.orders(), inventory_journal(store)

    again = inv.create_draft_orders()

    assert inv.orders() == orders
    assert [po.number for po in again] == [po.number for po in made]
    assert inventory_journal(store) == journal


def test_a_draft_is_topped_up_rather_than_duplicated(store: Store) -> None:
    inv = store.inventory
    _suppliers(store)
    draft = inv.create_order("dairy", {"MILK": 12})
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=5, order_up_to=30))

    [topped] = inv.create_draft_orders()

    assert topped.number == draft.number
    assert [(ln.sku, ln.quantity) for ln in topped.lines] == [("MILK", D(36))]
    assert len(inv.orders()) == 1


def test_auto_reorder_creates_a_draft_order_after_a_crossing() -> None:
    store = make_store(Settings(currency="UAH", locale="uk_UA", auto_reorder=True))
    try:
        inv = store.inventory
        _suppliers(store)
        inv.receive_stock({"MILK": 6})
        inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=5, order_up_to=20))
        assert inv.orders() == ()

        sell(till(store), ("MILK", 1))

        [po] = inv.orders()
        assert (po.supplier_id, po.status) == ("dairy", PurchaseOrderStatus.DRAFT)
        assert [(ln.sku, ln.quantity) for ln in po.lines] == [("MILK", D(24))]  # 15 -> 2 packs
        sell(till(store, "till-2"), ("MILK", 1))  # no new crossing: no new order
        assert inv.orders() == (po,)
    finally:
        store.close()


# ---- purchase orders ----------------------------------------------------------------------


def test_a_purchase_order_from_draft_to_received_moves_the_average_cost(
    open_store: OpenStore, store_url: str
) -> None:
    store = open_store(store_url)
    inv = store.inventory
    _suppliers(store)
    inv.receive_stock({"MILK": 10})
    inv.set_item("MILK", average_cost="18")

    po = inv.create_order("dairy", [("MILK", 24, None), ("BREAD", 12, "10.50")], note="weekly")
    assert po.status is PurchaseOrderStatus.DRAFT and po.number == "PO-000001"
    assert [
        (ln.line_no, ln.sku, ln.quantity, ln.unit_cost, ln.supplier_code) for ln in po.lines
    ] == [
        (1, "MILK", D(24), D("21.00"), "D-MILK"),
        (2, "BREAD", D(12), D("10.50"), ""),
    ]
    po = inv.set_order_line(po.number, "MILK", 12, unit_cost="20")
    po = inv.set_order_line(po.number, "GUM", 30)
    po = inv.set_order_line(po.number, "GUM", 0)  # taken off again
    assert [(ln.line_no, ln.sku, ln.quantity, ln.unit_cost) for ln in po.lines] == [
        (1, "MILK", D(12), D(20)),
        (2, "BREAD", D(12), D("10.50")),
    ]
    assert inv.movements(document_id=po.id) == ()

    sent = inv.send_order(po.id)
    assert sent.status is PurchaseOrderStatus.SENT and sent.sent_at is not None
    assert sent.is_open

    partly = inv.receive_order(po.number, {"MILK": 5})
    assert partly.status is PurchaseOrderStatus.PARTIALLY_RECEIVED
    assert [(ln.received, ln.outstanding) for ln in partly.lines] == [(5, 7), (0, 12)]
    avg = Fraction(10 * 18 + 5 * 20, 15)
    assert inv.item("MILK").average_cost == cost6(avg)
    assert inv.item("MILK").last_cost == 20

    done = inv.receive_order(po.id, costs={"MILK": "22.10"})  # the rest, at a new price
    assert done.status is PurchaseOrderStatus.RECEIVED and done.closed_at is not None
    assert not done.is_open
    assert [(ln.received, ln.outstanding) for ln in done.lines] == [(12, 0), (12, 0)]
    avg = (Fraction(cost6(avg)) * 15 + Fraction("22.10") * 7) / 22
    assert inv.item("MILK").average_cost == cost6(avg)
    assert inv.item("BREAD").average_cost == D("10.50")
    assert inv.on_hand("MILK") == 22 and inv.on_hand("BREAD") == 12
    receipts = inv.movements(document_id=po.id)
    assert [(m.kind, m.sku, m.quantity, m.unit_cost, m.reference, m.line_no) for m in receipts] == [
        (MovementKind.RECEIPT, "MILK", D(5), D(20), po.number, 1),
        (MovementKind.RECEIPT, "MILK", D(7), D("22.10"), po.number, 1),
        (MovementKind.RECEIPT, "BREAD", D(12), D("10.50"), po.number, 2),
    ]
    assert inv.order(po.number) == done
    assert inv.orders(status="received") == (done,)
    assert inv.check().ok
    assert store.verify_journal().ok


def test_an_order_closed_short_or_cancelled_expects_nothing_more(
    open_store: OpenStore, store_url: str
) -> None:
    store = open_store(store_url)
    inv = store.inventory
    _suppliers(store)
    short = inv.send_order(inv.create_order("bakery", {"BREAD": 12}).id)
    inv.receive_order(short.id, {"BREAD": 10})

    closed = inv.close_order(short.number)

    assert closed.status is PurchaseOrderStatus.CLOSED and closed.closed_at is not None
    assert closed.lines[0].outstanding == 2
    assert inv.on_hand("BREAD") == 10
    draft = inv.cancel_order(inv.create_order("dairy", {"MILK": 12}).id)
    sent = inv.cancel_order(inv.send_order(inv.create_order("farm", {"MILK": 6}).id).id)
    assert draft.status is sent.status is PurchaseOrderStatus.CANCELLED
    assert [po.number for po in inv.orders(status=PurchaseOrderStatus.CANCELLED)] == [
        draft.number,
        sent.number,
    ]
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=1, order_up_to=6))
    [suggestion] = inv.suggest_orders()
    assert suggestion.lines[0].on_order == 0  # cancelled orders are not on order
    assert inv.check().ok


def test_an_over_delivery_is_taken_only_when_allowed(store: Store) -> None:
    inv = store.inventory
    _suppliers(store)
    po = inv.send_order(inv.create_order("dairy", {"MILK": 12}).id)

    over = inv.receive_order(po.id, {"MILK": 14, "GUM": 3}, allow_over=True)

    assert over.status is PurchaseOrderStatus.RECEIVED
    milk, gum = over.lines
    assert (milk.received, milk.over, milk.outstanding) == (14, 2, 0)
    assert (gum.line_no, gum.sku, gum.quantity, gum.received, gum.over) == (2, "GUM", 0, 3, 3)
    assert (inv.on_hand("MILK"), inv.on_hand("GUM")) == (14, 3)
    assert inv.item("GUM").average_cost is None  # no cost known for it
    assert inv.item("MILK").average_cost == D(21)


def test_receiving_at_a_first_cost_or_after_negative_stock_takes_the_new_cost(
    store: Store,
) -> None:
    inv = store.inventory
    sell(till(store), ("MILK", 3))  # -3: sold before anything was received
    inv.receive_stock([("MILK", 5, "20")])
    assert inv.item("MILK").average_cost == 20
    inv.receive_stock([("MILK", 2, "26")])  # 2 on hand at 20, 2 more at 26
    assert inv.item("MILK").average_cost == 23
    inv.receive_stock({"MILK": 4})  # no cost: the average stays
    assert inv.item("MILK").average_cost == 23
    assert inv.item("MILK").last_cost == 26


# ---- transfers ------------------------------------------------------------------------------


def test_a_transfer_is_in_transit_until_received_and_may_arrive_short(store: Store) -> None:
    inv = store.inventory
    inv.add_location(Location("wh", "Warehouse", LocationKind.WAREHOUSE))
    inv.receive_stock([("MILK", 20, "20"), ("CHEESE", "5.000", "300")], location="wh")

    transfer = inv.send_transfer("wh", "main", {"MILK": 12, "CHEESE": "2.500"}, note="van 2")

    assert transfer.status is TransferStatus.IN_TRANSIT and transfer.number == "TR-000001"
    assert (inv.on_hand("MILK", "wh"), inv.on_hand("MILK")) == (8, 0)  # on the road
    assert inv.transfers(status="in_transit") == (transfer,)
    out = inv.movements(document_id=transfer.id)
    assert [(m.kind, m.location_id, m.sku, m.quantity, m.unit_cost) for m in out] == [
        (MovementKind.TRANSFER_OUT, "wh", "MILK", D(-12), D(20)),
        (MovementKind.TRANSFER_OUT, "wh", "CHEESE", D("-2.5"), D(300)),
    ]

    arrived = inv.receive_transfer(transfer.number, {"MILK": 11, "CHEESE": "2.500"})

    assert arrived.status is TransferStatus.RECEIVED and arrived.received_at is not None
    assert [(ln.sku, ln.quantity, ln.received) for ln in arrived.lines] == [
        ("MILK", D(12), D(11)),
        ("CHEESE", D("2.5"), D("2.5")),
    ]
    assert (inv.on_hand("MILK"), inv.on_hand("CHEESE")) == (11, D("2.5"))
    ins = [m for m in inv.movements(document_id=transfer.id) if m.kind is MovementKind.TRANSFER_IN]
    assert [(m.location_id, m.sku, m.quantity, m.reference) for m in ins] == [
        ("main", "MILK", D(11), "TR-000001"),
        ("main", "CHEESE", D("2.5"), "TR-000001"),
    ]
    assert inv.transfers(status=TransferStatus.IN_TRANSIT) == ()
    assert inv.transfer(transfer.id) == arrived
    assert inv.check().ok


def test_a_transfer_received_in_full_by_default(store: Store) -> None:
    inv = store.inventory
    inv.add_location(Location("backroom", "Back room", LocationKind.BACKROOM))
    inv.receive_stock({"BREAD": 6}, location="backroom")
    transfer = inv.send_transfer("backroom", "main", {"BREAD": 6})

    inv.receive_transfer(transfer.id)

    assert (inv.on_hand("BREAD", "backroom"), inv.on_hand("BREAD")) == (0, 6)


# ---- counts ---------------------------------------------------------------------------------


def test_a_full_count_books_differences_and_zeroes_what_nobody_counted(store: Store) -> None:
    inv = store.inventory
    inv.receive_stock([("MILK", 10, "20"), ("BREAD", 5, "12"), ("COFFEE", 3, "110.25")])
    inv.receive_stock({"MILK": 4}, location="main")
    count = inv.start_count()
    assert count.is_full and count.status is StockCountStatus.OPEN

    inv.record_count(count.id, "MILK", 10)
    inv.record_count(count.id, "MILK", 3, add=True)  # a second shelf
    inv.record_count(count.number, "BREAD", 5)
    result = inv.finish_count(count.id)

    assert result.count.status is StockCountStatus.FINISHED
    assert [(v.sku, v.book, v.counted, v.difference, v.value) for v in result.lines] == [
        ("BREAD", D(5), D(5), D(0), uah("0.00")),
        ("COFFEE", D(3), D(0), D(-3), uah("-330.75")),
        ("MILK", D(14), D(13), D(-1), uah("-20.00")),
    ]
    assert result.value_difference == uah("-350.75")
    assert result.not_counted == ()
    assert [
        (m.sku, m.quantity, m.reason, m.reference) for m in inv.movements(document_id=count.id)
    ] == [
        ("COFFEE", D(-3), "count", count.number),
        ("MILK", D(-1), "count", count.number),
    ]
    assert (inv.on_hand("MILK"), inv.on_hand("BREAD"), inv.on_hand("COFFEE")) == (13, 5, 0)
    assert inv.count_result(count.number) == result
    assert inv.count(count.id).status is StockCountStatus.FINISHED
    assert "COFFEE 3->0" in result.as_text()
    assert inv.check().ok


def test_a_cycle_count_lists_what_was_not_counted_and_leaves_it_alone(store: Store) -> None:
    inv = store.inventory
    inv.receive_stock({"MILK": 10, "BREAD": 5, "COFFEE": 3})
    count = inv.start_count(skus=["MILK", "BREAD"])

    inv.record_count(count.id, "MILK", 12)
    result = inv.finish_count(count.id)

    assert [(v.sku, v.difference, v.value) for v in result.lines] == [("MILK", D(2), None)]
    assert result.not_counted == ("BREAD",)
    assert result.value_difference == uah("0")  # MILK has no cost yet
    assert (inv.on_hand("MILK"), inv.on_hand("BREAD"), inv.on_hand("COFFEE")) == (12, 5, 3)
    assert "Not counted: BREAD" in result.as_text()


def test_a_sale_between_counting_and_finishing_is_not_counted_twice(store: Store) -> None:
    inv = store.inventory
    inv.receive_stock({"MILK": 10, "BREAD": 8})
    session = till(store)
    count = inv.start_count(skus=["MILK", "BREAD"])
    sell(session, ("BREAD", 1))  # before BREAD is counted: the count sees 7 on the shelf

    inv.record_count(count.id, "MILK", 8)  # the books say 10: 2 are missing
    inv.record_count(count.id, "BREAD", 7)
    sell(session, ("MILK", 3), ("BREAD", 2))  # selling goes on while the count is open
    result = inv.finish_count(count.id)

    assert [(v.sku, v.book, v.counted, v.difference) for v in result.lines] == [
        ("BREAD", D(7), D(7), D(0)),
        ("MILK", D(10), D(8), D(-2)),
    ]
    assert inv.on_hand("MILK") == 8 - 3
    assert inv.on_hand("BREAD") == 7 - 2
    assert inv.check().ok


def test_scanning_a_weighed_label_counts_its_weight(store: Store) -> None:
    inv = store.inventory
    inv.receive_stock([("BANANA", "5.000", "40.123")])
    count = inv.start_count(skus=["BANANA", "MILK"])
    label = Gtin.from_body("2100123" + "01347").code  # prefix 21, item 00123, 1.347 kg
    other = Gtin.from_body("2100123" + "00250").code

    inv.scan_count(count.id, label)
    line = inv.scan_count(count.id, other)
    inv.scan_count(count.id, "4820000000031")  # an ordinary barcode: one MILK
    inv.scan_count(count.id, "4820000000031", 2)

    assert line.counted == D("1.597")
    assert {ln.sku: ln.counted for ln in inv.count_lines(count.id)} == {
        "BANANA": D("1.597"),
        "MILK": 3,
    }
    result = inv.finish_count(count.id)
    banana = result.lines[0]
    difference = D("1.597") - D(5)
    assert (banana.sku, banana.difference, banana.unit_cost) == ("BANANA", difference, D("40.123"))
    assert banana.value == Money(cents(difference * D("40.123")), "UAH")
    assert banana.value == uah("-136.54")
    assert inv.on_hand("BANANA") == D("1.597")


def test_a_cancelled_count_books_nothing(store: Store) -> None:
    inv = store.inventory
    inv.receive_stock({"MILK": 10})
    count = inv.start_count()
    inv.record_count(count.id, "MILK", 1)

    cancelled = inv.cancel_count(count.id)

    assert cancelled.status is StockCountStatus.CANCELLED and cancelled.finished_at is not None
    assert inv.on_hand("MILK") == 10
    assert inv.count_result(count.id) is None
    assert [m.kind for m in inv.movements()] == [MovementKind.RECEIPT]


# ---- valuation and the ledger check -------------------------------------------------------


def test_valuation_rounds_each_line_half_even_and_sums_the_rounded_lines(store: Store) -> None:
    inv = store.inventory
    inv.add_location(Location("wh", "Warehouse", LocationKind.WAREHOUSE))
    inv.receive_stock([("GUM", 1, "0.125")])  # 0.125 -> 0.12 (half-even)
    inv.receive_stock([("GUM", 2, "0.125")], location="wh")  # 3 in all: 0.375 -> 0.38
    inv.receive_stock([("BANANA", "1.347", "40.125")])  # 54.048375 -> 54.05
    inv.receive_stock([("MILK", 3, "19.090909")])  # 57.272727 -> 57.27
    inv.receive_stock({"BREAD": 4})  # no cost: listed, valued at zero
    sell(till(store), ("COFFEE", 2))  # negative stock is valued as zero

    whole = inv.valuation()
    main = inv.valuation("main")

    assert [(ln.sku, ln.on_hand, ln.unit_cost, ln.value) for ln in whole.lines] == [
        ("BANANA", D("1.347"), D("40.125"), uah("54.05")),
        ("BREAD", D(4), None, uah("0")),
        ("GUM", D(3), D("0.125"), uah("0.38")),
        ("MILK", D(3), D("19.090909"), uah("57.27")),
    ]
    assert whole.total == uah("111.70")
    assert whole.uncosted == ("BREAD",)
    assert whole.location_id is None
    gum = next(ln for ln in main.lines if ln.sku == "GUM")
    assert (gum.on_hand, gum.value) == (1, uah("0.12"))
    assert main.total == uah("54.05") + uah("0.12") + uah("57.27")
    assert [ln.sku for ln in inv.valuation("wh").lines] == ["GUM"]


def test_the_check_is_ok_after_everything_and_finds_a_tampered_level(store: Store) -> None:
    inv = store.inventory
    _suppliers(store)
    inv.add_location(Location("wh", "Warehouse", LocationKind.WAREHOUSE))
    session = till(store)
    inv.receive_stock({"MILK": 10, "BREAD": 6}, location="wh")
    inv.receive_order(inv.send_order(inv.create_order("dairy", {"MILK": 12}).id).id)
    receipt = sell(session, ("MILK", 3), ("BANANA", "0.500"))
    give_back(session, receipt, (1, 1))
    inv.receive_transfer(inv.send_transfer("wh", "main", {"MILK": 4}).id, {"MILK": 3})
    inv.adjust("BREAD", -1, reason="expiry", location="wh")
    inv.reserve("MILK", 2, reference="order 9")
    count = inv.start_count(skus=["MILK"])
    inv.record_count(count.id, "MILK", 12)
    inv.finish_count(count.id)
    assert inv.check().ok
    assert inv.check().checked == 4  # MILK and BREAD at wh; MILK and BANANA at main

    with store.backend.unit_of_work() as uow:
        uow.conn.execute(
            sa.text(
                "UPDATE stock_levels SET on_hand_micro = on_hand_micro + 1000000, "
                "reserved_micro = 0 WHERE sku = 'MILK' AND location_id = 'main'"
            )
        )
        uow.commit()

    check = inv.check()
    assert not check.ok
    assert check.mismatches == (("MILK", "main", D(13), D(12)),)
    assert check.reserved_mismatches == (("MILK", "main", D(0), D(2)),)
    assert inv.on_hand_from_ledger("main")[("MILK", "main")] == 12


# ---- the journal and reopening ----------------------------------------------------------------


def test_every_inventory_operation_leaves_a_journal_entry(store: Store) -> None:
    inv = store.inventory
    _suppliers(store)
    done: list[tuple[str, Any]] = [
        ("LocationSaved", lambda: inv.add_location(Location("wh", "Warehouse"))),
        ("RegisterLocationSet", lambda: inv.assign_register("till-2", "main")),
        ("StockItemSaved", lambda: inv.set_item("MILK", negative="warn")),
        ("SupplierSaved", lambda: inv.add_supplier(Supplier("x", "X"))),
        ("SupplierItemSaved", lambda: inv.set_supplier_item(SupplierItem("x", "GUM"))),
        ("StockReceived", lambda: inv.receive_stock({"MILK": 9}, location="wh")),
        ("StockAdjusted", lambda: inv.adjust("MILK", -1, reason="theft", location="wh")),
        ("ReorderRuleSet", lambda: inv.set_reorder_rule("MILK", ReorderRule.velocity())),
        ("StockReserved", lambda: inv.reserve("MILK", 1, reference="r", location="wh")),
        ("StockReleased", lambda: inv.release(inv.reservations()[0])),
        ("PurchaseOrderCreated", lambda: inv.create_order("dairy", {"MILK": 12})),
        ("PurchaseOrderChanged", lambda: inv.set_order_line("PO-000001", "MILK", 24)),
        ("PurchaseOrderSent", lambda: inv.send_order("PO-000001")),
        ("PurchaseOrderReceived", lambda: inv.receive_order("PO-000001", {"MILK": 12})),
        ("PurchaseOrderClosed", lambda: inv.close_order("PO-000001")),
        ("PurchaseOrderCreated", lambda: inv.create_order("farm", {"MILK": 6})),
        ("PurchaseOrderCancelled", lambda: inv.cancel_order("PO-000002")),
        ("TransferSent", lambda: inv.send_transfer("wh", "main", {"MILK": 2})),
        ("TransferReceived", lambda: inv.receive_transfer("TR-000001")),
        ("StockCountStarted", lambda: inv.start_count(skus=["MILK"])),
        ("StockCounted", lambda: inv.record_count("CNT-000001", "MILK", 13)),
        ("StockCounted", lambda: inv.scan_count("CNT-000001", "4820000000031")),
        ("StockCountFinished", lambda: inv.finish_count("CNT-000001")),
        ("StockCountStarted", lambda: inv.start_count()),
        ("StockCountCancelled", lambda: inv.cancel_count("CNT-000002")),
    ]
    for event, operation in done:
        before = inventory_journal(store)
        operation()
        assert inventory_journal(store) == [*before, event], event
    report = store.verify_journal()
    assert report.ok, report.as_text()


def test_a_reopened_store_keeps_levels_documents_and_rules(
    open_store: OpenStore, durable_url: str
) -> None:
    store = open_store(durable_url)
    inv = store.inventory
    _suppliers(store)
    inv.add_location(Location("wh", "Warehouse", LocationKind.WAREHOUSE))
    inv.assign_register("till-2", "wh")
    inv.set_item("MILK", negative="block")
    inv.receive_stock([("MILK", 10, "20"), ("BANANA", "2.500", "31.5")])
    sell(till(store), ("MILK", 2))
    inv.set_reorder_rule("MILK", ReorderRule.velocity(window_days=7, lead_time_days=3))
    inv.set_reorder_rule("BREAD", ReorderRule.fixed(reorder_point=2, order_up_to=8))
    po = inv.send_order(inv.create_order("dairy", {"MILK": 12}).id)
    inv.receive_order(po.id, {"MILK": 6})
    transfer = inv.send_transfer("main", "wh", {"BANANA": "1.000"})
    count = inv.start_count(skus=["MILK"])
    inv.record_count(count.id, "MILK", 13)
    held = inv.reserve("MILK", 1, reference="order 1")
    kept = (
        inv.locations(),
        inv.levels(),
        inv.movements(),
        inv.orders(),
        inv.transfers(),
        inv.count(count.id),
        inv.count_lines(count.id),
        inv.suppliers(),
        inv.supplier_items(),
        inv.item("MILK"),
        inv.reservations(),
        inv.suggest_orders(),
    )
    store.close()

    again = open_store(durable_url, new=False)
    inv = again.inventory
    assert (
        inv.locations(),
        inv.levels(),
        inv.movements(),
        inv.orders(),
        inv.transfers(),
        inv.count(count.id),
        inv.count_lines(count.id),
        inv.suppliers(),
        inv.supplier_items(),
        inv.item("MILK"),
        inv.reservations(),
        inv.suggest_orders(),
    ) == kept
    assert inv.location_for("till-2") == "wh"
    assert inv.level("MILK").reorder_point == ceil_to(Fraction(2, 7) * 3, 0) == 1
    assert inv.recompute_reorder_points() == ()  # the velocity rule is still there
    assert inv.receive_transfer(transfer.number).status is TransferStatus.RECEIVED
    inv.release(held)
    result = inv.finish_count(count.id)
    assert result.lines[0].difference == -1
    assert inv.on_hand("MILK") == 13
    assert inv.check().ok
    report = again.verify_journal()
    assert report.ok, report.as_text()
