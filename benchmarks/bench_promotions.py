"""bench_promotions: reprice a 200-line sale with 100 active promotions.

The promotions are of mixed kinds (percentages and amounts off items,
categories and the whole sale, 3-for-N bundles, buy-X-get-Y, spend
thresholds, extra points) behind mixed conditions (items in the cart,
minimum spend, a happy hour, a customer tier, a channel); 20 are stackable,
80 exclusive. A reprice is what a sale does on every change: the engine's
evaluation, then ``price_lines`` with its discounts. The anchor is the same
basket priced without promotions, in the same run.
Goal: <= 5 ms per reprice.
"""

from __future__ import annotations

import random
import uuid
from datetime import datetime, time, timezone
from decimal import Decimal

from benchmarks._util import spread
from possdk import Money, TaxCategory, TaxPolicy, TaxRate, Unit
from possdk.core import Basket, SaleLine, SaleTotals, price_lines
from possdk.loyalty._promo_engine import PromotionEngine
from possdk.loyalty._promo_model import (
    AmountOff,
    Benefit,
    BundlePrice,
    BuyXGetY,
    Channel,
    Choose,
    Condition,
    CustomerTier,
    ExtraPoints,
    ItemsInCart,
    MinimumSpend,
    PercentOff,
    Promotion,
    Schedule,
    SpendThresholdReward,
    Stacking,
    TimeOfDay,
)

LINES = 200
PROMOTIONS = 100
STACKABLE = 20
CATEGORIES = 20


def build_basket(seed: int = 1) -> Basket:
    vat20, vat7 = TaxRate("VAT20", "20"), TaxRate("VAT7", "7")
    taxes = [TaxCategory("standard", [vat20]), TaxCategory("reduced", [vat7])]
    rnd = random.Random(seed)
    lines = tuple(
        SaleLine(
            line_no=n,
            sku=f"SKU{rnd.randint(1, 150)}",
            name=f"Item {n}",
            quantity=Decimal(rnd.randint(1, 4)),
            unit=Unit.EACH,
            unit_price=Money.from_minor(rnd.randint(500, 49_999), "UAH"),
            tax_category=taxes[n % 2],
            category=f"cat{n % CATEGORIES}",
        )
        for n in range(1, LINES + 1)
    )
    return Basket(
        uuid.uuid4(),
        "UAH",
        lines,
        datetime(2026, 11, 27, 15, 30, tzinfo=timezone.utc),
        "cashier",
        customer_id="C1",
        customer_tier="gold",
    )


def build_promotions(seed: int = 2) -> list[Promotion]:
    rnd = random.Random(seed)

    def skus(k: int) -> set[str]:
        return {f"SKU{rnd.randint(1, 150)}" for _ in range(k)}

    def cat() -> set[str]:
        return {f"cat{rnd.randrange(CATEGORIES)}"}

    promotions = []
    for n in range(PROMOTIONS):
        kind = n % 8
        benefit: Benefit
        if kind == 0:
            benefit = PercentOff(rnd.choice([5, 10, 15, 20]), categories=cat())
        elif kind == 1:
            benefit = AmountOff(rnd.randint(5, 50), skus=skus(3), per_unit=n % 2 == 0)
        elif kind == 2:
            benefit = BundlePrice(3, rnd.randint(100, 600), categories=cat())
        elif kind == 3:
            benefit = BuyXGetY(2, 1, choose=rnd.choice(list(Choose)), skus=skus(10))
        elif kind == 4:
            benefit = SpendThresholdReward(rnd.randint(1000, 50_000), percent=rnd.randint(1, 10))
        elif kind == 5:
            benefit = PercentOff(rnd.choice([2, 3, 5]))
        elif kind == 6:
            benefit = ExtraPoints(rnd.randint(1, 100), per_unit=True, categories=cat())
        else:
            benefit = AmountOff(rnd.randint(10, 200), categories=cat())
        conditions: list[Condition] = []
        which = n % 5
        if which == 0:
            conditions.append(ItemsInCart(categories=cat(), min_quantity=2))
        elif which == 1:
            conditions.append(MinimumSpend(rnd.randint(100, 5000)))
        elif which == 2:
            conditions.append(CustomerTier({"gold", "silver"}))
        elif which == 3:
            conditions.append(Channel({"store"}))
        schedule = Schedule(hours=[TimeOfDay(time(12), time(20))]) if n % 3 == 0 else Schedule()
        promotions.append(
            Promotion(
                f"P{n:03d}",
                f"Promotion {n}",
                benefit,
                conditions,
                schedule,
                Stacking.STACKABLE if n < STACKABLE * 5 and n % 5 == 0 else Stacking.EXCLUSIVE,
                priority=rnd.randint(0, 5),
            )
        )
    return promotions


def run() -> list[str]:
    basket = build_basket()
    promotions = build_promotions()
    assert sum(p.stacking is Stacking.STACKABLE for p in promotions) == STACKABLE
    engine = PromotionEngine(promotions, timezone="Europe/Kyiv")
    policy = TaxPolicy()

    def reprice() -> SaleTotals:
        discounts = engine.discounts(basket)
        return price_lines(basket.lines, currency_code="UAH", policy=policy, promotions=discounts)

    def plain() -> SaleTotals:
        return price_lines(basket.lines, currency_code="UAH", policy=policy)

    evaluation = engine.evaluate(basket)
    with_promotions, without = reprice(), plain()
    assert Decimal(0) <= with_promotions.total.amount < without.total.amount
    assert with_promotions.discount == evaluation.discount
    best, median = spread(reprice, repeat=9, number=20)
    base_best, base_median = spread(plain, repeat=9, number=20)
    return [
        f"bench_promotions: {best * 1e3:6.2f} ms per {LINES}-line reprice with "
        f"{PROMOTIONS} promotions ({STACKABLE} stackable; {len(evaluation.applied)} applied, "
        f"{evaluation.discount} off) (median {median * 1e3:.2f}); without promotions "
        f"{base_best * 1e3:.2f} ms (median {base_median * 1e3:.2f}); "
        f"ratio {best / base_best:.2f}x [goal <= 5 ms]"
    ]


if __name__ == "__main__":
    print("\n".join(run()))
