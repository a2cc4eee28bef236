"""The points programme: earn and burn rules, tiers, expiry, each customer's ledger.

Every change of a balance is a :class:`~possdk.loyalty.PointsMovement`
appended to the ledger in the transaction of the operation that caused it
(a sale's earned points and burnt points are written with the sale); each
customer's ``points`` is a cache of their ledger's sum that :meth:`Points.check`
verifies.
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from fractions import Fraction
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from possdk.core import Basket, Money, ProductKind, ReceiptKind, RoundingMode, SaleLine, TenderKind
from possdk.core._decimal import EXACT
from possdk.loyalty._customers import LOYALTY_TERMINAL, _unknown
from possdk.loyalty._loyalty_model import (
    Customer,
    CustomerNotFoundError,
    InsufficientPointsError,
    LoyaltyError,
    LoyaltyProgramme,
    PointsCheck,
    PointsKind,
    PointsMovement,
    RedemptionError,
    Tier,
    add_months,
    exact_sum,
    expiring_points,
    split_points,
)
from possdk.payments._model import (
    Capabilities,
    Operation,
    Outcome,
    PaymentRequest,
    ProviderResult,
)

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.core import Receipt, Sale
    from possdk.storage import UnitOfWork

__all__ = ["PROGRAMME_SETTING", "Points", "PointsProvider"]

log = logging.getLogger(__name__)

T = TypeVar("T")

PROGRAMME_SETTING = "loyalty_programme"
"""The settings key the programme is kept under (canonical JSON)."""


@attrs.frozen
class PointsAdjusted:
    """Journal payload: points added or taken by hand."""

    movement: PointsMovement


@attrs.frozen
class PointsExpired:
    """Journal payload: an expiry run and what it booked."""

    at: datetime
    movements: tuple[PointsMovement, ...]


class Points:
    """The points programme and ledger: ``store.loyalty.points``.

    ``configure(LoyaltyProgramme(...))`` sets the rules for every till.
    Sales with an identified customer earn points when they complete;
    points are burnt as a tender (``sale.pay("points", amount)``); a
    return takes back exactly what its lines earned and gives back points
    burnt on the sale, each once, in the return's own transaction.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._parsed: tuple[str, LoyaltyProgramme] | None = None
        self._sale_customers: dict[uuid.UUID, str] = {}

    def __repr__(self) -> str:
        return f"<Points of {self._store!r}>"

    # ---- the programme -------------------------------------------------------------

    def configure(self, programme: LoyaltyProgramme) -> LoyaltyProgramme:
        """Set the programme every till applies from its next sale (kept and journaled)."""
        from possdk.storage._codec import canonical, unstructure

        if not isinstance(programme, LoyaltyProgramme):
            raise LoyaltyError(f"expected a LoyaltyProgramme, got {type(programme).__name__}")
        text = canonical(unstructure(programme))

        def work(uow: UnitOfWork) -> None:
            uow.put_setting(PROGRAMME_SETTING, text)
            self._store._journal(uow, LOYALTY_TERMINAL, "LoyaltyProgrammeSet", text, 0)

        self._store.backend.run(work)
        self._parsed = (text, programme)
        return programme

    @property
    def programme(self) -> LoyaltyProgramme | None:
        """The programme in force, as kept (None until one is configured)."""
        return self._store._read(self._programme_in)

    # ---- reading --------------------------------------------------------------------

    def outstanding(self) -> Money:
        """What the store owes in points: every positive balance at the programme's point value.

        A liability, like gift card balances (``store.loyalty.gift_cards.outstanding()``),
        for the accounting export; zero without a programme.
        """
        code = self._store.settings.currency

        def read(uow: UnitOfWork) -> Money:
            programme = self._programme_in(uow)
            if programme is None:
                return Money.zero(code)
            value = EXACT.multiply(Decimal(uow.points_outstanding()), programme.point_value)
            return Money(value, code).round(mode=RoundingMode.HALF_EVEN)

        return self._store._read(read)

    def balance(self, customer_id: str) -> int:
        """A customer's points balance.

        Raises:
            CustomerNotFoundError: no such customer.
        """
        return self._customer(customer_id).points

    def movements(
        self, customer_id: str | None = None, *, sale_id: uuid.UUID | None = None
    ) -> tuple[PointsMovement, ...]:
        """Ledger rows (of one customer, or one sale or return), oldest first."""
        return tuple(
            self._store._read(
                lambda uow: uow.points_movements(
                    customer_id=None if customer_id is None else str(customer_id), sale_id=sale_id
                )
            )
        )

    def tier_of(self, customer_id: str, now: datetime | None = None) -> Tier | None:
        """The tier a customer is in now (or at ``now``): the highest threshold they reach.

        Qualifying points are the points earned minus those returned in the
        programme's ``tier_window_months`` before ``now`` (or ever).
        """
        when = now or self._store.clock.now()

        def read(uow: UnitOfWork) -> Tier | None:
            programme = self._programme_in(uow)
            if programme is None or not programme.tiers:
                return None
            return programme.tier(self._tier_name(uow, str(customer_id), when))

        self._customer(customer_id)
        return self._store._read(read)

    def check(self) -> PointsCheck:
        """Prove every cached balance equals its customer's ledger sum."""

        def read(uow: UnitOfWork) -> PointsCheck:
            cached = uow.points_balances()
            ledger = uow.ledger_points()
            bad = tuple(
                (cid, cached.get(cid, 0), ledger.get(cid, 0))
                for cid in sorted(set(cached) | set(ledger))
                if cached.get(cid, 0) != ledger.get(cid, 0)
            )
            return PointsCheck(not bad, bad)

        return self._store._read(read)

    # ---- operations -----------------------------------------------------------------

    def adjust(self, customer_id: str, points: int, reason: str) -> PointsMovement:
        """Add (or, negative, take) points by hand, with a reason; journaled.

        Raises:
            LoyaltyError: zero or not a whole number, or no reason.
            InsufficientPointsError: it would take the balance below zero and
                the programme does not allow negative balances.
        """
        if isinstance(points, bool) or not isinstance(points, int) or points == 0:
            raise LoyaltyError(
                f"an adjustment is a whole number of points, not zero; got {points!r}"
            )
        if not isinstance(reason, str) or not reason.strip():
            raise LoyaltyError("an adjustment needs a reason (it is kept in the ledger)")
        if len(reason.strip()) > 200:
            raise LoyaltyError("an adjustment's reason must be at most 200 characters")
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> PointsMovement:
            customer = uow.customer(str(customer_id), lock=True)
            if customer is None:
                raise CustomerNotFoundError(
                    str(customer_id), f"no customer with the id {customer_id}"
                )
            programme = self._programme_in(uow) or LoyaltyProgramme()
            move = PointsMovement(
                self._store.ids.new(now),
                customer.id,
                now,
                PointsKind.ADJUST,
                points,
                reference="adjustment",
                note=reason.strip(),
            )
            floor = None if points > 0 or programme.allow_negative else 0
            if uow.move_points(customer.id, [move], floor=floor) is None:
                raise InsufficientPointsError(customer.id, customer.points, -points)
            self._store._journal(
                uow, LOYALTY_TERMINAL, "PointsAdjusted", _json(PointsAdjusted(move)), 0
            )
            return move

        return self._store.backend.run(work)

    def expire(self, now: datetime | None = None) -> tuple[PointsMovement, ...]:
        """Book the expiry of points older than the programme's ``expiry_months``.

        First in, first out: burns and other deductions use the oldest
        points first, and what is left of points earned (or given back)
        more than ``expiry_months`` before ``now`` expires. Running it again
        books nothing more. One transaction and, if anything expired, one
        journal entry. Returns the ``expire`` movements booked.
        """
        when = now or self._store.clock.now()

        def work(uow: UnitOfWork) -> tuple[PointsMovement, ...]:
            programme = self._programme_in(uow)
            if programme is None or programme.expiry_months is None:
                return ()
            booked = []
            for cid in uow.customers_with_points():
                customer = uow.customer(cid, lock=True)
                assert customer is not None
                due = expiring_points(
                    uow.points_movements(customer_id=cid), programme.expiry_months, when
                )
                due = min(due, customer.points)
                if due <= 0:
                    continue
                move = PointsMovement(
                    self._store.ids.new(when),
                    cid,
                    when,
                    PointsKind.EXPIRE,
                    -due,
                    reference="expiry",
                    note=f"earned more than {programme.expiry_months} months ago",
                )
                if uow.move_points(cid, [move], floor=0) is None:  # pragma: no cover - locked
                    raise InsufficientPointsError(cid, customer.points, due)
                booked.append(move)
            if booked:
                payload = _json(PointsExpired(when, tuple(booked)))
                self._store._journal(uow, LOYALTY_TERMINAL, "PointsExpired", payload, 0)
            return tuple(booked)

        return self._store.backend.run(work)

    def earn_preview(self, sale: Sale) -> int:
        """The points a sale would earn if completed now (for the customer display)."""
        if sale.customer_id is None:
            return 0
        programme = self.programme
        if programme is None:
            return 0
        paid_in_points = exact_sum(
            t.amount.amount for t in sale.tenders if t.kind is TenderKind.POINTS
        )
        lines = [(p.line, p.gross) for p in sale.totals.lines]
        parts = _earn(programme, lines, sale.customer_tier, sale.total.amount, paid_in_points)
        return sum(parts)

    # ---- called by the store ------------------------------------------------------------

    def _check_sale(self, sale: Sale) -> None:
        """Refuse, before its first tender, a sale for an unknown or erased customer."""
        if sale.customer_id is None:
            self._sale_customers.pop(sale.id, None)
            return
        customer = self._store._read(lambda uow: uow.customer(str(sale.customer_id)))
        if customer is None or customer.erased:
            raise CustomerNotFoundError(
                str(sale.customer_id),
                f"the sale names customer {sale.customer_id}, who is not in this store "
                f"(or was erased); identify the customer again or clear it with "
                f"sale.identify_customer(None)",
            )
        self._sale_customers[sale.id] = customer.id

    def _apply_receipt(self, uow: UnitOfWork, receipt: Receipt) -> tuple[int, int] | None:
        """Earn a sale's points, or take back a return's, in the receipt's transaction.

        For a sale with a customer under a programme: (points earned, balance after).
        """
        self._sale_customers.pop(receipt.sale_id, None)
        if receipt.kind is ReceiptKind.RETURN:
            self._reverse(uow, receipt)
            return None
        if receipt.customer_id is not None:
            return self._earn(uow, receipt)
        return None

    # ---- the points tender ------------------------------------------------------------

    def _check_tender(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        programme = self._programme_in(uow)
        if programme is None:
            raise RedemptionError(
                "points cannot be spent: no loyalty programme is configured "
                "(store.loyalty.points.configure)"
            )
        customer_id = self._tender_customer(request, uow)
        customer = uow.customer(customer_id)
        if customer is None:
            raise CustomerNotFoundError(customer_id)
        if request.operation is Operation.REFUND:
            return ProviderResult(Outcome.APPROVED, request.amount, customer.id)
        if customer.erased:
            raise CustomerNotFoundError(customer_id, f"customer {customer_id} was erased")
        points = programme.points_for(request.amount.amount)
        least = max(programme.min_redemption, 1)
        if points < least:
            raise RedemptionError(
                f"{points} points is below the least one redemption may burn ({least}); "
                f"burn at least {programme.value_of(least)} in points"
            )
        if points > customer.points:
            raise InsufficientPointsError(customer.id, customer.points, points)
        return ProviderResult(
            Outcome.APPROVED, request.amount, customer.id, message=f"{points} points"
        )

    def _settle_tender(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        assert request.at is not None, "possdk sets the time of every request"
        payment = str(request.payment_id)
        if request.operation is not Operation.REFUND:
            result = self._check_tender(request, uow)
            programme = self._programme_in(uow)
            assert programme is not None
            assert result.reference is not None
            points = programme.points_for(request.amount.amount)
            move = PointsMovement(
                self._store.ids.new(request.at),
                result.reference,
                request.at,
                PointsKind.BURN,
                -points,
                sale_id=request.sale_id,
                reference=payment,
                amount_minor=request.amount.minor,
            )
            if uow.move_points(result.reference, [move], floor=0) is None:
                balance = uow.customer(result.reference)
                raise InsufficientPointsError(
                    result.reference, 0 if balance is None else balance.points, points
                )
            return result
        # A refund to a points tender gives back what that tender burnt, pro rata
        # on the running total refunded, so all refunds of it give back exactly
        # all its points, once.
        burnt = uow.points_movements(reference=payment, kinds={PointsKind.BURN})
        back = uow.points_movements(reference=payment, kinds={PointsKind.RETURN_BURN})
        if burnt:
            customer_id = burnt[0].customer_id
            points_burnt = -sum(m.points for m in burnt)
            money_burnt = sum(m.amount_minor or 0 for m in burnt)
            refunded = sum(m.amount_minor or 0 for m in back) + request.amount.minor
            target = (
                points_burnt if refunded >= money_burnt else points_burnt * refunded // money_burnt
            )
            credit = target - sum(m.points for m in back)
        else:  # points paid out as a new tender on a return (if the merchant allows it)
            customer_id = self._tender_customer(request, uow)
            programme = self._programme_in(uow)
            if programme is None:
                raise RedemptionError("no loyalty programme is configured")
            credit = programme.points_for(request.amount.amount)
        if uow.customer(customer_id) is None:
            raise CustomerNotFoundError(customer_id)
        move = PointsMovement(
            self._store.ids.new(request.at),
            customer_id,
            request.at,
            PointsKind.RETURN_BURN,
            max(credit, 0),
            sale_id=request.sale_id,
            reference=payment,
            amount_minor=request.amount.minor,
        )
        uow.move_points(customer_id, [move], floor=None)
        return ProviderResult(
            Outcome.APPROVED, request.amount, customer_id, message=f"{move.points} points back"
        )

    def _tender_customer(self, request: PaymentRequest, uow: UnitOfWork) -> str:
        reference = (request.reference or "").strip()
        if reference:
            if uow.customer(reference) is not None:
                return reference
            return self._store.loyalty.customers._lookup(uow, reference).id
        if request.sale_id is not None and request.sale_id in self._sale_customers:
            return self._sale_customers[request.sale_id]
        raise RedemptionError(
            "points need a customer: identify them on the sale first "
            "(store.loyalty.identify), or give their card number as reference=..."
        )

    # ---- internals ---------------------------------------------------------------------

    def _programme_in(self, uow: UnitOfWork) -> LoyaltyProgramme | None:
        text = uow.get_setting(PROGRAMME_SETTING)
        if text is None:
            return None
        parsed = self._parsed
        if parsed is not None and parsed[0] == text:
            return parsed[1]
        from possdk.storage._codec import loads

        programme = loads(text, LoyaltyProgramme)
        self._parsed = (text, programme)
        return programme

    def _tier_name(self, uow: UnitOfWork, customer_id: str, now: datetime) -> str | None:
        programme = self._programme_in(uow)
        if programme is None or not programme.tiers:
            return None
        window = programme.tier_window_months
        since = None if window is None else add_months(now, -window)
        tier = programme.tier_for(uow.qualifying_points(customer_id, since))
        return None if tier is None else tier.name

    def _customer(self, customer_id: str) -> Customer:
        found = self._store._read(lambda uow: uow.customer(str(customer_id)))
        if found is None:
            raise _unknown(customer_id)
        return found

    def _earn(self, uow: UnitOfWork, receipt: Receipt) -> tuple[int, int] | None:
        assert receipt.customer_id is not None
        programme = self._programme_in(uow)
        if programme is None or programme.points_per_unit == 0:
            return None
        customer = uow.customer(receipt.customer_id)
        if customer is None or customer.erased:
            log.warning(
                "sale %s names customer %s, who is not in this store: it earns no points",
                receipt.sale_id,
                receipt.customer_id,
            )
            return None
        paid_in_points = exact_sum(
            t.amount.amount for t in receipt.tenders if t.kind is TenderKind.POINTS
        )
        lines = [(p.line, p.gross) for p in receipt.lines]
        parts = _earn(programme, lines, receipt.customer_tier, receipt.total.amount, paid_in_points)
        bonus = self._promotion_points(receipt, lines)
        parts = [a + b for a, b in zip(parts, bonus, strict=True)]
        at = receipt.completed_at
        moves = [
            PointsMovement(
                self._store.ids.new(at),
                customer.id,
                at,
                PointsKind.EARN,
                points,
                sale_id=receipt.sale_id,
                line_no=line.line_no,
                reference=receipt.number,
                amount_minor=Money(gross, receipt.currency).minor,
            )
            for (line, gross), points in zip(lines, parts, strict=True)
            if points > 0
        ]
        balance = customer.points  # after any points tender, settled before this
        if moves:
            moved = uow.move_points(customer.id, moves, floor=None)
            assert moved is not None  # no floor: never refused
            balance = moved
        self._keep_tier(uow, programme, customer.id, customer.tier, at)
        return sum(m.points for m in moves), balance

    def _promotion_points(
        self, receipt: Receipt, lines: list[tuple[SaleLine, Decimal]]
    ) -> list[int]:
        """Extra points from ExtraPoints promotions, per line (a whole-sale award spread by weight).

        They are added to each line's earned points, so a return takes them
        back with the line like the rest. The promotions see the sale as it
        completed: its lines, customer, tier, coupons and channel, at its
        completion time.
        """
        promotions = self._store.loyalty.promotions
        bonus = [0] * len(lines)
        if not promotions.all():
            return bonus
        coupons = dict.fromkeys([*receipt.coupons, *(c for _, c in receipt.coupon_campaigns)])
        basket = Basket(
            receipt.sale_id,
            receipt.currency,
            tuple(line for line, _ in lines),
            receipt.completed_at,
            receipt.operator_id,
            receipt.customer_id,
            receipt.customer_tier,
            tuple(coupons),
            receipt.channel,
        )
        index = {line.line_no: i for i, (line, _) in enumerate(lines)}
        weights = [
            Decimal(0)
            if line.kind is ProductKind.GIFT_CARD or line.return_of is not None or gross <= 0
            else gross
            for line, gross in lines
        ]
        for award in promotions.evaluate(basket).points:
            if award.line_no is not None and award.line_no in index:
                bonus[index[award.line_no]] += award.points
            else:
                for i, part in enumerate(split_points(award.points, weights)):
                    bonus[i] += part
        return bonus

    def _reverse_without_receipt(
        self, uow: UnitOfWork, receipt: Receipt, owed: dict[str, list[PointsMovement]]
    ) -> None:
        """Take back what lines given back without their receipt would earn now.

        From the customer named on the return: nothing is known of what the
        lines earned then, so today's programme decides.
        """
        blind = [p for p in receipt.lines if p.line.return_of is None and p.gross < 0]
        if not blind or receipt.customer_id is None:
            return
        programme = self._programme_in(uow)
        if programme is None or programme.points_per_unit == 0:
            return
        lines = [(p.line, -p.gross) for p in blind]
        total = exact_sum(gross for _, gross in lines)
        parts = _earn(programme, lines, receipt.customer_tier, total, Decimal(0))
        at = receipt.completed_at
        owed.setdefault(receipt.customer_id, []).extend(
            PointsMovement(
                self._store.ids.new(at),
                receipt.customer_id,
                at,
                PointsKind.RETURN_EARN,
                -points,
                sale_id=receipt.sale_id,
                line_no=line.line_no,
                reference=receipt.number,
                amount_minor=Money(gross, receipt.currency).minor,
            )
            for (line, gross), points in zip(lines, parts, strict=True)
            if points > 0
        )

    def _reverse(self, uow: UnitOfWork, receipt: Receipt) -> None:
        """Take back what returned lines earned: cumulatively, pro rata to the money refunded.

        Lines given back without a receipt take back, from the customer named
        on the return, what their money would earn under today's programme.
        For each original line, the points to have taken back after this
        return are ``earned * refunded / paid`` rounded down (all of them once
        everything is refunded); this return takes the difference from what
        earlier returns took (or waived), so several partial returns never
        take more than the line earned, and all of them take exactly that.
        """
        returned: dict[uuid.UUID, list[tuple[int, int, int]]] = {}
        for p in receipt.lines:
            ref = p.line.return_of
            if ref is not None:
                money = abs(Money(p.gross, receipt.currency).minor)
                returned.setdefault(ref.sale_id, []).append((ref.line_no, p.line.line_no, money))
        owed: dict[str, list[PointsMovement]] = {}
        at = receipt.completed_at
        self._reverse_without_receipt(uow, receipt, owed)
        for of_sale, lines in returned.items():
            earned = {
                m.line_no: m for m in uow.points_movements(sale_id=of_sale, kinds={PointsKind.EARN})
            }
            if not earned:
                continue
            money_back: dict[int, int] = {}
            points_back: dict[int, int] = {}
            for m in uow.points_movements(of_sale_id=of_sale, kinds={PointsKind.RETURN_EARN}):
                assert m.of_line_no is not None
                money_back[m.of_line_no] = money_back.get(m.of_line_no, 0) + (m.amount_minor or 0)
                points_back[m.of_line_no] = points_back.get(m.of_line_no, 0) - m.points + m.waived
            for of_line, line_no, money in lines:
                earn = earned.get(of_line)
                if earn is None:
                    continue
                paid = earn.amount_minor or 0
                refunded = money_back.get(of_line, 0) + money
                target = earn.points if refunded >= paid else earn.points * refunded // paid
                due = max(target - points_back.get(of_line, 0), 0)
                money_back[of_line] = refunded
                points_back[of_line] = points_back.get(of_line, 0) + due
                owed.setdefault(earn.customer_id, []).append(
                    PointsMovement(
                        self._store.ids.new(at),
                        earn.customer_id,
                        at,
                        PointsKind.RETURN_EARN,
                        -due,
                        sale_id=receipt.sale_id,
                        line_no=line_no,
                        reference=receipt.number,
                        of_sale_id=of_sale,
                        of_line_no=of_line,
                        amount_minor=money,
                    )
                )
        if not owed:
            return
        programme = self._programme_in(uow) or LoyaltyProgramme()
        for customer_id, moves in owed.items():
            customer = uow.customer(customer_id, lock=True)
            assert customer is not None
            if not programme.allow_negative:
                moves = _cap(moves, max(customer.points, 0))
            uow.move_points(customer_id, moves, floor=None)
            self._keep_tier(uow, programme, customer_id, customer.tier, at)

    def _keep_tier(
        self,
        uow: UnitOfWork,
        programme: LoyaltyProgramme,
        customer_id: str,
        kept: str | None,
        now: datetime,
    ) -> None:
        if not programme.tiers:
            return
        tier = self._tier_name(uow, customer_id, now)
        if tier != kept:
            uow.set_customer_tier(customer_id, tier)


class PointsProvider:
    """Loyalty points as a tender: ``sale.pay("points", amount)``.

    The amount converts to whole points at the programme's ``point_value``;
    the customer is the sale's (``store.loyalty.identify``) unless the
    tender's reference names a card, phone, e-mail or customer id. The
    points are burnt inside the sale's transaction (a conditional update:
    never below zero, so two tills cannot spend the same points), and a
    refund to the tender gives them back.
    """

    id = "points"
    kinds = frozenset({TenderKind.POINTS})
    capabilities = Capabilities(void=True, refund=True, partial_approval=False)
    local = True

    def __init__(self, store: Store) -> None:
        self._store = store

    def check(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """The customer is known and has the points (read only)."""
        return self._store.loyalty.points._check_tender(request, uow)

    def settle(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """Burn the points (or give them back, for a refund) in the sale's transaction."""
        return self._store.loyalty.points._settle_tender(request, uow)


def _earn(
    programme: LoyaltyProgramme,
    lines: Sequence[tuple[Any, Decimal]],
    tier_name: str | None,
    total: Decimal,
    paid_in_points: Decimal,
) -> list[int]:
    """Points per line: the sale's points rounded down once, spread over lines by weight.

    Worked in exact fractions, so a sale that earns exactly 10 points never
    earns 9 by a rounding of an intermediate quotient.
    """
    weights = []
    for line, gross in lines:
        if line.kind is ProductKind.GIFT_CARD or line.return_of is not None or gross <= 0:
            weights.append(Decimal(0))
        else:
            weights.append(EXACT.multiply(gross, programme.multiplier(line.sku, line.category)))
    tier = programme.tier(tier_name)
    raw = Fraction(exact_sum(weights)) * Fraction(tier.multiplier if tier else 1)
    raw = raw * programme.points_per_unit / Fraction(programme.spend_unit)
    if not programme.earn_on_points_paid and paid_in_points > 0 and total > 0:
        raw = raw * Fraction(EXACT.subtract(total, min(paid_in_points, total))) / Fraction(total)
    return split_points(max(math.floor(raw), 0), weights)


def _cap(moves: list[PointsMovement], available: int) -> list[PointsMovement]:
    """Take at most ``available`` points; what is not taken is recorded as waived."""
    capped = []
    for m in moves:
        take = min(-m.points, available)
        available -= take
        capped.append(attrs.evolve(m, points=-take, waived=-m.points - take))
    return capped


def _json(value: Any) -> str:
    from possdk.storage._codec import canonical, unstructure

    return canonical(unstructure(value))
