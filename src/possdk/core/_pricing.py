"""The pure pricing function: lines -> discounts -> tax -> totals.

No I/O, no clock, no globals: values in, values out. The order is fixed and
documented (docs/concepts/pricing.md):

1. each line's subtotal: unit price x quantity, rounded half-up to the minor unit;
2. automatic promotion discounts on lines (from the promotion hook);
3. manual line discounts (a percentage of what is left, or an amount);
4. sale-level discounts (promotions, then manual), each allocated over the
   lines in proportion to what is left on them, so no cent is lost;
5. tax per rate, rounded per line or once per document;
6. the total due: the sum of line amounts (tax-inclusive prices), or of line
   amounts plus tax (tax-exclusive prices).

Discounts never take a line below zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Context, Decimal, localcontext
from typing import Any

import attrs

from possdk.core._catalog import ProductKind
from possdk.core._decimal import DIV, EXACT, EXACT_ROUNDING, HUNDRED, ZERO, RoundingMode, quantize
from possdk.core._lines import Discount, DiscountKind, PromotionDiscount, SaleLine
from possdk.core._money import Money, allocate_units, currency
from possdk.core._tax import TaxMode, TaxPolicy, TaxRate, TaxRounding

__all__ = ["PricedLine", "SaleTotals", "TaxLine", "price_lines"]

# Pricing runs inside this context (set with localcontext, never read from the
# host app): 60 digits, so sums of amounts are exact, and no trap on Inexact
# because quantize() rounds on purpose.
PRICING: Context = EXACT_ROUNDING


@attrs.frozen(slots=True)
class PricedLine:
    """A line with its computed amounts (as Decimals in the sale's currency).

    In tax-inclusive mode ``amount == gross``; in tax-exclusive mode
    ``amount == net``. Always ``subtotal - discount == amount`` and
    ``net + tax == gross``.
    """

    line: SaleLine
    """The line priced."""
    subtotal: Decimal
    """Unit price x quantity, rounded."""
    promotion_discount: Decimal
    """Taken off by automatic promotions (line and sale level)."""
    manual_discount: Decimal
    """Taken off by manual discounts (line and sale level)."""
    amount: Decimal
    """What the line costs after discounts, at list-price basis (gross or net)."""
    net: Decimal
    """Amount without tax."""
    taxes: tuple[Decimal, ...]
    """Tax per rate, in the order of the line's tax category rates."""
    gross: Decimal
    """Amount with tax."""

    @property
    def discount(self) -> Decimal:
        """All discounts on the line."""
        return EXACT.add(self.promotion_discount, self.manual_discount)

    @property
    def tax(self) -> Decimal:
        """All tax on the line (``0.00`` in the currency's exponent when untaxed)."""
        total = EXACT.subtract(self.gross, self.gross) if not self.taxes else ZERO
        for t in self.taxes:
            total = EXACT.add(total, t)
        return total

    @property
    def total(self) -> Money:
        """The line's gross amount as Money: what the customer pays for it."""
        return Money._make(self.gross, self.line.unit_price.currency)


@attrs.frozen
class TaxLine:
    """One row of the tax breakdown: a rate, its taxable base and the tax."""

    rate: TaxRate
    """The rate."""
    net: Money
    """The net amount of the lines charged this rate."""
    tax: Money
    """The tax at this rate."""

    @property
    def gross(self) -> Money:
        """``net + tax`` for this rate."""
        return self.net + self.tax


@attrs.frozen
class SaleTotals:
    """The priced sale: every line's amounts, the tax breakdown and the total due.

    ``subtotal - discount + (tax if prices are net) == total`` and
    ``net + tax == total``, exactly.
    """

    currency: str
    """The sale's currency."""
    lines: tuple[PricedLine, ...]
    """Priced active lines, in line order."""
    subtotal: Money
    """Sum of line subtotals (before discounts)."""
    discount: Money
    """Sum of all discounts."""
    net: Money
    """Sum of line net amounts."""
    tax: Money
    """Sum of all tax."""
    total: Money
    """The total due (gross)."""
    breakdown: tuple[TaxLine, ...]
    """Tax per rate, in the order rates first appear."""
    promotions: tuple[PromotionDiscount, ...] = ()
    """The automatic promotions that applied."""
    tax_inclusive: bool = True
    """True when prices included tax (the total is the sum of line prices)."""

    def line(self, line_no: int) -> PricedLine:
        """The priced line with this number."""
        for p in self.lines:
            if p.line.line_no == line_no:
                return p
        raise KeyError(line_no)


_ROUND_HALF_UP = RoundingMode.HALF_UP.value
_GIFT_CARD = ProductKind.GIFT_CARD


def _percent_of(base: Decimal, percent: Decimal, quantum: Decimal) -> Decimal:
    if percent == HUNDRED:
        return base  # exactly all of it: a 100 % discount leaves 0.00, never 0.01
    return DIV.divide(base * percent, HUNDRED).quantize(quantum, _ROUND_HALF_UP)


def _spread(
    amount: Decimal, weights: list[Decimal], minor_units: int, extra: int = 0
) -> list[Decimal]:
    """Allocate a non-negative amount (in minor units) over non-negative weights.

    Weights are scaled by ``10 ** (minor_units + extra)`` and truncated to
    integers: ``extra`` digits beyond the minor unit keep unrounded weights
    (such as exact tax shares) proportional enough, and the parts still sum
    to ``amount`` exactly.
    """
    unit = _SCALES[minor_units]
    scale = _SCALES[minor_units + extra]
    parts = allocate_units(int(amount * unit), [int(w * scale) for w in weights])
    if not any(parts) and amount:  # every weight truncated to zero: share evenly
        parts = allocate_units(int(amount * unit), [1] * len(weights))
    return [Decimal(p) / unit for p in parts]


_SCALES = [Decimal(10) ** k for k in range(40)]


def price_lines(
    lines: Sequence[SaleLine],
    *,
    currency_code: str,
    policy: TaxPolicy,
    promotions: Sequence[PromotionDiscount] = (),
    sale_discounts: Sequence[Discount] = (),
) -> SaleTotals:
    """Price a sale's lines. Pure: the same input always gives the same totals.

    Voided lines are skipped. Gift card lines (``ProductKind.GIFT_CARD``) are
    never discounted, take no share of a sale discount and carry the tax of
    their (rate-less) category: none. Return lines (with fixed refund amounts) keep
    their amounts. Promotions naming a line that is not active are ignored.
    The arithmetic runs in possdk's own decimal context, whatever the host
    app's ambient context says.

    Args:
        lines: the sale's lines.
        currency_code: the sale's currency.
        policy: tax mode and rounding.
        promotions: automatic promotion discounts, from the promotion hook.
        sale_discounts: manual whole-sale discounts, applied in order.
    """
    with localcontext(PRICING):
        return _price(lines, currency_code, policy, promotions, sale_discounts)


def _price(
    lines: Sequence[SaleLine],
    currency_code: str,
    policy: TaxPolicy,
    promotions: Sequence[PromotionDiscount],
    sale_discounts: Sequence[Discount],
) -> SaleTotals:
    info = currency(currency_code)
    quantum = info.quantum
    half_up = _ROUND_HALF_UP
    active = [ln for ln in lines if not ln.voided]
    n = len(active)
    zero = _ZEROS[info.minor_units]  # 0.00, not 0: amounts keep the currency's exponent
    subtotals: list[Decimal] = [zero] * n
    promo: list[Decimal] = [zero] * n
    manual: list[Decimal] = [zero] * n
    amounts: list[Decimal] = [zero] * n
    fixed_taxes: dict[int, tuple[Decimal, ...]] = {}
    gift_cards: set[int] = set()

    line_promos: dict[int, Decimal] = {}
    sale_promos: list[PromotionDiscount] = []
    applied: list[PromotionDiscount] = []
    if promotions:
        numbers = {ln.line_no for ln in active if ln.kind is not _GIFT_CARD}
        for p in promotions:
            if p.line_no is None:
                sale_promos.append(p)
            elif p.line_no in numbers:
                line_promos[p.line_no] = line_promos.get(p.line_no, ZERO) + p.amount.amount
                applied.append(p)

    # 1-3: line subtotals, line promotions, manual line discounts
    for i, ln in enumerate(active):
        refund = ln.refund
        if refund is not None:
            subtotals[i] = refund.subtotal
            manual[i] = refund.discount
            amounts[i] = refund.amount
            fixed_taxes[i] = refund.taxes
            continue
        rest = sub = (ln.unit_price.amount * ln.quantity).quantize(quantum, half_up)
        subtotals[i] = sub
        if ln.kind is _GIFT_CARD:  # money put on a card: never discounted or promoted
            amounts[i] = sub
            gift_cards.add(i)
            continue
        if sub > 0:
            if line_promos:
                off = line_promos.get(ln.line_no)
                if off is not None:
                    off = min(off, rest)
                    promo[i] = off
                    rest = rest - off
            d = ln.discount
            if d is not None:
                if d.kind is DiscountKind.PERCENT:
                    off = _percent_of(rest, d.value, quantum)
                else:
                    off = min(d.value, rest)
                manual[i] = off
                rest = rest - off
        amounts[i] = rest

    # 4: sale-level discounts, allocated over what is left on sold lines
    if sale_promos or sale_discounts:
        eligible = [
            i for i in range(n) if i not in fixed_taxes and i not in gift_cards and amounts[i] > 0
        ]
        steps: list[tuple[Decimal | Discount, list[Decimal], PromotionDiscount | None]] = [
            (p.amount.amount, promo, p) for p in sale_promos
        ]
        steps += [(d, manual, None) for d in sale_discounts]
        for spec, bucket, promotion in steps:
            weights = [amounts[i] for i in eligible]
            remaining = sum(weights, ZERO)
            if remaining <= 0:
                break
            if isinstance(spec, Discount):
                if spec.kind is DiscountKind.PERCENT:
                    off = _percent_of(remaining, spec.value, quantum)
                else:
                    off = min(spec.value, remaining)
            else:
                off = min(spec, remaining)
            if off <= 0:
                continue
            if promotion is not None:
                applied.append(promotion)
            shares = _spread(off, weights, info.minor_units)
            for i, share in zip(eligible, shares, strict=True):
                bucket[i] += share
                amounts[i] -= share

    # 5-6: tax, then assemble the priced lines and the breakdown
    inclusive = policy.mode is TaxMode.INCLUSIVE
    per_line = policy.rounding is TaxRounding.PER_LINE
    doc_taxes: list[tuple[Decimal, ...]] = []
    if not per_line:
        doc_taxes = _document_taxes(
            active, amounts, fixed_taxes, inclusive, info.minor_units, policy.rounding_mode
        )
    mode = policy.rounding_mode.value
    divide = DIV.divide
    priced: list[PricedLine] = []
    append = priced.append
    breakdown: dict[str, list[Any]] = {}
    t_tax = t_gross = zero
    for i, ln in enumerate(active):
        amount = amounts[i]
        cat = ln.tax_category
        factors = cat._factors
        if not factors:
            line_taxes: tuple[Decimal, ...] = ()
            tax = zero
        elif not per_line:
            line_taxes = doc_taxes[i]
            tax = sum(line_taxes, ZERO)
        elif i in fixed_taxes:
            line_taxes = fixed_taxes[i]
            tax = sum(line_taxes, ZERO)
        elif len(factors) == 1:
            if inclusive:
                tax = divide(amount * factors[0], cat._gross_factor).quantize(quantum, mode)
            else:
                tax = (amount * factors[0]).quantize(quantum, mode)
            line_taxes = (tax,)
        else:
            raw = cat.tax_in_gross(amount) if inclusive else cat.tax_on_net(amount)
            line_taxes = tuple([t.quantize(quantum, mode) for t in raw])
            tax = sum(line_taxes, ZERO)
        if inclusive:
            gross, net = amount, amount - tax
        else:
            net, gross = amount, amount + tax
        append(PricedLine(ln, subtotals[i], promo[i], manual[i], amount, net, line_taxes, gross))
        t_tax += tax
        t_gross += gross
        if line_taxes:
            for rate, t in zip(cat.rates, line_taxes, strict=True):
                row = breakdown.get(rate.code)
                if row is None:
                    breakdown[rate.code] = [rate, net, t]
                else:
                    row[1] += net
                    row[2] += t

    make = Money._make
    code = currency_code
    return SaleTotals(
        currency=code,
        lines=tuple(priced),
        subtotal=make(sum(subtotals, zero), code),
        discount=make(sum(promo, zero) + sum(manual, zero), code),
        net=make(t_gross - t_tax, code),
        tax=make(t_tax, code),
        total=make(t_gross, code),
        breakdown=tuple(
            TaxLine(r, make(nt, code), make(tx, code)) for r, nt, tx in breakdown.values()
        ),
        promotions=tuple(applied),
        tax_inclusive=inclusive,
    )


def _document_taxes(
    active: Sequence[SaleLine],
    amounts: Sequence[Decimal],
    fixed_taxes: dict[int, tuple[Decimal, ...]],
    inclusive: bool,
    minor_units: int,
    mode: RoundingMode,
) -> list[tuple[Decimal, ...]]:
    """Round tax once per rate over the document, then share it out to the lines.

    Each line gets its exact tax rounded towards zero, and the minor units
    still missing from the rounded document tax go one each to the lines
    with the largest remainders (ties to the earlier line): the lines add up
    to the document's tax exactly and each is within one minor unit of its
    exact share. Return lines keep their fixed taxes.
    """
    quantum = _QUANTA[minor_units]
    divide = DIV.divide
    down = RoundingMode.DOWN.value
    result: list[list[Decimal]] = []
    # code -> [exact sum, [(line, slot, exact tax)]]
    per_rate: dict[str, list[Any]] = {}
    for i, ln in enumerate(active):
        cat = ln.tax_category
        factors = cat._factors
        if i in fixed_taxes or not factors:
            result.append([])
            continue
        amount = amounts[i]
        if inclusive:
            g = cat._gross_factor
            raw = [divide(amount * f, g) for f in factors]
        else:
            raw = [amount * f for f in factors]
        result.append([t.quantize(quantum, down) for t in raw])
        for slot, rate in enumerate(cat.rates):
            entry = per_rate.get(rate.code)
            if entry is None:
                per_rate[rate.code] = [raw[slot], [(i, slot, raw[slot])]]
            else:
                entry[0] += raw[slot]
                entry[1].append((i, slot, raw[slot]))
    for exact, entries in per_rate.values():
        rounded = quantize(exact, quantum, mode)
        floors = sum((result[i][slot] for i, slot, _ in entries), ZERO)
        missing = int((rounded - floors) / quantum)
        if missing == 0:
            continue
        signs = {t > 0 for _, _, t in entries if t}
        if len(signs) > 1 or (missing > 0) != (True in signs):
            # Sold and given-back lines at one rate in one document: round each
            # line instead (documented; a return is normally its own document).
            for i, slot, t in entries:
                result[i][slot] = quantize(t, quantum, mode)
            continue
        step = quantum if missing > 0 else -quantum
        remainders = [abs(t - result[i][slot]) for i, slot, t in entries]
        order = sorted(range(len(entries)), key=remainders.__getitem__, reverse=True)
        for k in order[: abs(missing)]:
            i, slot, _ = entries[k]
            result[i][slot] += step
    out: list[tuple[Decimal, ...]] = []
    for i, row in enumerate(result):
        fixed = fixed_taxes.get(i)
        out.append(fixed if fixed is not None else tuple(row))
    return out


_QUANTA = [Decimal(1).scaleb(-n) for n in range(10)]
_ZEROS = [Decimal(0).scaleb(-n) for n in range(10)]
