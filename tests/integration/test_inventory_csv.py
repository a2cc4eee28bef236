"""Items, stock levels and suppliers to and from CSV: round trips, every problem of a bad file
reported at once with its line and column, and nothing of a bad file imported.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk import Store, hookimpl
from possdk.core._decimal import EXACT
from possdk.errors import CsvImportError, InventoryError, PluginError
from possdk.inventory import (
    Location,
    MovementKind,
    NegativeStock,
    ReorderRule,
    StockItem,
    Supplier,
    SupplierItem,
)
from possdk.storage import JournalEntry
from tests.conftest import make_store
from tests.integration.conftest import OpenStore

LEVELS_HEADER = "sku,location,on_hand,reorder_point,order_up_to\n"
ITEMS_HEADER = "sku,tracked,negative_stock,average_cost\n"
SUPPLIERS_HEADER = (
    "supplier_id,supplier_name,contact,sku,supplier_code,unit_cost,pack_size,min_order,preferred\n"
)
EACH_SKUS = ("BOOK", "BREAD", "CIGS", "COFFEE", "GUM", "MILK")
KG_SKUS = ("BANANA", "CHEESE")


def journal(store: Store) -> list[JournalEntry]:
    return store._read(lambda uow: list(uow.journal_entries()))


def with_locations(store: Store) -> Store:
    store.inventory.add_location(Location("backroom", "Back room"))
    store.inventory.add_location(Location("old", "Old shop", active=False))
    return store


@pytest.fixture
def shop() -> Any:
    s = with_locations(make_store())
    yield s
    s.close()


def problems_of(call: Any, *args: Any) -> list[tuple[int, str, str]]:
    with pytest.raises(CsvImportError) as caught:
        call(*args)
    return caught.value.problems


def where(problems: list[tuple[int, str, str]]) -> list[tuple[int, str]]:
    return [(line, column) for line, column, _ in problems]


def trade(store: Store) -> None:
    """Stock that went through the ledger the usual ways, with rules of both kinds."""
    inv = store.inventory
    inv.receive_stock([("COFFEE", 12, "95.50"), ("BANANA", "7.250", "31.20")])
    inv.receive_stock([("MILK", 30, None), ("CHEESE", "2.125", None)], location="backroom")
    inv.adjust("MILK", -2, reason="damage", location="backroom")
    inv.adjust("GUM", -3, reason="theft")  # sold without stock on the books: below zero
    inv.reserve("COFFEE", 2, reference="web-1")
    inv.set_reorder_rule("COFFEE", ReorderRule.fixed(reorder_point=4, order_up_to=20))
    inv.set_reorder_rule(
        "BANANA", ReorderRule.fixed(reorder_point="1.5", order_up_to="10.250"), location="backroom"
    )
    inv.set_reorder_rule("MILK", ReorderRule.velocity(safety_stock=6), location="backroom")


# ---- stock levels: what an import does ----------------------------------------------


def test_import_sets_on_hand_by_count_movements_of_the_difference(shop: Store) -> None:
    inv = shop.inventory
    inv.receive_stock({"COFFEE": 5})
    before = len(journal(shop))

    text = LEVELS_HEADER + "COFFEE,main,8,,\nBANANA,backroom,1.250,,\nGUM,main,0,,\n"
    assert inv.import_levels(text) == 3

    assert inv.on_hand("COFFEE") == 8
    assert inv.on_hand("BANANA", "backroom") == Decimal("1.25")
    imported = [m for m in inv.movements() if m.reason == "import"]
    assert [(m.sku, m.location_id, m.kind, m.quantity, m.line_no) for m in imported] == [
        ("BANANA", "backroom", MovementKind.COUNT, Decimal("1.25"), 3),
        ("COFFEE", "main", MovementKind.COUNT, Decimal(3), 2),
    ]
    assert len({m.document_id for m in imported}) == 1  # one import, one document id
    entries = journal(shop)
    assert len(entries) == before + 1
    assert [e.type for e in entries if e.type == "StockImported"] == ["StockImported"]
    assert inv.check().ok


def test_importing_the_same_levels_twice_writes_no_second_movements(shop: Store) -> None:
    inv = shop.inventory
    text = LEVELS_HEADER + "COFFEE,main,8,2,10\nCHEESE,backroom,0.5,,\n"
    inv.import_levels(text)
    movements, entries = inv.movements(), journal(shop)

    assert inv.import_levels(text) == 2

    assert inv.movements() == movements
    assert journal(shop) == entries
    assert inv.level("COFFEE").reorder_point == 2


def test_reorder_cells_set_a_fixed_rule_and_empty_ones_keep_the_rule(shop: Store) -> None:
    inv = shop.inventory
    inv.set_reorder_rule("MILK", ReorderRule.fixed(reorder_point=3, order_up_to=12))
    inv.import_levels(LEVELS_HEADER + "MILK,main,10,,\nBREAD,main,10,5,30\n")

    assert (inv.level("MILK").reorder_point, inv.level("MILK").order_up_to) == (
        Decimal(3),
        Decimal(12),
    )
    assert (inv.level("BREAD").reorder_point, inv.level("BREAD").order_up_to) == (
        Decimal(5),
        Decimal(30),
    )

    inv.import_levels("sku,location,on_hand\nBREAD,main,4\n")  # no reorder columns at all
    assert inv.level("BREAD").reorder_point == 5
    assert inv.level("BREAD").low  # 4 is at or below the point of 5


def test_a_level_imported_below_its_new_reorder_point_is_low(shop: Store) -> None:
    inv = shop.inventory
    inv.import_levels(LEVELS_HEADER + "BREAD,main,2,5,30\nMILK,main,0,5,30\n")
    assert inv.level("BREAD").low
    assert inv.level("MILK").low
    assert [line.sku for s in inv.suggest_orders() for line in s.lines] == ["BREAD", "MILK"]


# ---- round trips ----------------------------------------------------------------------


def test_levels_round_trip_into_a_fresh_store(shop: Store, tmp_path: Path) -> None:
    trade(shop)
    path = tmp_path / "levels.csv"
    text = shop.inventory.export_levels(path)

    assert path.read_text(encoding="utf-8") == text
    assert text == (
        LEVELS_HEADER + "BANANA,backroom,0,1.5,10.25\n"
        "BANANA,main,7.25,,\n"
        "CHEESE,backroom,2.125,,\n"
        "COFFEE,main,12,4,20\n"
        "GUM,main,-3,,\n"
        "MILK,backroom,28,,\n"  # a velocity rule's points are computed, not exported
    )
    with with_locations(make_store()) as fresh:
        assert fresh.inventory.import_levels(path) == 6
        assert fresh.inventory.export_levels() == text
        for level in shop.inventory.levels():
            if level.sku == "MILK":
                continue  # its velocity rule stays behind
            copy = fresh.inventory.level(level.sku, level.location_id)
            assert (copy.on_hand, copy.reorder_point, copy.order_up_to) == (
                level.on_hand,
                level.reorder_point,
                level.order_up_to,
            )
        assert fresh.inventory.check().ok


def test_export_of_one_location(shop: Store) -> None:
    trade(shop)
    assert shop.inventory.export_levels(location="backroom") == (
        LEVELS_HEADER + "BANANA,backroom,0,1.5,10.25\nCHEESE,backroom,2.125,,\nMILK,backroom,28,,\n"
    )
    with pytest.raises(InventoryError, match="unknown location 'nowhere'"):
        shop.inventory.export_levels(location="nowhere")


def test_items_round_trip_into_a_fresh_store(shop: Store) -> None:
    inv = shop.inventory
    trade(shop)
    inv.set_item("CIGS", negative="block")
    inv.set_item("BOOK", tracked=False, negative="warn", average_cost="120.5")
    text = inv.export_items()
    assert text.splitlines()[:3] == [
        ITEMS_HEADER.strip(),
        "BANANA,yes,allow,31.2",
        "BOOK,no,warn,120.5",
    ]

    with make_store() as fresh:
        assert fresh.inventory.import_items(text) == 8
        assert fresh.inventory.export_items() == text
        for product in shop.catalog:
            kept, copy = inv.item(product.sku), fresh.inventory.item(product.sku)
            assert (copy.tracked, copy.negative, copy.average_cost) == (
                kept.tracked,
                kept.negative,
                kept.average_cost,
            )
        entries = journal(fresh)
        assert fresh.inventory.import_items(text) == 8  # nothing changed: nothing written
        assert journal(fresh) == entries


def test_empty_item_cells_keep_what_is_set(shop: Store) -> None:
    inv = shop.inventory
    inv.set_item("CIGS", tracked=True, negative="block", average_cost="50")
    inv.import_items("sku,negative_stock\nCIGS,\nGUM,WARN\n")
    assert inv.item("CIGS") == StockItem("CIGS", True, NegativeStock.BLOCK, Decimal(50))
    assert inv.item("GUM").negative is NegativeStock.WARN
    inv.import_items(ITEMS_HEADER + "CIGS,no,,\n")
    assert inv.item("CIGS") == StockItem("CIGS", False, NegativeStock.BLOCK, Decimal(50))


def test_suppliers_round_trip_into_a_fresh_store(shop: Store) -> None:
    inv = shop.inventory
    inv.add_supplier(Supplier("dairy", "Dairy Co, Kyiv", 'orders@dairy.example "24/7"'))
    inv.add_supplier(Supplier("farm", "Green Farm"))
    inv.add_supplier(Supplier("new", "Not ordered from yet"))
    inv.set_supplier_item(SupplierItem("dairy", "MILK", "M-1L", "21.50", 12, 24, True))
    inv.set_supplier_item(SupplierItem("dairy", "CHEESE", "CH", "310.125", "2.5"))
    inv.set_supplier_item(SupplierItem("farm", "BANANA", unit_cost=None))
    text = inv.export_suppliers()
    assert text == (
        SUPPLIERS_HEADER + 'dairy,"Dairy Co, Kyiv","orders@dairy.example ""24/7""",CHEESE,CH,'
        "310.125,2.5,0,no\n"
        'dairy,"Dairy Co, Kyiv","orders@dairy.example ""24/7""",MILK,M-1L,21.50,12,24,yes\n'
        "farm,Green Farm,,BANANA,,,1,0,no\n"
        "new,Not ordered from yet,,,,,,,\n"
    )

    with make_store() as fresh:
        assert fresh.inventory.import_suppliers(io.StringIO(text)) == 4
        assert fresh.inventory.suppliers() == inv.suppliers()
        assert fresh.inventory.supplier_items() == inv.supplier_items()
        assert fresh.inventory.export_suppliers() == text
        entries = journal(fresh)
        assert [e.type for e in entries].count("SuppliersImported") == 1
        fresh.inventory.import_suppliers(text)
        assert journal(fresh) == entries


def test_suppliers_import_replaces_the_rows_it_names_and_keeps_the_rest(shop: Store) -> None:
    inv = shop.inventory
    inv.add_supplier(Supplier("dairy", "Dairy Co"))
    inv.set_supplier_item(SupplierItem("dairy", "MILK", "M-1", "20", 12))
    inv.set_supplier_item(SupplierItem("dairy", "CHEESE", "CH", "300"))
    inv.import_suppliers(SUPPLIERS_HEADER + "dairy,Dairy Co,,MILK,M-2,22.10,6,,yes\n")
    assert inv.supplier_items(sku="MILK") == (
        SupplierItem("dairy", "MILK", "M-2", "22.10", 6, 0, True),
    )
    assert inv.supplier_items(sku="CHEESE")[0].unit_cost == 300


# ---- sources ---------------------------------------------------------------------------


def test_a_path_a_text_file_a_binary_file_and_a_spreadsheet_byte_order_mark(
    shop: Store, tmp_path: Path
) -> None:
    inv = shop.inventory
    path = tmp_path / "levels.csv"
    path.write_bytes(("\ufeff" + LEVELS_HEADER + "COFFEE,main,3,,\r\n").encode("utf-8"))
    assert inv.import_levels(path) == 1
    assert inv.import_levels(str(path)) == 1
    with open(path, encoding="utf-8-sig", newline="") as f:
        assert inv.import_levels(f) == 1
    with open(path, "rb") as f:
        assert inv.import_levels(f) == 1
    assert inv.on_hand("COFFEE") == 3
    assert len(inv.movements()) == 1


def test_a_header_without_rows_imports_nothing(shop: Store) -> None:
    entries = journal(shop)
    assert shop.inventory.import_levels(LEVELS_HEADER) == 0
    assert shop.inventory.import_items(ITEMS_HEADER) == 0
    assert shop.inventory.import_suppliers(SUPPLIERS_HEADER) == 0
    assert journal(shop) == entries


# ---- malformed files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "line", "column", "message"),
    [
        ("NOPE,main,1,,", 2, "sku", "no product 'NOPE' in the catalog"),
        (",main,1,,", 2, "sku", "sku is empty"),
        ("COFFEE,nowhere,1,,", 2, "location", "unknown location 'nowhere'"),
        ("COFFEE,old,1,,", 2, "location", "location 'old' is inactive"),
        ("COFFEE,main,1.5,,", 2, "on_hand", "'COFFEE' is counted in whole units"),
        ("BANANA,main,1.2345,,", 2, "on_hand", "at most 3 decimals"),
        ("COFFEE,main,ten,,", 2, "on_hand", "'ten' is not a number"),
        ("COFFEE,main,,,", 2, "on_hand", "on_hand is empty"),
        ("COFFEE,main,1,-1,5", 2, "reorder_point", "cannot be negative"),
        ("COFFEE,main,1,2,", 2, "order_up_to", "give reorder_point and order_up_to together"),
        ("COFFEE,main,1,,2", 2, "reorder_point", "give reorder_point and order_up_to together"),
        ("COFFEE,main,1,9,5", 2, "order_up_to", "must be at least the reorder point"),
        ("COFFEE,main,1,0.5,5", 2, "reorder_point", "whole units"),
        ("COFFEE,main,1,,,7", 2, "column 6", "'7' is in a column without a name"),
        ("COFFEE,main,1,,\nCOFFEE,main,2,,", 3, "sku", "is on line 2 already"),
    ],
)
def test_each_bad_level_cell_is_named(
    shop: Store, rows: str, line: int, column: str, message: str
) -> None:
    problems = problems_of(shop.inventory.import_levels, LEVELS_HEADER + rows + "\n")
    assert where(problems) == [(line, column)]
    assert message in problems[0][2]


def test_a_blocking_item_cannot_be_imported_below_zero(shop: Store) -> None:
    inv = shop.inventory
    inv.set_item("CIGS", negative="block")
    inv.receive_stock({"CIGS": 5})
    inv.reserve("CIGS", 3, reference="web-1")
    problems = problems_of(inv.import_levels, LEVELS_HEADER + "CIGS,main,2,,\nCIGS,backroom,-1,,\n")
    assert problems == [
        (
            2,
            "on_hand",
            "'CIGS' may not go below zero (its negative_stock is 'block'): "
            "2 on hand with 3 reserved leaves -1 available",
        ),
        (
            3,
            "on_hand",
            "'CIGS' may not go below zero (its negative_stock is 'block'): "
            "-1 on hand leaves -1 available",
        ),
    ]
    inv.import_levels(LEVELS_HEADER + "CIGS,main,3,,\nGUM,main,-1,,\n")  # allowed: no error
    assert (inv.on_hand("CIGS"), inv.on_hand("GUM")) == (Decimal(3), Decimal(-1))


@pytest.mark.parametrize(
    ("text", "problems"),
    [
        ("", [(1, "")]),
        ("\n\n", [(1, "")]),
        ("sku,on_hand\n", [(1, "location")]),
        ("sku,location,on_hand,shelf\n", [(1, "shelf")]),
        ("sku,location,on_hand,SKU\n", [(1, "sku")]),
        ("sku;location;on_hand\nCOFFEE;main;1\n", [(1, "")]),
        ("Sku , LOCATION,on_hand,colour,size\nNOPE,x,y\n", [(1, "colour"), (1, "size")]),
    ],
)
def test_a_bad_header_is_reported_on_line_one(
    shop: Store, text: str, problems: list[tuple[int, str]]
) -> None:
    assert where(problems_of(shop.inventory.import_levels, text)) == problems


def test_header_messages_say_what_to_do(shop: Store) -> None:
    [(_, _, empty)] = problems_of(shop.inventory.import_levels, "")
    assert "the file is empty: line 1 must be the header" in empty
    [(_, _, extra)] = problems_of(shop.inventory.import_levels, "sku,location,on_hand,shelf\n")
    assert extra.startswith("unknown column 'shelf': a stock levels CSV has the columns sku,")
    [(_, _, missing)] = problems_of(shop.inventory.import_items, "tracked\n")
    assert missing == "missing column 'sku': add it to the header"
    [(_, _, semicolons)] = problems_of(shop.inventory.import_levels, "sku;location;on_hand\n")
    assert "separated by semicolons" in semicolons


def test_a_file_that_is_not_utf8_is_refused_at_its_line(shop: Store, tmp_path: Path) -> None:
    path = tmp_path / "levels.csv"
    path.write_bytes(LEVELS_HEADER.encode() + b"COFFEE,main,1,,\nCAF\xc9,main,1,,\n")
    problems = problems_of(shop.inventory.import_levels, path)
    assert where(problems) == [(3, "")]
    assert "not UTF-8" in problems[0][2]


def test_broken_quoting_is_reported_at_its_row(shop: Store) -> None:
    text = LEVELS_HEADER + 'COFFEE,main,1,,\nMILK,"main"x,2,,\n'
    problems = problems_of(shop.inventory.import_levels, text)
    assert problems == [(3, "", "not readable as CSV: ',' expected after '\"'")]
    assert shop.inventory.movements() == ()


def test_every_problem_of_a_file_is_reported_at_once_in_spreadsheet_lines(shop: Store) -> None:
    text = (
        "sku,location,on_hand,reorder_point,order_up_to\n"  # 1
        "COFFEE,main,5,,\n"  # 2 good
        "NOPE,nowhere,1,,\n"  # 3 two problems
        "\n"  # 4 blank: still a row of the spreadsheet
        "BANANA,main,1.0001,x,\n"  # 5 two problems
        "COFFEE,main,6,,\n"  # 6 duplicate of line 2
        "MILK,old,-1.5,3,1\n"  # 7 three problems
    )
    problems = problems_of(shop.inventory.import_levels, text)
    assert where(problems) == [
        (3, "sku"),
        (3, "location"),
        (5, "on_hand"),
        (5, "reorder_point"),
        (6, "sku"),
        (7, "location"),
        (7, "on_hand"),
        (7, "order_up_to"),
    ]
    with pytest.raises(CsvImportError, match=r"stock levels CSV: 8 bad row\(s\), nothing imported"):
        shop.inventory.import_levels(text)


def test_a_quoted_cell_over_two_lines_is_one_spreadsheet_row(shop: Store) -> None:
    text = (
        SUPPLIERS_HEADER + 'dairy,Dairy Co,"call Olena\nbefore 10",MILK,M-1,21.50,12,24,yes\n'
        "dairy,Dairy Co,x,NOPE,,,,,maybe\n"
    )
    problems = problems_of(shop.inventory.import_suppliers, text)
    assert where(problems) == [(3, "contact"), (3, "sku"), (3, "preferred")]
    assert problems[0][2].startswith("supplier 'dairy' has the contact 'call Olena\\nbefore 10'")
    assert problems[2][2] == "preferred must be yes or no (or true/false, 1/0), got 'maybe'"


def test_bad_item_rows_are_all_reported(shop: Store) -> None:
    text = ITEMS_HEADER + (
        "COFFEE,maybe,sometimes,-1\n"  # 2
        "MILK,yes,allow,12.1234567\n"  # 3
        "BREAD,YES,Block,abc\n"  # 4
        "COFFEE,no,warn,\n"  # 5 duplicate
        "NOPE,no,warn,\n"  # 6
    )
    problems = problems_of(shop.inventory.import_items, text)
    assert problems == [
        (2, "tracked", "tracked must be yes or no (or true/false, 1/0), got 'maybe'"),
        (2, "negative_stock", "negative_stock must be one of allow, warn, block, got 'sometimes'"),
        (2, "average_cost", "average_cost cannot be negative, got '-1'"),
        (3, "average_cost", "average_cost has more than 6 decimals ('12.1234567'); round it first"),
        (4, "average_cost", "average_cost 'abc' is not a number; write it like '12.50'"),
        (5, "sku", "'COFFEE' is on line 2 already: keep one row per item"),
        (6, "sku", "no product 'NOPE' in the catalog: fix the SKU or add the product"),
    ]


def test_bad_supplier_rows_are_all_reported(shop: Store) -> None:
    text = SUPPLIERS_HEADER + (
        "dairy,Dairy Co,,MILK,M-1,21.50,0,,yes\n"  # 2 pack of zero
        "dairy,Dairy Ltd,,CHEESE,,,,0.5,\n"  # 3 another name; min_order in kg is fine
        "dairy,Dairy Co,,MILK,M-1,21.50,12,,\n"  # 4 duplicate
        "a/b,,,,X,1,,,\n"  # 5 bad id, no name, item fields without a sku
        "fresh,Fresh,,COFFEE,,,1.5,2.5,\n"  # 6 pieces
        "fresh,Fresh,,,,,,,\n"  # 7 the supplier alone: fine
        "fresh,Fresh,,,,,,,\n"  # 8 ... but only once
    )
    problems = problems_of(shop.inventory.import_suppliers, text)
    assert where(problems) == [
        (2, "pack_size"),
        (3, "supplier_name"),
        (4, "sku"),
        (5, "supplier_id"),
        (5, "supplier_name"),
        (5, "supplier_code"),
        (5, "unit_cost"),
        (6, "pack_size"),
        (6, "min_order"),
        (8, "supplier_id"),
    ]
    assert problems[1][2] == (
        "supplier 'dairy' is named 'Dairy Co' on line 2: "
        "every row of a supplier gives the same name"
    )


def test_one_bad_row_among_good_ones_imports_nothing(shop: Store) -> None:
    inv = shop.inventory
    trade(shop)
    levels, movements, entries = inv.levels(), inv.movements(), journal(shop)
    items = [inv.item(p.sku) for p in shop.catalog]
    suppliers = (inv.suppliers(), inv.supplier_items())
    good = "".join(f"{sku},main,{n},1,50\n" for n, sku in enumerate(EACH_SKUS, 1))

    with pytest.raises(CsvImportError) as caught:
        inv.import_levels(LEVELS_HEADER + good + "BANANA,main,-0.0001,,\n")
    assert where(caught.value.problems) == [(8, "on_hand")]
    with pytest.raises(CsvImportError):
        inv.import_items(ITEMS_HEADER + "COFFEE,no,block,\nMILK,no,never,\n")
    with pytest.raises(CsvImportError):
        inv.import_suppliers(SUPPLIERS_HEADER + "s1,One,,MILK,,,,,\ns2,Two,,MILK,,-3,,,\n")

    assert inv.levels() == levels
    assert inv.movements() == movements
    assert journal(shop) == entries
    assert [inv.item(p.sku) for p in shop.catalog] == items
    assert (inv.suppliers(), inv.supplier_items()) == suppliers


class FailingSigner:
    """A fiscal signer that refuses once armed: the import's transaction must roll back."""

    def __init__(self) -> None:
        self.armed = False

    @hookimpl
    def possdk_journal_sign(self, entry: JournalEntry) -> str | None:
        if self.armed:
            raise RuntimeError("the fiscal device is unplugged")
        return None


def test_when_the_write_fails_nothing_of_the_import_stays() -> None:
    signer = FailingSigner()
    with make_store(plugins=(signer,)) as store:
        inv = store.inventory
        inv.receive_stock({"COFFEE": 5})
        levels, movements, entries = inv.levels(), inv.movements(), journal(store)
        signer.armed = True
        with pytest.raises(PluginError):
            inv.import_levels(LEVELS_HEADER + "COFFEE,main,9,2,20\nMILK,main,4,,\n")
        with pytest.raises(PluginError):
            inv.import_items(ITEMS_HEADER + "COFFEE,no,block,1\n")
        with pytest.raises(PluginError):
            inv.import_suppliers(SUPPLIERS_HEADER + "dairy,Dairy,,MILK,,,,,\n")
        signer.armed = False
        assert inv.levels() == levels
        assert inv.movements() == movements
        assert journal(store) == entries
        assert inv.item("COFFEE") == StockItem("COFFEE")
        assert inv.suppliers() == ()
        assert inv.check().ok


# ---- every backend -------------------------------------------------------------------------


def test_levels_import_on_every_backend(store_url: str, open_store: OpenStore) -> None:
    store = open_store(store_url)
    inv = store.inventory
    inv.add_location(Location("backroom", "Back room"))
    inv.set_item("CIGS", negative="block")
    inv.receive_stock({"COFFEE": 5, "CIGS": 2})
    text = LEVELS_HEADER + (
        "COFFEE,main,8,2,20\nCIGS,main,1,,\nCHEESE,backroom,1.125,0.5,3\nGUM,backroom,-2,,\n"
    )

    assert inv.import_levels(text) == 4
    assert inv.import_levels(text) == 4  # a second time writes nothing

    assert inv.export_levels() == LEVELS_HEADER + (
        "CHEESE,backroom,1.125,0.5,3\nCIGS,main,1,,\nCOFFEE,main,8,2,20\nGUM,backroom,-2,,\n"
    )
    assert len([m for m in inv.movements() if m.reason == "import"]) == 4
    assert [e.type for e in journal(store)].count("StockImported") == 1
    assert inv.check().ok

    entries, movements = journal(store), inv.movements()
    with pytest.raises(CsvImportError):
        inv.import_levels(LEVELS_HEADER + "COFFEE,main,50,,\nCIGS,main,-1,,\n")
    assert (journal(store), inv.movements()) == (entries, movements)
    assert inv.on_hand("COFFEE") == 8


# ---- the property ------------------------------------------------------------------------


def plain(value: Decimal) -> str:
    return format(value.normalize(EXACT), "f")


@st.composite
def level_tables(draw: st.DrawFn) -> str:
    """A valid stock levels file in export form: sorted, plain numbers, no empty rows."""
    keys = draw(
        st.lists(
            st.tuples(st.sampled_from(EACH_SKUS + KG_SKUS), st.sampled_from(["backroom", "main"])),
            unique=True,
            max_size=12,
        )
    )
    rows = []
    for sku, location in sorted(keys):
        step = Decimal("0.001") if sku in KG_SKUS else Decimal(1)
        on_hand = EXACT.multiply(step, Decimal(draw(st.integers(-(10**6), 10**7))))
        rule = draw(st.none() | st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)))
        if rule is None and not on_hand:
            on_hand = step
        if rule is None:
            rows.append(f"{sku},{location},{plain(on_hand)},,\n")
        else:
            point, up_to = (EXACT.multiply(step, Decimal(n)) for n in sorted(rule))
            rows.append(f"{sku},{location},{plain(on_hand)},{plain(point)},{plain(up_to)}\n")
    return LEVELS_HEADER + "".join(rows)


@given(table=level_tables())
def test_export_of_an_imported_level_table_reproduces_it(table: str) -> None:
    with make_store() as store:
        store.inventory.add_location(Location("backroom", "Back room"))
        store.inventory.import_levels(table)
        assert store.inventory.export_levels() == table
        assert store.inventory.check().ok
