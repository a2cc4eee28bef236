"""Bad input to the inventory: every refusal says what is wrong and changes nothing.

Each case runs against a shop with stock, open and finished documents of
every kind, and checks both the message and that levels, the ledger,
documents, counts, reservations and the journal are exactly as before.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

import pytest

from possdk import Store
from possdk.errors import (
    InsufficientStockError,
    InventoryError,
    ProductNotFoundError,
    StockDocumentError,
)
from possdk.inventory import (
    Inventory,
    Location,
    LocationKind,
    ReorderMethod,
    ReorderRule,
    Supplier,
    SupplierItem,
)
from tests.conftest import make_store
from tests.integration.conftest import OpenStore

MILK_BARCODE = "4820000000031"
UNKNOWN_BARCODE = "4820000000079"  # a valid GTIN no product has


def build_shop(store: Store) -> None:
    """Stock, suppliers and one document in every state the cases need.

    PO-000001 sent (MILK 12, BREAD 6), PO-000002 draft (MILK 6), PO-000003
    partially received (MILK 2 of 6), PO-000004 an empty draft; TR-000001 in
    transit main->wh (MILK 3), TR-000002 received, TR-000003 in transit to a
    location closed since; CNT-000001 an open cycle count of MILK and BANANA,
    CNT-000002 a finished one; one reservation of MILK. BREAD may not go below zero.
    """
    inv = store.inventory
    inv.add_location(Location("wh", "Warehouse", LocationKind.WAREHOUSE))
    inv.add_location(Location("closing", "Closing down"))
    inv.add_location(Location("old", "Old shop", active=False))
    inv.add_supplier(Supplier("dairy", "Dairy"))
    inv.set_supplier_item(SupplierItem("dairy", "MILK", "D-1", "20", 6))
    inv.set_item("BREAD", negative="block")
    inv.receive_stock([("MILK", 20, "20"), ("BANANA", "5.000", "30"), ("BREAD", 2, "12")])
    inv.send_order(inv.create_order("dairy", {"MILK": 12, "BREAD": 6}).id)
    inv.create_order("dairy", {"MILK": 6})
    inv.receive_order(inv.send_order(inv.create_order("dairy", {"MILK": 6}).id).id, {"MILK": 2})
    inv.set_order_line(inv.create_order("dairy", {"MILK": 1}).id, "MILK", 0)
    inv.send_transfer("main", "wh", {"MILK": 3})
    inv.receive_transfer(inv.send_transfer("main", "wh", {"MILK": 1}).id)
    inv.send_transfer("main", "closing", {"MILK": 1})
    inv.add_location(Location("closing", "Closing down", active=False))
    cycle = inv.start_count(skus=["MILK", "BANANA"])
    inv.record_count(cycle.id, "MILK", 7)
    done = inv.start_count(skus=["MILK"])
    inv.record_count(done.id, "MILK", 17)
    inv.finish_count(done.id)
    inv.reserve("MILK", 1, reference="order 1")


def state(store: Store) -> tuple[Any, ...]:
    """Everything a refused operation must leave alone."""
    inv = store.inventory
    with store.backend.unit_of_work(write=False) as uow:
        journal = list(uow.journal_entries())
    return (
        inv.levels(),
        inv.movements(),
        inv.orders(),
        inv.transfers(),
        inv.reservations(),
        inv.locations(),
        inv.suppliers(),
        inv.supplier_items(),
        [inv.item(sku) for sku in ("MILK", "BREAD", "BANANA", "GUM")],
        [
            (inv.count(n), inv.count_lines(n), inv.count_result(n))
            for n in ("CNT-000001", "CNT-000002")
        ],
        inv.check(),
        journal,
    )


@pytest.fixture
def shop() -> Iterator[Store]:
    store = make_store()
    build_shop(store)
    yield store
    store.close()


@pytest.fixture(scope="module")
def shared_shop() -> Iterator[Store]:
    """One shop for all the refusals: each leaves it as it was, which each test checks."""
    store = make_store()
    build_shop(store)
    yield store
    store.close()


Case = Callable[[Inventory], Any]


def case(run: Case, error: type[Exception], match: str, name: str) -> Any:
    return pytest.param(run, error, match, id=name)


IE, SDE, PNF, ISE = InventoryError, StockDocumentError, ProductNotFoundError, InsufficientStockError
WHOLE = r"'MILK' is counted in whole units \(each\)"
GRAMS = r"'BANANA' is counted in kg with at most 3 decimals"

CASES = [
    # ---- quantities: sign, zero, fractions of a piece, more than grams, types
    case(
        lambda inv: inv.adjust("MILK", "1.5", reason="found"), IE, WHOLE + "; got 1.5", "adj-frac"
    ),
    case(lambda inv: inv.adjust("MILK", "-0.5", reason="damage"), IE, WHOLE, "adj-neg-frac"),
    case(lambda inv: inv.receive_stock({"MILK": -2}), IE, "cannot be negative, got -2", "neg"),
    case(lambda inv: inv.receive_stock({"MILK": 0}), IE, "'MILK' must not be zero", "zero"),
    case(lambda inv: inv.receive_stock({"MILK": "-0"}), IE, "must not be zero", "minus-zero"),
    case(lambda inv: inv.receive_stock({"MILK": 1.5}), IE, "got float 1.5", "float"),
    case(lambda inv: inv.receive_stock({"MILK": "two"}), IE, "'two' is not a number", "text"),
    case(lambda inv: inv.receive_stock({"MILK": None}), IE, "got NoneType", "none"),
    case(lambda inv: inv.receive_stock({"MILK": True}), IE, "got bool", "bool"),
    case(lambda inv: inv.receive_stock({"MILK": [1]}), IE, "got list", "list"),
    case(lambda inv: inv.receive_stock({"MILK": "NaN"}), IE, "finite number", "nan"),
    case(lambda inv: inv.receive_stock({"MILK": "Infinity"}), IE, "finite number", "inf"),
    case(lambda inv: inv.receive_stock({"MILK": 10**10}), IE, "implausibly large", "huge"),
    case(lambda inv: inv.receive_stock({"BANANA": "1.0005"}), IE, GRAMS + "; got 1.0005", "kg"),
    case(
        lambda inv: inv.receive_stock({"MILK": 2, "BREAD": "0.5"}),
        IE,
        r"'BREAD' is counted in whole units",
        "second-line-bad",
    ),
    case(lambda inv: inv.reserve("MILK", 0, reference="r"), IE, "must not be zero", "reserve-0"),
    case(lambda inv: inv.reserve("BANANA", "0.0001", reference="r"), IE, GRAMS, "reserve-kg"),
    case(lambda inv: inv.send_transfer("main", "wh", {"MILK": "2.5"}), IE, WHOLE, "transfer-frac"),
    case(lambda inv: inv.send_transfer("main", "wh", {"MILK": 0}), IE, "zero", "transfer-0"),
    case(lambda inv: inv.record_count("CNT-000001", "MILK", "-1"), IE, "negative", "count-neg"),
    case(lambda inv: inv.record_count("CNT-000001", "BANANA", "1.2345"), IE, GRAMS, "count-kg"),
    case(lambda inv: inv.scan_count("CNT-000001", MILK_BARCODE, "1.5"), IE, WHOLE, "scan-frac"),
    case(lambda inv: inv.set_order_line("PO-000002", "MILK", "-6"), IE, "negative", "po-line-neg"),
    case(lambda inv: inv.set_order_line("PO-000002", "MILK", "6.5"), IE, WHOLE, "po-line-frac"),
    case(lambda inv: inv.create_order("dairy", {"MILK": "2.5"}), IE, WHOLE, "po-frac"),
    case(
        lambda inv: inv.receive_order("PO-000001", {"MILK": 0}), IE, "must not be zero", "po-rcv-0"
    ),
    case(lambda inv: inv.receive_order("PO-000001", {"MILK": "1.5"}), IE, WHOLE, "po-rcv-frac"),
    case(lambda inv: inv.receive_order("PO-000001", {}), IE, "nothing to receive", "po-rcv-empty"),
    case(
        lambda inv: inv.receive_transfer("TR-000001", {"MILK": "-1"}), IE, "negative", "tr-rcv-neg"
    ),
    # ---- costs and item settings
    case(
        lambda inv: inv.receive_stock([("MILK", 1, "-3")]),
        IE,
        "a cost must be a number of at least zero",
        "cost-neg",
    ),
    case(lambda inv: inv.receive_stock([("MILK", 1, 2.5)]), IE, "got float", "cost-float"),
    case(
        lambda inv: inv.receive_order("PO-000001", costs={"MILK": "abc"}),
        IE,
        "'abc' is not a number",
        "po-cost-text",
    ),
    case(
        lambda inv: inv.set_item("MILK", average_cost="-1"),
        IE,
        "a cost cannot be negative",
        "avg-cost-neg",
    ),
    case(
        lambda inv: inv.set_item("MILK", negative="sometimes"),
        IE,
        "negative 'sometimes' is not one of 'allow', 'warn', 'block'",
        "policy",
    ),
    case(lambda inv: inv.set_item("MILK", tracked="no"), IE, "True or False", "tracked-text"),
    case(lambda inv: inv.velocity("MILK", days=0), IE, "at least 1, got 0", "velocity-0"),
    case(lambda inv: inv.orders(status="bogus"), IE, "status 'bogus' is not one of", "status"),
    # ---- unknown items
    case(lambda inv: inv.adjust("NOPE", 1, reason="found"), PNF, "'NOPE'", "adj-sku"),
    case(lambda inv: inv.receive_stock({"MILK": 1, "NOPE": 1}), PNF, "'NOPE'", "rcv-sku"),
    case(lambda inv: inv.reserve("NOPE", 1, reference="r"), PNF, "'NOPE'", "reserve-sku"),
    case(lambda inv: inv.set_item("NOPE", tracked=False), PNF, "'NOPE'", "item-sku"),
    case(
        lambda inv: inv.set_reorder_rule("NOPE", ReorderRule.velocity()),
        PNF,
        "'NOPE'",
        "rule-sku",
    ),
    case(lambda inv: inv.start_count(skus=["MILK", "NOPE"]), PNF, "'NOPE'", "count-sku"),
    case(lambda inv: inv.create_order("dairy", {"NOPE": 1}), PNF, "'NOPE'", "po-sku"),
    case(lambda inv: inv.receive_order("PO-000001", {"NOPE": 1}), PNF, "'NOPE'", "po-rcv-sku"),
    case(lambda inv: inv.send_transfer("main", "wh", {"NOPE": 1}), PNF, "'NOPE'", "tr-sku"),
    case(lambda inv: inv.record_count("CNT-000001", "NOPE", 1), PNF, "'NOPE'", "count-line-sku"),
    case(lambda inv: inv.scan_count("CNT-000001", UNKNOWN_BARCODE), PNF, UNKNOWN_BARCODE, "scan"),
    case(
        lambda inv: inv.set_supplier_item(SupplierItem("dairy", "NOPE")),
        PNF,
        "'NOPE'",
        "supplier-item-sku",
    ),
    case(lambda inv: inv.level("NOPE"), PNF, "'NOPE'", "level-sku"),
    # ---- unknown and inactive locations
    case(
        lambda inv: inv.receive_stock({"MILK": 1}, location="nowhere"),
        IE,
        "unknown location 'nowhere': add it with store.inventory.add_location",
        "rcv-loc",
    ),
    case(
        lambda inv: inv.receive_stock({"MILK": 1}, location="old"),
        IE,
        "location 'old' is inactive",
        "rcv-inactive",
    ),
    case(
        lambda inv: inv.adjust("MILK", -1, reason="theft", location="old"),
        IE,
        "inactive",
        "adj-inactive",
    ),
    case(
        lambda inv: inv.reserve("MILK", 1, reference="r", location="nowhere"),
        IE,
        "unknown location",
        "reserve-loc",
    ),
    case(
        lambda inv: inv.send_transfer("main", "main", {"MILK": 1}),
        IE,
        "a transfer needs two different locations, got 'main' twice",
        "tr-same",
    ),
    case(lambda inv: inv.send_transfer("main", "old", {"MILK": 1}), IE, "inactive", "tr-to-old"),
    case(
        lambda inv: inv.send_transfer("nowhere", "main", {"MILK": 1}),
        IE,
        "unknown location 'nowhere'",
        "tr-from-unknown",
    ),
    case(
        lambda inv: inv.receive_transfer("TR-000003"),
        IE,
        "location 'closing' is inactive",
        "tr-rcv-inactive",
    ),
    case(lambda inv: inv.assign_register("till-1", "old"), IE, "inactive", "register-inactive"),
    case(lambda inv: inv.start_count("nowhere"), IE, "unknown location", "count-loc"),
    case(
        lambda inv: inv.create_order("dairy", {"MILK": 1}, location="old"),
        IE,
        "inactive",
        "po-loc",
    ),
    case(
        lambda inv: inv.set_reorder_rule("MILK", ReorderRule.velocity(), location="nowhere"),
        IE,
        "unknown location",
        "rule-loc",
    ),
    case(
        lambda inv: inv.add_location(Location("kiosk", "Kiosk", damaged_to="nowhere")),
        IE,
        "damaged_to='nowhere' is not a location",
        "damaged-to-unknown",
    ),
    case(
        lambda inv: inv.add_location(Location("kiosk", "Kiosk", damaged_to="kiosk")),
        IE,
        "cannot send damaged goods to itself",
        "damaged-to-self",
    ),
    case(lambda inv: Location("a/b", "Shop"), IE, "without '/'", "location-id"),
    case(lambda inv: Location("shop", " "), IE, "name must be 1 to 200", "location-name"),
    # ---- documents in the wrong state, or wrong lines
    case(
        lambda inv: inv.receive_order("PO-000001", {"MILK": 13}),
        SDE,
        r"PO-000001 line 1 \(MILK\): ordered 12, received 0; 13 more is 1 over: "
        r"pass allow_over=True",
        "po-over",
    ),
    case(
        lambda inv: inv.receive_order("PO-000003", {"MILK": 5}),
        SDE,
        "ordered 6, received 2; 5 more is 1 over",
        "po-over-partial",
    ),
    case(
        lambda inv: inv.receive_order("PO-000001", {"MILK": 2, "GUM": 1}),
        SDE,
        "'GUM' is not on PO-000001: pass allow_over=True",
        "po-not-ordered",
    ),
    case(
        lambda inv: inv.receive_order("PO-000002"),
        SDE,
        "cannot receive PO-000002: it is draft, not sent or partially_received",
        "po-rcv-draft",
    ),
    case(
        lambda inv: inv.set_order_line("PO-000001", "MILK", 20),
        SDE,
        "cannot change lines of PO-000001: it is sent, not draft",
        "po-change-sent",
    ),
    case(
        lambda inv: inv.send_order("PO-000001"), SDE, "cannot send PO-000001: it is sent", "resend"
    ),
    case(lambda inv: inv.send_order("PO-000004"), SDE, "PO-000004 has no lines", "send-empty"),
    case(
        lambda inv: inv.cancel_order("PO-000003"),
        SDE,
        "cannot cancel PO-000003: it is partially_received",
        "cancel-partial",
    ),
    case(
        lambda inv: inv.close_order("PO-000002"),
        SDE,
        "cannot close PO-000002: it is draft",
        "close",
    ),
    case(lambda inv: inv.receive_order("PO-999999"), SDE, "no purchase order PO-999999", "po-?"),
    case(lambda inv: inv.order(uuid.uuid4()), SDE, "no purchase order", "po-id-?"),
    case(
        lambda inv: inv.receive_transfer("TR-000002"), SDE, "TR-000002 was received already", "tr2"
    ),
    case(
        lambda inv: inv.receive_transfer("TR-000001", {"MILK": 4}),
        SDE,
        "TR-000001 sent 3 of 'MILK'; 4 cannot have arrived",
        "tr-over",
    ),
    case(
        lambda inv: inv.receive_transfer("TR-000001", {"BREAD": 1}),
        SDE,
        "BREAD not on TR-000001",
        "tr-not-sent",
    ),
    case(lambda inv: inv.transfer("TR-9"), SDE, "no transfer TR-9", "tr-?"),
    case(
        lambda inv: inv.record_count("CNT-000001", "GUM", 1),
        IE,
        r"'GUM' is not part of cycle count CNT-000001 \(BANANA, MILK\)",
        "count-outside-cycle",
    ),
    case(
        lambda inv: inv.scan_count("CNT-000001", "4820000000055"),
        IE,
        "'GUM' is not part of cycle count",
        "scan-outside-cycle",
    ),
    case(
        lambda inv: inv.record_count("CNT-000002", "MILK", 1),
        SDE,
        "CNT-000002 is finished; start a new count",
        "count-finished",
    ),
    case(
        lambda inv: inv.finish_count("CNT-000002"),
        SDE,
        "CNT-000002 is finished already",
        "refinish",
    ),
    case(lambda inv: inv.cancel_count("CNT-000002"), SDE, "is finished already", "cancel-finished"),
    case(lambda inv: inv.finish_count("CNT-9"), SDE, "no stock count CNT-9", "count-?"),
    case(lambda inv: inv.start_count(skus=[]), IE, "needs at least one item", "count-no-skus"),
    case(lambda inv: inv.release(uuid.uuid4()), IE, "no open reservation", "release-?"),
    case(lambda inv: inv.reserve("MILK", 1, reference=" "), IE, "needs a reference", "reserve-ref"),
    # ---- adjustments: the reason decides the sign; "other" needs a note
    case(
        lambda inv: inv.adjust("MILK", 2, reason="damage"),
        IE,
        r"damage adjustments are negative \(stock out\): give 'MILK' a quantity like -2",
        "damage-positive",
    ),
    case(
        lambda inv: inv.adjust("MILK", -2, reason="found"),
        IE,
        r"found adjustments are positive \(stock in\): give 'MILK' a quantity like 2",
        "found-negative",
    ),
    case(lambda inv: inv.adjust("MILK", 1, reason="theft"), IE, "theft adjustments", "theft+"),
    case(lambda inv: inv.adjust("MILK", 1, reason="expiry"), IE, "expiry adjustments", "expiry+"),
    case(
        lambda inv: inv.adjust("MILK", -1, reason="other"),
        IE,
        "reason 'other' needs a note",
        "other-no-note",
    ),
    case(
        lambda inv: inv.adjust("MILK", -1, reason="other", note="   "),
        IE,
        "needs a note",
        "other-blank-note",
    ),
    case(
        lambda inv: inv.adjust("MILK", -1, reason="stolen"),
        IE,
        "reason 'stolen' is not one of 'damage', 'theft'",
        "reason",
    ),
    # ---- a blocking item may not go below zero, whatever takes it out
    case(
        lambda inv: inv.adjust("BREAD", -3, reason="damage"),
        ISE,
        "'BREAD' at 'main': 3 wanted, 2 available",
        "block-adjust",
    ),
    case(
        lambda inv: inv.send_transfer("main", "wh", {"MILK": 1, "BREAD": 3}),
        ISE,
        "'BREAD' at 'main': 3 wanted, 2 available",
        "block-transfer",
    ),
    case(
        lambda inv: inv.reserve("BREAD", 3, reference="r"),
        ISE,
        "3 wanted, 2 available",
        "block-reserve",
    ),
    # ---- reorder rules
    case(
        lambda inv: inv.set_reorder_rule(
            "MILK", ReorderRule.fixed(reorder_point="2.5", order_up_to=10)
        ),
        IE,
        WHOLE + "; got 2.5",
        "rule-frac",
    ),
    case(
        lambda inv: inv.set_reorder_rule(
            "BANANA", ReorderRule.fixed(reorder_point="0.0000001", order_up_to=1)
        ),
        IE,
        GRAMS,
        "rule-kg",
    ),
    case(
        lambda inv: ReorderRule.fixed(reorder_point=10, order_up_to=5),
        IE,
        r"order_up_to \(5\) must be at least the reorder point \(10\)",
        "up-to-below-point",
    ),
    case(
        lambda inv: ReorderRule.fixed(reorder_point=-1, order_up_to=5),
        IE,
        "reorder_point cannot be negative, got -1",
        "point-negative",
    ),
    case(
        lambda inv: ReorderRule.fixed(reorder_point=1, order_up_to="x"),
        IE,
        "'x' is not a number",
        "up-to-text",
    ),
    case(
        lambda inv: ReorderRule.velocity(window_days=0),
        IE,
        "a velocity rule needs a window of at least one day",
        "window-0",
    ),
    case(
        lambda inv: ReorderRule.velocity(window_days=4000),
        IE,
        "window_days must be whole days from 0 to 3650, got 4000",
        "window-huge",
    ),
    case(
        lambda inv: ReorderRule.velocity(lead_time_days=-1),
        IE,
        "lead_time_days must be whole days",
        "lead-negative",
    ),
    case(
        lambda inv: ReorderRule.velocity(review_days=1.5),  # type: ignore[arg-type]
        IE,
        "review_days must be whole days",
        "review-float",
    ),
    case(
        lambda inv: ReorderRule.velocity(safety_stock="-2"),
        IE,
        "safety_stock cannot be negative",
        "safety-negative",
    ),
    case(
        lambda inv: ReorderRule(ReorderMethod.FIXED),
        IE,
        "a fixed reorder rule needs reorder_point and order_up_to",
        "fixed-without-points",
    ),
    # ---- suppliers
    case(
        lambda inv: inv.set_supplier_item(SupplierItem("nobody", "MILK")),
        IE,
        "unknown supplier 'nobody': add it with store.inventory.add_supplier",
        "supplier-unknown",
    ),
    case(
        lambda inv: inv.create_order("nobody", {"MILK": 1}),
        IE,
        "unknown supplier 'nobody'",
        "po-supplier-unknown",
    ),
    case(
        lambda inv: inv.set_supplier_item(SupplierItem("dairy", "MILK", pack_size="1.5")),
        IE,
        WHOLE,
        "pack-frac",
    ),
    case(
        lambda inv: inv.set_supplier_item(SupplierItem("dairy", "BANANA", min_order="0.0005")),
        IE,
        GRAMS,
        "min-order-kg",
    ),
    case(
        lambda inv: SupplierItem("dairy", "MILK", pack_size=0),
        IE,
        "pack_size must be more than zero",
        "pack-0",
    ),
    case(
        lambda inv: SupplierItem("dairy", "MILK", min_order=-1),
        IE,
        "min_order cannot be negative",
        "min-negative",
    ),
    case(
        lambda inv: SupplierItem("dairy", "MILK", unit_cost="-1"),
        IE,
        "a cost cannot be negative",
        "supplier-cost",
    ),
    case(lambda inv: Supplier("", "Nobody"), IE, "id must be 1 to 64 characters", "supplier-id"),
    # ---- lines: duplicates, shape, none at all
    case(
        lambda inv: inv.receive_stock([("MILK", 1), ("BREAD", 1), ("MILK", 2)]),
        IE,
        "'MILK' is given twice: put it on one line",
        "rcv-duplicate",
    ),
    case(
        lambda inv: inv.create_order("dairy", [("MILK", 1), ("MILK", 2)]),
        IE,
        "'MILK' is given twice",
        "po-duplicate",
    ),
    case(
        lambda inv: inv.receive_stock([("MILK",)]),  # type: ignore[list-item]
        IE,
        r"a line is \(sku, quantity\) or \(sku, quantity, cost\)",
        "line-shape",
    ),
    case(lambda inv: inv.receive_stock({}), IE, "no lines", "rcv-no-lines"),
    case(lambda inv: inv.create_order("dairy", []), IE, "no lines", "po-no-lines"),
    case(lambda inv: inv.send_transfer("main", "wh", {}), IE, "no lines", "tr-no-lines"),
]


@pytest.mark.parametrize(("run", "error", "match"), CASES)
def test_bad_input_is_refused_with_a_clear_message_and_changes_nothing(
    shared_shop: Store, run: Case, error: type[Exception], match: str
) -> None:
    before = state(shared_shop)

    with pytest.raises(error, match=match):
        run(shared_shop.inventory)

    assert state(shared_shop) == before


def test_a_refused_document_does_not_use_up_a_number(shop: Store) -> None:
    inv = shop.inventory
    with pytest.raises(InsufficientStockError):
        inv.send_transfer("main", "wh", {"BREAD": 5})

    assert inv.send_transfer("main", "wh", {"BREAD": 1}).number == "TR-000004"


@pytest.mark.parametrize(
    "run",
    [
        pytest.param(lambda inv: inv.adjust("BREAD", -3, reason="damage"), id="adjust"),
        pytest.param(
            lambda inv: inv.send_transfer("main", "wh", {"MILK": 2, "BREAD": 3}), id="transfer"
        ),
        pytest.param(lambda inv: inv.reserve("BREAD", 3, reference="r"), id="reserve"),
    ],
)
def test_a_refusal_after_the_first_writes_leaves_nothing_on_any_database(
    open_store: OpenStore, store_url: str, run: Case
) -> None:
    """The stock was already moved in the transaction when the blocking check refused it."""
    store = open_store(store_url)
    build_shop(store)
    before = state(store)

    with pytest.raises(InsufficientStockError, match="'BREAD' at 'main': 3 wanted, 2 available"):
        run(store.inventory)

    assert state(store) == before


@pytest.mark.parametrize("allow", [False, True])
def test_receiving_more_than_ordered_needs_allow_over(shop: Store, allow: bool) -> None:
    inv = shop.inventory
    before = state(shop)
    if not allow:
        with pytest.raises(StockDocumentError, match="1 over: pass allow_over=True"):
            inv.receive_order("PO-000001", {"MILK": 13, "BREAD": 6})
        assert state(shop) == before
    else:
        po = inv.receive_order("PO-000001", {"MILK": 13, "BREAD": 6}, allow_over=True)
        assert [(ln.sku, ln.received, ln.over) for ln in po.lines] == [
            ("MILK", Decimal(13), Decimal(1)),
            ("BREAD", Decimal(6), Decimal(0)),
        ]


def test_finishing_a_count_that_would_take_a_blocking_item_below_zero_is_refused(
    shop: Store,
) -> None:
    inv = shop.inventory
    count = inv.start_count(skus=["BREAD"])
    inv.record_count(count.id, "BREAD", 1)  # the books say 2
    inv.adjust("BREAD", -2, reason="expiry")  # both taken out since: 0 left
    before = state(shop)

    with pytest.raises(InventoryError, match="more was sold since it was counted"):
        inv.finish_count(count.id)

    assert state(shop) == before
    assert inv.count(count.id).status.value == "open"
    inv.record_count(count.id, "BREAD", 0)  # recounted: nothing on the shelf, as the books say
    assert inv.finish_count(count.id).lines[0].difference == 0
    assert inv.on_hand("BREAD") == 0


def test_an_unknown_sku_in_a_cycle_count_scope_starts_nothing(shop: Store) -> None:
    before = state(shop)
    with pytest.raises(ProductNotFoundError):
        shop.inventory.start_count(skus=["NOPE"])
    assert state(shop) == before
    assert shop.inventory.start_count().number == "CNT-000003"


def test_a_document_passed_itself_is_taken_by_its_id_and_garbage_is_named(shop: Store) -> None:
    inv = shop.inventory
    count = inv.start_count(skus=["MILK"])
    line = inv.record_count(count, "MILK", 19)  # type: ignore[arg-type]
    assert line.counted == Decimal(19)
    assert inv.count(count).id == count.id  # type: ignore[arg-type]
    with pytest.raises(StockDocumentError, match="named by its id or number, got 42"):
        inv.record_count(42, "MILK", 1)  # type: ignore[arg-type]


def test_reports_of_an_unknown_location_name_it(shop: Store) -> None:
    with pytest.raises(InventoryError, match="unknown location 'moon'"):
        shop.inventory.valuation("moon")
    with pytest.raises(InventoryError, match="unknown location 'moon'"):
        shop.inventory.suggest_orders(location="moon")
    assert shop.inventory.valuation("old").lines == ()  # an inactive one can still be read
