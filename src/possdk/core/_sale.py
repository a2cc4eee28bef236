"""The sale aggregate: lines, discounts, tenders and the state machine.

::

    OPEN --pay--> TENDERING --complete--> COMPLETED
      |  ^            |  (remove every tender: back to OPEN)
      |  +--resume--+ |
      +--suspend--> SUSPENDED
    OPEN | TENDERING | SUSPENDED --void--> VOIDED

A return is a sale whose lines give goods back (negative quantities) and
whose tenders pay money out.
"""

from __future__ import annotations

import contextlib
import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs

from possdk.core._catalog import Catalog, Product, ProductKind, Unit
from possdk.core._clock import Clock, IdGenerator
from possdk.core._decimal import DIV, EXACT, EXACT_ROUNDING, RoundingMode, quantize
from possdk.core._events import (
    ApprovalGranted,
    Event,
    LineAdded,
    LineChanged,
    LineVoided,
    PaymentRemoved,
    PaymentTaken,
    ReturnCompleted,
    SaleCompleted,
    SaleDiscounted,
    SaleEvent,
    SaleResumed,
    SaleStarted,
    SaleSuspended,
    SaleVoided,
)
from possdk.core._lines import (
    Discount,
    DiscountKind,
    PromotionDiscount,
    RefundAmounts,
    ReturnOf,
    SaleLine,
    SaleSnapshot,
)
from possdk.core._money import Money, currency, to_decimal
from possdk.core._permissions import Action, Approval, Operator, authorize
from possdk.core._pricing import SaleTotals, price_lines
from possdk.core._receipt import Receipt, ReceiptKind
from possdk.core._tax import TaxCategory, TaxPolicy
from possdk.core._tender import CashRoundingPolicy, Tender, TenderKind, apply_tender
from possdk.errors import (
    CatalogError,
    CurrencyMismatchError,
    InvalidDiscountError,
    InvalidQuantityError,
    LineNotFoundError,
    PaymentUnknownError,
    PluginError,
    RefundError,
    ReturnError,
    SaleError,
    SaleStateError,
    TenderError,
)

__all__ = ["Basket", "Sale", "SaleHost", "SaleSnapshot", "SaleState"]


class SaleState(enum.Enum):
    """Where a sale is in its life."""

    OPEN = "open"
    """Lines can be added and changed."""
    TENDERING = "tendering"
    """At least one tender was taken; lines are locked until every tender is removed."""
    SUSPENDED = "suspended"
    """Parked, to be resumed later."""
    COMPLETED = "completed"
    """Paid in full and final."""
    VOIDED = "voided"
    """Cancelled before completion."""


@attrs.frozen
class Basket:
    """What the promotion hook sees of a sale: a snapshot of its lines and context."""

    sale_id: uuid.UUID
    """The sale."""
    currency: str
    """The sale's currency."""
    lines: tuple[SaleLine, ...]
    """Active (not voided) lines."""
    at: datetime
    """When the basket is priced (for happy hours and date ranges)."""
    operator_id: str
    """Who is selling."""
    customer_id: str | None = None
    """The identified customer, if any."""
    customer_tier: str | None = None
    """The identified customer's loyalty tier, if any."""
    coupons: tuple[str, ...] = ()
    """Coupon codes entered on the sale and the campaigns they belong to (upper case)."""
    channel: str = "store"
    """Where the sale is made (``"store"``, ``"online"``, ``"mobile"``)."""


class SaleHost(Protocol):
    """What a sale needs from its surroundings (the register session implements it).

    Keeping I/O behind this small port keeps the sale itself testable with
    plain values.
    """

    @property
    def catalog(self) -> Catalog:
        """Products to sell."""
        ...

    @property
    def clock(self) -> Clock:
        """The time."""
        ...

    @property
    def ids(self) -> IdGenerator:
        """UUIDv7 ids."""
        ...

    @property
    def tax_policy(self) -> TaxPolicy:
        """Tax mode and rounding."""
        ...

    @property
    def cash_rounding(self) -> CashRoundingPolicy:
        """Cash rounding per currency."""
        ...

    def promotions(self, basket: Basket) -> Sequence[PromotionDiscount]:
        """Automatic promotions for the basket (from the promotion hook)."""
        ...

    def operator(self, ref: Operator | str) -> Operator:
        """Resolve an operator (for approvals) by id."""
        ...

    def record(self, event: Event) -> None:
        """Take an event that changes nothing durable (a line added): observers only."""
        ...

    def commit(self, event: Event) -> Event:
        """Keep one business operation (complete, void, park, resume) or raise.

        Returns the event as kept: a completed sale's receipt comes back numbered.
        """
        ...

    def returned_quantities(self, sale_id: uuid.UUID) -> Mapping[int, Decimal]:
        """Quantities already returned per line of a completed sale."""
        ...

    @property
    def refund_kinds(self) -> frozenset[TenderKind]:
        """Tender kinds the merchant allows refunds to (besides the original tenders)."""
        ...

    def take_payment(
        self, sale: Sale, tender: Tender, *, provider: str | None, card: object
    ) -> Tender:
        """Move the money for a tender through its provider; return the tender as taken."""
        ...

    def void_payment(self, payment_id: uuid.UUID) -> None:
        """Give a payment taken on this (uncompleted) sale back."""
        ...

    def refundable(self, payment_id: uuid.UUID) -> Money:
        """What is left to refund of a captured payment."""
        ...

    def refund_payment(self, payment_id: uuid.UUID, amount: Money, sale_id: uuid.UUID) -> None:
        """Refund part of a captured payment to where it came from."""
        ...

    def cancel_refund(self, payment_id: uuid.UUID, amount: Money | Decimal) -> None:
        """Undo a refund that was not kept yet (its return was voided)."""
        ...

    def resolve_payment(self, payment_id: uuid.UUID) -> Tender | None:
        """What became of an unknown payment: a tender if it was taken, None if not."""
        ...

    def abandon_payments(self, payment_ids: tuple[uuid.UUID, ...]) -> None:
        """Leave payments of a voided sale to recovery (their outcome is still unknown)."""
        ...


_MUTABLE = (SaleState.OPEN,)
_UNTAXED = TaxCategory("gift-card", (), name="Gift card (no tax)")


def _coupon_code(code: str) -> str:
    if not isinstance(code, str) or not code.strip():
        raise SaleError(f"a coupon code must be a non-empty string, got {code!r}")
    return code.strip().upper()


_ABANDONABLE = (SaleState.OPEN, SaleState.TENDERING, SaleState.SUSPENDED)


class Sale:
    """One customer's sale (or return) on a register session.

    Create one with ``session.new_sale()``; a sale is not built directly.
    Every change records a domain event; totals are re-priced by the pure
    :func:`~possdk.core.price_lines` whenever the lines change.
    """

    def __init__(
        self,
        host: SaleHost,
        *,
        register_id: str,
        session_id: uuid.UUID,
        operator: Operator,
        currency_code: str,
        original: Receipt | None = None,
        is_return: bool = False,
        approval: Approval | None = None,
        channel: str = "store",
    ) -> None:
        currency(currency_code)
        if not isinstance(channel, str) or not channel.strip():
            raise SaleError(f"a sale's channel must be a non-empty name, got {channel!r}")
        self._host = host
        self.id: uuid.UUID = host.ids.new()
        """The sale's UUIDv7."""
        self.register_id = register_id
        """The register it was opened on."""
        self.session_id = session_id
        """The register session it belongs to."""
        self.operator = operator
        """Who is ringing it up."""
        self.currency = currency_code
        """The sale's currency."""
        self.started_at: datetime = host.clock.now()
        """When it was opened."""
        self.original = original
        """For a return against a receipt, the original receipt."""
        self.is_return = is_return or original is not None
        """True for a return."""
        self._state = SaleState.OPEN
        self._lines: list[SaleLine] = []
        self._tenders: list[Tender] = []
        self._removed_tenders = 0
        self._unknown: list[uuid.UUID] = []
        self._sale_discounts: list[Discount] = []
        self._approvals: list[Approval] = [approval] if approval else []
        self._events: list[Event] = []
        self._totals: SaleTotals | None = None
        self.customer_id: str | None = None
        """The identified customer, if any."""
        self.customer_tier: str | None = None
        """The identified customer's loyalty tier, if any."""
        self.channel = channel
        """Where the sale is made (``"store"``, ``"online"``, ``"mobile"``)."""
        self._coupons: list[str] = []
        self._campaigns: dict[str, str] = {}
        self.receipt: Receipt | None = None
        """The receipt, once completed."""
        self._emit(
            SaleStarted,
            register_id=register_id,
            session_id=session_id,
            operator_id=operator.id,
            is_return=self.is_return,
        )
        if approval is not None:
            self._emit_approval(approval)

    # ---- reading -----------------------------------------------------------

    @property
    def state(self) -> SaleState:
        """The current state."""
        return self._state

    @property
    def lines(self) -> tuple[SaleLine, ...]:
        """Every line, voided ones included (``line.voided``)."""
        return tuple(self._lines)

    @property
    def active_lines(self) -> tuple[SaleLine, ...]:
        """Lines that count (not voided)."""
        return tuple(ln for ln in self._lines if not ln.voided)

    @property
    def tenders(self) -> tuple[Tender, ...]:
        """Tenders taken so far."""
        return tuple(self._tenders)

    @property
    def sale_discounts(self) -> tuple[Discount, ...]:
        """Manual whole-sale discounts."""
        return tuple(self._sale_discounts)

    @property
    def approvals(self) -> tuple[Approval, ...]:
        """Supervisor approvals taken on this sale."""
        return tuple(self._approvals)

    @property
    def coupons(self) -> tuple[str, ...]:
        """Coupon codes entered on the sale, in the order entered."""
        return tuple(self._coupons)

    def basket(self) -> Basket:
        """What the promotions see: the active lines and who, when and where."""
        return Basket(
            self.id,
            self.currency,
            self.active_lines,
            self._host.clock.now(),
            self.operator.id,
            self.customer_id,
            self.customer_tier,
            tuple(dict.fromkeys([*self._coupons, *self._campaigns.values()])),
            self.channel,
        )

    @property
    def events(self) -> tuple[Event, ...]:
        """Every event this sale produced, in order."""
        return tuple(self._events)

    @property
    def totals(self) -> SaleTotals:
        """The priced sale (cached until the next change)."""
        if self._totals is None:
            active = self.active_lines
            promotions = () if self.is_return else self._checked_promotions(self.basket())
            self._totals = price_lines(
                active,
                currency_code=self.currency,
                policy=self._host.tax_policy,
                promotions=promotions,
                sale_discounts=self._sale_discounts,
            )
        return self._totals

    @property
    def total(self) -> Money:
        """The total due (before cash rounding)."""
        return self.totals.total

    @property
    def paid(self) -> Money:
        """What the tenders cover so far."""
        return sum((t.amount for t in self._tenders), Money.zero(self.currency))

    @property
    def cash_rounding(self) -> Money:
        """Cash rounding applied by the tenders so far."""
        return sum((t.rounding for t in self._tenders), Money.zero(self.currency))

    @property
    def balance_due(self) -> Money:
        """What is still to pay (negative: still to refund): ``total + rounding - paid``."""
        return self.total + self.cash_rounding - self.paid

    @property
    def change_due(self) -> Money:
        """Cash to give back."""
        return sum((t.change for t in self._tenders), Money.zero(self.currency))

    @property
    def cash_due(self) -> Money:
        """The balance as it would be paid in cash (after cash rounding)."""
        rule = self._host.cash_rounding.for_currency(self.currency)
        balance = self.balance_due
        if rule is None:
            return balance
        return Money._make(rule.apply(balance.amount), self.currency)

    @property
    def is_paid(self) -> bool:
        """True when the tenders cover the total exactly (after cash rounding).

        A sale whose total is zero (everything free) is paid without a tender.
        """
        if not self.active_lines or self.balance_due.amount != 0:
            return False
        return bool(self._tenders) or self.total.amount == 0  # an all-free sale needs no tender

    def __repr__(self) -> str:
        kind = "Return" if self.is_return else "Sale"
        return f"<{kind} {self.id} {self._state.value} {len(self.active_lines)} lines {self.total}>"

    # ---- lines -------------------------------------------------------------

    def add(
        self,
        sku: str,
        quantity: Decimal | int | str = 1,
        *,
        note: str = "",
    ) -> SaleLine:
        """Add a product by SKU.

        Raises:
            ProductNotFoundError: no such SKU.
            InvalidQuantityError: zero, negative, or too many decimals for the unit.
        """
        return self.add_product(self._host.catalog.get(sku), quantity, note=note)

    def scan(self, code: str, quantity: Decimal | int | str | None = None) -> SaleLine:
        """Add the product a scanned barcode names.

        A variable-measure code adds its embedded weight or price. For a
        product sold by weight with an ordinary barcode, pass the weight as
        ``quantity`` (from the scale).

        Raises:
            InvalidBarcodeError: malformed or unknown layout.
            ProductNotFoundError: no product has the code.
        """
        match = self._host.catalog.scan(code)
        if match.price is not None:
            # A price-embedded label is one pre-packed item, whatever the product's unit.
            return self.add_product(
                match.product, 1, barcode=match.gtin.code, unit_price=match.price, per_item=True
            )
        qty = (
            match.quantity if match.quantity is not None else (1 if quantity is None else quantity)
        )
        return self.add_product(match.product, qty, barcode=match.gtin.code)

    def add_product(
        self,
        product: Product,
        quantity: Decimal | int | str = 1,
        *,
        barcode: str | None = None,
        unit_price: Money | None = None,
        note: str = "",
        per_item: bool = False,
        account: str | None = None,
    ) -> SaleLine:
        """Add a product object (found by your own means).

        ``unit_price`` is for prices that come with the item (a price-embedded
        barcode); to change a price by hand use :meth:`override_price`.
        ``per_item`` sells a measured product as one pre-packed piece.
        ``account`` is the card number on a gift card line (see :meth:`add_gift_card`).
        """
        self._require(_MUTABLE, "add a line to")
        if self.original is not None:
            raise SaleStateError(
                self.id,
                self._state,
                "add a product to",
                "this is a return against a receipt; use return_line()",
            )
        if not product.active:
            raise CatalogError(
                f"product {product.sku!r} is inactive and cannot be sold; reactivate it first"
            )
        unit = Unit.EACH if per_item else product.unit
        qty = self._quantity(quantity, unit, 0 if per_item else product.decimals, product.sku)
        if self.is_return:
            qty = EXACT.minus(qty)
        price = unit_price or product.price
        if price.currency != self.currency:
            raise CurrencyMismatchError(price.currency, self.currency, f"sell {product.sku!r} in")
        gift_card = product.kind is ProductKind.GIFT_CARD
        line = SaleLine(
            line_no=len(self._lines) + 1,
            sku=product.sku,
            name=product.name,
            quantity=qty,
            unit=unit,
            unit_price=price,
            # Money put on a gift card is not a taxable supply: tax is due when it is spent.
            tax_category=_UNTAXED
            if gift_card
            else self._host.catalog.tax_category(product.tax_category),
            barcode=barcode,
            note=note,
            quantity_decimals=0 if per_item else product.decimals,
            category=product.category,
            kind=product.kind,
            account=account,
        )
        self._lines.append(line)
        self._changed()
        self._emit(LineAdded, line=line)
        return line

    def add_gift_card(self, sku: str, number: str, amount: Money | Decimal | int | str) -> SaleLine:
        """Sell (or reload) gift card ``number`` with ``amount`` on it.

        ``sku`` names a product of kind :attr:`~possdk.core.ProductKind.GIFT_CARD`.
        The line carries no tax and takes no discount; the card is credited when
        the sale completes (``store.loyalty.gift_cards`` does it in the sale's
        own transaction).

        Raises:
            SaleError: the product is not a gift card, no card number, or an amount
                that is not positive.
        """
        product = self._host.catalog.get(sku)
        if product.kind is not ProductKind.GIFT_CARD:
            raise SaleError(
                f"product {sku!r} is not a gift card (kind {product.kind.value}); "
                f"give it kind=ProductKind.GIFT_CARD in the catalog"
            )
        if not isinstance(number, str) or not number.strip():
            raise SaleError(f"a gift card line needs the card's number, got {number!r}")
        value = amount if isinstance(amount, Money) else Money(amount, self.currency)
        if value.amount <= 0 or not value.is_rounded:
            raise SaleError(
                f"a gift card is loaded with a positive amount in whole minor units, got {value}"
            )
        if self.is_return:
            raise SaleError("a gift card is sold on a sale, not on a return")
        return self.add_product(product, 1, unit_price=value, account=number.strip())

    def identify_customer(self, customer_id: str | None, *, tier: str | None = None) -> None:
        """Name the customer (and their tier) the sale is for; None forgets them.

        Usually called by ``store.loyalty.identify(sale, card_or_phone)``.
        Promotions for a tier apply from the next re-pricing.
        """
        self._require(_MUTABLE, "identify the customer of")
        if customer_id is not None and (not isinstance(customer_id, str) or not customer_id):
            raise SaleError(f"a customer id must be a non-empty string, got {customer_id!r}")
        self.customer_id = customer_id
        self.customer_tier = tier if customer_id is not None else None
        self._changed()

    def add_coupon(self, code: str, *, campaign: str | None = None) -> str:
        """Enter a coupon code (kept stripped and upper case); returns it as kept.

        ``campaign`` names the promotion code a batch-generated coupon belongs
        to: promotions see both the code and its campaign (``Basket.coupons``).
        Use ``store.loyalty.coupons.apply(sale, code)``, which checks the code
        and fills the campaign; the store checks and redeems it again when the
        sale completes, in the same transaction.
        """
        self._require(_MUTABLE, "add a coupon to")
        if self.is_return:
            raise SaleError("a return takes no coupon")
        kept = _coupon_code(code)
        if kept in self._coupons:
            raise SaleError(f"coupon {kept} is already on this sale")
        self._coupons.append(kept)
        if campaign is not None:
            self._campaigns[kept] = _coupon_code(campaign)
        self._changed()
        return kept

    def remove_coupon(self, code: str) -> None:
        """Take a coupon code off the sale."""
        self._require(_MUTABLE, "remove a coupon from")
        kept = _coupon_code(code)
        if kept not in self._coupons:
            raise SaleError(f"coupon {kept} is not on this sale")
        self._coupons.remove(kept)
        self._campaigns.pop(kept, None)
        self._changed()

    def set_quantity(
        self,
        line_no: int,
        quantity: Decimal | int | str,
        *,
        approved_by: Operator | str | None = None,
    ) -> SaleLine:
        """Change a line's quantity. Lowering it is a partial void and needs permission."""
        self._require(_MUTABLE, "change a line of")
        line = self._line(line_no)
        if line.is_return and line.return_of is not None:
            raise SaleStateError(
                self.id,
                self._state,
                "change the quantity of a return line of",
                "void the line and return the right quantity",
            )
        product_decimals = _decimals_allowed(line)
        qty = self._quantity(quantity, line.unit, product_decimals, line.sku)
        if self.is_return:
            qty = EXACT.minus(qty)
        if EXACT.abs(qty) < EXACT.abs(line.quantity):
            self._authorize(
                Action.VOID_LINE, approved_by, f"line {line_no}: quantity {line.quantity} -> {qty}"
            )
        new = attrs.evolve(line, quantity=qty)
        return self._replace(line, new, "quantity")

    def void_line(self, line_no: int, *, approved_by: Operator | str | None = None) -> SaleLine:
        """Remove a line. Needs the ``VOID_LINE`` permission (or a supervisor's approval)."""
        self._require(_MUTABLE, "void a line of")
        line = self._line(line_no)
        approval = self._authorize(Action.VOID_LINE, approved_by, f"line {line_no}: {line.name}")
        new = attrs.evolve(line, voided=True, void_approval=approval)
        self._lines[line_no - 1] = new
        self._changed()
        self._emit(LineVoided, line=new)
        return new

    def override_price(
        self,
        line_no: int,
        price: Money | Decimal | int | str,
        *,
        approved_by: Operator | str | None = None,
    ) -> SaleLine:
        """Charge a different unit price. Needs the ``PRICE_OVERRIDE`` permission."""
        self._require(_MUTABLE, "override a price on")
        line = self._line(line_no)
        if line.refund is not None:
            raise SaleStateError(self.id, self._state, "override the refund price of")
        new_price = self._money(price, "price")
        if new_price.amount < 0:
            raise InvalidDiscountError(f"a price cannot be negative, got {new_price}")
        approval = self._authorize(
            Action.PRICE_OVERRIDE, approved_by, f"line {line_no}: {line.unit_price} -> {new_price}"
        )
        new = attrs.evolve(
            line,
            unit_price=new_price,
            list_price=line.list_price or line.unit_price,
            price_approval=approval,
        )
        return self._replace(line, new, "price")

    def discount_line(
        self,
        line_no: int,
        *,
        percent: Decimal | int | str | None = None,
        amount: Money | Decimal | int | str | None = None,
        reason: str = "",
        approved_by: Operator | str | None = None,
    ) -> SaleLine:
        """Give a manual discount on one line (replacing any earlier manual one).

        Discounts above the operator's role limit need a supervisor. Pass
        ``percent=0`` to take a discount off again.
        """
        self._require(_MUTABLE, "discount a line of")
        line = self._line(line_no)
        if self.is_return or line.is_return:
            raise InvalidDiscountError("a return refunds what was paid; it takes no discount")
        if line.kind is ProductKind.GIFT_CARD:
            raise InvalidDiscountError("a gift card's value takes no discount")
        priced = self.totals.line(line_no)
        base = EXACT.subtract(priced.subtotal, priced.promotion_discount)
        discount = self._discount(percent, amount, reason, base)
        approval = self._authorize(
            Action.DISCOUNT,
            approved_by,
            f"line {line_no}: {discount.describe()} off",
            percent=_as_percent(discount, base),
        )
        if approval is not None:
            discount = attrs.evolve(discount, approval=approval)
        new = attrs.evolve(line, discount=None if discount.value == 0 else discount)
        return self._replace(line, new, "discount")

    def discount_sale(
        self,
        *,
        percent: Decimal | int | str | None = None,
        amount: Money | Decimal | int | str | None = None,
        reason: str = "",
        approved_by: Operator | str | None = None,
    ) -> Discount:
        """Give a manual discount on the whole sale, allocated over its lines.

        It is spread in proportion to what is left on each line, so a later
        return of one line refunds exactly that line's share.
        """
        self._require(_MUTABLE, "discount")
        if self.is_return:
            raise InvalidDiscountError("a return takes no discount")
        # The base is the sale before any manual sale discount: a new one replaces the old.
        active = self.active_lines
        before = price_lines(
            active,
            currency_code=self.currency,
            policy=self._host.tax_policy,
            promotions=self._checked_promotions(self.basket()),
        )
        base = before.subtotal - before.discount
        discount = self._discount(percent, amount, reason, base.amount)
        approval = self._authorize(
            Action.DISCOUNT,
            approved_by,
            f"sale: {discount.describe()} off",
            percent=_as_percent(discount, base.amount),
        )
        if approval is not None:
            discount = attrs.evolve(discount, approval=approval)
        self._sale_discounts = [discount] if discount.value else []
        self._changed()
        self._emit(SaleDiscounted, discount=discount)
        return discount

    def annotate(self, line_no: int, note: str) -> SaleLine:
        """Attach a note to a line (printed under it)."""
        self._require(_MUTABLE, "annotate a line of")
        line = self._line(line_no)
        return self._replace(line, attrs.evolve(line, note=note), "note")

    # ---- returns -------------------------------------------------------------

    def return_line(
        self,
        line_no: int,
        quantity: Decimal | int | str | None = None,
        *,
        damaged: bool = False,
    ) -> SaleLine:
        """Give back (part of) a line of the original receipt.

        ``damaged=True`` says the goods came back damaged: the inventory puts
        them in the location's damaged-goods location (or writes them off),
        not back on the shelf.

        Refunds what that quantity was charged, after discounts and with its
        tax. Shares are rounded on the running total returned so far (returning
        one of "3 for 10.00" at a time refunds 3.33, 3.34, 3.33), so the
        refunds of a line add up to exactly what was paid for it, never more.

        Raises:
            ReturnError: more than was sold (minus earlier returns), or no such line.
        """
        self._require(_MUTABLE, "return a line on")
        original = self.original
        if original is None:
            raise SaleStateError(
                self.id,
                self._state,
                "return a receipt line on",
                "this is not a return against a receipt; use session.new_return(receipt)",
            )
        try:
            priced = original.totals.line(line_no)
        except KeyError:
            raise ReturnError(f"receipt {original.number} has no line {line_no}") from None
        sold = priced.line.quantity
        before = self._host.returned_quantities(original.sale_id).get(line_no, Decimal(0))
        for ln in self.active_lines:
            if ln.return_of is not None and ln.return_of.line_no == line_no:
                before = EXACT.subtract(before, ln.quantity)
        left = EXACT.subtract(sold, before)
        qty = (
            left
            if quantity is None
            else self._quantity(
                quantity, priced.line.unit, _decimals_allowed(priced.line), priced.line.sku
            )
        )
        if qty <= 0 or qty > left:
            raise ReturnError(
                f"line {line_no} of receipt {original.number} sold {sold}, "
                f"{before} already returned: at most {left} can be returned, not {qty}"
            )
        refund = _refund_share(
            priced.subtotal,
            priced.amount,
            priced.taxes,
            sold,
            before,
            qty,
            original.currency,
        )
        line = SaleLine(
            line_no=len(self._lines) + 1,
            sku=priced.line.sku,
            name=priced.line.name,
            quantity=EXACT.minus(qty),
            unit=priced.line.unit,
            unit_price=priced.line.unit_price,
            tax_category=priced.line.tax_category,
            return_of=ReturnOf(original.sale_id, original.number, line_no),
            refund=refund,
            quantity_decimals=priced.line.quantity_decimals,
            damaged=damaged,
            kind=priced.line.kind,  # a gift card given back is no stock coming back
            account=priced.line.account,
        )
        self._lines.append(line)
        self._changed()
        self._emit(LineAdded, line=line)
        return line

    def mark_damaged(self, line_no: int, damaged: bool = True) -> SaleLine:
        """Say a return line's goods came back damaged (or, with False, that they did not)."""
        self._require(_MUTABLE, "mark a line of")
        line = self._line(line_no)
        if not line.is_return:
            raise SaleStateError(
                self.id, self._state, "mark damaged", f"line {line_no} is not a return line"
            )
        return self._replace(line, attrs.evolve(line, damaged=damaged), "damaged")

    # ---- tenders -------------------------------------------------------------

    def pay(
        self,
        kind: TenderKind | str,
        amount: Money | Decimal | int | str | None = None,
        *,
        reference: str | None = None,
        provider: str | None = None,
        card: object = None,
    ) -> Tender:
        """Take a tender towards the balance (on a return: pay money out).

        ``amount`` is what the customer hands over; leave it out to pay the
        balance exactly. Cash settles the balance rounded to the cash
        increment and gives change; other tenders cannot exceed the balance.
        The money moves through the tender kind's payment provider
        (``provider=`` names one); a card provider may approve less than asked
        (the tender then covers that much). ``card=`` passes a manually keyed
        :class:`~possdk.payments.CardInput` to providers that take one.

        Raises:
            SaleStateError: the sale is not open or tendering, or has no lines.
            TenderError: a bad amount (see :func:`~possdk.core.apply_tender`).
            PaymentDeclinedError: declined; nothing moved, the sale is unchanged.
            PaymentUnknownError: no answer; no further payment until
                :meth:`check_payments` learns what happened.
        """
        self._require((SaleState.OPEN, SaleState.TENDERING), "take a payment for")
        if not self.active_lines:
            raise SaleStateError(self.id, self._state, "take a payment for", "it has no lines")
        self.check_payments()
        tender_kind = _tender_kind(kind)
        if (
            self.is_return
            and tender_kind is not TenderKind.CASH
            and tender_kind not in self._host.refund_kinds
        ):
            raise RefundError(
                f"refunds to {tender_kind.value} are not allowed here; refund() sends money back "
                f"to the tenders that paid, or refund in cash"
            )
        offered = None if amount is None else self._money(amount, "tender")
        if offered is not None and self.is_return and offered.amount > 0:
            offered = -offered  # a refund pays out; accept the amount as a cashier types it
        tender = apply_tender(
            tender_no=self._next_tender_no(),
            kind=tender_kind,
            offered=offered,
            remaining=self.balance_due,
            rounding=self._host.cash_rounding.for_currency(self.currency),
            reference=reference,
        )
        try:
            tender = self._host.take_payment(self, tender, provider=provider, card=card)
        except PaymentUnknownError as exc:
            if isinstance(exc.payment_id, uuid.UUID):
                self._unknown.append(exc.payment_id)
            raise
        return self._add_tender(tender)

    def check_payments(self) -> tuple[Tender, ...]:
        """Find out what became of payments left unknown (a timeout, a lost connection).

        Each is looked up with its own idempotency key: one that was taken
        becomes a tender; one that was not is dropped. Returns the tenders
        added.

        Raises:
            PaymentUnknownError: still no answer; take no other payment yet.
        """
        added = []
        for payment_id in list(self._unknown):
            found = self._host.resolve_payment(payment_id)
            if found is None:
                self._unknown.remove(payment_id)
            else:
                tender = apply_tender(
                    tender_no=self._next_tender_no(),
                    kind=found.kind,
                    offered=found.amount,
                    remaining=self.balance_due,
                    rounding=None,
                )
                tender = attrs.evolve(
                    found,
                    tender_no=tender.tender_no,
                    change=tender.change,
                    rounding=tender.rounding,
                )
                self._unknown.remove(payment_id)
                added.append(self._add_tender(tender))
        return tuple(added)

    @property
    def unknown_payments(self) -> tuple[uuid.UUID, ...]:
        """Payments whose outcome is not known yet (see :meth:`check_payments`)."""
        return tuple(self._unknown)

    def refund(
        self,
        kind: TenderKind | str | None = None,
        amount: Money | Decimal | int | str | None = None,
        *,
        reference: str | None = None,
    ) -> tuple[Tender, ...]:
        """On a return, pay the refund out.

        Against a receipt, the refund goes back to the tenders that paid:
        with no ``kind``, to the receipt's non-cash tenders first, latest
        first, each up to what it has left to refund, then the rest in cash;
        with a ``kind``, to the receipt's tenders of that kind, then (if the
        merchant allows that kind for refunds) as a new tender of it. Without
        a receipt the refund is a new tender of ``kind`` (cash by default).
        Never more than a tender captured.

        Raises:
            RefundError: more than can be refunded to that tender kind.
        """
        if not self.is_return:
            raise SaleStateError(self.id, self._state, "refund", "it is a sale, not a return")
        self._require((SaleState.OPEN, SaleState.TENDERING), "refund")
        if not self.active_lines:
            raise SaleStateError(self.id, self._state, "refund", "it has no lines")
        wanted = _tender_kind(kind) if kind is not None else None
        limit = None if amount is None else EXACT.abs(self._money(amount, "refund").amount)
        due = EXACT.minus(self.balance_due.amount)
        todo = due if limit is None else min(limit, due)
        # First the plan: which original tenders take how much. Nothing moves
        # until the whole refund is known to be possible.
        plan: list[tuple[Tender, Decimal]] = []
        if self.original is not None:
            sources = [t for t in reversed(self.original.tenders) if t.payment_id is not None]
            order = [t for t in sources if t.kind is not TenderKind.CASH]
            for source in order:
                if todo <= 0:
                    break
                if wanted is not None and source.kind is not wanted:
                    continue
                assert source.payment_id is not None
                reserved = Decimal(0)  # what this return already takes back from it
                for t in self._tenders:
                    if t.payment_id == source.payment_id and t.amount.amount < 0:
                        reserved = EXACT.subtract(reserved, t.amount.amount)
                left = EXACT.subtract(self._host.refundable(source.payment_id).amount, reserved)
                take = min(left, todo)
                if take > 0:
                    plan.append((source, take))
                    todo = EXACT.subtract(todo, take)
        fallback = wanted or TenderKind.CASH  # cash goes back from this drawer, rounded
        if todo > 0 and fallback is not TenderKind.CASH and fallback not in self._host.refund_kinds:
            allowed = ", ".join(sorted(k.value for k in self._host.refund_kinds))
            raise RefundError(
                f"{Money._make(todo, self.currency)} cannot go back to the receipt's "
                f"{fallback.value} tenders and {fallback.value} refunds are not allowed here; "
                f"refund the rest to one of: {allowed}"
            )
        added: list[Tender] = []
        for source, take in plan:
            assert source.payment_id is not None
            money = Money._make(take, self.currency)
            self._host.refund_payment(source.payment_id, money, self.id)
            added.append(
                self._add_tender(
                    Tender(
                        self._next_tender_no(),
                        source.kind,
                        -money,
                        -money,
                        Money.zero(self.currency),
                        Money.zero(self.currency),
                        reference=source.reference,
                        payment_id=source.payment_id,
                        provider=source.provider,
                        card=source.card,
                    )
                )
            )
        if todo > 0:
            offered = None if limit is None else Money._make(EXACT.minus(todo), self.currency)
            added.append(self.pay(fallback, offered, reference=reference))
        return tuple(added)

    def remove_tender(self, tender_no: int) -> Tender:
        """Take a tender off (before completion), voiding its payment; none left: open again."""
        self._require((SaleState.TENDERING,), "remove a tender from")
        for i, t in enumerate(self._tenders):
            if t.tender_no == tender_no:
                if t.payment_id is not None:
                    if t.amount.amount < 0 and self.original is not None:
                        self._host.cancel_refund(t.payment_id, EXACT.abs(t.amount.amount))
                    else:
                        self._host.void_payment(t.payment_id)
                del self._tenders[i]
                self._removed_tenders = max(self._removed_tenders, t.tender_no)
                if not self._tenders:
                    self._state = SaleState.OPEN
                self._emit(PaymentRemoved, tender=t)
                return t
        raise TenderError(f"sale {self.id} has no tender {tender_no}")

    def _next_tender_no(self) -> int:
        # Numbers are never reused within a sale, also after a tender is removed.
        return max((t.tender_no for t in self._tenders), default=self._removed_tenders) + 1

    def _add_tender(self, tender: Tender) -> Tender:
        self._tenders.append(tender)
        self._state = SaleState.TENDERING
        self._emit(PaymentTaken, tender=tender)
        return tender

    # ---- life cycle ----------------------------------------------------------

    def suspend(self) -> None:
        """Park the sale to serve another customer; any session can resume it later.

        Parking is kept (one committed operation): the sale survives a restart
        and another till can resume it.
        """
        self._require(_MUTABLE, "suspend", "a sale with tenders cannot be parked")
        if not self.active_lines:
            raise SaleStateError(self.id, self._state, "suspend", "it has no lines; just drop it")
        self._commit(SaleSuspended, snapshot=self.snapshot())
        self._state = SaleState.SUSPENDED

    def resume(
        self,
        *,
        session_id: uuid.UUID | None = None,
        register_id: str | None = None,
        operator: Operator | None = None,
    ) -> None:
        """Pick up a parked sale (optionally on another register, session or by another operator).

        Raises:
            SaleError: another till resumed it first.
        """
        self._require((SaleState.SUSPENDED,), "resume")
        self._commit(SaleResumed, session_id=session_id or self.session_id)
        if session_id is not None:
            self.session_id = session_id
        if register_id is not None:
            self.register_id = register_id
        if operator is not None:
            self.operator = operator
        self._state = SaleState.OPEN
        self._changed()

    def void(self, *, reason: str = "", approved_by: Operator | str | None = None) -> None:
        """Cancel the whole sale. Needs the ``VOID_SALE`` permission.

        Tenders already taken are listed on the :class:`~possdk.core.SaleVoided`
        event so they can be given back. The void is kept and counted in the
        session's totals.
        """
        self._require(_ABANDONABLE, "void")
        approval = self._authorize(Action.VOID_SALE, approved_by, reason or "void sale")
        # A payment that went through must be given back too; one still unreachable is
        # given back later by store.payments.recover().
        with contextlib.suppress(PaymentUnknownError):
            self.check_payments()
        for t in list(self._tenders):  # give every payment back before the void is kept
            if t.payment_id is not None:
                if t.amount.amount < 0 and self.original is not None:
                    self._host.cancel_refund(t.payment_id, EXACT.abs(t.amount.amount))
                else:
                    self._host.void_payment(t.payment_id)
        total = self.total
        self._commit(
            SaleVoided, reason=reason, approval=approval, total=total, tenders=self.tenders
        )
        self._state = SaleState.VOIDED
        if self._unknown:  # left to store.payments.recover(), which gives the money back
            self._host.abandon_payments(tuple(self._unknown))

    def complete(self) -> Receipt:
        """Complete a fully paid sale and return its receipt.

        The register session numbers the receipt and keeps it, with the
        session's totals and a journal entry, in one transaction; if that
        fails, the sale stays as it was (still tendering), so nothing is
        half-done.

        Raises:
            SaleStateError: not fully paid, or not tendering.
        """
        self._require((SaleState.TENDERING, SaleState.OPEN), "complete")
        self.check_payments()
        if not self.is_paid:
            raise SaleStateError(
                self.id,
                self._state,
                "complete",
                f"{self.balance_due} is still due; take a tender with pay()",
            )
        totals = self.totals
        draft = Receipt(
            sale_id=self.id,
            number="",
            kind=ReceiptKind.RETURN if self.is_return else ReceiptKind.SALE,
            register_id=self.register_id,
            session_id=self.session_id,
            operator_id=self.operator.id,
            operator_name=self.operator.name,
            started_at=self.started_at,
            completed_at=self._host.clock.now(),
            totals=totals,
            tenders=self.tenders,
            sale_discounts=self.sale_discounts,
            voided_lines=tuple(ln for ln in self._lines if ln.voided),
            approvals=self.approvals,
            return_of=self.original.sale_id if self.original else None,
            return_of_number=self.original.number if self.original else None,
            customer_id=self.customer_id,
            customer_tier=self.customer_tier,
            coupons=tuple(self._coupons),
            coupon_campaigns=tuple(self._campaigns.items()),
            channel=self.channel,
        )
        if self.is_return:
            kept = self._commit(ReturnCompleted, receipt=draft, original_sale_id=draft.return_of)
        else:
            kept = self._commit(SaleCompleted, receipt=draft)
        assert isinstance(kept, (SaleCompleted, ReturnCompleted))
        self._state = SaleState.COMPLETED
        self.receipt = kept.receipt
        return kept.receipt

    # ---- snapshots -------------------------------------------------------------

    def snapshot(self) -> SaleSnapshot:
        """The sale as a value, for parking it where any till can bring it back."""
        return SaleSnapshot(
            sale_id=self.id,
            register_id=self.register_id,
            session_id=self.session_id,
            operator_id=self.operator.id,
            currency=self.currency,
            started_at=self.started_at,
            is_return=self.is_return,
            lines=self.lines,
            sale_discounts=self.sale_discounts,
            approvals=self.approvals,
            original_sale_id=self.original.sale_id if self.original else None,
            customer_id=self.customer_id,
            customer_tier=self.customer_tier,
            coupons=tuple(self._coupons),
            coupon_campaigns=tuple(self._campaigns.items()),
            channel=self.channel,
        )

    @classmethod
    def restore(
        cls, host: SaleHost, snapshot: SaleSnapshot, *, original: Receipt | None = None
    ) -> Sale:
        """Bring a parked sale back as a suspended sale (call :meth:`resume` next)."""
        self = cls.__new__(cls)
        self._host = host
        self.id = snapshot.sale_id
        self.register_id = snapshot.register_id
        self.session_id = snapshot.session_id
        self.operator = host.operator(snapshot.operator_id)
        self.currency = snapshot.currency
        self.started_at = snapshot.started_at
        self.original = original
        self.is_return = snapshot.is_return
        self._state = SaleState.SUSPENDED
        self._lines = list(snapshot.lines)
        self._tenders = []
        self._removed_tenders = 0
        self._unknown = []
        self._sale_discounts = list(snapshot.sale_discounts)
        self._approvals = list(snapshot.approvals)
        self._events = []
        self._totals = None
        self.customer_id = snapshot.customer_id
        self.customer_tier = snapshot.customer_tier
        self.channel = snapshot.channel
        self._coupons = list(snapshot.coupons)
        self._campaigns = dict(snapshot.coupon_campaigns)
        self.receipt = None
        return self

    # ---- internals -------------------------------------------------------------

    def _checked_promotions(self, basket: Basket) -> tuple[PromotionDiscount, ...]:
        promotions = tuple(self._host.promotions(basket))
        for p in promotions:
            amount = p.amount
            if not isinstance(amount, Money) or amount.currency != self.currency:
                raise PluginError(
                    f"promotion {p.promotion_id!r} gave {amount!r}; "
                    f"it must be Money in {self.currency}"
                )
            if amount.amount < 0 or not amount.is_rounded:
                raise PluginError(
                    f"promotion {p.promotion_id!r} gave {amount}; a promotion discount must be "
                    f"zero or more, in whole minor units"
                )
        return promotions

    def _emit(self, event_type: type[SaleEvent], **fields: Any) -> None:
        now = self._host.clock.now()
        event = event_type(
            event_id=self._host.ids.new(now),
            occurred_at=now,
            sale_id=self.id,
            **fields,
        )
        self._events.append(event)
        self._host.record(event)

    def _commit(self, event_type: type[SaleEvent], **fields: Any) -> Event:
        # A business operation: the host keeps it (one transaction) or raises.
        now = self._host.clock.now()
        event = event_type(
            event_id=self._host.ids.new(now), occurred_at=now, sale_id=self.id, **fields
        )
        kept = self._host.commit(event)
        self._events.append(kept)
        return kept

    def _emit_approval(self, approval: Approval) -> None:
        event = ApprovalGranted(
            event_id=self._host.ids.new(approval.at),
            occurred_at=approval.at,
            approval=approval,
            sale_id=self.id,
            session_id=self.session_id,
        )
        self._events.append(event)
        self._host.record(event)

    def _require(self, states: tuple[SaleState, ...], action: str, hint: str = "") -> None:
        if states is _MUTABLE and self._unknown:
            # Changing the lines could leave a payment that did go through larger
            # than the sale: learn what happened first.
            raise SaleStateError(
                self.id,
                self._state,
                action,
                "a payment's outcome is unknown; call check_payments() first",
            )
        if self._state not in states:
            if not hint and self._state is SaleState.TENDERING:
                hint = "remove the tenders first (remove_tender) or complete it"
            raise SaleStateError(self.id, self._state, action, hint)

    def _line(self, line_no: int) -> SaleLine:
        if not 1 <= line_no <= len(self._lines) or self._lines[line_no - 1].voided:
            raise LineNotFoundError(self.id, line_no)
        return self._lines[line_no - 1]

    def _replace(self, old: SaleLine, new: SaleLine, change: str) -> SaleLine:
        self._lines[old.line_no - 1] = new
        self._changed()
        self._emit(LineChanged, before=old, after=new, change=change)
        return new

    def _changed(self) -> None:
        self._totals = None

    def _money(self, value: Money | Decimal | int | str, what: str) -> Money:
        if isinstance(value, Money):
            if value.currency != self.currency:
                raise TenderError(f"{what} is in {value.currency}, the sale is in {self.currency}")
            return value
        return Money(to_decimal(value, what), self.currency)

    @staticmethod
    def _quantity(value: Decimal | int | str, unit: Unit, decimals: int, sku: str) -> Decimal:
        qty = to_decimal(value, "quantity")
        if qty <= 0:
            raise InvalidQuantityError(f"quantity of {sku!r} must be positive, got {qty}")
        exponent = qty.as_tuple().exponent
        assert isinstance(exponent, int)
        if -exponent > decimals and qty != qty.quantize(
            Decimal(1).scaleb(-decimals), context=EXACT_ROUNDING
        ):
            if decimals == 0:
                raise InvalidQuantityError(
                    f"{sku!r} is sold in whole units ({unit.value}); got {qty}"
                )
            raise InvalidQuantityError(
                f"{sku!r} is sold in {unit.value} with at most {decimals} decimals; got {qty}"
            )
        if qty > 1_000_000:
            raise InvalidQuantityError(f"quantity {qty} of {sku!r} is implausibly large; check it")
        return qty

    def _operator(self, ref: Operator | str | None) -> Operator | None:
        return None if ref is None else self._host.operator(ref)

    def _authorize(
        self,
        action: Action,
        approved_by: Operator | str | None,
        detail: str,
        *,
        percent: Decimal | None = None,
    ) -> Approval | None:
        approval = authorize(
            action,
            self.operator,
            self._operator(approved_by),
            self._host.clock.now(),
            detail=detail,
            discount_percent=percent,
        )
        if approval is not None:
            self._approvals.append(approval)
            self._emit_approval(approval)
        return approval

    def _discount(
        self,
        percent: Decimal | int | str | None,
        amount: Money | Decimal | int | str | None,
        reason: str,
        base: Decimal,
    ) -> Discount:
        if (percent is None) == (amount is None):
            raise InvalidDiscountError("give either percent= or amount=, not both and not neither")
        if percent is not None:
            return Discount.percent(percent, reason)
        assert amount is not None
        value = self._money(amount, "discount")
        if value.amount > base:
            raise InvalidDiscountError(
                f"a discount of {value} is more than the {Money(base, self.currency)} it applies to"
            )
        if not value.is_rounded:
            raise InvalidDiscountError(f"a discount of {value} has digits below the minor unit")
        return Discount.amount(value, reason)


def _tender_kind(kind: TenderKind | str) -> TenderKind:
    if isinstance(kind, TenderKind):
        return kind
    try:
        return TenderKind(kind)
    except ValueError:
        names = ", ".join(repr(k.value) for k in TenderKind)
        raise TenderError(f"unknown tender kind {kind!r}; use one of {names}") from None


def _decimals_allowed(line: SaleLine) -> int:
    return line.unit.decimals if line.quantity_decimals is None else line.quantity_decimals


def _as_percent(discount: Discount, base: Decimal) -> Decimal:
    if discount.kind is DiscountKind.PERCENT:
        return discount.value
    if base <= 0:
        return Decimal(100)
    return DIV.divide(EXACT.multiply(discount.value, Decimal(100)), base)


def _refund_share(
    subtotal: Decimal,
    amount: Decimal,
    taxes: tuple[Decimal, ...],
    sold: Decimal,
    before: Decimal,
    qty: Decimal,
    currency_code: str,
) -> RefundAmounts:
    """What returning ``qty`` of ``sold`` refunds, after ``before`` was returned already.

    Cumulative shares are rounded half-up, so earlier and later returns of the
    same line add up to exactly what the line was charged.
    """
    quantum = currency(currency_code).quantum
    after = EXACT.add(before, qty)

    def share(value: Decimal) -> Decimal:
        def cumulative(q: Decimal) -> Decimal:
            if q == sold:
                return value
            return quantize(
                DIV.divide(EXACT.multiply(value, q), sold), quantum, RoundingMode.HALF_UP
            )

        return EXACT.subtract(cumulative(after), cumulative(before))

    refunded_amount = share(amount)
    refunded_subtotal = share(subtotal)
    return RefundAmounts(
        amount=EXACT.minus(refunded_amount),
        discount=EXACT.subtract(refunded_amount, refunded_subtotal),
        subtotal=EXACT.minus(refunded_subtotal),
        taxes=tuple(EXACT.minus(share(t)) for t in taxes),
    )
