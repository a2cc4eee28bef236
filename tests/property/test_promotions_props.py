"""Promotion invariants: never negative, never dearer, allocated exactly, order-free."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time, timezone
from decimal import Decimal

import attrs
from hypothesis import given
from hypothesis import strategies as st

from possdk import Money, TaxCategory, TaxPolicy, TaxRate, Unit
from possdk.core import Basket, ProductKind, SaleLine, price_lines
from possdk.core._decimal import RoundingMode
from possdk.loyalty._promo_engine import Evaluation, PromotionEngine
from possdk.loyalty._promo_model import (
    AmountOff,
    Benefit,
    BundlePrice,
    BuyXGetY,
    Choose,
    Condition,
    DateRange,
    ExtraPoints,
    ItemsInCart,
    MinimumSpend,
    PercentOff,
    Promotion,
    SpendThresholdReward,
    Stacking,
    TimeOfDay,
)
from tests.strategies import MINOR, percents

SKUS = ("A", "B", "C", "D")
CATEGORIES = ("x", "y")
VAT = TaxCategory("std", [TaxRate("VAT20", "20")])
NONE = TaxCategory("none", [])
AT = datetime(2026, 11, 27, 15, 30, tzinfo=timezone.utc)


def amounts(code: str, max_minor: int = 50_000) -> st.SearchStrategy[Decimal]:
    return st.integers(0, max_minor).map(lambda m: Decimal(m).scaleb(-MINOR[code]))


@st.composite
def carts(draw: st.DrawFn, code: str) -> list[SaleLine]:
    n = draw(st.integers(1, 10))
    lines = []
    for i in range(1, n + 1):
        unit = draw(st.sampled_from([Unit.EACH, Unit.EACH, Unit.KILOGRAM]))
        qty = (
            Decimal(draw(st.integers(1, 6)))
            if unit is Unit.EACH
            else Decimal(draw(st.integers(1, 3000))).scaleb(-3)
        )
        gift = draw(st.integers(0, 7)) == 0
        lines.append(
            SaleLine(
                line_no=i,
                sku="GIFT" if gift else draw(st.sampled_from(SKUS)),
                name=f"Item {i}",
                quantity=qty,
                unit=unit,
                # a few common prices, so lines often tie (where allocation order could leak)
                unit_price=Money(draw(st.one_of(prices(code), amounts(code, 20_000))), code),
                tax_category=NONE if gift else VAT,
                category=None if gift else draw(st.sampled_from((*CATEGORIES, None))),
                kind=ProductKind.GIFT_CARD if gift else ProductKind.GOODS,
            )
        )
    return lines


def prices(code: str) -> st.SearchStrategy[Decimal]:
    return st.sampled_from([100, 999, 1000]).map(lambda m: Decimal(m).scaleb(-MINOR[code]))


def targets() -> st.SearchStrategy[dict[str, frozenset[str]]]:
    return st.fixed_dictionaries(
        {
            "skus": st.frozensets(st.sampled_from(SKUS), max_size=2),
            "categories": st.frozensets(st.sampled_from(CATEGORIES), max_size=1),
        }
    )


def positive_percents() -> st.SearchStrategy[Decimal]:
    return st.one_of(st.just(Decimal(100)), percents().filter(lambda p: p > 0))


def benefits(code: str) -> st.SearchStrategy[Benefit]:
    return st.one_of(
        st.builds(lambda p, t: PercentOff(p, **t), positive_percents(), targets()),
        st.builds(
            lambda a, u, t: AmountOff(a, per_unit=u, **t), amounts(code), st.booleans(), targets()
        ),
        st.builds(
            lambda q, p, t: BundlePrice(q, p, **t), st.integers(1, 4), amounts(code), targets()
        ),
        st.builds(
            lambda b, g, p, c, t: BuyXGetY(b, g, p, c, **t),
            st.integers(1, 3),
            st.integers(1, 2),
            positive_percents(),
            st.sampled_from(Choose),
            targets(),
        ),
        st.builds(lambda t, a: SpendThresholdReward(t, amount=a), amounts(code), amounts(code)),
        st.builds(
            lambda t, p: SpendThresholdReward(t, percent=p), amounts(code), positive_percents()
        ),
        st.builds(
            lambda n, u, t: ExtraPoints(n, per_unit=u, **t),
            st.integers(1, 50),
            st.booleans(),
            targets(),
        ),
    )


def conditions(code: str) -> st.SearchStrategy[Condition]:
    return st.one_of(
        st.builds(lambda t, q: ItemsInCart(min_quantity=q, **t), targets(), st.integers(0, 6)),
        st.builds(MinimumSpend, amounts(code, 200_000)),
        st.just(TimeOfDay(time(17), time(19))),
        st.just(TimeOfDay(time(9), time(10))),
        st.just(DateRange(date(2026, 11, 27), date(2026, 11, 27))),
    )


@st.composite
def promotion_sets(draw: st.DrawFn, code: str) -> list[Promotion]:
    n = draw(st.integers(0, 6))
    return [
        Promotion(
            f"P{i}",
            f"Promotion {i}",
            draw(benefits(code)),
            draw(st.lists(conditions(code), max_size=2)),
            stacking=draw(st.sampled_from(Stacking)),
            priority=draw(st.integers(0, 3)),
            max_applications=draw(st.one_of(st.none(), st.integers(1, 3))),
        )
        for i in range(n)
    ]


def basket(lines: list[SaleLine], code: str) -> Basket:
    return Basket(uuid.UUID(int=1), code, tuple(lines), AT, "cashier")


def priced_total(lines: list[SaleLine], code: str, ev: Evaluation | None = None) -> Money:
    promotions = ev.discounts if ev is not None else ()
    return price_lines(lines, currency_code=code, policy=TaxPolicy(), promotions=promotions).total


CODES = st.sampled_from(["UAH", "JPY", "KWD"])


@given(data=st.data(), code=CODES)
def test_promotions_never_make_a_negative_or_dearer_total_and_allocate_exactly(data, code):
    lines = data.draw(carts(code))
    promotions = data.draw(promotion_sets(code))
    ev = PromotionEngine(promotions, timezone="Europe/Kyiv").evaluate(basket(lines, code))

    without = priced_total(lines, code)
    with_ = priced_total(lines, code, ev)
    assert Money.zero(code) <= with_ <= without

    by_no = {ln.line_no: ln for ln in lines}
    per_line: dict[int, Money] = {}
    for d in ev.discounts:
        ln = by_no[d.line_no]  # type: ignore[index]
        assert ln.kind is ProductKind.GOODS
        assert d.amount > Money.zero(code) and d.amount.is_rounded
        per_line[ln.line_no] = per_line.get(ln.line_no, Money.zero(code)) + d.amount
    for n, taken in per_line.items():
        ln = by_no[n]
        subtotal = (ln.unit_price * ln.quantity).round(mode=RoundingMode.HALF_UP)
        assert taken <= subtotal, f"line {n} lost more than its {subtotal}"
    for a in ev.applied:
        parts = [d.amount for d in ev.discounts if d.promotion_id == a.promotion_id]
        assert sum(parts, Money.zero(code)) == a.amount
    # pricing took every cent the engine gave: nothing was capped
    priced = price_lines(lines, currency_code=code, policy=TaxPolicy(), promotions=ev.discounts)
    assert priced.discount == ev.discount


@given(data=st.data(), code=CODES)
def test_the_result_does_not_depend_on_the_order_lines_were_added(data, code):
    lines = data.draw(carts(code))
    promotions = data.draw(promotion_sets(code))
    shuffled = data.draw(st.permutations(lines))
    renumbered = [
        SaleLine(**{**_fields(ln), "line_no": i}) for i, ln in enumerate(shuffled, start=1)
    ]
    engine = PromotionEngine(promotions, timezone="Europe/Kyiv")
    reversed_engine = PromotionEngine(list(reversed(promotions)), timezone="Europe/Kyiv")
    first = engine.evaluate(basket(lines, code))
    second = reversed_engine.evaluate(basket(renumbered, code))
    assert first.discount == second.discount
    assert priced_total(lines, code, first) == priced_total(renumbered, code, second)
    assert [(a.promotion_id, a.amount, a.points) for a in first.applied] == [
        (a.promotion_id, a.amount, a.points) for a in second.applied
    ]
    assert sum(p.points for p in first.points) == sum(p.points for p in second.points)


def _fields(line: SaleLine) -> dict[str, object]:
    return attrs.asdict(line, recurse=False)
