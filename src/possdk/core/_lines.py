"""The values a sale is made of: lines, discounts, promotion results."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal

import attrs

from possdk.core._catalog import ProductKind, Unit
from possdk.core._decimal import EXACT
from possdk.core._money import Money, to_decimal
from possdk.core._permissions import Approval
from possdk.core._tax import TaxCategory
from possdk.errors import InvalidDiscountError

__all__ = [
    "Discount",
    "DiscountKind",
    "PromotionDiscount",
    "RefundAmounts",
    "ReturnOf",
    "SaleLine",
    "SaleSnapshot",
]


class DiscountKind(enum.Enum):
    """How a manual discount is expressed."""

    PERCENT = "percent"
    """A percentage of what it applies to."""
    AMOUNT = "amount"
    """A fixed amount off."""


def _discount_value(value: object) -> Decimal:
    return to_decimal(value, "discount")


@attrs.frozen
class Discount:
    """A manual discount on a line or on the whole sale.

    Build with :meth:`percent` or :meth:`amount`.
    """

    kind: DiscountKind
    """Percent or amount."""
    value: Decimal = attrs.field(converter=_discount_value)
    """The percentage (``10`` for 10 %) or the amount in the sale's currency."""
    reason: str = ""
    """Why, as the cashier entered it; printed on the receipt."""
    approval: Approval | None = None
    """The supervisor approval, when one was needed."""

    def __attrs_post_init__(self) -> None:
        if self.value < 0:
            raise InvalidDiscountError(f"a discount cannot be negative, got {self.value}")
        if self.kind is DiscountKind.PERCENT and self.value > 100:
            raise InvalidDiscountError(f"a percentage discount is at most 100, got {self.value}")

    @classmethod
    def percent(cls, value: Decimal | int | str, reason: str = "") -> Discount:
        """``Discount.percent("10")`` is 10 % off."""
        return cls(DiscountKind.PERCENT, value, reason)

    @classmethod
    def amount(cls, value: Decimal | int | str | Money, reason: str = "") -> Discount:
        """``Discount.amount("25.00")`` is 25.00 off (in the sale's currency)."""
        raw = value.amount if isinstance(value, Money) else value
        return cls(DiscountKind.AMOUNT, raw, reason)

    def describe(self) -> str:
        """``"10%"`` or ``"25.00"``: the value as a cashier entered it."""
        text = format(self.value.normalize(EXACT), "f") if self.value else "0"
        return f"{text}%" if self.kind is DiscountKind.PERCENT else format(self.value, "f")


@attrs.frozen
class PromotionDiscount:
    """One benefit an automatic promotion gives; returned by the promotion hook.

    With ``line_no`` it comes off that line; without, it comes off the
    whole sale and is allocated over the lines by their amounts.
    """

    promotion_id: str
    """The promotion's id, for reports."""
    description: str
    """What the receipt says, e.g. ``"3 for 100"``."""
    amount: Money
    """How much comes off (positive)."""
    line_no: int | None = None
    """The line it applies to, or None for the whole sale."""


@attrs.frozen
class ReturnOf:
    """Which sold line a return line gives back."""

    sale_id: uuid.UUID
    """The original sale."""
    receipt_number: str
    """The original receipt's number, as printed."""
    line_no: int
    """The line on the original sale."""


@attrs.frozen
class RefundAmounts:
    """What a return line refunds: fixed when the line is created, never repriced.

    Negative amounts: a refund reduces the document's totals.
    """

    amount: Decimal
    """The refunded price (gross or net as the original)."""
    discount: Decimal
    """The share of the original discounts given back with it (<= 0 means less refunded)."""
    subtotal: Decimal
    """The refunded price before discounts."""
    taxes: tuple[Decimal, ...]
    """Tax per rate of the line's tax category."""


@attrs.frozen
class SaleLine:
    """One line of a sale: a product, a quantity and a price.

    Lines are values; a sale replaces a line with an evolved copy when its
    quantity, price or discount changes. A voided line stays on the sale
    with ``voided=True`` so the audit trail keeps it.
    """

    line_no: int
    """1-based position in the sale; stable once given."""
    sku: str
    """The product's SKU."""
    name: str
    """The product's name at the time of sale."""
    quantity: Decimal
    """How many, or how much (kg, l, m); negative on return lines."""
    unit: Unit
    """The product's unit of sale."""
    unit_price: Money
    """The price per unit charged (after any override)."""
    tax_category: TaxCategory
    """The product's tax category at the time of sale."""
    barcode: str | None = None
    """The scanned code, if the line came from a scan."""
    list_price: Money | None = None
    """The catalog price, when the price was overridden."""
    price_approval: Approval | None = None
    """Who approved a price override."""
    discount: Discount | None = None
    """A manual line discount."""
    note: str = ""
    """A free-text note (\"no onions\", a serial number)."""
    voided: bool = False
    """True once the line was removed."""
    void_approval: Approval | None = None
    """Who approved voiding it."""
    return_of: ReturnOf | None = None
    """For a return line, the line it returns."""
    refund: RefundAmounts | None = None
    """For a return line, the fixed amounts it refunds."""
    quantity_decimals: int | None = None
    """Decimal places a quantity may have (from the product); None: the unit's default."""
    damaged: bool = False
    """For a return line: the goods came back damaged (not back on the shelf)."""
    category: str | None = None
    """The product's merchandise category at the time of sale."""
    kind: ProductKind = ProductKind.GOODS
    """Goods, or a gift card sold or reloaded."""
    account: str | None = None
    """On a gift card line: the card's number."""

    @property
    def is_return(self) -> bool:
        """True for a line that gives back goods."""
        return self.return_of is not None or self.refund is not None or self.quantity < 0


@attrs.frozen
class SaleSnapshot:
    """Everything needed to bring an unfinished sale back: for parking it anywhere.

    A sale with tenders is never parked, so a snapshot has none.
    """

    sale_id: uuid.UUID
    """The sale."""
    register_id: str
    """Where it was started."""
    session_id: uuid.UUID
    """The session it was parked from."""
    operator_id: str
    """Who was serving."""
    currency: str
    """The sale's currency."""
    started_at: datetime
    """When it was started."""
    is_return: bool
    """True for a return."""
    lines: tuple[SaleLine, ...]
    """Every line, voided ones included."""
    sale_discounts: tuple[Discount, ...] = ()
    """Manual whole-sale discounts."""
    approvals: tuple[Approval, ...] = ()
    """Approvals taken so far."""
    original_sale_id: uuid.UUID | None = None
    """For a return against a receipt, the original sale."""
    customer_id: str | None = None
    """The identified customer, if any."""
    customer_tier: str | None = None
    """The identified customer's tier, for tier promotions."""
    coupons: tuple[str, ...] = ()
    """Coupon codes entered on the sale."""
    coupon_campaigns: tuple[tuple[str, str], ...] = ()
    """(code, campaign) for coupons that belong to a campaign."""
    channel: str = "store"
    """Where the sale is made (``"store"``, ``"online"``, ``"mobile"``)."""
