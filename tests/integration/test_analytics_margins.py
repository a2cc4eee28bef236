"""Margins, top products by margin, discounts by promotion and sales by tax rate:
hand-computed on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from possdk import Catalog, FixedClock, Money, Product, Settings, Store, TaxCategory, TaxRate
from possdk.core import ProductKind, luhn_digit
from possdk.errors import ReportError
from possdk.loyalty import PercentOff, Promotion
from possdk.reports import Analytics
from tests.conftest import CASHIER, SUPERVISOR
from tests.integration.conftest import OpenStore

DAY, NEXT = date(2026, 11, 27), date(2026, 11, 28)
CARD = "7" + "0" * 17 + "1" + luhn_digit("7" + "0" * 17 + "1")
KYIV = Settings(currency="UAH", timezone="Europe/Kyiv")


def m(value: str) -> Money:
    return Money(value, "UAH")


def catalog() -> Catalog:
    return Catalog(
        [TaxCategory("standard", [TaxRate("VAT20", "20")]), TaxCategory("exempt", [])],
        [
            Product("COFFEE", "Coffee beans", m("189.00"), "standard", category="drinks"),
            Product("GUM", "Gum", m("8.01"), "standard", category="sweets"),
            Product("BOOK", "Book", m("250.00"), "exempt"),
            Product("GIFT", "Gift card", m("0.00"), "exempt", kind=ProductKind.GIFT_CARD),
        ],
    )


@pytest.fixture
def shop(open_store: OpenStore, durable_url: str) -> Store:
    """Coffee costs 100, then 115 on average after 9 more at 130; the book 180; gum has no
    stock kept (no cost). Sales: a coffee (cost 100); two coffees (230) and a gum with
    10 % off coffee; a book and a 500.00 gift card with 20.00 off the sale by hand; the gum
    returned."""
    clock = FixedClock(datetime(2026, 11, 27, 8, 0, tzinfo=timezone.utc))
    store = open_store(durable_url, catalog=catalog(), settings=KYIV, clock=clock)
    inv = store.inventory
    inv.set_item("GUM", tracked=False)
    inv.receive_stock([("COFFEE", 10, "100.00"), ("BOOK", 5, "180.00")])
    till = store.register("till-1").open_session(operator=CASHIER.id)
    a = till.new_sale()
    a.add("COFFEE")
    a.pay("card")
    a.complete()
    inv.receive_stock([("COFFEE", 9, "130.00")])
    store.loyalty.promotions.add(
        Promotion("coffee-10", "Coffee -10%", PercentOff(10, skus={"COFFEE"}))
    )
    clock.advance(timedelta(hours=1))
    b = till.new_sale()
    b.add("COFFEE", 2)
    b.add("GUM")
    b.pay("card")
    sale_b = b.complete()
    store.loyalty.promotions.remove("coffee-10")
    c = till.new_sale()
    c.add("BOOK")
    c.add_gift_card("GIFT", CARD, "500.00")
    c.discount_sale(percent=None, amount="20.00", reason="regular", approved_by=SUPERVISOR.id)
    c.pay("cash", "730.00")
    c.complete()
    r = till.new_return(sale_b, approved_by=SUPERVISOR.id)
    r.return_line(2)
    r.refund("card")
    r.complete()
    return store


def test_margins_are_net_revenue_less_the_cost_when_sold(shop: Store) -> None:
    margins = Analytics(shop).margins(DAY, NEXT)
    rows = {p.sku: (p.quantity, p.net, p.cost, p.margin) for p in margins.products}
    assert rows == {
        "COFFEE": (Decimal(3), m("441.00"), m("330.00"), m("111.00")),  # 100 + 2 x 115
        "BOOK": (Decimal(1), m("230.00"), m("180.00"), m("50.00")),  # 250 - 20 by hand
        "GUM": (Decimal(0), m("0.00"), None, None),  # sold and returned, no stock kept
    }
    assert [p.sku for p in margins.products] == ["COFFEE", "BOOK", "GUM"]
    assert (margins.net, margins.costed_net, margins.cost) == (
        m("671.00"),
        m("671.00"),
        m("510.00"),
    )
    assert margins.margin == m("161.00")
    assert margins.margin_rate == Decimal("0.2399")  # 161 / 671
    assert margins.products[0].margin_rate == Decimal("0.2517")  # 111 / 441
    assert "GIFT" not in rows  # money put on a card is not a product sold
    doc = json.loads(margins.to_json())
    assert doc["rows"][0] == {
        "sku": "COFFEE",
        "name": "Coffee beans",
        "quantity": "3",
        "net": "441.00",
        "cost": "330.00",
        "margin": "111.00",
        "margin_rate": "0.2517",
    }
    assert margins.as_text().startswith("Margin 2026-11-27 to 2026-11-28: 161.00 (23.99 %)")


def test_top_products_leave_gift_cards_out_and_rank_by_margin(shop: Store) -> None:
    analytics = Analytics(shop)
    by_revenue = analytics.top_products(DAY, NEXT)
    assert [(p.sku, p.gross, p.cost) for p in by_revenue.products] == [
        ("COFFEE", m("529.20"), m("330.00")),  # 189.00 + 378.00 - 37.80
        ("BOOK", m("230.00"), m("180.00")),
        ("GUM", m("0.00"), None),
    ]
    by_margin = analytics.top_products(DAY, NEXT, by="margin", limit=1)
    assert [(p.sku, p.margin) for p in by_margin.products] == [("COFFEE", m("111.00"))]
    assert "cost,margin" in by_margin.to_csv().splitlines()[0]
    with pytest.raises(ReportError, match="'revenue', 'quantity' or 'margin'"):
        analytics.top_products(DAY, NEXT, by="profit")  # type: ignore[arg-type]


def test_discounts_by_promotion_add_up_to_the_summary(shop: Store) -> None:
    analytics = Analytics(shop)
    given = analytics.discounts_by_promotion(DAY, NEXT)
    assert [(p.promotion_id, p.description, p.receipts, p.amount) for p in given.promotions] == [
        ("coffee-10", "Coffee -10%", 1, m("37.80"))
    ]
    assert given.manual == m("20.00")
    summary = analytics.summary(DAY, NEXT)
    assert given.total == summary.discount == m("57.80")
    assert summary.discount_returned == m("0.00")
    lines = given.to_csv().splitlines()
    assert lines[-2:] == ["manual,Manual discounts,,20.00", "total,,,57.80"]


def test_sales_by_tax_rate_are_the_receipts_breakdowns_summed(shop: Store) -> None:
    expected: dict[str, list[Money]] = {}
    for receipt in shop.receipts():
        for row in receipt.totals.breakdown:
            acc = expected.setdefault(row.rate.code, [m("0"), m("0")])
            acc[0] += row.net
            acc[1] += row.tax
    report = Analytics(shop).by_tax_rate(DAY, NEXT)
    assert [(code, net, tax, gross) for code, _, net, tax, gross in report.rows] == [
        (code, net, tax, net + tax) for code, (net, tax) in sorted(expected.items())
    ]
    assert any(code == "VAT20" and pct == Decimal(20) for code, pct, *_ in report.rows)


def test_slow_movers_put_unsold_goods_first(shop: Store) -> None:
    slow = Analytics(shop).slow_movers(DAY, NEXT, limit=3)
    assert slow.by == "slowest"
    # GUM sold one and had it back (0), BOOK sold one, COFFEE three; GIFT is no goods
    assert [(p.sku, p.quantity) for p in slow.products] == [
        ("GUM", Decimal(0)),
        ("BOOK", Decimal(1)),
        ("COFFEE", Decimal(3)),
    ]
    shop.catalog.add(Product("TEA", "Green tea", m("95.00"), "standard"))
    first = Analytics(shop).slow_movers(DAY, NEXT, limit=1).products[0]
    assert (first.sku, first.quantity, first.gross) == ("TEA", Decimal(0), m("0.00"))
    with pytest.raises(ReportError, match="limit must be at least 1"):
        Analytics(shop).slow_movers(DAY, NEXT, limit=0)
