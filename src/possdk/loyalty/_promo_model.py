"""The values of promotions: conditions, benefits, schedules and the promotion itself.

Amounts are ``Decimal`` in the sale's currency (as :meth:`Discount.amount
<possdk.core.Discount.amount>` takes them); percentages are ``Decimal`` from
0 to 100. Times and dates are the store's local time.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import attrs

from possdk.core import Money
from possdk.core._decimal import ZERO
from possdk.core._money import to_decimal
from possdk.errors import (
    InvalidPromotionError,
)

if TYPE_CHECKING:
    from possdk.core import Basket, SaleLine

__all__ = [
    "AmountOff",
    "Benefit",
    "BundlePrice",
    "BuyXGetY",
    "Channel",
    "Choose",
    "Condition",
    "CouponPresent",
    "CustomerTier",
    "DateRange",
    "ExtraPoints",
    "InvalidPromotionError",
    "ItemsInCart",
    "MinimumSpend",
    "PercentOff",
    "Promotion",
    "PromotionContext",
    "Schedule",
    "SpendThresholdReward",
    "Stacking",
    "TimeOfDay",
]


# ---- converters and validators ---------------------------------------------------


def _to_decimal(value: object, what: str) -> Decimal:
    if isinstance(value, Money):
        return value.amount
    try:
        return to_decimal(value, what)
    except (TypeError, ValueError) as exc:
        raise InvalidPromotionError(what, str(exc)) from None


def _to_names(value: str | Iterable[str], what: str) -> frozenset[str]:
    items = (value,) if isinstance(value, str) else tuple(value)
    for item in items:
        if not isinstance(item, str) or not item.strip():
            raise InvalidPromotionError(what, f"must be non-empty strings, got {item!r}")
    return frozenset(item.strip() for item in items)


# attrs converters must be named functions for mypy's attrs plugin


def _amount(value: object) -> Decimal:
    return _to_decimal(value, "amount")


def _optional_amount(value: object) -> Decimal | None:
    return None if value is None else _to_decimal(value, "amount")


def _percent_value(value: object) -> Decimal:
    return _to_decimal(value, "percent")


def _optional_percent(value: object) -> Decimal | None:
    return None if value is None else _to_decimal(value, "percent")


def _price(value: object) -> Decimal:
    return _to_decimal(value, "price")


def _threshold(value: object) -> Decimal:
    return _to_decimal(value, "threshold")


def _min_quantity(value: object) -> Decimal:
    return _to_decimal(value, "min_quantity")


def _skus(value: str | Iterable[str]) -> frozenset[str]:
    return _to_names(value, "skus")


def _categories(value: str | Iterable[str]) -> frozenset[str]:
    return _to_names(value, "categories")


def _tiers(value: str | Iterable[str]) -> frozenset[str]:
    return _to_names(value, "tiers")


def _channels(value: str | Iterable[str]) -> frozenset[str]:
    return _to_names(value, "channels")


def _upper(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidPromotionError("code", f"must be a non-empty string, got {value!r}")
    return value.strip().upper()


def _not_negative(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 0:
        raise InvalidPromotionError(attribute.name, f"must not be negative, got {value}")


def _percent(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not ZERO < value <= 100:
        raise InvalidPromotionError(
            attribute.name, f"must be more than 0 and at most 100, got {value}"
        )


def _positive_int(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidPromotionError(attribute.name, f"must be a whole number >= 1, got {value!r}")


def _optional_positive_int(
    instance: object, attribute: attrs.Attribute[int | None], value: int | None
) -> None:
    if value is not None:
        _positive_int(instance, attribute, value)  # type: ignore[arg-type]


def _weekdays(value: Iterable[int]) -> frozenset[int]:
    days = frozenset(value)
    for d in days:
        if isinstance(d, bool) or not isinstance(d, int) or not 1 <= d <= 7:
            raise InvalidPromotionError(
                "weekdays", f"must be ISO weekdays 1 (Monday) to 7 (Sunday), got {d!r}"
            )
    if not days:
        raise InvalidPromotionError("weekdays", "must name at least one day")
    return days


ALL_WEEKDAYS = frozenset(range(1, 8))


# ---- the context conditions see ------------------------------------------------


class PromotionContext:
    """What the engine knows about a basket when it checks conditions.

    Built once per evaluation; conditions read it, never change it.
    Only *eligible* lines are here: sold goods (no gift cards, no return
    lines), so a condition written against it never counts a gift card.
    """

    __slots__ = ("_by_category", "_by_sku", "lines", "local_time", "spend", "subtotals")

    def __init__(
        self,
        local_time: datetime,
        lines: tuple[SaleLine, ...],
        subtotals: Mapping[int, Decimal],
        spend: Money,
    ) -> None:
        self.local_time = local_time
        """The basket's time in the store's time zone."""
        self.lines = lines
        """The eligible lines: goods being sold (no gift cards, no returns)."""
        self.subtotals = subtotals
        """Each eligible line's subtotal (price x quantity, rounded) by line number."""
        self.spend = spend
        """The sum of the eligible lines' subtotals, before any promotion."""
        by_sku: dict[str, Decimal] = {}
        by_category: dict[str, Decimal] = {}
        for ln in lines:
            by_sku[ln.sku] = by_sku.get(ln.sku, ZERO) + ln.quantity
            if ln.category is not None:
                by_category[ln.category] = by_category.get(ln.category, ZERO) + ln.quantity
        self._by_sku = by_sku
        self._by_category = by_category

    def quantity(self, skus: Iterable[str] = (), categories: Iterable[str] = ()) -> Decimal:
        """How much of these SKUs or categories the eligible lines hold (a line counts once).

        With neither given: everything eligible.
        """
        skus = skus if isinstance(skus, (set, frozenset)) else frozenset(skus)
        categories = (
            categories if isinstance(categories, (set, frozenset)) else frozenset(categories)
        )
        if not skus and not categories:
            return sum((ln.quantity for ln in self.lines), ZERO)
        if not categories:
            return sum((self._by_sku.get(s, ZERO) for s in skus), ZERO)
        if not skus:
            return sum((self._by_category.get(c, ZERO) for c in categories), ZERO)
        return sum(
            (ln.quantity for ln in self.lines if ln.sku in skus or ln.category in categories),
            ZERO,
        )


# ---- conditions ---------------------------------------------------------------


@runtime_checkable
class Condition(Protocol):
    """Something a basket must satisfy for a promotion to apply.

    Implement ``matches`` in any class (an attrs frozen class serialises to
    data by itself) and contribute it under a name with the
    ``possdk_promotion_conditions`` hook to use it from JSON or YAML.
    ``matches`` must be pure and fast: it runs on every re-price.
    """

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if the basket satisfies this condition."""
        ...


@attrs.frozen
class ItemsInCart:
    """At least ``min_quantity`` of these SKUs or categories are being bought.

    With neither SKUs nor categories: at least ``min_quantity`` of anything
    (gift cards never count).
    """

    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_skus)
    """SKUs that count."""
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_categories)
    """Merchandise categories that count."""
    min_quantity: Decimal = attrs.field(
        default=Decimal(1), converter=_min_quantity, validator=_not_negative
    )
    """The quantity needed, summed over matching lines."""

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if enough matching items are in the basket."""
        found = context.quantity(self.skus, self.categories)
        return found > 0 and found >= self.min_quantity


@attrs.frozen
class MinimumSpend:
    """The eligible lines' subtotal (before promotions) is at least ``amount``."""

    amount: Decimal = attrs.field(converter=_amount, validator=_not_negative)
    """The spend needed, in the sale's currency."""

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if the customer spends at least ``amount``."""
        return context.spend.amount >= self.amount


@attrs.frozen
class CustomerTier:
    """The identified customer is in one of these loyalty tiers."""

    tiers: frozenset[str] = attrs.field(converter=_tiers)
    """Tier names, as the loyalty programme spells them."""

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if the basket's customer tier is one of ``tiers``."""
        return basket.customer_tier is not None and basket.customer_tier in self.tiers


@attrs.frozen
class CouponPresent:
    """A coupon code was entered on the sale (codes compare upper-case)."""

    code: str = attrs.field(converter=_upper)
    """The code."""

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if the code is among the basket's coupons."""
        return self.code in basket.coupons


@attrs.frozen
class TimeOfDay:
    """A time window on some weekdays, in the store's local time: a happy hour.

    ``start`` is included and ``end`` excluded: 17:00 to 19:00 applies at
    17:00:00 and 18:59:59, not at 19:00:00. A window whose end is not after
    its start runs over midnight (22:00 to 02:00); its early-morning part
    belongs to the weekday it started on.
    """

    start: time
    """When the window opens (included)."""
    end: time
    """When it closes (excluded)."""
    weekdays: frozenset[int] = attrs.field(default=ALL_WEEKDAYS, converter=_weekdays)
    """ISO weekdays it runs on: 1 is Monday, 7 is Sunday."""

    def __attrs_post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, time) or value.tzinfo is not None:
                raise InvalidPromotionError(name, f"must be a local time of day, got {value!r}")

    def contains(self, local: datetime) -> bool:
        """True if the local time ``local`` falls in the window."""
        now = local.time().replace(tzinfo=None)
        if self.start < self.end:
            return self.start <= now < self.end and local.isoweekday() in self.weekdays
        if now >= self.start:
            return local.isoweekday() in self.weekdays
        if now < self.end:
            return (local - timedelta(days=1)).isoweekday() in self.weekdays
        return False

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if the basket is priced inside the window."""
        return self.contains(context.local_time)


@attrs.frozen
class DateRange:
    """The local date is between ``start`` and ``end``, both included; None is open-ended."""

    start: date | None = None
    """The first day (included)."""
    end: date | None = None
    """The last day (included)."""

    def __attrs_post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, date) or isinstance(value, datetime)):
                raise InvalidPromotionError(name, f"must be a date, got {value!r}")
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InvalidPromotionError("end", f"{self.end} is before start {self.start}")

    def contains(self, local: datetime) -> bool:
        """True if the local date of ``local`` is in the range."""
        day = local.date()
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if the basket is priced within the range."""
        return self.contains(context.local_time)


@attrs.frozen
class Channel:
    """The sale is made through one of these channels (``"store"``, ``"online"``)."""

    channels: frozenset[str] = attrs.field(converter=_channels)
    """Channel names."""

    def matches(self, basket: Basket, context: PromotionContext) -> bool:
        """True if the basket's channel is one of ``channels``."""
        return basket.channel in self.channels


def _windows(value: Iterable[TimeOfDay]) -> tuple[TimeOfDay, ...]:
    return tuple(value)


@attrs.frozen
class Schedule:
    """When a promotion runs: a date range and, optionally, time windows.

    With no windows it runs all day; with several, in any of them.
    """

    dates: DateRange = attrs.field(factory=DateRange)
    """The campaign's first and last day (local dates, included)."""
    hours: tuple[TimeOfDay, ...] = attrs.field(default=(), converter=_windows)
    """Time windows (happy hours); empty: all day."""

    @property
    def always(self) -> bool:
        """True if the schedule never stops the promotion."""
        return self.dates.start is None and self.dates.end is None and not self.hours

    def contains(self, local: datetime) -> bool:
        """True if the promotion runs at the local time ``local``."""
        if not self.dates.contains(local):
            return False
        return not self.hours or any(h.contains(local) for h in self.hours)


# ---- benefits -----------------------------------------------------------------


@attrs.frozen
class PercentOff:
    """A percentage off the matching items, or off the whole sale.

    The percentage is taken of what is left on the matching lines together,
    rounded half-up once, and allocated over them (largest remainder): no
    cent drifts. 100 % takes every matching line to exactly zero.
    """

    percent: Decimal = attrs.field(converter=_percent_value, validator=_percent)
    """The percentage, more than 0 and at most 100."""
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_skus)
    """SKUs it applies to."""
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_categories)
    """Categories it applies to; with neither SKUs nor categories: the whole sale."""


@attrs.frozen
class AmountOff:
    """An amount off the matching items (together, or each unit), or off the whole sale.

    Never more than what is left on the lines it applies to. Together, it
    is allocated over the matching lines in proportion to what is left on
    them.
    """

    amount: Decimal = attrs.field(converter=_amount, validator=_not_negative)
    """The amount, in the sale's currency."""
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_skus)
    """SKUs it applies to."""
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_categories)
    """Categories it applies to; with neither SKUs nor categories: the whole sale."""
    per_unit: bool = False
    """True: ``amount`` off each unit (``max_applications`` caps the units)."""


@attrs.frozen
class BundlePrice:
    """A fixed price for ``quantity`` matching items together: 3 for 100.00.

    The engine fills bundles with the most valuable matching units first
    (best for the customer) and makes only bundles that save money; units
    left over pay their own price. Only whole pieces (lines with a whole
    quantity) go into bundles.
    """

    quantity: int = attrs.field(validator=_positive_int)
    """Items per bundle."""
    price: Decimal = attrs.field(converter=_price, validator=_not_negative)
    """The bundle's price, in the sale's currency."""
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_skus)
    """SKUs that may go into a bundle."""
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_categories)
    """Categories that may go into a bundle; with neither: any item."""


class Choose(enum.Enum):
    """Which units a buy-X-get-Y promotion discounts."""

    CHEAPEST = "cheapest"
    """The cheapest matching units in the basket (the usual rule)."""
    MOST_EXPENSIVE = "most_expensive"
    """The most expensive matching units (generous)."""


@attrs.frozen
class BuyXGetY:
    """Buy ``buy`` matching items, get ``get`` more free or at ``percent`` off.

    Each application needs ``buy + get`` matching units; with ``n`` units
    there are ``n // (buy + get)`` applications (at most
    ``max_applications``). The discounted units are the ``get`` x
    applications cheapest (or most expensive) matching units in the whole
    basket. Only whole pieces count.
    """

    buy: int = attrs.field(validator=_positive_int)
    """Units paid in full per application."""
    get: int = attrs.field(validator=_positive_int)
    """Units discounted per application."""
    percent: Decimal = attrs.field(
        default=Decimal(100), converter=_percent_value, validator=_percent
    )
    """How much off the discounted units: 100 is free."""
    choose: Choose = Choose.CHEAPEST
    """Which units are discounted."""
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_skus)
    """SKUs that count."""
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_categories)
    """Categories that count; with neither: any item."""


@attrs.frozen
class SpendThresholdReward:
    """Spend at least ``threshold`` and get ``amount`` or ``percent`` off the whole sale.

    The spend is the eligible lines' subtotal before promotions (the same
    measure as :class:`MinimumSpend`); the reward comes off what is left on
    the lines when the promotion applies, allocated over them.
    """

    threshold: Decimal = attrs.field(converter=_threshold, validator=_not_negative)
    """The spend needed, in the sale's currency."""
    amount: Decimal | None = attrs.field(
        default=None,
        converter=_optional_amount,
        validator=attrs.validators.optional(_not_negative),
    )
    """An amount off the sale; give this or ``percent``."""
    percent: Decimal | None = attrs.field(
        default=None,
        converter=_optional_percent,
        validator=attrs.validators.optional(_percent),
    )
    """A percentage off the sale; give this or ``amount``."""

    def __attrs_post_init__(self) -> None:
        if (self.amount is None) == (self.percent is None):
            raise InvalidPromotionError("amount", "give exactly one of amount and percent")


@attrs.frozen
class ExtraPoints:
    """Extra loyalty points: a fixed number, or so many per matching unit.

    Points take no money off, so they never compete with other promotions:
    they are awarded whenever the promotion's conditions and schedule hold.
    """

    points: int = attrs.field(validator=_positive_int)
    """Points, once or per unit."""
    per_unit: bool = False
    """True: ``points`` for each whole matching unit (``max_applications`` caps the units)."""
    skus: frozenset[str] = attrs.field(default=frozenset(), converter=_skus)
    """SKUs that earn them (per unit) or must be bought (fixed)."""
    categories: frozenset[str] = attrs.field(default=frozenset(), converter=_categories)
    """Categories that earn them; with neither: any item."""


Benefit = PercentOff | AmountOff | BundlePrice | BuyXGetY | SpendThresholdReward | ExtraPoints
"""What a promotion gives: one of the benefit classes."""

_BENEFITS = (PercentOff, AmountOff, BundlePrice, BuyXGetY, SpendThresholdReward, ExtraPoints)


# ---- the promotion ------------------------------------------------------------


class Stacking(enum.Enum):
    """How a promotion combines with others."""

    EXCLUSIVE = "exclusive"
    """Applies alone: competes with every other exclusive promotion and with
    the stackable ones together; the best for the customer wins."""
    STACKABLE = "stackable"
    """Applies together with the other stackable promotions, in priority order,
    each on what the ones before it left on the lines."""


def _check_id(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 64:
        raise InvalidPromotionError(attribute.name, f"must be 1 to 64 characters, got {value!r}")


def _check_name(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidPromotionError(attribute.name, f"must be 1 to 200 characters, got {value!r}")


def _check_benefit(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, _BENEFITS):
        raise InvalidPromotionError(
            "benefit", f"must be one of the benefit classes, got {type(value).__name__}"
        )


def _check_conditions(
    instance: object, attribute: attrs.Attribute[tuple[Condition, ...]], value: tuple[Any, ...]
) -> None:
    for c in value:
        if not callable(getattr(c, "matches", None)):
            raise InvalidPromotionError(
                "conditions", f"{c!r} is not a condition: it has no matches(basket, context)"
            )


def _conditions(value: Iterable[Condition]) -> tuple[Condition, ...]:
    return tuple(value)


def _check_priority(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidPromotionError("priority", f"must be a whole number, got {value!r}")


@attrs.frozen
class Promotion:
    """An automatic promotion: conditions, a benefit, a schedule and how it stacks.

    ``Promotion("coffee-3for100", "3 coffees for 100", BundlePrice(3, "100",
    skus={"COFFEE"}))``. Every condition must hold (and the schedule must
    be running) for it to apply. ``name`` is what the receipt prints.
    """

    id: str = attrs.field(validator=_check_id)
    """A short, stable id, for reports and returns."""
    name: str = attrs.field(validator=_check_name)
    """What the receipt says."""
    benefit: Benefit = attrs.field(validator=_check_benefit)
    """What the customer gets."""
    conditions: tuple[Condition, ...] = attrs.field(
        default=(), converter=_conditions, validator=_check_conditions
    )
    """What the basket must satisfy, all of it."""
    schedule: Schedule = attrs.field(factory=Schedule)
    """When it runs (local dates and time windows)."""
    stacking: Stacking = Stacking.STACKABLE
    """Exclusive or stackable."""
    priority: int = attrs.field(default=0, validator=_check_priority)
    """Higher applies first among stackable ones and wins ties."""
    max_applications: int | None = attrs.field(default=None, validator=_optional_positive_int)
    """At most this many bundles, buy-X-get-Y groups or units (per-unit benefits)."""
    description: str = ""
    """A longer text for staff and customers (not printed)."""
