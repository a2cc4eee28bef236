"""The promotion engine: golden cases, every condition and benefit, stacking, data form.

Figures in the docstrings are worked out by hand; amounts are UAH.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal

import attrs
import pytest

from possdk import Money, TaxCategory, TaxPolicy, TaxRate, Unit, hookimpl
from possdk.core import Basket, ProductKind, ReturnOf, SaleLine, price_lines
from possdk.errors import PluginError
from possdk.loyalty._promo_data import (
    PromotionDataError,
    dump_promotions,
    load_promotions,
    promotion_to_data,
    promotions_from_data,
)
from possdk.loyalty._promo_engine import Evaluation, PromotionEngine
from possdk.loyalty._promo_model import (
    AmountOff,
    BundlePrice,
    BuyXGetY,
    Channel,
    Choose,
    CouponPresent,
    CustomerTier,
    DateRange,
    ExtraPoints,
    InvalidPromotionError,
    ItemsInCart,
    MinimumSpend,
    PercentOff,
    Promotion,
    PromotionContext,
    Schedule,
    SpendThresholdReward,
    Stacking,
    TimeOfDay,
)
from tests.conftest import make_store

VAT = TaxCategory("std", [TaxRate("VAT20", "20")])
NO_TAX = TaxCategory("none", [])
NOON = datetime(2026, 11, 27, 10, 0, tzinfo=timezone.utc)  # a Friday, 12:00 in Kyiv


def line(
    n: int,
    sku: str,
    price: str,
    qty: str | int = 1,
    category: str | None = None,
    *,
    unit: Unit = Unit.EACH,
    kind: ProductKind = ProductKind.GOODS,
) -> SaleLine:
    return SaleLine(
        n,
        sku,
        sku.title(),
        Decimal(qty),
        unit,
        Money(price, "UAH"),
        NO_TAX if kind is ProductKind.GIFT_CARD else VAT,
        category=category,
        kind=kind,
    )


def basket(*lines: SaleLine, at: datetime = NOON, **kw: object) -> Basket:
    return Basket(uuid.uuid4(), "UAH", tuple(lines), at, "cashier", **kw)  # type: ignore[arg-type]


def evaluate(b: Basket, *promotions: Promotion, tz: str = "Europe/Kyiv") -> Evaluation:
    return PromotionEngine(promotions, timezone=tz).evaluate(b)


def off(ev: Evaluation) -> dict[int, str]:
    """The discount per line number, as text."""
    per: dict[int, Decimal] = {}
    for d in ev.discounts:
        assert d.line_no is not None
        per[d.line_no] = per.get(d.line_no, Decimal(0)) + d.amount.amount
    return {n: str(v) for n, v in sorted(per.items())}


def total(b: Basket, ev: Evaluation) -> Money:
    return price_lines(
        b.lines, currency_code="UAH", policy=TaxPolicy(), promotions=ev.discounts
    ).total


def promo(pid: str, benefit: object, *conditions: object, **kw: object) -> Promotion:
    return Promotion(pid, pid.replace("-", " "), benefit, conditions, **kw)  # type: ignore[arg-type]


# ---- golden cases from the issue ---------------------------------------------------


def test_buy_2_get_1_free_with_mixed_prices_frees_the_cheapest_units():
    """A 120.00 x2, B 80.00, C 45.50 x2, D 30.00: six units, two applications.

    The two cheapest units go free: D (30.00) and one C (45.50) = 75.50 off.
    Total 441.00 - 75.50 = 365.50.
    """
    b = basket(
        line(1, "A", "120.00", 2),
        line(2, "B", "80.00"),
        line(3, "C", "45.50", 2),
        line(4, "D", "30.00"),
    )
    ev = evaluate(b, promo("b2g1", BuyXGetY(2, 1)))
    assert off(ev) == {3: "45.50", 4: "30.00"}
    assert total(b, ev) == Money("365.50", "UAH")


def test_buy_2_get_1_most_expensive_rule_frees_the_dearest_units():
    """Same basket, most expensive chosen: both A units (240.00) go free; 201.00 left."""
    b = basket(
        line(1, "A", "120.00", 2),
        line(2, "B", "80.00"),
        line(3, "C", "45.50", 2),
        line(4, "D", "30.00"),
    )
    ev = evaluate(b, promo("b2g1", BuyXGetY(2, 1, choose=Choose.MOST_EXPENSIVE)))
    assert off(ev) == {1: "240.00"}
    assert total(b, ev) == Money("201.00", "UAH")


def test_buy_1_get_1_half_price_on_a_three_unit_line():
    """3 x 33.33 on one line: one application, one unit at 50 % = 16.665 -> 16.67."""
    b = basket(line(1, "A", "33.33", 3))
    ev = evaluate(b, promo("b1g1", BuyXGetY(1, 1, percent=50)))
    assert off(ev) == {1: "16.67"}


def test_3_for_100_with_7_items_makes_two_bundles_of_the_dearest():
    """X 45.00 x3, Y 40.00 x2, Z 25.00 x2 (265.00), all snacks; 3 for 100.00.

    Bundles from the dearest: (45, 45, 45) saves 35.00, (40, 40, 25) saves
    5.00; the last 25.00 pays full price: 100 + 100 + 25 = 225.00.
    The 40.00 saving is allocated by the bundled pieces' value
    (135 : 80 : 25): X 22.50, Y 13.333 -> 13.33, Z 4.1667 -> 4.17
    (the leftover cent goes to the largest remainder).
    """
    b = basket(
        line(1, "X", "45.00", 3, "snacks"),
        line(2, "Y", "40.00", 2, "snacks"),
        line(3, "Z", "25.00", 2, "snacks"),
    )
    ev = evaluate(b, promo("3for100", BundlePrice(3, "100.00", categories={"snacks"})))
    assert off(ev) == {1: "22.50", 2: "13.33", 3: "4.17"}
    assert total(b, ev) == Money("225.00", "UAH")
    assert ev.applied[0].amount == Money("40.00", "UAH")


def test_bundle_price_above_the_items_value_makes_no_bundle():
    """3 x 30.00 = 90.00 is cheaper than the bundle's 100.00: nothing applies."""
    b = basket(line(1, "X", "30.00", 3))
    assert evaluate(b, promo("3for100", BundlePrice(3, "100"))).discounts == ()


def test_bundle_max_applications_caps_the_bundles():
    """6 x 50.00 and 3 for 100 at most once: one bundle, 50.00 off."""
    b = basket(line(1, "X", "50.00", 6))
    ev = evaluate(b, promo("3for100", BundlePrice(3, "100"), max_applications=1))
    assert off(ev) == {1: "50.00"}


COFFEE_BREAD = (line(1, "COFFEE", "189.00", 2, "coffee"), line(2, "BREAD", "32.50", 4, "bakery"))
TEN_COFFEE = promo("coffee-10", PercentOff(10, categories={"coffee"}), priority=10)
SPEND_500 = promo("spend-500", SpendThresholdReward(500, amount=50))


def test_threshold_and_percentage_stack():
    """Coffee 378.00 + bread 130.00 = 508.00.

    10 % off coffee (priority 10) first: 37.80. The spend before promotions
    (508.00) reaches 500, so 50.00 comes off what is left (340.20 : 130.00):
    coffee 36.1761 -> 36.18, bread 13.8239 -> 13.82.
    Coffee 73.98, bread 13.82; total 508.00 - 87.80 = 420.20.
    """
    b = basket(*COFFEE_BREAD)
    ev = evaluate(b, SPEND_500, TEN_COFFEE)
    assert off(ev) == {1: "73.98", 2: "13.82"}
    assert [a.promotion_id for a in ev.applied] == ["coffee-10", "spend-500"]
    assert total(b, ev) == Money("420.20", "UAH")


def test_an_exclusive_promotion_wins_only_when_it_saves_more_than_the_stack():
    """The stack saves 87.80. An exclusive 15 % saves 76.20 (loses); 20 % saves 101.60 (wins)."""
    b = basket(*COFFEE_BREAD)
    fifteen = promo("all-15", PercentOff(15), stacking=Stacking.EXCLUSIVE)
    twenty = promo("all-20", PercentOff(20), stacking=Stacking.EXCLUSIVE)
    assert evaluate(b, SPEND_500, TEN_COFFEE, fifteen).discount == Money("87.80", "UAH")
    ev = evaluate(b, SPEND_500, TEN_COFFEE, fifteen, twenty)
    assert [a.promotion_id for a in ev.applied] == ["all-20"]
    assert ev.discount == Money("101.60", "UAH")


@pytest.mark.parametrize(
    ("utc", "applies"),
    [
        ((14, 59, 59), False),  # 16:59:59 in Kyiv
        ((15, 0, 0), True),  # 17:00:00: the window opens
        ((16, 59, 59), True),  # 18:59:59
        ((17, 0, 0), False),  # 19:00:00: closed
    ],
)
def test_happy_hour_at_the_boundary_minute(utc: tuple[int, int, int], applies: bool):
    """Beer -20 % from 17:00 to 19:00 Kyiv time (UTC+2 in November), end excluded."""
    at = datetime(2026, 11, 27, *utc, tzinfo=timezone.utc)
    happy = promo(
        "happy-hour",
        PercentOff(20, categories={"beer"}),
        schedule=Schedule(hours=[TimeOfDay(time(17), time(19))]),
    )
    ev = evaluate(basket(line(1, "LAGER", "50.00", 2, "beer"), at=at), happy)
    assert off(ev) == ({1: "20.00"} if applies else {})


# ---- known bugs that must not happen ------------------------------------------------


def test_a_100_percent_discount_takes_lines_to_exactly_zero():
    """3 x 33.33 and 0.01: 100 % off everything leaves 0.00, not 0.01."""
    b = basket(line(1, "A", "33.33", 3), line(2, "B", "0.01"), line(3, "C", "19.99", 7))
    ev = evaluate(b, promo("free", PercentOff(100)))
    assert off(ev) == {1: "99.99", 2: "0.01", 3: "139.93"}
    assert total(b, ev) == Money("0.00", "UAH")


def test_a_basket_discount_spread_over_lines_loses_no_cent():
    """10.00 off three lines of 3.33: 3.34 + 3.33 + 3.33, exactly 10.00."""
    b = basket(line(1, "A", "3.33"), line(2, "B", "3.33"), line(3, "C", "3.34"))
    ev = evaluate(b, promo("ten", AmountOff("9.00")))
    assert sum(d.amount for d in ev.discounts) == Money("9.00", "UAH")
    ev = evaluate(b, promo("third", PercentOff("33.33")))
    assert sum(d.amount for d in ev.discounts) == ev.applied[0].amount == Money("3.33", "UAH")


def test_gift_card_lines_are_never_discounted_nor_counted():
    """A 500.00 gift card and a 100.00 book: 50 % off the sale touches only the book.

    The gift card counts neither for a 200.00 minimum spend nor as an item.
    """
    card = line(1, "GIFT", "500.00", kind=ProductKind.GIFT_CARD)
    book = line(2, "BOOK", "100.00")
    b = basket(card, book)
    assert off(evaluate(b, promo("half", PercentOff(50)))) == {2: "50.00"}
    assert evaluate(b, promo("spend", PercentOff(50), MinimumSpend(200))).discounts == ()
    assert evaluate(b, promo("two", PercentOff(50), ItemsInCart(min_quantity=2))).discounts == ()
    assert evaluate(b, promo("gift", PercentOff(50, skus={"GIFT"}))).discounts == ()


def test_return_lines_are_not_promoted():
    sold = line(1, "A", "100.00")
    back = attrs.evolve(line(2, "A", "100.00", -1), return_of=ReturnOf(uuid.uuid4(), "000001", 1))
    assert off(evaluate(basket(sold, back), promo("half", PercentOff(50)))) == {1: "50.00"}


# ---- conditions -----------------------------------------------------------------------


HALF = PercentOff(50)
ONE = basket(line(1, "A", "10.00", 2, "toys"), line(2, "B", "5.00", 1, "food"))


@pytest.mark.parametrize(
    ("condition", "holds"),
    [
        (ItemsInCart(skus={"A"}, min_quantity=2), True),
        (ItemsInCart(skus={"A"}, min_quantity=3), False),
        (ItemsInCart(categories={"toys", "food"}, min_quantity=3), True),
        (ItemsInCart(categories={"garden"}), False),
        (ItemsInCart(min_quantity=3), True),
        (MinimumSpend("25.00"), True),
        (MinimumSpend("25.01"), False),
        (CustomerTier({"gold"}), False),
        (CouponPresent("save10"), False),
        (Channel({"store"}), True),
        (Channel({"online"}), False),
        (DateRange(date(2026, 11, 27), date(2026, 11, 27)), True),
        (DateRange(end=date(2026, 11, 26)), False),
        (TimeOfDay(time(11), time(13)), True),
        (TimeOfDay(time(11), time(13), weekdays={1, 2, 3, 4}), False),
    ],
)
def test_each_condition(condition: object, holds: bool):
    ev = evaluate(ONE, promo("p", HALF, condition))
    assert (ev.discount == Money("12.50", "UAH")) is holds
    assert bool(ev.discounts) is holds


def test_customer_tier_coupon_and_channel_read_the_basket():
    b = basket(*ONE.lines, customer_tier="gold", coupons=("SAVE10",), channel="online")
    for condition in (
        CustomerTier({"gold", "silver"}),
        CouponPresent(" save10 "),
        Channel("online"),
    ):
        assert evaluate(b, promo("p", HALF, condition)).discounts, condition


def test_a_window_over_midnight_belongs_to_the_day_it_opened():
    """22:00 to 02:00 on Fridays: Friday 23:30 and Saturday 01:30 yes, Friday 01:30 no."""
    window = TimeOfDay(time(22), time(2), weekdays={5})
    kyiv = [
        datetime(2026, 11, 27, 21, 30),
        datetime(2026, 11, 27, 23, 30),
        datetime(2026, 11, 26, 23, 30),
    ]
    # 23:30 Fri, 01:30 Sat, 01:30 Fri (local = UTC + 2)
    got = [window.contains(attrs_local(t)) for t in kyiv]
    assert got == [True, True, False]


def attrs_local(utc_naive: datetime) -> datetime:
    from zoneinfo import ZoneInfo

    return utc_naive.replace(tzinfo=timezone.utc).astimezone(ZoneInfo("Europe/Kyiv"))


def test_date_range_uses_the_store_local_date():
    """23:30 UTC on 30 November is 1 December in Kyiv: December's promotion applies."""
    at = datetime(2026, 11, 30, 23, 30, tzinfo=timezone.utc)
    december = promo("dec", HALF, schedule=Schedule(DateRange(date(2026, 12, 1))))
    assert evaluate(basket(*ONE.lines, at=at), december).discounts
    assert not evaluate(basket(*ONE.lines, at=at), december, tz="UTC").discounts


def test_a_custom_condition_object_works_in_code():
    @attrs.frozen
    class OperatorIs:
        operator_id: str

        def matches(self, basket: Basket, context: PromotionContext) -> bool:
            return basket.operator_id == self.operator_id

    assert evaluate(ONE, promo("p", HALF, OperatorIs("cashier"))).discounts
    assert not evaluate(ONE, promo("p", HALF, OperatorIs("someone"))).discounts


# ---- benefits -------------------------------------------------------------------------


def test_percent_off_skus_and_categories_only():
    assert off(evaluate(ONE, promo("p", PercentOff(10, skus={"B"})))) == {2: "0.50"}
    assert off(evaluate(ONE, promo("p", PercentOff(10, categories={"toys"})))) == {1: "2.00"}


def test_amount_off_together_is_capped_and_allocated():
    """20.00 off toys (20.00 on the line): the line goes to exactly 0; 30 off: still 20.00."""
    assert off(evaluate(ONE, promo("p", AmountOff(20, categories={"toys"})))) == {1: "20.00"}
    assert off(evaluate(ONE, promo("p", AmountOff(30, categories={"toys"})))) == {1: "20.00"}
    assert off(evaluate(ONE, promo("p", AmountOff(3)))) == {1: "2.40", 2: "0.60"}


def test_amount_off_per_unit():
    """2.00 off each unit: 2 toys 4.00, 1 food 2.00; at most 2 units: the dearest first."""
    assert off(evaluate(ONE, promo("p", AmountOff(2, per_unit=True)))) == {1: "4.00", 2: "2.00"}
    capped = promo("p", AmountOff(2, per_unit=True), max_applications=2)
    assert off(evaluate(ONE, capped)) == {1: "4.00"}


def test_spend_threshold_percent():
    """25.00 spent >= 20.00: 10 % off the sale = 2.50 (2.00 + 0.50)."""
    ev = evaluate(ONE, promo("p", SpendThresholdReward(20, percent=10)))
    assert off(ev) == {1: "2.00", 2: "0.50"}
    assert not evaluate(ONE, promo("p", SpendThresholdReward(30, percent=10))).discounts


def test_extra_points_fixed_and_per_unit_never_compete():
    """Points go with an exclusive discount; per unit, toys earn 2 x 5 = 10 points on line 1."""
    ev = evaluate(
        ONE,
        promo("pts", ExtraPoints(5, per_unit=True, categories={"toys"})),
        promo("bonus", ExtraPoints(100), stacking=Stacking.EXCLUSIVE),
        promo("half", HALF, stacking=Stacking.EXCLUSIVE),
    )
    assert [(p.promotion_id, p.points, p.line_no) for p in ev.points] == [
        ("bonus", 100, None),
        ("pts", 10, 1),
    ]
    assert ev.discount == Money("12.50", "UAH")
    assert {a.promotion_id: a.points for a in ev.applied} == {"half": 0, "bonus": 100, "pts": 10}


def test_weighed_items_are_discounted_but_never_bundled():
    b = basket(line(1, "CHEESE", "459.00", "0.500", "deli", unit=Unit.KILOGRAM))
    assert off(evaluate(b, promo("p", PercentOff(10)))) == {1: "22.95"}
    assert not evaluate(b, promo("b", BuyXGetY(1, 1))).discounts


# ---- stacking -----------------------------------------------------------------------


def test_stackable_promotions_apply_in_priority_order_on_what_is_left():
    """100.00: 50 % (priority 5) -> 50.00 left; then 60.00 off is capped at 50.00: free."""
    b = basket(line(1, "A", "100.00"))
    ev = evaluate(b, promo("amount", AmountOff(60)), promo("half", HALF, priority=5))
    assert [(a.promotion_id, str(a.amount.amount)) for a in ev.applied] == [
        ("half", "50.00"),
        ("amount", "50.00"),
    ]
    assert total(b, ev) == Money("0.00", "UAH")
    ev = evaluate(b, promo("amount", AmountOff(60), priority=9), promo("half", HALF, priority=5))
    assert ev.discount == Money("80.00", "UAH")  # 60 off, then half of 40


def test_ties_go_to_the_higher_priority_then_the_smaller_id():
    b = basket(line(1, "A", "100.00"))
    ex = Stacking.EXCLUSIVE
    a = promo("a", PercentOff(10), stacking=ex)
    b_ = promo("b", PercentOff(10), stacking=ex, priority=1)
    c = promo("c", PercentOff(10), stacking=ex)
    assert [x.promotion_id for x in evaluate(b, a, b_, c).applied] == ["b"]
    assert [x.promotion_id for x in evaluate(b, c, a).applied] == ["a"]
    stack = promo("s", PercentOff(10))
    assert [x.promotion_id for x in evaluate(b, c, stack).applied] == ["c"]  # id "c" < "s"


def test_a_tied_cent_lands_on_the_same_item_whatever_order_lines_were_added():
    """A 10.00 and B 10.00; 0.01 off the sale, then 100 % off A.

    The cent ties between the lines; it goes to A (by SKU, not by line
    number) in both orders, so 100 % of A's 9.99 follows: 10.00 in all.
    """
    promotions = (
        promo("cent", AmountOff("0.01"), priority=1),
        promo("free-a", PercentOff(100, skus={"A"})),
    )
    ab = basket(line(1, "A", "10.00"), line(2, "B", "10.00"))
    ba = basket(line(1, "B", "10.00"), line(2, "A", "10.00"))
    assert off(evaluate(ab, *promotions)) == {1: "10.00"}
    assert off(evaluate(ba, *promotions)) == {2: "10.00"}


def test_the_explanation_names_lines_and_amounts_that_sum_to_the_discounts():
    b = basket(*COFFEE_BREAD)
    ev = evaluate(b, SPEND_500, TEN_COFFEE)
    assert [(a.promotion_id, a.line_nos, str(a.amount.amount)) for a in ev.applied] == [
        ("coffee-10", (1,), "37.80"),
        ("spend-500", (1, 2), "50.00"),
    ]
    for a in ev.applied:
        parts = [d.amount for d in ev.discounts if d.promotion_id == a.promotion_id]
        assert sum(parts, Money.zero("UAH")) == a.amount
        assert all(
            d.description == a.name for d in ev.discounts if d.promotion_id == a.promotion_id
        )
    priced = price_lines(b.lines, currency_code="UAH", policy=TaxPolicy(), promotions=ev.discounts)
    assert priced.line(1).promotion_discount == Decimal("73.98")


def test_the_engine_refuses_duplicate_ids_and_unknown_zones():
    with pytest.raises(InvalidPromotionError, match="two promotions have the id 'x'"):
        PromotionEngine([promo("x", HALF), promo("x", HALF)])
    with pytest.raises(InvalidPromotionError, match="unknown time zone"):
        PromotionEngine([], timezone="Mars/Olympus")


def test_values_validate_their_fields():
    with pytest.raises(InvalidPromotionError, match="percent: must be more than 0 and at most 100"):
        PercentOff(120)
    with pytest.raises(InvalidPromotionError, match="quantity: must be a whole number >= 1"):
        BundlePrice(0, "100")
    with pytest.raises(InvalidPromotionError, match="give exactly one of amount and percent"):
        SpendThresholdReward(100, amount=5, percent=5)
    with pytest.raises(InvalidPromotionError, match="amount: amount must be str, int or Decimal"):
        AmountOff(1.5)  # type: ignore[arg-type]
    with pytest.raises(InvalidPromotionError, match="end: 2026-01-01 is before start"):
        DateRange(date(2026, 2, 1), date(2026, 1, 1))


# ---- data ---------------------------------------------------------------------------------


EVERY_KIND = [
    promo(
        "p1", PercentOff("12.5", skus={"A", "B"}), ItemsInCart(categories={"toys"}, min_quantity=2)
    ),
    promo("p2", AmountOff("5.00", per_unit=True), MinimumSpend("99.99"), priority=-3),
    promo("p3", BundlePrice(3, "100"), CustomerTier({"gold"}), max_applications=2),
    promo("p4", BuyXGetY(2, 1, percent=50, choose=Choose.MOST_EXPENSIVE), CouponPresent("x")),
    promo("p5", SpendThresholdReward(500, percent=5), Channel({"online", "store"})),
    promo(
        "p6",
        ExtraPoints(50, per_unit=True, categories={"coffee"}),
        TimeOfDay(time(17), time(19, 30, 15), weekdays={6, 7}),
        DateRange(date(2026, 1, 1)),
    ),
    Promotion(
        "p7",
        "Happy hour",
        SpendThresholdReward(10, amount=1),
        schedule=Schedule(
            DateRange(date(2026, 1, 1), date(2026, 12, 31)), [TimeOfDay(time(17), time(19))]
        ),
        stacking=Stacking.EXCLUSIVE,
        description="longer text",
    ),
]


@pytest.mark.parametrize("fmt", ["json", "yaml"])
def test_every_kind_round_trips_through_data(fmt: str):
    assert promotions_from_data([promotion_to_data(p) for p in EVERY_KIND]) == EVERY_KIND
    assert load_promotions(dump_promotions(EVERY_KIND, fmt), fmt) == EVERY_KIND


def test_yaml_written_by_hand_reads_times_and_numbers_exactly():
    text = """
promotions:
  - id: happy-hour
    name: Beer -12.5 %
    stacking: exclusive
    benefit: {type: percent_off, percent: 12.5, categories: [beer]}
    schedule:
      start: 2026-06-01
      hours: [{start: 17:00, end: 19:00, weekdays: [fri, sat]}]
"""
    [p] = load_promotions(text, "yaml")
    assert p.benefit == PercentOff(Decimal("12.5"), categories={"beer"})
    assert p.schedule == Schedule(
        DateRange(date(2026, 6, 1)), [TimeOfDay(time(17), time(19), {5, 6})]
    )
    assert p.stacking is Stacking.EXCLUSIVE


def test_data_errors_name_every_field_at_once():
    doc = {
        "promotions": [
            {"id": "ok", "name": "Fine", "benefit": {"type": "percent_off", "percent": "10"}},
            {"id": "p", "name": "Too much", "benefit": {"type": "percent_off", "percent": 120}},
            {"id": "q", "name": "Typo", "benefit": {"type": "percent_of", "percent": 1}},
            {"name": "No id", "benefit": {"type": "amount_off", "amount": 1.5}},
            {
                "id": "r",
                "name": "Bad time",
                "benefit": {"type": "extra_points", "points": 1},
                "conditions": [{"type": "time_of_day", "start": 1020, "end": "25:00"}],
            },
            {
                "id": "ok",
                "name": "Again",
                "benefit": {"type": "bundle_price", "quantity": 3},
                "stacking": "alone",
                "colour": "red",
            },
        ]
    }
    with pytest.raises(PromotionDataError) as caught:
        promotions_from_data(doc)
    problems = dict(caught.value.problems)
    assert problems == {
        "promotions[1].benefit.percent": "must be more than 0 and at most 100, got 120",
        "promotions[2].benefit.type": (
            "unknown benefit type 'percent_of'; known: amount_off, bundle_price, buy_x_get_y, "
            "extra_points, percent_off, spend_threshold"
        ),
        "promotions[3].id": "is required",
        "promotions[3].benefit.amount": "got the float 1.5; write it as a string like '1.5'",
        "promotions[4].conditions[0].start": (
            "must be a time like '17:00' in quotes, got the number 1020"
        ),
        "promotions[4].conditions[0].end": "must be a time like '17:00' or '17:00:30', got '25:00'",
        "promotions[5].colour": (
            "unknown field; a promotion has id, name, benefit, conditions, schedule, stacking, "
            "priority, max_applications, description"
        ),
        "promotions[5].benefit.price": "is required",
        "promotions[5].stacking": "must be one of 'exclusive', 'stackable', got 'alone'",
    }
    assert str(caught.value).startswith(
        "promotions[1].benefit.percent: must be more than 0 and at most 100, got 120; "
    )
    assert isinstance(caught.value, ValueError)


def test_a_duplicate_id_in_a_document_names_both_places():
    item = {"id": "x", "name": "X", "benefit": {"type": "percent_off", "percent": 5}}
    with pytest.raises(
        PromotionDataError, match=r"promotions\[1\]\.id: 'x' is already used by promotions\[0\]"
    ):
        promotions_from_data([item, item])


def test_broken_text_is_a_data_error():
    with pytest.raises(PromotionDataError, match="not valid JSON"):
        load_promotions("[{", "json")
    with pytest.raises(PromotionDataError, match="not valid YAML"):
        load_promotions("a: [", "yaml")
    with pytest.raises(PromotionDataError, match=r"promotions: must be a list"):
        load_promotions(json.dumps({"promotions": 3}))


# ---- the store's promotions and a plugin's condition ------------------------------------


@attrs.frozen
class BasketSize:
    """A plugin's condition: at least so many different lines of goods."""

    at_least: int

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        return len(context.lines) >= self.at_least


class SizePlugin:
    @hookimpl
    def possdk_promotion_conditions(self) -> dict[str, type]:
        return {"basket_size": BasketSize}


BIG_BASKET = """
- id: big-basket
  name: Big basket -10 %
  conditions: [{type: basket_size, at_least: 3}]
  benefit: {type: percent_off, percent: 10}
"""


def test_a_plugin_condition_is_usable_from_yaml_and_prices_the_sale():
    """COFFEE 189.00 + BREAD 32.50 + MILK 41.90 = 263.40; 10 % = 26.34 -> 237.06."""
    store = make_store(plugins=(SizePlugin(),))
    try:
        [loaded] = store.loyalty.promotions.load(BIG_BASKET, "yaml")
        assert loaded.conditions == (BasketSize(3),)
        session = store.register("till-1").open_session(operator="cashier")
        sale = session.new_sale()
        sale.add("COFFEE")
        sale.add("BREAD")
        assert sale.totals.discount == Money("0.00", "UAH")
        sale.add("MILK")
        assert sale.total == Money("237.06", "UAH")
        assert {p.promotion_id for p in sale.totals.promotions} == {"big-basket"}
        # written back with the plugin's name, and read again
        again = load_promotions(
            store.loyalty.promotions.dump("yaml"),
            "yaml",
            conditions=store.loyalty.promotions.condition_types(),
        )
        assert again == [loaded]
    finally:
        store.close()


def test_without_the_plugin_the_condition_type_is_unknown():
    store = make_store()
    try:
        with pytest.raises(PromotionDataError, match=r"conditions\[0\]\.type: unknown condition"):
            store.loyalty.promotions.load(BIG_BASKET, "yaml")
        assert store.loyalty.promotions.all() == ()
    finally:
        store.close()


def test_a_plugin_cannot_take_a_built_in_condition_name():
    class Clash:
        @hookimpl
        def possdk_promotion_conditions(self) -> dict[str, type]:
            return {"coupon": BasketSize}

    store = make_store(plugins=(Clash(),))
    try:
        with pytest.raises(PluginError, match="'coupon', which is a built-in condition type"):
            store.loyalty.promotions.load(BIG_BASKET, "yaml")
    finally:
        store.close()


def test_the_store_service_adds_removes_and_rebuilds_its_engine():
    store = make_store()
    try:
        promotions = store.loyalty.promotions
        half = promo("half", PercentOff(50, skus={"BREAD"}))
        promotions.add(half)
        with pytest.raises(InvalidPromotionError, match="already active"):
            promotions.add(half)
        session = store.register("till-1").open_session(operator="cashier")
        sale = session.new_sale()
        sale.add("BREAD", 2)
        assert sale.total == Money("32.50", "UAH")
        assert [a.amount for a in promotions.evaluate(_basket_of(sale)).applied] == [
            Money("32.50", "UAH")
        ]
        assert promotions.remove("half") == half
        assert promotions.all() == ()
        with pytest.raises(KeyError, match="no active promotion"):
            promotions.remove("half")
        assert promotions._discounts(_basket_of(sale)) == []
    finally:
        store.close()


def _basket_of(sale: object) -> Basket:
    return Basket(
        sale.id,  # type: ignore[attr-defined]
        "UAH",
        sale.active_lines,  # type: ignore[attr-defined]
        NOON,
        "cashier",
    )
