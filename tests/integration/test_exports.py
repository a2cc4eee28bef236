"""Exports for ERP and CRM imports on SQLite and PostgreSQL: hand-checked rows of a fixed
history, CSV and JSON round trips, stock values equal to valuation(), and streams that are
lazy, bounded in memory and always give their connection back."""

from __future__ import annotations

import csv
import gc
import io
import json
import os
import tracemalloc
from collections.abc import Iterator
from contextlib import closing
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
import sqlalchemy as sa

from possdk import Catalog, FixedClock, Money, Product, Settings, Store, TaxCategory, TaxRate, Unit
from possdk.errors import ReportError, StorageError
from possdk.inventory import Location
from possdk.reports import (
    CustomerRow,
    SaleLineRow,
    StockRow,
    count_customers,
    count_sales,
    count_stock,
    export_customers,
    export_sales,
    export_stock,
    write_csv,
    write_json,
    write_jsonl,
)
from possdk.storage import _schema as t
from possdk.storage._sql import SqlUnitOfWork
from tests.conftest import CASHIER, SUPERVISOR
from tests.integration.conftest import OpenStore

THU, FRI, SAT, SUN = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28), date(2026, 11, 29)
KYIV = Settings(currency="UAH", timezone="Europe/Kyiv")  # UTC+2 in November
HOSTILE = 'Smith, "Jo"\nO\'Brien; =1+2\r\n\tÄ'


def m(value: str) -> Money:
    return Money(value, "UAH")


def shop_catalog() -> Catalog:
    return Catalog(
        [TaxCategory("standard", [TaxRate("VAT20", "20", name="VAT")]), TaxCategory("exempt", [])],
        [
            Product("COFFEE", "Coffee beans", m("189.00"), "standard", category="drinks"),
            Product("GUM", "Gum", m("8.01"), "standard", category="sweets"),
            Product("BOOK", "Book", m("250.00"), "exempt"),
            Product(
                "CHEESE", "Cheese", m("320.00"), "standard", unit=Unit.KILOGRAM, category="deli"
            ),
        ],
    )


class Shop:
    def __init__(self, store: Store, clock: FixedClock, customer_id: str) -> None:
        self.store, self.clock, self.customer_id = store, clock, customer_id

    def checked_out(self) -> int:
        """Connections taken from the store's pool and not given back."""
        pool: Any = self.store.backend.engine.pool  # type: ignore[attr-defined]
        return int(pool.checkedout())


def ring_up(store: Store, clock: FixedClock) -> str:
    """Stock in at cost, a reservation and three customers (one erased); then Thu 23:30 local
    a book in cash; Fri 08:00 coffee (5% off), gum (voided) and 0.347 kg of cheese for the
    customer by card, the coffee returned at 08:10; Sat 00:30 gum by card."""
    inv = store.inventory
    inv.add_location(Location("back", "Back room"))
    inv.receive_stock([("COFFEE", 10, "101.125")], reference="DN-1")
    inv.receive_stock([("CHEESE", "2.5", "210.05")], location="back", reference="DN-2")
    inv.reserve("COFFEE", 2, reference="ORDER-7")
    customers = store.loyalty.customers
    jo = customers.add(
        HOSTILE,
        phone="+380501112233",
        email="Jo@Example.com",
        marketing_consent=True,
        birth_year=1990,
        postcode="01001",
        gender="f",
    )
    clock.advance(timedelta(seconds=1))
    gone = customers.add("Gone", phone="+380509999999")
    customers.erase(gone.id)
    clock.advance(timedelta(seconds=1))
    customers.add("Петро")
    clock.advance(datetime(2026, 11, 26, 21, 30, tzinfo=timezone.utc) - clock.now())
    till = store.register("till-1").open_session(operator=CASHIER.id)
    a = till.new_sale()
    a.add("BOOK")
    a.pay("cash", "250")
    a.complete()
    clock.advance(timedelta(hours=8, minutes=30))  # Fri 06:00 UTC, 08:00 local
    b = till.new_sale()
    b.identify_customer(jo.id)
    b.add("COFFEE")
    b.add("GUM")
    b.add("CHEESE", "0.347")
    b.void_line(2, approved_by=SUPERVISOR.id)
    b.discount_line(1, percent=5)
    b.pay("card")
    sale_b = b.complete()
    clock.advance(timedelta(minutes=10))
    r = till.new_return(sale_b, approved_by=SUPERVISOR.id)
    r.return_line(1)
    r.refund("card")
    r.complete()
    clock.advance(timedelta(hours=16, minutes=20))  # Fri 22:30 UTC: Saturday in Kyiv
    c = till.new_sale()
    c.add("GUM")
    c.pay("card")
    c.complete()
    return jo.id


@pytest.fixture
def shop(open_store: OpenStore, durable_url: str) -> Shop:
    clock = FixedClock(datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc))
    store = open_store(durable_url, catalog=shop_catalog(), settings=KYIV, clock=clock)
    customer_id = ring_up(store, clock)
    return Shop(store, clock, customer_id)


def line(
    receipt: str,
    kind: str,
    at: str,
    no: int,
    sku: str,
    name: str,
    category: str,
    quantity: str,
    unit: str,
    price: str,
    amounts: str,
    customer: str = "",
) -> dict[str, str]:
    subtotal, discount, net, tax, gross = amounts.split()
    return {
        "receipt": receipt,
        "kind": kind,
        "completed_at": at,
        "register": "till-1",
        "operator": "cashier",
        "customer_id": customer,
        "line_no": str(no),
        "sku": sku,
        "name": name,
        "category": category,
        "quantity": quantity,
        "unit": unit,
        "unit_price": price,
        "subtotal": subtotal,
        "discount": discount,
        "net": net,
        "tax": tax,
        "gross": gross,
        "currency": "UAH",
    }


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def as_csv(rows: Any, **kwargs: Any) -> str:
    out = io.StringIO(newline="")
    write_csv(rows, out, **kwargs)
    return out.getvalue()


# ---- what the rows say ---------------------------------------------------------------


def test_sales_lines_of_local_days_are_hand_checked(shop: Shop) -> None:
    store = shop.store
    customer = shop.customer_id
    at8, at810 = "2026-11-27T06:00:00+00:00", "2026-11-27T06:10:00+00:00"
    friday = [
        # 189.00 less 5% = 179.55 with 20% VAT in it: net 149.625 -> 149.62, tax 29.93
        line("till-1/000002", "sale", at8, 1, "COFFEE", "Coffee beans", "drinks", "1", "each",
             "189.00", "189.00 9.45 149.62 29.93 179.55", customer),
        # line 2, the gum, was voided; 0.347 kg x 320.00 = 111.04, net 111.04 / 1.2 = 92.53
        line("till-1/000002", "sale", at8, 3, "CHEESE", "Cheese", "deli", "0.347", "kg",
             "320.00", "111.04 0.00 92.53 18.51 111.04", customer),
        # the coffee returned: every amount and the quantity negative (the return receipt
        # names no customer: the column is exported as the sales table keeps it)
        line("till-1/000003", "return", at810, 1, "COFFEE", "Coffee beans", "drinks", "-1",
             "each", "189.00", "-189.00 -9.45 -149.62 -29.93 -179.55"),
    ]  # fmt: skip
    assert csv_rows(as_csv(export_sales(store, FRI, SAT))) == friday
    assert count_sales(store, FRI, SAT) == 3
    # Thursday 23:30 local is Thursday; Saturday 00:30 local is Fri 22:30 UTC, yet Saturday.
    three_days = csv_rows(as_csv(export_sales(store, THU, SUN)))
    assert [(r["receipt"], r["sku"]) for r in three_days] == [
        ("till-1/000001", "BOOK"),
        ("till-1/000002", "COFFEE"),
        ("till-1/000002", "CHEESE"),
        ("till-1/000003", "COFFEE"),
        ("till-1/000004", "GUM"),
    ]
    assert three_days[0]["category"] == "" and three_days[0]["tax"] == "0.00"
    assert count_sales(store, THU, SUN) == 5
    assert list(export_sales(store, SUN, SUN + timedelta(days=7))) == []
    nothing = export_sales(store, SUN, SUN + timedelta(days=1))
    assert as_csv(nothing, columns=SaleLineRow.COLUMNS) == ",".join(SaleLineRow.COLUMNS) + "\n"


def test_sales_rows_are_typed_values(shop: Shop) -> None:
    rows = list(export_sales(shop.store, FRI, SAT))
    cheese, back = rows[1], rows[2]
    assert cheese.quantity == Decimal("0.347") and cheese.unit is Unit.KILOGRAM
    assert cheese.gross == m("111.04") and cheese.completed_at.tzinfo is not None
    assert back.kind.value == "return" and back.gross == m("-179.55")
    assert sum((r.gross for r in rows), m("0")) == m("111.04")  # the coffee came back


def test_customers_not_erased_oldest_first(shop: Shop) -> None:
    rows = list(export_customers(shop.store))
    assert [r.name for r in rows] == [HOSTILE, "Петро"]
    assert count_customers(shop.store) == 2
    assert rows[0].to_dict() == {
        "id": shop.customer_id,
        "name": HOSTILE,
        "phone": "+380501112233",
        "email": "jo@example.com",
        "marketing_consent": True,
        "birth_year": 1990,
        "postcode": "01001",
        "gender": "f",
        "tier": None,
        "points": 0,
        "created_at": "2026-11-20T09:00:00+00:00",
    }
    assert isinstance(rows[1], CustomerRow) and rows[1].phone is None


def test_stock_rows_are_valued_as_valuation_values_them(shop: Shop) -> None:
    store = shop.store
    rows = list(export_stock(store))
    assert count_stock(store) == len(rows) == 5
    cells = [(r["sku"], r["location"], r["on_hand"], r["reserved"], r["available"],
              r["average_cost"], r["value"]) for r in csv_rows(as_csv(rows))]  # fmt: skip
    assert cells == [
        ("BOOK", "main", "-1", "0", "-1", "", ""),  # no cost known: no value
        ("CHEESE", "back", "2.5", "0", "2.5", "210.05", "525.12"),  # 525.125, half-even
        ("CHEESE", "main", "-0.347", "0", "-0.347", "210.05", "0.00"),  # negative: worth 0
        ("COFFEE", "main", "10", "2", "8", "101.125", "1011.25"),
        ("GUM", "main", "-1", "0", "-1", "", ""),
    ]
    for location in ("main", "back"):
        valuation = store.inventory.valuation(location)
        ours = {r.sku: r.value for r in rows if r.location_id == location and r.on_hand > 0}
        assert ours == {ln.sku: ln.value for ln in valuation.lines}
        assert all(r.value in (None, m("0.00")) for r in rows if r.on_hand <= 0)
    whole = store.inventory.valuation()
    assert sum((r.value for r in rows if r.value is not None), m("0")) == whole.total
    assert {r.sku for r in rows if r.average_cost is None} == {"BOOK", "GUM"}
    assert isinstance(rows[0], StockRow) and rows[0].name == "Book"


# ---- round trips ---------------------------------------------------------------------


def test_csv_round_trips_every_cell_including_a_hostile_name(shop: Shop) -> None:
    store = shop.store
    for rows in (
        list(export_sales(store, THU, SUN)),
        list(export_customers(store)),
        list(export_stock(store)),
    ):
        expected = [
            {k: "" if v is None else str(v).replace("True", "true").replace("False", "false")
             for k, v in r.to_dict().items()}
            for r in rows
        ]  # fmt: skip
        text = as_csv(rows)
        assert csv_rows(text) == expected
        assert text.splitlines()[0] == ",".join(type(rows[0]).COLUMNS)
    # The hostile name survives a file on disk too (quoted, with its line breaks).
    back = csv_rows(as_csv(export_customers(store)))
    assert back[0]["name"] == HOSTILE and back[0]["marketing_consent"] == "true"


def test_json_and_json_lines_round_trip(shop: Shop) -> None:
    store = shop.store
    expected = [r.to_dict() for r in export_sales(store, THU, SUN)]
    out = io.StringIO()
    assert write_json(export_sales(store, THU, SUN), out) == 5
    text = out.getvalue()
    assert json.loads(text) == expected
    assert text.startswith("[\n{") and text.endswith("}\n]\n")
    assert expected[3]["gross"] == "-179.55" and expected[3]["line_no"] == 1
    lines = io.StringIO()
    assert write_jsonl(export_customers(store), lines) == 2
    parsed = [json.loads(x) for x in lines.getvalue().splitlines()]
    assert parsed[0]["name"] == HOSTILE and parsed[0]["marketing_consent"] is True
    empty = io.StringIO()
    assert write_json(export_sales(store, SUN, SUN + timedelta(days=1)), empty) == 0
    assert json.loads(empty.getvalue()) == []


def test_writers_take_plain_mappings_too() -> None:
    rows: list[dict[str, str | bool | None]] = [
        {"sku": "A", "qty": "1.5", "ok": True},
        {"sku": 'B,"x"', "qty": None, "ok": False},
    ]
    assert as_csv(rows) == 'sku,qty,ok\nA,1.5,true\n"B,""x""",,false\n'
    out = io.StringIO()
    write_jsonl(rows, out)
    assert [json.loads(x) for x in out.getvalue().splitlines()] == rows


def test_a_period_must_run_forwards(shop: Shop) -> None:
    with pytest.raises(ReportError, match="start < end"):
        export_sales(shop.store, FRI, FRI)  # at once, not at the first row
    with pytest.raises(ReportError, match="start < end"):
        count_sales(shop.store, SAT, FRI)


# ---- streaming -----------------------------------------------------------------------


def test_the_stream_opens_late_and_gives_its_connection_back(shop: Shop) -> None:
    rows = export_sales(shop.store, THU, SUN)
    assert shop.checked_out() == 0  # nothing read yet
    first = next(rows)
    assert first.receipt == "till-1/000001"
    assert shop.checked_out() == 1  # held while rows are taken
    rows.close()  # closed after one row
    assert shop.checked_out() == 0
    assert len(list(export_customers(shop.store))) == 2  # run to the end
    assert shop.checked_out() == 0
    with closing(export_stock(shop.store)) as stock:
        next(stock)
    assert shop.checked_out() == 0


def test_an_error_part_way_releases_the_connection(shop: Shop) -> None:
    store = shop.store

    # The reader fails after one row (a consumer's exception inside closing()).
    def consume() -> None:
        with closing(export_sales(store, THU, SUN)) as rows:
            for _ in rows:
                raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        consume()
    assert shop.checked_out() == 0

    # The writer's file fails after the header: the writer closes the stream.
    class Full(io.StringIO):
        def write(self, text: str) -> int:
            if self.tell() > 10:
                raise OSError(28, "No space left on device")
            return super().write(text)

    with pytest.raises(OSError, match="No space"):
        write_csv(export_sales(store, THU, SUN), Full())
    assert shop.checked_out() == 0


def test_a_database_error_mid_stream_is_a_storage_error_and_releases(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = SqlUnitOfWork.export_sale_lines

    def failing(self: SqlUnitOfWork, *args: Any) -> Iterator[Any]:
        rows = real(self, *args)
        yield next(rows)
        raise sa.exc.OperationalError("FETCH", {}, Exception("server closed the connection"))

    monkeypatch.setattr(SqlUnitOfWork, "export_sale_lines", failing)
    rows = export_sales(shop.store, THU, SUN)
    assert next(rows).line_no == 1
    with pytest.raises(StorageError, match="server closed the connection"):
        next(rows)
    assert shop.checked_out() == 0


def _bulk_sale(shop: Shop, at: datetime, lines: int) -> None:
    """One sale completed at ``at`` with ``lines`` gum lines, the copies put in by SQL."""
    store, clock = shop.store, shop.clock
    clock.advance(at - clock.now())
    session = store.register(f"bulk-{at:%d}").open_session(operator=CASHIER.id)
    sale = session.new_sale()
    sale.add("GUM")
    sale.pay("card")
    sale_id = sale.complete().sale_id
    with store.backend.unit_of_work() as uow:
        conn: sa.Connection = uow.conn  # type: ignore[attr-defined]
        lines_of_sale = sa.select(t.sale_lines).where(t.sale_lines.c.sale_id == sale_id)
        template = dict(conn.execute(lines_of_sale).mappings().one())
        copies = [{**template, "line_no": n} for n in range(2, lines + 1)]
        for start in range(0, len(copies), 5000):
            conn.execute(sa.insert(t.sale_lines), copies[start : start + 5000])
        uow.commit()


def _peak(store: Store, day: date) -> tuple[int, int]:
    with open(os.devnull, "w", newline="", encoding="utf-8") as sink:
        gc.collect()
        tracemalloc.start()
        try:
            n = write_csv(export_sales(store, day, day + timedelta(days=1)), sink)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    return n, peak


def test_a_large_export_holds_a_batch_not_the_whole_result(shop: Shop) -> None:
    small, large = date(2026, 12, 1), date(2026, 12, 2)
    _bulk_sale(shop, datetime(2026, 12, 1, 10, 0, tzinfo=timezone.utc), 2_000)
    _bulk_sale(shop, datetime(2026, 12, 2, 10, 0, tzinfo=timezone.utc), 20_000)
    assert count_sales(shop.store, large, large + timedelta(days=1)) == 20_000
    _peak(shop.store, small)  # warm up: compiled SQL, imports, caches
    n_small, peak_small = _peak(shop.store, small)
    n_large, peak_large = _peak(shop.store, large)
    assert (n_small, n_large) == (2_000, 20_000)
    # Ten times the rows in about the same memory: a list of them would take ten times.
    assert peak_large < 2 * peak_small, (peak_small, peak_large)
    assert shop.checked_out() == 0


def test_on_postgresql_the_rows_come_from_a_server_side_cursor(
    shop: Shop, monkeypatch: pytest.MonkeyPatch
) -> None:
    # tracemalloc cannot see libpq's memory: check that PostgreSQL holds the result.
    if shop.store.backend.url.scheme != "postgresql":
        pytest.skip("SQLite's cursor is lazy by itself")
    seen: list[sa.Connection] = []
    real = SqlUnitOfWork.export_sale_lines

    def spied(self: SqlUnitOfWork, *args: Any) -> Iterator[Any]:
        seen.append(self.conn)
        return real(self, *args)

    monkeypatch.setattr(SqlUnitOfWork, "export_sale_lines", spied)
    with closing(export_sales(shop.store, THU, SUN)) as rows:
        next(rows)
        cursors = seen[0].exec_driver_sql("SELECT count(*) FROM pg_cursors").scalar_one()
        assert cursors == 1
        assert len(list(rows)) == 4
