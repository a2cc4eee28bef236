"""The values of inventory: locations, items' stock rules, movements, levels and documents.

Quantities are ``Decimal`` in the item's unit (pieces, kg, l, m); costs are
``Decimal`` amounts in the store's currency per unit, kept to six decimal
places (a cost price may be finer than the currency's minor unit).
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from possdk.core import Money
from possdk.core._decimal import EXACT
from possdk.core._money import to_decimal
from possdk.errors import InventoryError

__all__ = [
    "DEFAULT_LOCATION",
    "AdjustmentReason",
    "CountLine",
    "CountResult",
    "CountVariance",
    "LedgerCheck",
    "Location",
    "LocationKind",
    "Movement",
    "MovementKind",
    "NegativeStock",
    "OrderSuggestion",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
    "ReorderMethod",
    "ReorderRule",
    "Reservation",
    "Shortage",
    "StockCount",
    "StockCountStatus",
    "StockItem",
    "StockLevel",
    "StockValuation",
    "SuggestedLine",
    "Supplier",
    "SupplierItem",
    "Transfer",
    "TransferLine",
    "TransferStatus",
    "ValuationLine",
]

DEFAULT_LOCATION = "main"
"""The location every store starts with; registers sell from it until assigned another."""


def _check_id(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 64 or "/" in value:
        raise InventoryError(
            f"{attribute.name} must be 1 to 64 characters without '/', got {value!r}"
        )


def _check_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InventoryError(f"{attribute.name} must be 1 to 200 characters, got {value!r}")


def _quantity(value: object) -> Decimal:
    try:
        return to_decimal(value, "quantity")
    except (TypeError, ValueError) as exc:
        raise InventoryError(str(exc)) from None


def _optional_quantity(value: object) -> Decimal | None:
    return None if value is None else _quantity(value)


def _not_negative(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, Decimal) and value < 0:
        raise InventoryError(f"{attribute.name} cannot be negative, got {value}")


def _positive(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value <= 0:
        raise InventoryError(f"{attribute.name} must be more than zero, got {value}")


# ---- locations and items --------------------------------------------------------


class LocationKind(enum.Enum):
    """What a location is; informative (every kind holds stock the same way)."""

    STORE = "store"
    """A shop floor tills sell from."""
    BACKROOM = "backroom"
    """Storage behind a shop."""
    WAREHOUSE = "warehouse"
    """A warehouse or distribution centre."""
    DAMAGED = "damaged"
    """Where returned damaged goods wait for a decision (not sold from)."""


@attrs.frozen
class Location:
    """A place stock is kept: a shop floor, a back room, a warehouse.

    ``damaged_to`` names the location damaged returns at this one go to; left
    out, a damaged return comes back here and is written off at once
    (a return movement and a ``damage`` adjustment, so the ledger says why).
    """

    id: str = attrs.field(validator=_check_id)
    """A short code: ``"main"``, ``"backroom"``, ``"wh-kyiv"``."""
    name: str = attrs.field(validator=_check_name)
    """The name people use."""
    kind: LocationKind = LocationKind.STORE
    """What it is."""
    damaged_to: str | None = None
    """Where damaged returns taken here go (a location id), if anywhere."""
    active: bool = True
    """Inactive locations keep their history but take no new stock."""


class NegativeStock(enum.Enum):
    """What happens when a sale would take an item's available stock below zero."""

    ALLOW = "allow"
    """Sell anyway (the goods are on the counter; the books are wrong): recorded and reported."""
    WARN = "warn"
    """Sell, log a warning; ``store.inventory.shortages(sale)`` lets a till ask first."""
    BLOCK = "block"
    """Refuse: the sale cannot complete (race-free across tills)."""


def _cost(value: object) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Money):
        value = value.amount
    try:
        cost = to_decimal(value, "cost")
    except (TypeError, ValueError) as exc:
        raise InventoryError(str(exc)) from None
    if cost < 0:
        raise InventoryError(f"a cost cannot be negative, got {cost}")
    return cost


@attrs.frozen
class StockItem:
    """How the inventory treats one product (by SKU).

    A product without one is tracked and may go below zero (``ALLOW``).
    """

    sku: str
    """The product."""
    tracked: bool = True
    """False for services and anything else not counted (no movements are written)."""
    negative: NegativeStock = NegativeStock.ALLOW
    """What a sale below zero does."""
    average_cost: Decimal | None = attrs.field(default=None, converter=_cost)
    """The weighted average cost per unit (moving average over receipts); None: never received."""
    last_cost: Decimal | None = attrs.field(default=None, converter=_cost)
    """The cost per unit of the latest receipt."""


# ---- movements and levels ------------------------------------------------------


class MovementKind(enum.Enum):
    """Why stock moved; the ledger's only vocabulary."""

    SALE = "sale"
    """Sold at a till (negative)."""
    RETURN = "return"
    """Given back by a customer (positive)."""
    RECEIPT = "receipt"
    """Delivered by a supplier (positive)."""
    TRANSFER_OUT = "transfer_out"
    """Sent to another location (negative)."""
    TRANSFER_IN = "transfer_in"
    """Arrived from another location (positive)."""
    ADJUSTMENT = "adjustment"
    """Damage, theft, expiry, found: always with a reason."""
    COUNT = "count"
    """The difference a stock count found (or a stock level imported)."""


class AdjustmentReason(enum.Enum):
    """Why stock was adjusted by hand."""

    DAMAGE = "damage"
    """Broken or spoilt (takes stock out)."""
    THEFT = "theft"
    """Stolen (takes stock out)."""
    EXPIRY = "expiry"
    """Past its date (takes stock out)."""
    FOUND = "found"
    """Turned up (puts stock in)."""
    OTHER = "other"
    """Anything else; needs a note."""

    @property
    def direction(self) -> int:
        """-1 if it only takes stock out, +1 if it only puts stock in, 0 either way."""
        return {"damage": -1, "theft": -1, "expiry": -1, "found": 1}.get(self.value, 0)


@attrs.frozen
class Movement:
    """One entry of the stock ledger: a signed quantity of one item at one location."""

    id: uuid.UUID
    """A UUIDv7 (time-ordered)."""
    at: datetime
    """When."""
    sku: str
    """The item."""
    location_id: str
    """Where."""
    kind: MovementKind
    """Why."""
    quantity: Decimal
    """Signed: positive puts stock in, negative takes it out."""
    reason: str = ""
    """For adjustments and counts, the reason's value (``"damage"``, ``"count"``, ``"import"``)."""
    reference: str = ""
    """The document people know: a receipt number, ``PO-000012``, ``TR-000003``, ``CNT-000002``."""
    document_id: uuid.UUID | None = None
    """The sale, purchase order, transfer or count it belongs to."""
    line_no: int | None = None
    """The line of that document."""
    unit_cost: Decimal | None = None
    """The item's average cost when it moved (the cost of goods sold, for sales)."""
    note: str = ""
    """Free text."""


@attrs.frozen
class StockLevel:
    """What one location holds of one item, with its reorder point."""

    sku: str
    """The item."""
    location_id: str
    """Where."""
    on_hand: Decimal
    """The sum of the ledger's movements (kept as a cache that ``check()`` verifies)."""
    reserved: Decimal = Decimal(0)
    """Promised to orders not handed over yet."""
    reorder_point: Decimal | None = None
    """Order more when available stock is at or below this."""
    order_up_to: Decimal | None = None
    """... up to this level."""
    low: bool = False
    """True once available stock crossed the reorder point (until it rises above again)."""

    @property
    def available(self) -> Decimal:
        """On hand minus reserved: what can still be sold."""
        return EXACT.subtract(self.on_hand, self.reserved)


@attrs.frozen
class Reservation:
    """Stock promised to an order that is not handed over yet."""

    id: uuid.UUID
    """The reservation."""
    sku: str
    """The item."""
    location_id: str
    """Where."""
    quantity: Decimal
    """How much."""
    reference: str
    """The order it is for."""
    at: datetime
    """When it was made."""


@attrs.frozen
class Shortage:
    """A line of a sale that the stock at the till's location does not cover."""

    sku: str
    """The item."""
    location_id: str
    """Where the till sells from."""
    wanted: Decimal
    """What the sale takes (every line of that item together)."""
    available: Decimal
    """What is available."""
    policy: NegativeStock
    """What completing the sale would do: allow, warn or block."""


# ---- reordering ----------------------------------------------------------------


class ReorderMethod(enum.Enum):
    """How a reorder point is set."""

    FIXED = "fixed"
    """A reorder point and an order-up-to level the merchant chooses (min/max)."""
    VELOCITY = "velocity"
    """Computed from recent sales, the supplier's lead time and a safety stock."""


def _days(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3650:
        raise InventoryError(f"{attribute.name} must be whole days from 0 to 3650, got {value!r}")


@attrs.frozen
class ReorderRule:
    """When to order an item for a location, and how much.

    ``ReorderRule.fixed(reorder_point=5, order_up_to=20)`` orders up to 20
    once available stock is at or below 5. ``ReorderRule.velocity(
    window_days=28, lead_time_days=7, safety_stock=2, review_days=7)`` sets
    them from sales: with ``d`` the net quantity sold per day over the last
    ``window_days``, the reorder point is ``d * lead_time_days +
    safety_stock`` and the order-up-to level ``d * (lead_time_days +
    review_days) + safety_stock``, each rounded up to the item's quantity
    step (a whole piece for items sold each). Recomputed by
    ``store.inventory.recompute_reorder_points()`` (run it nightly).
    """

    method: ReorderMethod
    """Fixed or velocity-based."""
    reorder_point: Decimal | None = attrs.field(
        default=None, converter=_optional_quantity, validator=_not_negative
    )
    """Fixed: order when available is at or below this."""
    order_up_to: Decimal | None = attrs.field(
        default=None, converter=_optional_quantity, validator=_not_negative
    )
    """Fixed: order up to this."""
    window_days: int = attrs.field(default=28, validator=_days)
    """Velocity: days of sales history the rate is taken over."""
    lead_time_days: int = attrs.field(default=7, validator=_days)
    """Velocity: days from ordering to the delivery on the shelf."""
    safety_stock: Decimal = attrs.field(
        default=Decimal(0), converter=_quantity, validator=_not_negative
    )
    """Velocity: stock kept on top of the lead time's sales."""
    review_days: int = attrs.field(default=7, validator=_days)
    """Velocity: days of sales an order should cover beyond the reorder point."""

    def __attrs_post_init__(self) -> None:
        if self.method is ReorderMethod.FIXED:
            if self.reorder_point is None or self.order_up_to is None:
                raise InventoryError("a fixed reorder rule needs reorder_point and order_up_to")
            if self.order_up_to < self.reorder_point:
                raise InventoryError(
                    f"order_up_to ({self.order_up_to}) must be at least the reorder point "
                    f"({self.reorder_point})"
                )
        elif self.window_days < 1:
            raise InventoryError("a velocity rule needs a window of at least one day")

    @classmethod
    def fixed(
        cls, *, reorder_point: Decimal | int | str, order_up_to: Decimal | int | str
    ) -> ReorderRule:
        """Order up to ``order_up_to`` when available stock is at or below ``reorder_point``."""
        return cls(ReorderMethod.FIXED, reorder_point, order_up_to)

    @classmethod
    def velocity(
        cls,
        *,
        window_days: int = 28,
        lead_time_days: int = 7,
        safety_stock: Decimal | int | str = 0,
        review_days: int = 7,
    ) -> ReorderRule:
        """Reorder point and order-up-to level from recent sales (see the class)."""
        return cls(
            ReorderMethod.VELOCITY,
            window_days=window_days,
            lead_time_days=lead_time_days,
            safety_stock=safety_stock,
            review_days=review_days,
        )


@attrs.frozen
class Supplier:
    """Someone the shop buys from."""

    id: str = attrs.field(validator=_check_id)
    """A short code."""
    name: str = attrs.field(validator=_check_name)
    """The supplier's name."""
    contact: str = ""
    """E-mail, phone, whatever the buyer uses."""


@attrs.frozen
class SupplierItem:
    """What a supplier calls an item, what it costs and how it is ordered."""

    supplier_id: str
    """The supplier."""
    sku: str
    """Our item."""
    supplier_code: str = ""
    """The supplier's own code for it (printed on purchase orders)."""
    unit_cost: Decimal | None = attrs.field(default=None, converter=_cost)
    """The cost per unit of sale (not per pack), in the store's currency."""
    pack_size: Decimal = attrs.field(default=Decimal(1), converter=_quantity, validator=_positive)
    """Orders are in whole packs of this many units."""
    min_order: Decimal = attrs.field(
        default=Decimal(0), converter=_quantity, validator=_not_negative
    )
    """The least the supplier accepts per order, in units."""
    preferred: bool = False
    """Suggestions go to the preferred supplier (else the cheapest)."""


@attrs.frozen
class SuggestedLine:
    """One item to order: how much, and why."""

    sku: str
    """The item."""
    quantity: Decimal
    """Suggested order quantity (whole packs, at least the minimum order)."""
    available: Decimal
    """Available now."""
    on_order: Decimal
    """Already ordered and not received (sent purchase orders)."""
    reorder_point: Decimal
    """The reorder point it is at or below."""
    order_up_to: Decimal
    """The level the order brings it to (before pack rounding)."""
    unit_cost: Decimal | None = None
    """The supplier's cost, if known."""
    supplier_code: str = ""
    """The supplier's code."""


@attrs.frozen
class OrderSuggestion:
    """What to order from one supplier for one location."""

    supplier_id: str | None
    """The supplier; None for items no supplier is known for."""
    location_id: str
    """Where the goods should go."""
    lines: tuple[SuggestedLine, ...]
    """The items."""


# ---- documents -----------------------------------------------------------------


class PurchaseOrderStatus(enum.Enum):
    """Where a purchase order is in its life."""

    DRAFT = "draft"
    """Being put together; lines can change."""
    SENT = "sent"
    """Sent to the supplier; waiting for goods."""
    PARTIALLY_RECEIVED = "partially_received"
    """Some goods arrived."""
    RECEIVED = "received"
    """Everything arrived (or more)."""
    CLOSED = "closed"
    """Closed short: the rest will not come."""
    CANCELLED = "cancelled"
    """Cancelled before anything arrived."""


@attrs.frozen
class PurchaseOrderLine:
    """One item on a purchase order."""

    line_no: int
    """1-based."""
    sku: str
    """The item."""
    quantity: Decimal
    """Ordered."""
    unit_cost: Decimal | None = None
    """The agreed cost per unit."""
    received: Decimal = Decimal(0)
    """Received so far."""
    supplier_code: str = ""
    """The supplier's code for it."""

    @property
    def outstanding(self) -> Decimal:
        """Still to come (never negative)."""
        return max(EXACT.subtract(self.quantity, self.received), Decimal(0))

    @property
    def over(self) -> Decimal:
        """Received beyond what was ordered."""
        return max(EXACT.subtract(self.received, self.quantity), Decimal(0))


@attrs.frozen
class PurchaseOrder:
    """An order to a supplier, from draft to received."""

    id: uuid.UUID
    """A UUIDv7."""
    number: str
    """``PO-000001``."""
    supplier_id: str
    """Who it is for."""
    location_id: str
    """Where the goods go."""
    status: PurchaseOrderStatus
    """Where it is in its life."""
    lines: tuple[PurchaseOrderLine, ...]
    """The items."""
    created_at: datetime
    """When it was made."""
    sent_at: datetime | None = None
    """When it was sent."""
    closed_at: datetime | None = None
    """When it was received in full, closed short or cancelled."""
    note: str = ""
    """Free text."""

    @property
    def is_open(self) -> bool:
        """True while goods are still expected (sent or partially received)."""
        return self.status in (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)


class TransferStatus(enum.Enum):
    """Where a transfer is."""

    IN_TRANSIT = "in_transit"
    """Sent: left the source, not at the destination yet."""
    RECEIVED = "received"
    """Arrived (perhaps short)."""


@attrs.frozen
class TransferLine:
    """One item of a transfer."""

    line_no: int
    """1-based."""
    sku: str
    """The item."""
    quantity: Decimal
    """Sent."""
    received: Decimal | None = None
    """Arrived, once received (less than sent: lost in transit)."""


@attrs.frozen
class Transfer:
    """Stock sent from one location to another."""

    id: uuid.UUID
    """A UUIDv7."""
    number: str
    """``TR-000001``."""
    from_location: str
    """Where it left."""
    to_location: str
    """Where it goes."""
    status: TransferStatus
    """In transit or received."""
    lines: tuple[TransferLine, ...]
    """The items."""
    sent_at: datetime
    """When it left."""
    received_at: datetime | None = None
    """When it arrived."""
    note: str = ""
    """Free text."""


class StockCountStatus(enum.Enum):
    """Where a stock count is."""

    OPEN = "open"
    """Counting; selling goes on."""
    FINISHED = "finished"
    """Differences booked."""
    CANCELLED = "cancelled"
    """Abandoned; nothing booked."""


@attrs.frozen
class StockCount:
    """A count of a location: full, or a cycle count of some items."""

    id: uuid.UUID
    """A UUIDv7."""
    number: str
    """``CNT-000001``."""
    location_id: str
    """What is counted."""
    skus: tuple[str, ...] | None
    """The items of a cycle count; None for a full count."""
    status: StockCountStatus
    """Open, finished or cancelled."""
    started_at: datetime
    """When it began."""
    finished_at: datetime | None = None
    """When it was finished or cancelled."""

    @property
    def is_full(self) -> bool:
        """True for a count of everything at the location."""
        return self.skus is None


@attrs.frozen
class CountLine:
    """What was counted of one item, and what the books said at that moment."""

    sku: str
    """The item."""
    counted: Decimal
    """Counted so far."""
    book: Decimal
    """On hand by the ledger when it was (last) counted."""
    at: datetime
    """When."""


@attrs.frozen
class CountVariance:
    """One line of a count's variance report."""

    sku: str
    """The item."""
    book: Decimal
    """On hand by the ledger when counted."""
    counted: Decimal
    """Counted."""
    difference: Decimal
    """Counted minus book: the correction booked."""
    unit_cost: Decimal | None
    """The average cost used to value it."""
    value: Money | None
    """The difference at cost, rounded to the minor unit; None if the item has no cost."""


@attrs.frozen
class CountResult:
    """A finished count: its corrections in quantity and value."""

    count: StockCount
    """The count."""
    lines: tuple[CountVariance, ...]
    """Every item counted (or zeroed), differences or not."""
    not_counted: tuple[str, ...]
    """Items of a cycle count nobody counted (left unchanged)."""
    value_difference: Money
    """The sum of the lines' values (lines without a cost are left out)."""

    def as_text(self, width: int = 42) -> str:
        """The variance report as plain text."""
        rows = [f"Count {self.count.number} at {self.count.location_id}".center(width).rstrip()]
        rows.append("-" * width)
        for v in self.lines:
            value = "" if v.value is None else format(v.value.amount, "f")
            left = f"{v.sku} {_q(v.book)}->{_q(v.counted)}"
            right = f"{_signed(v.difference)} {value}".rstrip()
            rows.append(f"{left}{right.rjust(width - len(left))}")
        rows.append("-" * width)
        total = f"{self.value_difference.amount:f}"
        rows.append(f"Value difference{total.rjust(width - 16)}")
        if self.not_counted:
            rows.append(f"Not counted: {', '.join(self.not_counted)}")
        return "\n".join(rows)


def plain(value: Decimal) -> Decimal:
    """``value`` without trailing zeros and never in exponent form: 20.000 -> 20, 1.500 -> 1.5."""
    if value == value.to_integral_value(context=EXACT):
        return value.quantize(Decimal(1), context=EXACT)
    return value.normalize(EXACT)


def _q(value: Decimal) -> str:
    return format(plain(value), "f") if value else "0"


def _signed(value: Decimal) -> str:
    text = _q(value)
    return text if value <= 0 else f"+{text}"


@attrs.frozen
class ValuationLine:
    """One item's stock at cost."""

    sku: str
    """The item."""
    on_hand: Decimal
    """On hand (negative stock is valued as zero)."""
    unit_cost: Decimal | None
    """The average cost; None if never received."""
    value: Money
    """On hand times cost, rounded half-even to the minor unit."""


@attrs.frozen
class StockValuation:
    """Stock at average cost, of one location or the whole store."""

    location_id: str | None
    """The location, or None for all."""
    lines: tuple[ValuationLine, ...]
    """Per item (items with positive stock)."""
    total: Money
    """The sum of the lines."""
    uncosted: tuple[str, ...]
    """Items in stock without a cost (valued at zero): receive them or set a cost."""


@attrs.frozen
class LedgerCheck:
    """Whether the cached stock levels agree with the ledger."""

    checked: int
    """How many (item, location) pairs were compared."""
    mismatches: tuple[tuple[str, str, Decimal, Decimal], ...]
    """``(sku, location, cached on hand, ledger on hand)`` where they differ."""
    reserved_mismatches: tuple[tuple[str, str, Decimal, Decimal], ...] = ()
    """``(sku, location, cached reserved, open reservations)`` where they differ."""

    @property
    def ok(self) -> bool:
        """True when everything agrees."""
        return not self.mismatches and not self.reserved_mismatches
