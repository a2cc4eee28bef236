"""Tax and the pure pricing function: invariants, known bugs of other systems, golden values."""

from __future__ import annotations

from decimal import ROUND_FLOOR, Context, Decimal, Inexact, localcontext

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk import Discount, Money, TaxCategory, TaxMode, TaxPolicy, TaxRate, TaxRounding, Unit
from possdk.core import PromotionDiscount, SaleLine, price_lines
from possdk.errors import TaxError
from tests.strategies import sale_lines

VAT20 = TaxRate("VAT20", "20")
STD = TaxCategory("std", [VAT20])
POLICIES = [
    TaxPolicy(mode, rounding)
    for mode in (TaxMode.INCLUSIVE, TaxMode.EXCLUSIVE)
    for rounding in (TaxRounding.PER_LINE, TaxRounding.PER_DOCUMENT)
]


def line(
    n: int,
    price: str,
    qty: str = "1",
    category: TaxCategory = STD,
    discount: Discount | None = None,
) -> SaleLine:
    return SaleLine(
        n,
        f"S{n}",
        f"item {n}",
        Decimal(qty),
        Unit.EACH,
        Money(price, "UAH"),
        category,
        discount=discount,
    )


def price(lines: list[SaleLine], policy: TaxPolicy = POLICIES[0], **kw):  # type: ignore[no-untyped-def]
    return price_lines(lines, currency_code="UAH", policy=policy, **kw)


# ---- golden tests for known bugs ------------------------------------------------


def test_8_01_gross_at_20_percent_vat_totals_8_01_not_8_02():
    for policy in POLICIES[:2]:
        totals = price([line(1, "8.01")], policy)
        assert totals.total == Money("8.01", "UAH")
        assert totals.tax == Money("1.34", "UAH")
        assert totals.net == Money("6.67", "UAH")


def test_100_percent_discount_leaves_zero_not_one_cent():
    for policy in POLICIES:
        totals = price(
            [
                line(1, "8.01", discount=Discount.percent(100)),
                line(2, "0.03", "3", discount=Discount.percent(100)),
            ],
            policy,
        )
        assert totals.total.amount == 0
        assert totals.tax.amount == 0
        assert all(p.amount == 0 and p.gross == 0 for p in totals.lines)


def test_100_percent_sale_discount_leaves_zero():
    totals = price([line(1, "8.01"), line(2, "99.99", "3")], sale_discounts=[Discount.percent(100)])
    assert totals.total.amount == 0
    assert totals.discount == totals.subtotal


def test_per_line_and_per_document_rounding_differ_and_each_is_consistent():
    # Three lines of 0.05 at 20 % VAT: per line the tax rounds to 0.01 each (0.03),
    # per document the exact 0.025 rounds once to 0.03 ... use 0.10: 3 x 0.0167
    lines = [line(i, "0.10") for i in (1, 2, 3)]
    per_line = price(lines, TaxPolicy(TaxMode.INCLUSIVE, TaxRounding.PER_LINE))
    per_doc = price(lines, TaxPolicy(TaxMode.INCLUSIVE, TaxRounding.PER_DOCUMENT))
    assert per_line.tax == Money("0.06", "UAH")  # 0.0167 -> 0.02, three times
    assert per_doc.tax == Money("0.05", "UAH")  # 0.05 once
    for totals in (per_line, per_doc):
        assert totals.net + totals.tax == totals.total
        assert sum((p.gross for p in totals.lines), Decimal(0)) == totals.total.amount
        assert sum((p.tax for p in totals.lines), Decimal(0)) == totals.tax.amount


def test_exclusive_prices_add_tax_on_top():
    totals = price([line(1, "10.00", "3")], TaxPolicy(TaxMode.EXCLUSIVE))
    assert totals.net == Money("30.00", "UAH")
    assert totals.tax == Money("6.00", "UAH")
    assert totals.total == Money("36.00", "UAH")


def test_two_rates_on_one_category_and_compound_rate():
    excise = TaxRate("EXC5", "5")
    plain = TaxCategory("tob", [VAT20, excise])
    totals = price([line(1, "125.00", category=plain)])
    # gross = net * 1.25 -> net 100, VAT 20, excise 5
    assert [str(t) for t in totals.lines[0].taxes] == ["20.00", "5.00"]
    compound = TaxCategory("cmp", [TaxRate("GST", "5"), TaxRate("QST", "10", compound=True)])
    totals = price([line(1, "100.00", category=compound)], TaxPolicy(TaxMode.EXCLUSIVE))
    # QST on net + GST: 100 * 1.05 * 0.10 = 10.50
    assert [str(t) for t in totals.lines[0].taxes] == ["5.00", "10.50"]
    assert totals.total == Money("115.50", "UAH")


def test_breakdown_lists_each_rate_with_its_base():
    reduced = TaxCategory("red", [TaxRate("VAT7", "7")])
    totals = price([line(1, "120.00"), line(2, "107.00", category=reduced), line(3, "60.00")])
    rows = {row.rate.code: row for row in totals.breakdown}
    assert rows["VAT20"].net == Money("150.00", "UAH")
    assert rows["VAT20"].tax == Money("30.00", "UAH")
    assert rows["VAT7"].gross == Money("107.00", "UAH")


def test_tax_free_category_has_no_tax():
    totals = price([line(1, "50.00", category=TaxCategory("free", []))])
    assert totals.tax.amount == 0 and totals.breakdown == ()


def test_line_promotion_then_manual_discount_then_sale_discount():
    lines = [line(1, "100.00", discount=Discount.percent(10)), line(2, "50.00")]
    promos = [PromotionDiscount("p1", "promo", Money("20.00", "UAH"), line_no=1)]
    totals = price(lines, promotions=promos, sale_discounts=[Discount.amount("12.00")])
    first, second = totals.lines
    assert first.promotion_discount == Decimal("20.00")
    # 10 % of what the promotion left (80.00), then the sale discount by share (72 : 50)
    assert first.manual_discount == Decimal("8.00") + Decimal("7.08")
    assert second.manual_discount == Decimal("4.92")
    assert totals.total == Money("110.00", "UAH")
    assert totals.promotions == tuple(promos)


def test_promotion_larger_than_line_is_capped_at_the_line():
    promos = [PromotionDiscount("p", "all free", Money("999.00", "UAH"), line_no=1)]
    totals = price([line(1, "10.00")], promotions=promos)
    assert totals.total.amount == 0


def test_promotion_for_unknown_or_voided_line_is_ignored():
    voided = attrs.evolve(line(2, "5.00"), voided=True)
    promos = [
        PromotionDiscount("p", "x", Money("1.00", "UAH"), line_no=9),
        PromotionDiscount("q", "y", Money("1.00", "UAH"), line_no=2),
    ]
    totals = price([line(1, "10.00"), voided], promotions=promos)
    assert totals.total == Money("10.00", "UAH") and totals.promotions == ()


def test_tax_rate_validation():
    with pytest.raises(TaxError):
        TaxRate("X", "-1")
    with pytest.raises(TaxError):
        TaxRate("", "5")
    with pytest.raises(TaxError, match="twice"):
        TaxCategory("c", [VAT20, VAT20])


def test_tax_rate_label():
    assert TaxRate("VAT20", "20.00", name="ПДВ").label == "ПДВ 20%"
    assert TaxRate("S", "8.875").label == "S 8.875%"


# ---- properties -----------------------------------------------------------------


@given(
    lines=sale_lines(),
    policy=st.sampled_from(POLICIES),
    sale_percent=st.none() | st.decimals(0, 100, places=1),
)
def test_totals_invariants(lines, policy, sale_percent):
    sale_discounts = [] if sale_percent is None else [Discount.percent(sale_percent)]
    totals = price(lines, policy, sale_discounts=sale_discounts)
    active = [ln for ln in lines if not ln.voided]
    assert [p.line for p in totals.lines] == active
    q = Decimal("0.01")
    for p in totals.lines:
        assert p.net + p.tax == p.gross  # net + tax == gross per line
        assert p.subtotal - p.discount == p.amount  # discounts explain the amount
        assert p.amount >= 0 and p.discount >= 0  # never below zero
        assert p.amount.quantize(q) == p.amount and all(t.quantize(q) == t for t in p.taxes)
        assert len(p.taxes) == len(p.line.tax_category.rates)
    assert totals.net + totals.tax == totals.total
    expected = totals.subtotal - totals.discount
    if policy.mode is TaxMode.EXCLUSIVE:
        expected = expected + totals.tax
    assert expected == totals.total  # sum of parts is the total due
    assert sum((r.tax for r in totals.breakdown), Money.zero("UAH")) == totals.tax
    assert sum((p.gross for p in totals.lines), Decimal(0)) == totals.total.amount


@given(lines=sale_lines(), mode=st.sampled_from(list(TaxMode)))
def test_per_document_tax_is_each_rates_exact_sum_rounded_once(lines, mode):
    totals = price(lines, TaxPolicy(mode, TaxRounding.PER_DOCUMENT))
    exact: dict[str, Decimal] = {}
    for p in totals.lines:
        cat = p.line.tax_category
        raw = cat.tax_in_gross(p.amount) if mode is TaxMode.INCLUSIVE else cat.tax_on_net(p.amount)
        for rate, t in zip(cat.rates, raw, strict=True):
            exact[rate.code] = exact.get(rate.code, Decimal(0)) + t
    for row in totals.breakdown:
        assert row.tax.amount == exact[row.rate.code].quantize(Decimal("0.01"), "ROUND_HALF_UP")


@given(lines=sale_lines(), policy=st.sampled_from(POLICIES[:2]))
def test_inclusive_and_exclusive_agree_within_rounding(lines, policy):
    # Pricing the same goods as net at (gross / (1 + rate)) must reproduce the gross
    # within one minor unit per line and rate.
    inclusive = price(lines, TaxPolicy(TaxMode.INCLUSIVE, policy.rounding))
    for p in inclusive.lines:
        cat = p.line.tax_category
        net_lines = [SaleLine(1, "x", "x", Decimal(1), Unit.EACH, Money(p.net, "UAH"), cat)]
        exclusive = price(net_lines, TaxPolicy(TaxMode.EXCLUSIVE, policy.rounding))
        tolerance = Decimal("0.01") * (len(cat.rates) + 1)
        assert abs(exclusive.total.amount - p.gross) <= tolerance


@given(lines=sale_lines(), policy=st.sampled_from(POLICIES))
def test_pricing_is_pure_and_ignores_the_ambient_decimal_context(lines, policy):
    reference = price(lines, policy, sale_discounts=[Discount.percent("7.5")])
    hostile = Context(prec=3, rounding=ROUND_FLOOR, traps=[Inexact])
    with localcontext(hostile):
        again = price(lines, policy, sale_discounts=[Discount.percent("7.5")])
    assert again == reference
    assert price(lines, policy, sale_discounts=[Discount.percent("7.5")]) == reference
