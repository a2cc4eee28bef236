"""What a sale carries for loyalty: customer, tier, coupons, channel, and gift card lines.

Gift card lines are money put on a card: no tax, no discount of any kind,
no share of a sale discount, no promotion, whatever the tax mode.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk import (
    Money,
    Product,
    ProductKind,
    PromotionDiscount,
    Settings,
    Store,
    TaxMode,
    TaxPolicy,
    hookimpl,
)
from possdk.core import Basket
from possdk.errors import InvalidDiscountError, SaleError, SaleStateError
from tests.conftest import make_catalog, make_store

GIFT = Product("GIFT", "Gift card", Money("500.00", "UAH"), "standard", kind=ProductKind.GIFT_CARD)


class Baskets:
    """A promotion plugin that records what it saw and can discount one line."""

    def __init__(self, line_no: int | None = None, amount: str = "0.00") -> None:
        self.seen: list[Basket] = []
        self.line_no = line_no
        self.amount = amount

    @hookimpl
    def possdk_pricing_promotions(self, basket: Basket) -> list[PromotionDiscount]:
        self.seen.append(basket)
        if self.line_no is None:
            return []
        return [PromotionDiscount("p1", "test", Money(self.amount, "UAH"), self.line_no)]


def shop(*plugins: object, settings: Settings | None = None) -> Store:
    store = make_store(settings, plugins=plugins)
    store.catalog.add(GIFT)
    return store


def test_a_product_is_goods_without_a_category_unless_told() -> None:
    plain = Product("X", "X", Money("1.00", "UAH"), "standard")
    assert (plain.kind, plain.category) == (ProductKind.GOODS, None)
    dairy = Product("Y", "Y", Money("1.00", "UAH"), "reduced", category="dairy")
    assert dairy.category == "dairy"


def test_category_and_kind_are_kept_in_the_database(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'shop.db'}"
    with Store.open(url, settings=Settings(currency="UAH"), catalog=make_catalog()) as store:
        store.catalog.add(GIFT)
        store.catalog.add(
            Product("KEFIR", "Kefir", Money("38.00", "UAH"), "reduced", category="dairy")
        )
    with Store.open(url) as store:
        assert store.catalog.get("GIFT").kind is ProductKind.GIFT_CARD
        assert store.catalog.get("KEFIR").category == "dairy"
        assert store.catalog.get("MILK").kind is ProductKind.GOODS


@pytest.mark.parametrize("mode", [TaxMode.INCLUSIVE, TaxMode.EXCLUSIVE])
def test_a_gift_card_line_carries_no_tax_and_no_share_of_a_sale_discount(mode: TaxMode) -> None:
    store = shop(settings=Settings(currency="UAH", locale="uk_UA", tax=TaxPolicy(mode=mode)))
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    sale.add("COFFEE")  # 189.00 at 20 %
    card = sale.add_gift_card("GIFT", "GC-1", "300.00")
    assert (card.kind, card.account, card.quantity) == (ProductKind.GIFT_CARD, "GC-1", 1)
    sale.discount_sale(percent="100", approved_by="super")
    priced = sale.totals.line(card.line_no)
    assert (priced.amount, priced.tax, priced.discount) == (Decimal("300.00"), 0, 0)
    coffee = sale.totals.line(1)
    assert coffee.amount == Decimal("0.00")  # 100 % off the goods: exactly zero, not 0.01
    assert sale.total == Money("300.00", "UAH")
    assert sale.totals.tax == Money("0.00", "UAH")
    with pytest.raises(InvalidDiscountError, match="gift card"):
        sale.discount_line(card.line_no, percent="10", approved_by="super")


def test_a_promotion_naming_a_gift_card_line_is_ignored() -> None:
    spy = Baskets(line_no=2, amount="50.00")
    store = shop(spy)
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    sale.add("MILK")
    sale.add_gift_card("GIFT", "GC-2", "100.00")
    assert sale.total == Money("141.90", "UAH")
    assert sale.totals.promotions == ()
    assert sale.totals.line(2).promotion_discount == 0


def test_a_fixed_denomination_card_sells_at_its_catalog_price() -> None:
    store = shop()
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    line = sale.add("GIFT")
    assert (line.kind, line.account, sale.total) == (
        ProductKind.GIFT_CARD,
        None,
        Money("500.00", "UAH"),
    )
    assert sale.totals.tax == Money("0.00", "UAH")


@pytest.mark.parametrize(
    ("sku", "number", "amount", "message"),
    [
        ("MILK", "GC-1", "10.00", "not a gift card"),
        ("GIFT", "  ", "10.00", "needs the card's number"),
        ("GIFT", "GC-1", "0", "positive amount"),
        ("GIFT", "GC-1", "-5.00", "positive amount"),
        ("GIFT", "GC-1", "10.001", "whole minor units"),
    ],
)
def test_bad_gift_card_lines_are_refused(sku: str, number: str, amount: str, message: str) -> None:
    store = shop()
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    with pytest.raises(SaleError, match=message):
        sale.add_gift_card(sku, number, amount)
    assert sale.lines == ()


def test_the_basket_shows_customer_tier_coupons_campaigns_and_channel() -> None:
    spy = Baskets()
    store = shop(spy)
    session = store.register("till-1").open_session(operator="cashier")
    sale = session.new_sale(channel="online")
    sale.add("MILK")
    sale.identify_customer("cust-1", tier="gold")
    assert sale.add_coupon("  welcome10 ") == "WELCOME10"
    sale.add_coupon("x7k2-q9", campaign="spring")
    _ = sale.totals
    basket = spy.seen[-1]
    assert (basket.customer_id, basket.customer_tier, basket.channel) == (
        "cust-1",
        "gold",
        "online",
    )
    assert basket.coupons == ("WELCOME10", "X7K2-Q9", "SPRING")
    with pytest.raises(SaleError, match="already on this sale"):
        sale.add_coupon("Welcome10")
    sale.remove_coupon("x7k2-q9")
    _ = sale.totals
    assert spy.seen[-1].coupons == ("WELCOME10",)
    with pytest.raises(SaleError, match="not on this sale"):
        sale.remove_coupon("NOPE")
    sale.identify_customer(None, tier="gold")  # forgetting the customer forgets the tier
    assert (sale.customer_id, sale.customer_tier) == (None, None)


def test_coupons_and_customers_are_refused_where_they_make_no_sense() -> None:
    store = shop()
    session = store.register("till-1").open_session(operator="cashier")
    with pytest.raises(SaleError, match="channel"):
        session.new_sale(channel=" ")
    sale = session.new_sale()
    with pytest.raises(SaleError, match="non-empty"):
        sale.add_coupon("")
    with pytest.raises(SaleError, match="non-empty"):
        sale.identify_customer("")
    sale.add("MILK")
    sale.pay("cash", "50")
    with pytest.raises(SaleStateError):
        sale.add_coupon("LATE")
    back = session.new_return(approved_by="super")
    with pytest.raises(SaleError, match="return"):
        back.add_coupon("X")


def test_the_receipt_and_a_parked_sale_keep_customer_coupons_and_channel() -> None:
    store = shop()
    till1 = store.register("till-1").open_session(operator="cashier")
    till2 = store.register("till-2").open_session(operator="super")
    customer = store.loyalty.customers.add("Ivan", phone="0501112233")
    sale = till1.new_sale(channel="mobile")
    sale.add("MILK")
    sale.identify_customer(customer.id, tier="silver")
    store.loyalty.coupons.create("SAVE5", campaign="autumn")
    sale.add_coupon("SAVE5", campaign="autumn")
    sale.suspend()
    back = till2.resume(sale.id)
    assert (back.customer_id, back.customer_tier, back.channel, back.coupons) == (
        customer.id,
        "silver",
        "mobile",
        ("SAVE5",),
    )
    assert back.basket().coupons == ("SAVE5", "AUTUMN")
    back.pay("cash", "50")
    receipt = back.complete()
    kept = store.receipt(receipt.number)
    assert (kept.customer_id, kept.customer_tier, kept.coupons, kept.channel) == (
        customer.id,
        "silver",
        ("SAVE5",),
        "mobile",
    )


@given(
    goods=st.lists(st.sampled_from(["COFFEE", "MILK", "CIGS", "BOOK", "GUM"]), max_size=5),
    cards=st.lists(st.integers(min_value=1, max_value=500_000), min_size=1, max_size=3),
    percent=st.integers(min_value=0, max_value=100),
)
def test_gift_card_lines_keep_their_full_value_whatever_the_discount(
    goods: list[str], cards: list[int], percent: int
) -> None:
    store = make_store()
    store.catalog.add(GIFT)
    try:
        sale = store.register("till-1").open_session(operator="cashier").new_sale()
        for sku in goods:
            sale.add(sku)
        numbers = []
        for i, minor in enumerate(cards):
            numbers.append(sale.add_gift_card("GIFT", f"GC-{i}", Money.from_minor(minor, "UAH")))
        if goods:
            sale.discount_sale(percent=percent, approved_by="super")
        loaded = sum(Decimal(m) / 100 for m in cards)
        on_cards = sum(sale.totals.line(ln.line_no).amount for ln in numbers)
        assert on_cards == loaded
        assert all(sale.totals.line(ln.line_no).tax == 0 for ln in numbers)
        goods_total = sum(
            (p.total.amount for p in sale.totals.lines if p.line.kind is ProductKind.GOODS),
            Decimal(0),
        )
        assert sale.total.amount == loaded + goods_total
    finally:
        store.close()


def test_the_receipt_names_each_promotion_under_the_line_it_discounted() -> None:
    from possdk.loyalty import BundlePrice, PercentOff, Promotion

    store = shop()
    store.loyalty.promotions.add(
        Promotion("milk-10", "Milk -10%", PercentOff(10, skus={"MILK"}), priority=5)
    )
    store.loyalty.promotions.add(
        Promotion("gum-3for20", "Gum 3 for 20", BundlePrice(3, "20.00", skus={"GUM"}))
    )
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    sale.add("MILK")  # 41.90 - 4.19
    sale.add("GUM", 3)  # 24.03 - 4.03
    number = store.loyalty.gift_cards.new_number()
    sale.add_gift_card("GIFT", number, "100.00")
    sale.pay("cash", "200")
    text = sale.complete().as_text(width=40, locale="en_US")
    lines = text.splitlines()
    milk, gum, card = (lines.index(n) for n in ("Milk 1 l", "Gum", "Gift card"))
    assert lines[milk + 2].split() == ["Milk", "-10%", "-4.19"]
    assert lines[gum + 2].split() == ["Gum", "3", "for", "20", "-4.03"]
    assert lines[card + 2] == f"  *{number[-4:]}"  # which card, never its whole number
    assert lines[card + 3].startswith("---")  # nothing taken off a gift card
    assert number not in text


def test_selling_a_gift_card_moves_no_stock() -> None:
    store = shop()
    store.inventory.set_item("GIFT", negative="block")  # even a blocking rule is not asked
    sale = store.register("till-1").open_session(operator="cashier").new_sale()
    sale.add("MILK")
    sale.add_gift_card("GIFT", store.loyalty.gift_cards.new_number(), "100.00")
    assert [s.sku for s in store.inventory.shortages(sale)] == ["MILK"]  # the card is no stock
    sale.pay("cash", "150")
    receipt = sale.complete()
    moved = store.inventory.movements(document_id=receipt.sale_id)
    assert [m.sku for m in moved] == ["MILK"]
