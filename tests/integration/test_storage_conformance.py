"""The storage conformance suite: the same behaviour on memory, SQLite and PostgreSQL.

Every test runs on the three backends of ``store_url``. Where a test
restarts the till (closes the store and opens it again from what is kept),
the in-memory store is simply kept open: it checks the same behaviour
without the restart, which it cannot survive.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

import attrs
import pytest
import sqlalchemy as sa

from possdk import (
    Action,
    BarcodeLayouts,
    CashRounding,
    CashRoundingPolicy,
    Catalog,
    MeasureKind,
    Money,
    Operator,
    Product,
    Receipt,
    RegisterSession,
    Role,
    RoundingMode,
    Sale,
    SaleState,
    Settings,
    Store,
    TaxCategory,
    TaxMode,
    TaxPolicy,
    TaxRounding,
    Unit,
    VariableMeasureLayout,
    hookimpl,
)
from possdk.errors import PluginError, ReturnError, SaleError
from tests.conftest import CASHIER, SUPERVISOR, VAT7, VAT20, make_catalog
from tests.integration.conftest import OpenStore, is_memory

# ---- helpers -----------------------------------------------------------------------


def restart(store: Store, url: str, open_store: OpenStore) -> Store:
    """Close the store and open it again from the database, as a restarted till does.

    An in-memory store would lose everything, so it is kept as it is.
    """
    if is_memory(url):
        return store
    store.close()
    return open_store(url, new=False)


def other_store(store: Store, url: str, open_store: OpenStore) -> Store:
    """A second Store object on the same database (the same object for memory)."""
    return store if is_memory(url) else open_store(url, new=False)


def sql(store: Store, statement: str, **params: Any) -> list[sa.Row[Any]]:
    """Rows of a raw SQL query against the store's own database."""
    with store.backend.unit_of_work(write=False) as uow:
        return list(uow.conn.execute(sa.text(statement), params))  # type: ignore[attr-defined]


def count(store: Store, table: str) -> int:
    return int(sql(store, f"SELECT count(*) FROM {table}")[0][0])


def counts(store: Store) -> dict[str, int]:
    tables = ("sales", "sale_lines", "sale_taxes", "tenders", "journal", "suspended_sales")
    return {t: count(store, t) for t in tables}


def sell(
    session: RegisterSession,
    items: Sequence[tuple[str, int | str]] = (("BREAD", 1),),
    kind: str = "card",
    given: str | None = None,
) -> Receipt:
    sale = session.new_sale()
    for sku, qty in items:
        sale.add(sku, qty)
    sale.pay(kind, given)
    return sale.complete()


def open_till(store: Store, register: str = "till-1", **kwargs: Any) -> RegisterSession:
    kwargs.setdefault("operator", "cashier")
    kwargs.setdefault("opening_float", "500.00")
    return store.register(register).open_session(**kwargs)


# ---- settings, catalog, operators --------------------------------------------------


def test_settings_survive_a_restart_and_new_ones_replace_them(store_url, open_store):
    chosen = Settings(
        currency="UAH",
        locale="uk_UA",
        tax=TaxPolicy(TaxMode.EXCLUSIVE, TaxRounding.PER_DOCUMENT, RoundingMode.HALF_EVEN),
        cash_rounding=CashRoundingPolicy({"UAH": CashRounding("0.50")}),
        receipt_header=("ТОВ «Кава»", "вул. Хрещатик, 1", "ЄДРПОУ 12345678"),
        receipt_width=32,
        timezone="Europe/Kyiv",
    )
    store = open_store(store_url, settings=chosen)
    store = restart(store, store_url, open_store)
    assert store.settings == chosen
    assert store.cash_rounding == chosen.cash_rounding

    changed = attrs.evolve(chosen, receipt_width=48, timezone="UTC", cash_rounding=None)
    if is_memory(store_url):
        store.close()
        store = open_store(store_url, settings=changed)
    else:
        store.close()
        store = open_store(store_url, new=False, settings=changed)
        store = restart(store, store_url, open_store)
    assert store.settings == changed
    # No explicit rounding any more: the national default for UAH (0.10) applies again.
    assert store.cash_rounding.for_currency("UAH") == CashRounding("0.10")


def extra_products() -> list[Product]:
    return [
        Product(
            "TSHIRT-L",
            "T-shirt, blue, L",
            Money("399.00", "UAH"),
            "standard",
            barcodes=["4820000000062", "012345678905", "14820000000106"],
            parent_sku="TSHIRT",
            attributes={"size": "L", "colour": "blue", "brand": "Кобзар"},
        ),
        Product(
            "FABRIC",
            "Linen fabric",
            Money("120.55", "UAH"),
            "reduced",
            unit=Unit.METRE,
            quantity_decimals=1,
            plu="00789",
        ),
        Product(
            "OLD",
            "Discontinued",
            Money("1.00", "UAH"),
            "exempt",
            barcodes=["12345670"],
            active=False,
        ),
        Product("PRICEY", "Fine-priced item", Money("0.125", "UAH"), "standard"),
    ]


def test_catalog_survives_a_restart_exactly(store_url, open_store):
    catalog = make_catalog()
    catalog.add_tax_category(TaxCategory("mixed", [VAT7, VAT20], "Two rates"))
    catalog.add_many(extra_products())
    expected = {p.sku: p for p in catalog}
    store = open_store(store_url, catalog=catalog)
    store = restart(store, store_url, open_store)

    kept = {p.sku: p for p in store.catalog}
    assert kept == expected
    for sku, product in expected.items():  # attributes are not part of Product equality
        assert dict(kept[sku].attributes) == dict(product.attributes), sku
    assert [g.kind for g in kept["TSHIRT-L"].barcodes] == [
        g.kind for g in expected["TSHIRT-L"].barcodes
    ]
    assert dict(store.catalog.tax_categories) == dict(catalog.tax_categories)
    assert store.catalog.layouts == catalog.layouts
    assert store.catalog.by_barcode("012345678905").sku == "TSHIRT-L"
    assert store.catalog.by_barcode("12345670").sku == "OLD"
    assert store.catalog.by_plu("00789").sku == "FABRIC"
    assert store.catalog.get("PRICEY").price == Money("0.125", "UAH")
    assert store.catalog.get("FABRIC").decimals == 1


def test_catalog_changes_after_opening_are_kept(store_url, open_store):
    store = open_store(store_url)
    cheaper = attrs.evolve(store.catalog.get("BREAD"), price=Money("29.90", "UAH"))
    store.catalog.replace(cheaper)
    store.catalog.add(extra_products()[0])
    store.catalog.add_tax_category(TaxCategory("zero", [], "Zero rated"))
    store = restart(store, store_url, open_store)
    assert store.catalog.get("BREAD").price == Money("29.90", "UAH")
    assert store.catalog.get("BREAD").barcodes == cheaper.barcodes
    assert dict(store.catalog.get("TSHIRT-L").attributes)["size"] == "L"
    assert store.catalog.tax_category("zero").name == "Zero rated"


def test_barcode_layouts_survive_a_restart_and_scan(store_url, open_store):
    store = open_store(store_url)
    layouts = BarcodeLayouts(
        [
            VariableMeasureLayout.standard("23", MeasureKind.WEIGHT, 3),
            VariableMeasureLayout.standard("24", MeasureKind.PRICE, 2),
        ]
    )
    store.set_barcode_layouts(layouts)
    store = restart(store, store_url, open_store)
    assert store.catalog.layouts == layouts
    code = layouts.by_prefix["23"].encode("00123", "1.250")  # 1.25 kg of bananas
    sale = open_till(store).new_sale()
    line = sale.scan(str(code))
    assert (line.sku, line.quantity) == ("BANANA", Decimal("1.25"))


def test_operators_survive_a_restart(store_url, open_store):
    trainee = Operator("trainee", "Ivan", Role("trainee", {Action.NO_SALE}, "2.5"))
    store = open_store(store_url)
    store.add_operator(trainee)
    promoted = Operator("cashier", "Olena K.", Role.supervisor())
    store.add_operator(promoted)
    store = restart(store, store_url, open_store)
    assert store.operator("trainee") == trainee
    assert store.operator("cashier") == promoted
    assert store.operator("super") == SUPERVISOR


# ---- sales, returns, sessions -----------------------------------------------------------


def rich_sale(session: RegisterSession, store: Store) -> Receipt:
    """A sale with most of what a receipt can hold."""
    sale = session.new_sale()
    sale.add("COFFEE", 2, note="gift wrap")
    sale.scan("4820000000024")  # bread by barcode
    weighed = store.catalog.layouts.by_prefix["21"].encode("00456", "0.375")
    sale.scan(str(weighed))  # 375 g of cheese
    sale.add("GUM", 3)
    sale.add("CIGS", 1)
    sale.add("BOOK", 1)
    sale.void_line(4, approved_by="super")
    sale.discount_line(1, percent="5", reason="loyal customer")
    sale.discount_sale(amount="10.00", reason="coupon", approved_by="super")
    sale.pay("card", "200.00", reference="auth 123456")
    sale.pay("cash", "1000")
    return sale.complete()


def test_a_completed_receipt_reloads_exactly(store_url, open_store):
    store = open_store(store_url)
    session = open_till(store)
    receipt = rich_sale(session, store)
    plain = sell(session, [("GUM", 7)], "cash", "100")
    assert store.receipt(receipt.number) == receipt
    assert store.receipt(receipt.sale_id) == receipt
    store = restart(store, store_url, open_store)
    again = store.receipt(receipt.number)
    assert again == receipt
    assert again.as_text(width=42, locale="uk_UA") == receipt.as_text(width=42, locale="uk_UA")
    assert store.receipts() == (receipt, plain)
    assert store.receipts(session_id=session.id) == (receipt, plain)
    assert store.reprint(plain.number) == plain.as_copy()
    assert receipt.header == ("Test shop", "Kyiv")
    assert store.verify_journal().ok


def test_unknown_receipt_is_a_clear_error(store_url, open_store):
    store = open_store(store_url)
    with pytest.raises(SaleError, match="no receipt 'till-9/000001'"):
        store.receipt("till-9/000001")


def test_returns_are_linked_to_their_originals(store_url, open_store):
    store = open_store(store_url)
    session = open_till(store)
    original = sell(session, [("BREAD", 3), ("COFFEE", 1)])
    ret = session.new_return(original, approved_by="super")
    ret.return_line(1, 2)
    ret.refund("card")
    first = ret.complete()
    store = restart(store, store_url, open_store)

    assert store.returned_quantities(original.sale_id) == {1: Decimal(2)}
    kept = store.receipt(first.number)
    assert kept == first
    assert (kept.return_of, kept.return_of_number) == (original.sale_id, original.number)
    (line,) = kept.lines
    assert line.line.return_of is not None and line.line.return_of.sale_id == original.sale_id
    assert line.line.return_of.line_no == 1

    # After the restart another return takes what is left, and no more.
    session = store.register("till-1").session
    assert session is not None
    reloaded = store.receipt(original.number)
    ret = session.new_return(reloaded, approved_by="super")
    ret.return_line(1)  # the one bread left
    ret.return_line(2)
    ret.refund("card")
    second = ret.complete()
    assert store.returned_quantities(original.sale_id) == {1: Decimal(3), 2: Decimal(1)}
    assert first.total + second.total == -original.total
    more = session.new_return(reloaded, approved_by="super")
    with pytest.raises(ReturnError):
        more.return_line(1, 1)


def test_a_register_session_survives_a_restart(store_url, open_store):
    store = open_store(store_url)
    session = open_till(store, opening_float="500.00")
    sell(session, [("GUM", 3)], "cash", "50")  # cash rounding 24.03 -> 24.00
    sell(session, [("COFFEE", 1)], "card")
    session.paid_in("100.00", reason="change from the bank")
    session.open_drawer(reason="check a note", approved_by="super")
    totals, x = session.totals, session.x_report()
    store = restart(store, store_url, open_store)

    restored = store.register("till-1").session
    assert restored is not None
    assert (restored.id, restored.register_id, restored.operator) == (
        session.id,
        "till-1",
        CASHIER,
    )
    assert (restored.opening_float, restored.opened_at) == (
        session.opening_float,
        session.opened_at,
    )
    assert restored.totals == totals
    assert attrs.evolve(restored.x_report(), at=x.at) == x
    assert restored.expected_cash() == Money("624.00", "UAH")

    third = sell(restored, [("BREAD", 2)], "cash")
    assert third.number == "till-1/000003"
    z = restored.close(counted_cash="689.00")
    assert z.is_final and z.number == 1 and z.sale_count == 3
    assert z.expected_cash == Money("689.00", "UAH") and z.variance == Money("0.00", "UAH")
    store = restart(store, store_url, open_store)
    assert store.z_reports() == (z,)
    assert store.register("till-1").session is None

    # The next session on the till gets the next Z number; the first Z stays as it was.
    nxt = open_till(store, operator="super", opening_float="0")
    sell(nxt, [("MILK", 1)], "card")
    z2 = nxt.close(counted_cash="0")
    assert z2.number == 2
    store = restart(store, store_url, open_store)
    assert store.z_reports() == (z, z2)
    assert store.verify_journal().ok


def test_parked_sales_survive_a_restart_and_resume_elsewhere(store_url, open_store):
    store = open_store(store_url)
    session = open_till(store)
    sale = session.new_sale()
    sale.add("BREAD", 2)
    sale.add("COFFEE", 1)
    sale.discount_line(2, percent="5")
    lines, total = sale.lines, sale.total
    sale.suspend()
    assert sale.state is SaleState.SUSPENDED
    store = restart(store, store_url, open_store)

    (parked,) = store.suspended_sales()
    assert parked.sale_id == sale.id and parked.lines == lines
    other = other_store(store, store_url, open_store)
    till2 = open_till(other, "till-2", operator="super", opening_float="0")
    resumed = till2.resume(sale.id)
    assert resumed.lines == lines and resumed.total == total
    assert (resumed.register_id, resumed.session_id) == ("till-2", till2.id)
    assert store.suspended_sales() == () and other.suspended_sales() == ()
    with pytest.raises(SaleError):
        till2.resume(sale.id)
    resumed.pay("card")
    receipt = resumed.complete()
    assert receipt.number == "till-2/000001" and receipt.total == total
    assert store.receipt(receipt.number) == receipt


# ---- money is exact -----------------------------------------------------------------------

EXACT_CASES = {
    # currency: (products as (sku, price, quantity), expected total in minor units)
    "UAH": ([("PENNY", "0.01", 7), ("DIME", "0.10", 1), ("TWENTY", "0.20", 1)], 37),
    "KWD": ([("DATES", "1.234", 3), ("FILS", "0.001", 1)], 3703),
    "JPY": ([("ONIGIRI", "1", 3), ("BENTO", "999", 1)], 1002),
}


@pytest.mark.parametrize("code", list(EXACT_CASES))
def test_money_is_stored_exactly_in_integer_minor_units(store_url, open_store, code):
    items, expected_minor = EXACT_CASES[code]
    catalog = Catalog(
        [TaxCategory("standard", [VAT20])],
        [Product(sku, sku.title(), Money(price, code), "standard") for sku, price, _ in items],
    )
    store = open_store(store_url, currency=code, catalog=catalog)
    session = open_till(store, opening_float="0")
    receipt = sell(session, [(sku, qty) for sku, _, qty in items], "card")
    assert receipt.total.minor == expected_minor
    store = restart(store, store_url, open_store)

    [row] = sql(
        store,
        "SELECT total_minor, subtotal_minor, net_minor, tax_minor, discount_minor, "
        "rounding_minor, change_minor, currency FROM sales WHERE number = :n",
        n=receipt.number,
    )
    assert all(type(v) is int for v in row[:7]), row
    assert row[0] == expected_minor and row[7] == code
    assert row[2] + row[3] == row[0]  # net + tax = total, to the minor unit
    grosses = [r[0] for r in sql(store, "SELECT gross_minor FROM sale_lines")]
    assert all(type(g) is int for g in grosses) and sum(grosses) == expected_minor
    [(paid,)] = sql(store, "SELECT amount_minor FROM tenders")
    assert type(paid) is int and paid == expected_minor
    prices = dict(sql(store, "SELECT sku, price FROM products"))
    assert prices == {sku: price for sku, price, _ in items}  # exact decimal text
    if store.backend.dialect == "sqlite":  # type: ignore[attr-defined]
        types = sql(store, "SELECT DISTINCT typeof(total_minor), typeof(tax_minor) FROM sales")
        assert types == [("integer", "integer")]
    assert store.receipt(receipt.number) == receipt
    x = store.register("till-1").session.x_report()  # type: ignore[union-attr]
    assert x.sales == receipt.total and x.sales.minor == expected_minor


def test_every_money_column_is_an_integer_column(store_url, open_store):
    store = open_store(store_url)
    with store.backend.unit_of_work(write=False) as uow:
        inspector = sa.inspect(uow.conn)  # type: ignore[attr-defined]
        columns = {
            (table, c["name"]): c["type"]
            for table in inspector.get_table_names()
            for c in inspector.get_columns(table)
        }
    money = {k: v for k, v in columns.items() if k[1].endswith("_minor")}
    assert len(money) >= 20
    assert all(isinstance(v, sa.Integer) for v in money.values()), money


# ---- atomicity ------------------------------------------------------------------------------


class FailingExtraLines:
    @hookimpl
    def possdk_receipt_extra_lines(self, receipt):  # type: ignore[no-untyped-def]
        raise RuntimeError("fiscal printer is offline")


class FailingSigner:
    @hookimpl
    def possdk_journal_sign(self, entry):  # type: ignore[no-untyped-def]
        raise RuntimeError("signing device is offline")


@pytest.mark.parametrize(
    ("plugin", "message"),
    [
        pytest.param(FailingExtraLines, "fiscal printer is offline", id="extra_lines"),
        pytest.param(FailingSigner, "signing device is offline", id="journal_sign"),
    ],
)
def test_a_failing_plugin_leaves_no_trace_of_the_sale(store_url, open_store, plugin, message):
    store = open_store(store_url)
    session = open_till(store)
    first = sell(session, [("BREAD", 1)], "cash")
    before_counts, before_totals = counts(store), session.totals
    heads_before = sql(store, "SELECT terminal_id, seq, hash FROM journal_heads ORDER BY 1")

    sale = session.new_sale()
    sale.add("COFFEE", 1)
    sale.add("GUM", 2)
    sale.pay("cash", "300")
    failing = plugin()
    store.plugins.register(failing)
    with pytest.raises((RuntimeError, PluginError), match=message):
        sale.complete()

    assert sale.state is SaleState.TENDERING and sale.receipt is None
    assert counts(store) == before_counts
    assert sql(store, "SELECT terminal_id, seq, hash FROM journal_heads ORDER BY 1") == heads_before
    assert session.totals == before_totals
    assert store.receipts() == (first,)
    assert store.verify_journal().ok

    store.plugins.unregister(failing)
    receipt = sale.complete()
    assert receipt.number == "till-1/000002"  # the failed attempt used no number
    assert store.receipts() == (first, receipt)
    assert session.totals.sale_count == before_totals.sale_count + 1
    assert store.verify_journal().ok


# ---- two stores on one database --------------------------------------------------------------


def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; each result or exception, in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(i: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[i] = call()
        except Exception as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_two_stores_cannot_both_resume_one_parked_sale(store_url, open_store):
    if is_memory(store_url):
        pytest.skip("two Store objects cannot share an in-memory database")
    store_a = open_store(store_url)
    store_b = open_store(store_url, new=False)
    till1, till2 = open_till(store_a, "till-1"), open_till(store_b, "till-2")
    sale = till1.new_sale()
    sale.add("MILK", 2)
    sale.suspend()
    sale_id = sale.id

    for _ in range(3):  # several rounds: the race is decided differently each time
        results = race(lambda: till1.resume(sale_id), lambda: till2.resume(sale_id))
        won = [r for r in results if isinstance(r, Sale)]
        lost = [r for r in results if not isinstance(r, Sale)]
        assert len(won) == 1 and len(lost) == 1, results
        assert isinstance(lost[0], SaleError), lost[0]
        resumed = won[0]
        assert store_a.suspended_sales() == () == store_b.suspended_sales()
        resumed.suspend()  # park it again for the next round

    n_resumed = sql(store_a, "SELECT count(*) FROM journal WHERE type = 'SaleResumed'")[0][0]
    assert n_resumed == 3
    final = till2.resume(sale_id)
    final.pay("card")
    assert final.complete().total == Money("83.80", "UAH")
    assert store_a.verify_journal().ok


def test_two_stores_returning_the_same_line_refund_it_once(store_url, open_store):
    store_a = open_store(store_url)
    store_b = other_store(store_a, store_url, open_store)
    till1, till2 = open_till(store_a, "till-1"), open_till(store_b, "till-2")
    original = sell(till1, [("BREAD", 3), ("GUM", 1)])

    # Both tills start a return of two of the three breads before either completes.
    ret_a = till1.new_return(store_a.receipt(original.number), approved_by="super")
    ret_b = till2.new_return(store_b.receipt(original.number), approved_by="super")
    ret_a.return_line(1, 2)
    ret_b.return_line(1, 2)
    ret_a.refund("card")
    ret_b.refund("card")
    b_totals = till2.totals
    first = ret_a.complete()
    with pytest.raises(ReturnError, match="returned meanwhile"):
        ret_b.complete()
    assert ret_b.state is SaleState.TENDERING and ret_b.receipt is None
    assert till2.totals == b_totals
    assert store_b.returned_quantities(original.sale_id) == {1: Decimal(2)}

    # The one bread left can still be returned on till 2; then the line is used up exactly.
    last = till2.new_return(store_b.receipt(original.number), approved_by="super")
    last.return_line(1, 1)
    last.refund("card")
    second = last.complete()
    assert store_a.returned_quantities(original.sale_id) == {1: Decimal(3)}
    refunded = -(first.total + second.total)
    assert refunded == original.totals.line(1).total
    assert refunded <= original.total
    returns = [r for r in store_a.receipts() if r.return_of == original.sale_id]
    assert sorted(r.number for r in returns) == sorted([first.number, second.number])
    assert store_a.verify_journal().ok
