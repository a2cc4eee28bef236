"""bench_pricing: reprice a 200-line sale with mixed tax categories.

Compares possdk's pure ``price_lines`` with a hand-written loop doing the
same Decimal arithmetic inline (the floor): line subtotals, a percentage
discount on every seventh line, a 5 % sale discount allocated by largest
remainder, tax per rate out of tax-inclusive prices, the breakdown per rate.
Goal: <= 1 ms per reprice and <= 3x the floor.
"""

from __future__ import annotations

import random
from decimal import ROUND_HALF_UP, Decimal, localcontext

from benchmarks._util import spread
from possdk import Discount, Money, TaxCategory, TaxPolicy, TaxRate, TaxRounding, Unit
from possdk.core import SaleLine, SaleTotals, price_lines
from possdk.core._pricing import PRICING

LINES = 200


def build_lines(seed: int = 1) -> list[SaleLine]:
    vat20, vat7, excise = TaxRate("VAT20", "20"), TaxRate("VAT7", "7"), TaxRate("EXC5", "5")
    categories = [
        TaxCategory("standard", [vat20]),
        TaxCategory("reduced", [vat7]),
        TaxCategory("tobacco", [vat20, excise]),
        TaxCategory("exempt", []),
    ]
    rnd = random.Random(seed)
    return [
        SaleLine(
            line_no=n,
            sku=f"SKU{n}",
            name=f"Item {n}",
            quantity=Decimal(rnd.randint(1, 5)),
            unit=Unit.EACH,
            unit_price=Money.from_minor(rnd.randint(100, 99_999), "UAH"),
            tax_category=categories[n % 4],
            discount=Discount.percent(10) if n % 7 == 0 else None,
        )
        for n in range(1, LINES + 1)
    ]


def floor(lines: list[SaleLine], sale_percent: Decimal) -> tuple[Decimal, Decimal]:
    """The same arithmetic, inline, on plain Decimals and tuples."""
    q = Decimal("0.01")
    hundred = Decimal(100)
    rows = [
        (
            ln.unit_price.amount,
            ln.quantity,
            ln.discount.value if ln.discount else None,
            [r.percent for r in ln.tax_category.rates],
            Decimal(100) + sum((r.percent for r in ln.tax_category.rates), Decimal(0)),
        )
        for ln in lines
    ]
    with localcontext(PRICING):
        amounts = []
        for price, qty, pct, _, _ in rows:
            sub = (price * qty).quantize(q, ROUND_HALF_UP)
            if pct is not None:
                sub -= (sub * pct / hundred).quantize(q, ROUND_HALF_UP)
            amounts.append(sub)
        off = (sum(amounts, Decimal(0)) * sale_percent / hundred).quantize(q, ROUND_HALF_UP)
        units = int(off * hundred)
        weights = [int(a * hundred) for a in amounts]
        total_weight = sum(weights)
        shares = [divmod(units * w, total_weight) for w in weights]
        parts = [s for s, _ in shares]
        rema = [r for _, r in shares]
        for i in sorted(range(len(parts)), key=rema.__getitem__, reverse=True)[
            : units - sum(parts)
        ]:
            parts[i] += 1
        breakdown: dict[Decimal, list[Decimal]] = {}
        total = tax_total = Decimal(0)
        results = []
        for (_, _, _, rates, gross_factor), amount, part in zip(rows, amounts, parts, strict=True):
            amount -= Decimal(part) / hundred
            taxes = [(amount * r / gross_factor).quantize(q, ROUND_HALF_UP) for r in rates]
            tax = sum(taxes, Decimal(0))
            net = amount - tax
            for r, t in zip(rates, taxes, strict=True):
                row = breakdown.setdefault(r, [Decimal(0), Decimal(0)])
                row[0] += net
                row[1] += t
            results.append((amount, net, tuple(taxes)))
            total += amount
            tax_total += tax
    return total, tax_total


def run() -> list[str]:
    lines = build_lines()
    pct = Decimal(5)
    out = []
    floor_best, floor_median = spread(lambda: floor(lines, pct), repeat=9, number=50)
    for rounding in (TaxRounding.PER_LINE, TaxRounding.PER_DOCUMENT):
        policy = TaxPolicy(rounding=rounding)

        def reprice(policy: TaxPolicy = policy) -> SaleTotals:
            return price_lines(
                lines, currency_code="UAH", policy=policy, sale_discounts=[Discount.percent(pct)]
            )

        totals = reprice()
        ftotal, ftax = floor(lines, pct)
        if rounding is TaxRounding.PER_LINE:  # same arithmetic, so the same answer
            assert totals.total.amount == ftotal
            assert totals.tax.amount == ftax
        best, median = spread(reprice, repeat=9, number=50)
        out.append(
            f"bench_pricing {rounding.value:>12}: {best * 1e6:7.0f} us per {LINES}-line reprice "
            f"(median {median * 1e6:.0f}); floor {floor_best * 1e6:.0f} us "
            f"(median {floor_median * 1e6:.0f}); ratio {best / floor_best:.2f}x "
            f"[goal <= 1000 us, <= 3x]"
        )
    return out


if __name__ == "__main__":
    print("\n".join(run()))
