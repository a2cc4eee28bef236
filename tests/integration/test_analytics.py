"""Sales analytics: hand-computed figures of a fixed history on SQLite and PostgreSQL;
a period's summary is the sum of its days' (across a daylight saving change)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from possdk import Catalog, FixedClock, Money, Product, Settings, Store, TaxCategory, TaxRate
from possdk.errors import ReportError
from possdk.reports import Analytics, DaySales, SalesSummary
from tests.conftest import CASHIER, SUPERVISOR
from tests.integration.conftest import OpenStore

THU, FRI, SAT = date(2026, 11, 26), date(2026, 11, 27), date(2026, 11, 28)
KYIV = Settings(currency="UAH", timezone="Europe/Kyiv")  # UTC+2 in November


def m(value: str) -> Money:
    return Money(value, "UAH")


def shop_catalog() -> Catalog:
    return Catalog(
        [TaxCategory("standard", [TaxRate("VAT20", "20", name="VAT")]), TaxCategory("exempt", [])],
        [
            Product("COFFEE", "Coffee beans", m("189.00"), "standard", category="drinks"),
            Product("GUM", "Gum", m("8.01"), "standard", category="sweets"),
            Product("BOOK", "Book", m("250.00"), "exempt"),
            Product("TEA", "Green tea", m("95.00"), "standard", category="drinks"),
        ],
    )


def ring_up(store: Store, clock: FixedClock) -> None:
    """Thu 23:30 local: a book in cash. Fri 00:30: gum by card. Fri 08:00: coffee and gum by
    card, the gum returned. Fri 10:00 at till-2, by the supervisor: two coffees by card."""
    till1 = store.register("till-1").open_session(operator=CASHIER.id)
    a = till1.new_sale()
    a.add("BOOK")
    a.pay("cash", "250")
    a.complete()
    clock.advance(timedelta(hours=1))  # 22:30 UTC: already Friday in Kyiv
    a2 = till1.new_sale()
    a2.add("GUM")
    a2.pay("card")
    a2.complete()
    clock.advance(timedelta(hours=7, minutes=30))  # 06:00 UTC, 08:00 local
    b = till1.new_sale()
    b.add("COFFEE")
    b.add("GUM")
    b.pay("card")
    sale_b = b.complete()
    r = till1.new_return(sale_b, approved_by=SUPERVISOR.id)
    r.return_line(2)
    r.refund("card")
    r.complete()
    clock.advance(timedelta(hours=2))  # 10:00 local
    till2 = store.register("till-2").open_session(operator=SUPERVISOR.id)
    c = till2.new_sale()
    c.add("COFFEE", 2)
    c.pay("card")
    c.complete()


@pytest.fixture
def shop(open_store: OpenStore, durable_url: str) -> tuple[Store, FixedClock]:
    clock = FixedClock(datetime(2026, 11, 26, 21, 30, tzinfo=timezone.utc))
    store = open_store(durable_url, catalog=shop_catalog(), settings=KYIV, clock=clock)
    ring_up(store, clock)
    return store, clock


def test_the_summary_of_a_period_is_hand_computed(shop: tuple[Store, FixedClock]) -> None:
    store, _ = shop
    s = Analytics(store).summary(THU, SAT + timedelta(days=1))
    assert (s.sales, s.returns) == (4, 1)
    assert s.sales_total == m("833.02")  # 250.00 + 8.01 + 197.01 + 378.00
    assert s.returns_total == m("-8.01")
    assert s.total == m("825.01")
    assert s.net == m("729.17")  # 250.00 + 3 x 157.50 + 6.67
    assert s.tax == m("95.84")  # 3 x 31.50 + 1.34
    assert s.discount == m("0.00")
    assert (s.items, s.items_returned) == (Decimal(6), Decimal(-1))
    assert s.average_basket == m("208.26")  # 833.02 / 4 = 208.255, half up
    assert s.items_per_basket == Decimal("1.50")
    assert s.returns_rate == Decimal("0.0096")  # 8.01 / 833.02


def test_a_period_narrows_to_a_register_or_an_operator(shop: tuple[Store, FixedClock]) -> None:
    store, _ = shop
    analytics = Analytics(store)
    till2 = analytics.summary(THU, SAT, register_id="till-2")
    assert (till2.sales, till2.returns, till2.total) == (1, 0, m("378.00"))
    cashier = analytics.summary(THU, SAT, operator_id=CASHIER.id)
    assert (cashier.sales, cashier.returns, cashier.total) == (3, 1, m("447.01"))
    assert analytics.summary(THU, FRI).total == m("250.00")  # Thursday in Kyiv: the book


def test_sales_by_local_day_fill_every_day(shop: tuple[Store, FixedClock]) -> None:
    store, _ = shop
    by_day = Analytics(store).by_day(THU, SAT + timedelta(days=1))
    assert by_day.days == (
        DaySales(THU, 1, 0, m("250.00"), m("250.00")),
        DaySales(FRI, 3, 1, m("575.01"), m("479.17")),  # 00:30 local is Friday
        DaySales(SAT, 0, 0, m("0.00"), m("0.00")),
    )
    rows = list(csv.DictReader(io.StringIO(by_day.to_csv())))
    assert rows[1] == {
        "day": "2026-11-27",
        "sales": "3",
        "returns": "1",
        "total": "575.01",
        "net": "479.17",
    }
    assert json.loads(by_day.to_json())["rows"][0]["total"] == "250.00"


def test_the_heatmap_counts_sales_by_local_weekday_and_hour(
    shop: tuple[Store, FixedClock],
) -> None:
    store, _ = shop
    heat = Analytics(store).heatmap(THU, SAT)
    cells = {(w, h): heat.counts[w][h] for w in range(7) for h in range(24) if heat.counts[w][h]}
    assert cells == {(3, 23): 1, (4, 0): 1, (4, 8): 1, (4, 10): 1}
    assert heat.totals[4][8] == m("189.00")  # 197.01 less the gum returned
    text = heat.as_text()
    thursday = text.splitlines()[5]
    assert thursday.startswith("Thu") and thursday.endswith(" 1")  # 23:00, the last column


def test_sales_by_category_and_by_tender(shop: tuple[Store, FixedClock]) -> None:
    store, _ = shop
    analytics = Analytics(store)
    cats = {c: (n, q, net, gross) for c, n, q, net, gross in analytics.by_category(THU, SAT).rows}
    assert cats == {
        None: (1, Decimal(1), m("250.00"), m("250.00")),
        "drinks": (2, Decimal(3), m("472.50"), m("567.00")),
        "sweets": (3, Decimal(1), m("6.67"), m("8.01")),  # two sold, one returned
    }
    tenders = analytics.by_tender(THU, SAT).rows
    assert tenders == (("card", 4, m("575.01")), ("cash", 1, m("250.00")))


def test_top_products_by_revenue_and_by_quantity(shop: tuple[Store, FixedClock]) -> None:
    store, _ = shop
    analytics = Analytics(store)
    top = analytics.top_products(THU, SAT)
    assert [(p.sku, p.name, p.gross) for p in top.products] == [
        ("COFFEE", "Coffee beans", m("567.00")),
        ("BOOK", "Book", m("250.00")),
        ("GUM", "Gum", m("8.01")),
    ]
    by_qty = analytics.top_products(THU, SAT, by="quantity", limit=2)
    assert [(p.sku, p.quantity) for p in by_qty.products] == [
        ("COFFEE", Decimal(3)),
        ("BOOK", Decimal(1)),  # ties with GUM: by SKU
    ]
    text = top.as_text(width=40)
    assert max(len(line) for line in text.splitlines()) <= 40
    assert "COFFEE  Coffe~ " in text  # the name is cut to fit
    assert "Coffee beans" in top.as_text()


def test_products_not_sold_in_n_days(shop: tuple[Store, FixedClock]) -> None:
    store, clock = shop
    clock.advance(timedelta(hours=23))  # now: Saturday 09:00 local; cut-off Friday 09:00
    slow = Analytics(store).not_sold_since(1)
    assert [(p.sku, p.last_sold is None) for p in slow.products] == [
        ("TEA", True),
        ("BOOK", False),
        ("GUM", False),  # its last sale was at 08:00 on Friday (the return does not count)
    ]
    assert slow.products[1].last_sold == datetime(2026, 11, 26, 21, 30, tzinfo=timezone.utc)


def test_a_summary_renders_as_text_csv_and_json(shop: tuple[Store, FixedClock]) -> None:
    store, _ = shop
    s = Analytics(store).summary(THU, SAT)
    assert "average_basket" in s.as_text()
    assert {r["figure"]: r["value"] for r in csv.DictReader(io.StringIO(s.to_csv()))}[
        "total"
    ] == "825.01"
    assert json.loads(s.to_json())["rows"][0] == {"figure": "sales", "value": 4}


def test_a_period_must_run_forwards_and_ranks_are_known(shop: tuple[Store, FixedClock]) -> None:
    store, _ = shop
    with pytest.raises(ReportError, match="start < end"):
        Analytics(store).summary(FRI, FRI)
    with pytest.raises(ReportError, match="'revenue', 'quantity' or 'margin'"):
        Analytics(store).top_products(THU, SAT, by="profit")  # type: ignore[arg-type]
    with pytest.raises(ReportError, match="limit must be at least 1"):
        Analytics(store).top_products(THU, SAT, limit=0)


# ---- a period is the sum of its days -------------------------------------------------

# Europe/Kyiv leaves summer time on Sunday 25 October 2026 (a 25-hour day).
DST_DAYS = (date(2026, 10, 24), date(2026, 10, 25), date(2026, 10, 26))
SALE = st.tuples(
    st.integers(0, 71 * 60),  # minutes after the first local midnight
    st.lists(st.tuples(st.sampled_from(["COFFEE", "GUM", "BOOK"]), st.integers(1, 3)), min_size=1),
    st.booleans(),  # give the first line back at once
    st.sampled_from([0, 5, 10]),  # percent off the whole sale, by hand
)


def add_up(days: list[SalesSummary]) -> tuple[object, ...]:
    def total(name: str) -> object:
        return sum((getattr(d, name) for d in days), start=getattr(days[0], name) * 0)

    fields = (
        "sales",
        "returns",
        "sales_total",
        "returns_total",
        "net",
        "tax",
        "discount",
        "discount_returned",
    )
    return (*(total(f) for f in fields), total("items"), total("items_returned"))


def summed(reports: list[list[tuple[object, tuple[Any, ...]]]]) -> dict[object, list[Any]]:
    """(key, figures) rows of several reports, the figures of one key added up."""
    out: dict[object, list[Any]] = {}
    for rows in reports:
        for key, figures in rows:
            acc = out.get(key)
            out[key] = (
                list(figures) if acc is None else [a + b for a, b in zip(acc, figures, strict=True)]
            )
    return out


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(sales=st.lists(SALE, min_size=1, max_size=6))
def test_a_periods_summary_is_the_sum_of_its_days(
    sales: list[tuple[int, list[tuple[str, int]], bool, int]],
) -> None:
    first = datetime(2026, 10, 23, 21, 0, tzinfo=timezone.utc)  # local midnight, UTC+3
    clock = FixedClock(first)
    store = Store.create(KYIV, catalog=shop_catalog(), operators=[CASHIER, SUPERVISOR], clock=clock)
    try:
        session = store.register("till-1").open_session(operator=CASHIER.id)
        now = first
        for minutes, lines, give_back, percent in sorted(sales, key=lambda s: s[0]):
            at = first + timedelta(minutes=minutes)
            if at > now:
                clock.advance(at - now)
                now = at
            sale = session.new_sale()
            for sku, qty in lines:
                sale.add(sku, qty)
            if percent:
                sale.discount_sale(percent=percent, approved_by=SUPERVISOR.id)
            sale.pay("card")
            receipt = sale.complete()
            if give_back:
                ret = session.new_return(receipt, approved_by=SUPERVISOR.id)
                ret.return_line(1)
                ret.refund()
                ret.complete()
        analytics = Analytics(store)
        period = analytics.summary(DST_DAYS[0], DST_DAYS[-1] + timedelta(days=1))
        days = [analytics.summary(d, d + timedelta(days=1)) for d in DST_DAYS]
        assert add_up([period]) == add_up(days)
        assert period.sales == len(sales)
        by_day = analytics.by_day(DST_DAYS[0], DST_DAYS[-1] + timedelta(days=1)).days
        assert [(d.sales, d.returns, d.total) for d in by_day] == [
            (d.sales, d.returns, d.total) for d in days
        ]
        # Every grouped report of the period is its days' rows added up.
        end = DST_DAYS[-1] + timedelta(days=1)
        one_day = [(d, d + timedelta(days=1)) for d in DST_DAYS]
        for report, key in (
            (analytics.by_tender, lambda r: [(k, (n, a)) for k, n, a in r.rows]),
            (analytics.by_category, lambda r: [(c, tuple(f)) for c, *f in r.rows]),
            (analytics.by_tax_rate, lambda r: [((c, p), tuple(f)) for c, p, *f in r.rows]),
            (
                lambda a, b: analytics.top_products(a, b, limit=10),
                lambda r: [(p.sku, (p.quantity, p.net, p.gross)) for p in r.products],
            ),
            (analytics.discounts_by_promotion, lambda r: [("total", (r.total,))]),
        ):
            assert summed([key(report(a, b)) for a, b in one_day]) == summed(
                [key(report(DST_DAYS[0], end))]
            )
        assert analytics.discounts_by_promotion(DST_DAYS[0], end).total == period.discount
    finally:
        store.close()
