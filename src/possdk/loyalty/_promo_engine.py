"""The promotion engine: which promotions apply to a basket, and what each line gets off.

Pure: a basket and the promotions in, per-line discounts, points and an
explanation out. The stacking rule (docs/concepts/promotions.md):

1. **Eligible lines** are goods being sold: gift card lines and return
   lines are never discounted and count for no condition.
2. A promotion is **active** when its schedule runs at the basket's local
   time and every condition holds. Conditions look at the basket before any
   promotion, so they do not depend on each other.
3. The **stackable** active promotions apply one after another, highest
   ``priority`` first (ties: smaller ``id`` first), each on what the ones
   before it left on the lines; a line never goes below zero.
4. Each **exclusive** active promotion is worked out alone, on the full
   line amounts.
5. The customer gets whichever saves most: the stackable promotions
   together, or one exclusive promotion. Ties go to the higher priority,
   then the smaller id (the stackable group counts with its first
   promotion's priority and id).
6. :class:`ExtraPoints` promotions take no money off, so they never
   compete: they are awarded whenever they are active.

Every amount is worked out in integer minor units. A discount spread over
lines is allocated by largest remainder with the core's
:func:`~possdk.core._money.allocate_units`, in a canonical line order (by
SKU, price, quantity, then line number), so the parts sum exactly to the
discount and the total does not depend on the order lines were added.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timezone as dt_timezone
from decimal import ROUND_HALF_UP, Decimal, localcontext
from fractions import Fraction
from math import lcm
from typing import TYPE_CHECKING

import attrs

from possdk.core import Money, PromotionDiscount, currency
from possdk.core._catalog import ProductKind
from possdk.core._money import allocate_units
from possdk.core._pricing import PRICING
from possdk.loyalty._promo_model import (
    AmountOff,
    Benefit,
    BundlePrice,
    BuyXGetY,
    Choose,
    ExtraPoints,
    InvalidPromotionError,
    ItemsInCart,
    PercentOff,
    Promotion,
    PromotionContext,
    SpendThresholdReward,
    Stacking,
)

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from possdk.core import Basket, SaleLine

__all__ = ["AppliedPromotion", "Evaluation", "PointsAward", "PromotionEngine"]

_GIFT_CARD = ProductKind.GIFT_CARD


@attrs.frozen
class PointsAward:
    """Loyalty points an :class:`ExtraPoints` promotion awards."""

    promotion_id: str
    """The promotion."""
    description: str
    """The promotion's name, for the receipt."""
    points: int
    """How many points."""
    line_no: int | None = None
    """The line that earned them (per-unit points), or None for the whole sale."""


@attrs.frozen
class AppliedPromotion:
    """One promotion that applied, for the receipt and reports: the explanation."""

    promotion_id: str
    """The promotion."""
    name: str
    """What the receipt says."""
    line_nos: tuple[int, ...]
    """The lines it took money off or earned points on, in line order."""
    amount: Money
    """What it took off, in total (zero for points)."""
    points: int = 0
    """Points it awarded, in total."""


@attrs.frozen
class Evaluation:
    """What the engine decided for a basket."""

    currency: str
    """The basket's currency."""
    discounts: tuple[PromotionDiscount, ...] = ()
    """Per-line discounts (``line_no`` always set), in the order promotions applied."""
    points: tuple[PointsAward, ...] = ()
    """Extra points awarded."""
    applied: tuple[AppliedPromotion, ...] = ()
    """Each promotion that applied, with its lines and amount, in the order applied."""

    @property
    def discount(self) -> Money:
        """The sum of all discounts."""
        return sum((d.amount for d in self.discounts), Money.zero(self.currency))

    def for_line(self, line_no: int) -> tuple[PromotionDiscount, ...]:
        """The discounts on one line."""
        return tuple(d for d in self.discounts if d.line_no == line_no)


# ---- integer helpers ---------------------------------------------------------------


def _half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` (both non-negative) rounded to an integer, halves up."""
    return (2 * numerator + denominator) // (2 * denominator)


def _units(amount: Decimal, scale: int) -> Fraction:
    """An amount in (possibly fractional) minor units."""
    return Fraction(amount) * scale


def _minor(amount: Decimal, scale: int) -> int:
    """An amount in whole minor units, rounded half-up."""
    n, d = amount.as_integer_ratio()
    return _half_up(n * scale, d)


def _allocate(
    total: int, positions: Sequence[int], weights: Sequence[int], caps: Sequence[int]
) -> dict[int, int]:
    """Split ``total`` minor units over ``positions`` by ``weights``, never above ``caps``."""
    if total <= 0 or not positions:
        return {}
    parts = allocate_units(total, weights)
    overflow = 0
    for j, cap in enumerate(caps):
        if parts[j] > cap:  # cannot happen with weights <= caps; kept as a guard
            overflow += parts[j] - cap
            parts[j] = cap
    if overflow:
        for j, cap in enumerate(caps):
            room = min(cap - parts[j], overflow)
            parts[j] += room
            overflow -= room
    return {positions[j]: p for j, p in enumerate(parts) if p}


class _Lines:
    """The eligible lines of one basket, in canonical order, and what is left on each."""

    __slots__ = ("by_category", "by_sku", "count", "lines", "quantities", "scale", "whole")

    def __init__(self, lines: list[SaleLine], scale: int) -> None:
        self.lines = lines
        self.count = len(lines)
        self.scale = scale
        self.quantities = [ln.quantity for ln in lines]
        # whole pieces: the quantity as an int, or 0 for a fractional quantity (kg, l)
        self.whole = [int(q) if q == q.to_integral_value() else 0 for q in self.quantities]
        by_sku: dict[str, list[int]] = {}
        by_category: dict[str, list[int]] = {}
        for i, ln in enumerate(lines):
            by_sku.setdefault(ln.sku, []).append(i)
            if ln.category is not None:
                by_category.setdefault(ln.category, []).append(i)
        self.by_sku = by_sku
        self.by_category = by_category

    def group(self, skus: frozenset[str], categories: frozenset[str]) -> list[int]:
        """Positions of the lines matching the SKUs or categories (all lines with neither)."""
        if not skus and not categories:
            return list(range(self.count))
        if not categories and len(skus) == 1:
            for sku in skus:
                return list(self.by_sku.get(sku, ()))
        found: set[int] = set()
        by_sku, by_category = self.by_sku, self.by_category
        for s in skus:
            hit = by_sku.get(s)
            if hit:
                found.update(hit)
        for c in categories:
            hit = by_category.get(c)
            if hit:
                found.update(hit)
        return sorted(found)


class _Compiled:
    """A promotion with what the engine precomputes for it."""

    __slots__ = ("amount", "benefit", "group_cats", "group_skus", "order", "percent", "promotion")

    def __init__(self, order: int, promotion: Promotion) -> None:
        self.order = order
        self.promotion = promotion
        self.benefit: Benefit = promotion.benefit
        b = promotion.benefit
        self.group_skus: frozenset[str] = frozenset()
        self.group_cats: frozenset[str] = frozenset()
        if not isinstance(b, SpendThresholdReward):
            self.group_skus, self.group_cats = b.skus, b.categories
        percent = getattr(b, "percent", None)
        # the percentage as a fraction of one: numerator and denominator
        self.percent: tuple[int, int] | None = None
        if percent is not None:
            n, d = percent.as_integer_ratio()
            self.percent = (n, d * 100)
        self.amount: Decimal | None = getattr(b, "amount", None)


class PromotionEngine:
    """Works out the promotions of a basket; build once, evaluate on every re-price.

    ``PromotionEngine(promotions, timezone="Europe/Kyiv").evaluate(basket)``.
    The time zone makes happy hours and date ranges local time. The engine
    indexes promotions by the SKUs and categories they need, so a basket
    only looks at promotions that can apply to it. See the module docstring
    for the stacking rule.

    Raises:
        InvalidPromotionError: two promotions share an id, or the time zone is unknown.
    """

    def __init__(self, promotions: Iterable[Promotion], *, timezone: str = "UTC") -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        ordered = sorted(promotions, key=lambda p: (-p.priority, p.id))
        seen: set[str] = set()
        for p in ordered:
            if p.id in seen:
                raise InvalidPromotionError("id", f"two promotions have the id {p.id!r}")
            seen.add(p.id)
        try:
            self._zone: ZoneInfo = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidPromotionError(
                "timezone", f"unknown time zone {timezone!r}: use an IANA name like 'Europe/Kyiv'"
            ) from None
        self._timezone = timezone
        self._promotions = tuple(ordered)
        self._compiled = [_Compiled(i, p) for i, p in enumerate(ordered)]
        # A promotion that needs certain SKUs or categories (its benefit's target, or
        # else an items-in-cart condition) is only looked at when one is in the basket.
        always: list[int] = []
        by_sku: dict[str, list[int]] = {}
        by_category: dict[str, list[int]] = {}
        for c in self._compiled:
            skus, cats = c.group_skus, c.group_cats
            if not skus and not cats:
                for cond in c.promotion.conditions:
                    if isinstance(cond, ItemsInCart) and (cond.skus or cond.categories):
                        skus, cats = cond.skus, cond.categories
                        break
            if not skus and not cats:
                always.append(c.order)
                continue
            for s in skus:
                by_sku.setdefault(s, []).append(c.order)
            for k in cats:
                by_category.setdefault(k, []).append(c.order)
        self._always = always
        self._by_sku = by_sku
        self._by_category = by_category

    @property
    def promotions(self) -> tuple[Promotion, ...]:
        """The promotions, highest priority first (ties by id)."""
        return self._promotions

    @property
    def timezone(self) -> str:
        """The store's IANA time zone."""
        return self._timezone

    # ---- evaluation -----------------------------------------------------------------

    def evaluate(self, basket: Basket) -> Evaluation:
        """Decide which promotions apply to ``basket`` and what each line gets off.

        Pure: the same basket always gives the same evaluation.
        """
        with localcontext(PRICING):
            return self._evaluate(basket)

    def discounts(self, basket: Basket) -> list[PromotionDiscount]:
        """Just the per-line discounts, for the ``possdk_pricing_promotions`` hook."""
        return list(self.evaluate(basket).discounts)

    def _evaluate(self, basket: Basket) -> Evaluation:
        code = basket.currency
        info = currency(code)
        scale = 10**info.minor_units
        quantum = info.quantum
        at = basket.at
        if at.tzinfo is None:  # a naive time is taken as UTC, as possdk keeps times
            at = at.replace(tzinfo=dt_timezone.utc)
        local = at.astimezone(self._zone)

        eligible = [
            ln
            for ln in basket.lines
            if not ln.voided
            and ln.kind is not _GIFT_CARD
            and ln.quantity > 0
            and ln.refund is None
            and ln.return_of is None
        ]
        eligible.sort(key=_canonical)
        subtotals = [
            (ln.unit_price.amount * ln.quantity).quantize(quantum, ROUND_HALF_UP) for ln in eligible
        ]
        base = [int(s.scaleb(info.minor_units)) for s in subtotals]
        spend = sum(subtotals, Decimal(0).scaleb(-info.minor_units))
        context = PromotionContext(
            local,
            tuple(eligible),
            {ln.line_no: s for ln, s in zip(eligible, subtotals, strict=True)},
            Money._make(spend, code),
        )
        lines = _Lines(eligible, scale)

        # the promotions that may apply: those needing nothing, and those whose keys are here
        candidates = set(self._always)
        for sku in lines.by_sku:
            hit = self._by_sku.get(sku)
            if hit:
                candidates.update(hit)
        for cat in lines.by_category:
            hit = self._by_category.get(cat)
            if hit:
                candidates.update(hit)

        stackable: list[_Compiled] = []
        exclusive: list[_Compiled] = []
        points: list[_Compiled] = []
        compiled = self._compiled
        for order in sorted(candidates):
            c = compiled[order]
            p = c.promotion
            schedule = p.schedule
            if not schedule.always and not schedule.contains(local):
                continue
            if not all(cond.matches(basket, context) for cond in p.conditions):
                continue
            if isinstance(c.benefit, ExtraPoints):
                points.append(c)
            elif p.stacking is Stacking.EXCLUSIVE:
                exclusive.append(c)
            else:
                stackable.append(c)

        spend_units = sum(base)
        # the stackable group, in priority order, each on what is left
        rem = list(base)
        steps: list[tuple[_Compiled, dict[int, int]]] = []
        for c in stackable:
            _, parts = self._benefit(c, lines, rem, spend_units, allocate=True)
            if parts:
                for pos, u in parts.items():
                    rem[pos] -= u
                steps.append((c, parts))
        best_total = spend_units - sum(rem)
        best = steps[0][0].promotion if steps else None
        winner: _Compiled | None = None
        for c in exclusive:
            total, _ = self._benefit(c, lines, base, spend_units, allocate=False)
            if total > 0 and _beats(total, c.promotion, best_total, best):
                best_total, best, winner = total, c.promotion, c
        if winner is not None:
            _, parts = self._benefit(winner, lines, base, spend_units, allocate=True)
            steps = [(winner, parts)]

        discounts: list[PromotionDiscount] = []
        applied: list[AppliedPromotion] = []
        exp = -info.minor_units
        line_nos = [ln.line_no for ln in eligible]
        make = Money._make
        append = discounts.append
        for c, parts in steps:
            p = c.promotion
            pid, name = p.id, p.name
            numbered = sorted([(line_nos[pos], u) for pos, u in parts.items()])
            for line_no, u in numbered:
                append(PromotionDiscount(pid, name, make(Decimal(u).scaleb(exp), code), line_no))
            applied.append(
                AppliedPromotion(
                    p.id,
                    p.name,
                    tuple(n for n, _ in numbered),
                    Money._make(Decimal(sum(parts.values())).scaleb(exp), code),
                )
            )
        awards: list[PointsAward] = []
        for c in points:
            got = self._points(c, lines)
            if got:
                p = c.promotion
                awards.extend(PointsAward(p.id, p.name, n, line_no) for line_no, n in got)
                applied.append(
                    AppliedPromotion(
                        p.id,
                        p.name,
                        tuple(sorted(ln for ln, _ in got if ln is not None)),
                        Money._make(Decimal(0).scaleb(exp), code),
                        sum(n for _, n in got),
                    )
                )
        return Evaluation(code, tuple(discounts), tuple(awards), tuple(applied))

    # ---- benefits --------------------------------------------------------------------

    def _benefit(
        self,
        c: _Compiled,
        lines: _Lines,
        rem: list[int],
        spend_units: int,
        *,
        allocate: bool,
    ) -> tuple[int, dict[int, int]]:
        """What one promotion takes off ``rem``: its total and (if asked) the part per line."""
        b = c.benefit
        scale = lines.scale
        if isinstance(b, SpendThresholdReward):
            if spend_units < _units(b.threshold, scale):
                return 0, {}
            return self._off_group(c, list(range(lines.count)), rem, scale, allocate)
        if isinstance(b, (PercentOff, AmountOff)):
            group = lines.group(c.group_skus, c.group_cats)
            if isinstance(b, AmountOff) and b.per_unit:
                return self._per_unit(c, b, group, lines, rem)
            return self._off_group(c, group, rem, scale, allocate)
        if isinstance(b, BundlePrice):
            return self._bundles(c, b, lines, rem, allocate)
        if isinstance(b, BuyXGetY):
            return self._buy_x_get_y(c, b, lines, rem, allocate)
        return 0, {}  # ExtraPoints: no money

    @staticmethod
    def _off_group(
        c: _Compiled, group: list[int], rem: list[int], scale: int, allocate: bool
    ) -> tuple[int, dict[int, int]]:
        weights = [rem[i] for i in group]
        left = sum(weights)
        if left <= 0:
            return 0, {}
        if c.percent is not None:
            n, d = c.percent
            total = left if n == d else _half_up(left * n, d)
        else:
            assert c.amount is not None
            total = min(_minor(c.amount, scale), left)
        if not allocate or total <= 0:
            return total, {}
        return total, _allocate(total, group, weights, weights)

    @staticmethod
    def _per_unit(
        c: _Compiled, b: AmountOff, group: list[int], lines: _Lines, rem: list[int]
    ) -> tuple[int, dict[int, int]]:
        each = _units(b.amount, lines.scale)
        budget = c.promotion.max_applications
        cap: Decimal | None = None if budget is None else Decimal(budget)
        if cap is not None:  # the units with most left on them go first: best for the customer
            group = sorted(
                group, key=lambda i: (-Fraction(rem[i]) / Fraction(lines.quantities[i]), i)
            )
        parts: dict[int, int] = {}
        for i in group:
            if rem[i] <= 0:
                continue
            qty = lines.quantities[i]
            if cap is not None:
                if cap <= 0:
                    break
                qty = min(qty, cap)
                cap -= qty
            exact = each * Fraction(qty)
            off = min(_half_up(exact.numerator, exact.denominator), rem[i])
            if off:
                parts[i] = off
        return sum(parts.values()), parts

    @staticmethod
    def _pieces(
        group: list[int], lines: _Lines, rem: list[int]
    ) -> tuple[int, list[tuple[int, int, int]]]:
        """Whole-piece lines with money left, with exact integer piece values.

        Returns a common denominator ``d`` and, per line, (value per piece x
        ``d``, position, pieces).
        """
        whole = lines.whole
        found = [i for i in group if whole[i] and rem[i] > 0]
        if not found:
            return 1, []
        d = lcm(*(whole[i] for i in found))
        return d, [(rem[i] * (d // whole[i]), i, whole[i]) for i in found]

    def _bundles(
        self, c: _Compiled, b: BundlePrice, lines: _Lines, rem: list[int], allocate: bool
    ) -> tuple[int, dict[int, int]]:
        d, pieces = self._pieces(lines.group(b.skus, b.categories), lines, rem)
        size = b.quantity
        if sum(n for _, _, n in pieces) < size:
            return 0, {}
        exact_price = _units(b.price, lines.scale) * d
        price: int | Fraction = (
            exact_price.numerator if exact_price.denominator == 1 else exact_price
        )
        limit = c.promotion.max_applications
        pieces.sort(key=lambda t: (-t[0], t[1]))  # most valuable first: best for the customer
        used: dict[int, int] = {}  # position -> pieces in bundles
        saving: int | Fraction = 0
        made = 0
        fill = 0  # pieces in the bundle being filled
        value = 0
        taken: list[tuple[int, int]] = []
        done = False
        for v, i, n in pieces:
            while n and not done:
                if fill == 0 and n >= size:  # whole bundles from one line at once
                    full = n // size
                    if limit is not None:
                        full = min(full, limit - made)
                    gain = v * size - price
                    if gain <= 0:
                        done = True
                        break
                    used[i] = used.get(i, 0) + full * size
                    saving += gain * full
                    made += full
                    n -= full * size
                    if limit is not None and made >= limit:
                        done = True
                    continue
                take = min(n, size - fill)
                taken.append((i, take))
                value += v * take
                fill += take
                n -= take
                if fill == size:
                    if value - price <= 0:  # later bundles are worth even less
                        done = True
                        break
                    for j, k in taken:
                        used[j] = used.get(j, 0) + k
                    saving += value - price
                    made += 1
                    fill, value, taken = 0, 0, []
                    if limit is not None and made >= limit:
                        done = True
            if done:
                break
        exact = Fraction(saving, d)
        return self._spread_value(
            exact.numerator, exact.denominator, d, pieces, used, rem, allocate
        )

    def _buy_x_get_y(
        self, c: _Compiled, b: BuyXGetY, lines: _Lines, rem: list[int], allocate: bool
    ) -> tuple[int, dict[int, int]]:
        d, pieces = self._pieces(lines.group(b.skus, b.categories), lines, rem)
        count = sum(n for _, _, n in pieces) // (b.buy + b.get)
        if c.promotion.max_applications is not None:
            count = min(count, c.promotion.max_applications)
        if count <= 0:
            return 0, {}
        if b.choose is Choose.CHEAPEST:
            pieces.sort(key=lambda t: (t[0], t[1]))
        else:
            pieces.sort(key=lambda t: (-t[0], t[1]))
        wanted = count * b.get
        chosen: dict[int, int] = {}
        value = 0
        for v, i, n in pieces:
            take = min(n, wanted)
            chosen[i] = take
            value += v * take
            wanted -= take
            if not wanted:
                break
        assert c.percent is not None
        pn, pd = c.percent
        return self._spread_value(value * pn, pd * d, d, pieces, chosen, rem, allocate)

    @staticmethod
    def _spread_value(
        numerator: int,
        denominator: int,
        d: int,
        pieces: list[tuple[int, int, int]],
        used: dict[int, int],
        rem: list[int],
        allocate: bool,
    ) -> tuple[int, dict[int, int]]:
        """Round a saving on some pieces and allocate it over their lines by value.

        The saving is ``numerator / denominator`` minor units; piece values are x ``d``.
        """
        if numerator <= 0 or not used:
            return 0, {}
        per_piece = {i: v for v, i, _ in pieces}
        positions = sorted(used)
        weights = [per_piece[i] * used[i] for i in positions]
        # never more than the pieces are worth: a whole free line is exactly its amount
        total = min(_half_up(numerator, denominator), sum(weights) // d)
        if not allocate or total <= 0:
            return total, {}
        caps = [rem[i] for i in positions]
        return total, _allocate(total, positions, weights, caps)

    @staticmethod
    def _points(c: _Compiled, lines: _Lines) -> list[tuple[int | None, int]]:
        b = c.benefit
        assert isinstance(b, ExtraPoints)
        group = lines.group(b.skus, b.categories)
        if not group:
            return []
        if not b.per_unit:
            return [(None, b.points)]
        budget = c.promotion.max_applications
        out: list[tuple[int | None, int]] = []
        for i in sorted(group, key=lambda i: lines.lines[i].line_no):
            units = int(lines.quantities[i])  # whole units earn points
            if budget is not None:
                units = min(units, budget)
                budget -= units
            if units > 0:
                out.append((lines.lines[i].line_no, units * b.points))
            if budget is not None and budget <= 0:
                break
        return out


def _canonical(line: SaleLine) -> tuple[str, Decimal, Decimal, str, int]:
    return (line.sku, line.unit_price.amount, line.quantity, line.category or "", line.line_no)


def _beats(total: int, promotion: Promotion, best_total: int, best: Promotion | None) -> bool:
    """True if saving ``total`` with ``promotion`` beats the best so far (see the stacking rule)."""
    if total != best_total:
        return total > best_total
    if best is None:
        return True
    if promotion.priority != best.priority:
        return promotion.priority > best.priority
    return promotion.id < best.id
