"""Values of customers, loyalty cards and the points programme, and their pure rules.

No I/O here: card check digits, phone and e-mail normalisation, the earn
arithmetic and the FIFO expiry are functions over values, so they are
property-testable on their own.
"""

from __future__ import annotations

import calendar
import enum
import functools
import math
import re
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction
from typing import Any

import attrs

from possdk.core._barcodes import luhn_digit
from possdk.core._decimal import DIV, EXACT
from possdk.core._money import to_decimal
from possdk.errors import (
    CardBlockedError,
    CustomerNotFoundError,
    DuplicateCustomerError,
    InsufficientPointsError,
    InvalidCardNumberError,
    LoyaltyError,
    RedemptionError,
)

__all__ = [
    "CardBlockedError",
    "CardStatus",
    "Customer",
    "CustomerNotFoundError",
    "DuplicateCustomerError",
    "InsufficientPointsError",
    "InvalidCardNumberError",
    "LoyaltyCard",
    "LoyaltyError",
    "LoyaltyProgramme",
    "PointsCheck",
    "PointsKind",
    "PointsMovement",
    "RedemptionError",
    "Tier",
    "add_months",
    "expiring_points",
    "normalise_card_number",
    "normalise_email",
    "normalise_phone",
    "split_points",
]


# ---- errors ----------------------------------------------------------------------------


# ---- normalising what is typed at the till ----------------------------------------------

_PHONE_JUNK = re.compile(r"[\s().\-/]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def normalise_phone(text: str, region: str | None = None) -> str:
    """A phone number as kept and looked up.

    With a ``region`` (``"UA"``), or for a number given with ``+``, it is the
    international E.164 form: ``"067 123 45 67"`` in UA and
    ``"+380 (67) 123-45-67"`` both become ``"+380671234567"`` (read by
    phonenumbers). A number without ``+`` and without a region stays digits
    as typed (``"0671234567"``). Raises LoyaltyError for anything but 7 to 15
    digits (spaces, dots, dashes, slashes and parentheses are dropped), or a
    number that cannot be one in its region.
    """
    if not isinstance(text, str):
        raise LoyaltyError(f"a phone number must be text, got {text!r}")
    raw = _PHONE_JUNK.sub("", text.strip())
    plus = raw.startswith("+")
    digits = raw[1:] if plus else raw
    if not digits.isdigit() or not digits.isascii() or not 7 <= len(digits) <= 15:
        raise LoyaltyError(
            f"{text!r} is not a phone number: give 7 to 15 digits, optionally with a leading +"
        )
    if not plus and region is None:
        return digits
    import phonenumbers

    try:
        number = phonenumbers.parse(raw, None if plus else region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_possible_number(number):
        where = "" if plus else f" in {region}"
        raise LoyaltyError(
            f"{text!r} is not a phone number{where}: check the digits, or give it with its "
            f"country code (+...)"
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def phone_forms(phone: str, region: str | None) -> tuple[str, ...]:
    """A kept phone and the form it had before regions were read (national digits).

    Stores kept ``"0671234567"`` as typed before numbers were read in a region;
    looking ``"+380671234567"`` up in UA must find those too.
    """
    if region is None or not phone.startswith("+"):
        return (phone,)
    import phonenumbers

    number = phonenumbers.parse(phone, None)
    if phonenumbers.region_code_for_number(number) != region:
        return (phone,)
    national = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    digits = "".join(ch for ch in national if ch.isdigit())
    return (phone, digits) if digits and digits != phone else (phone,)


@functools.lru_cache(maxsize=1)
def phone_regions() -> frozenset[str]:
    """The two-letter regions phone numbers can be read in."""
    import phonenumbers

    return frozenset(phonenumbers.SUPPORTED_REGIONS)


def normalise_email(text: str) -> str:
    """An e-mail address as kept and looked up: trimmed and lower-cased."""
    if not isinstance(text, str):
        raise LoyaltyError(f"an e-mail address must be text, got {text!r}")
    email = text.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        raise LoyaltyError(f"{text!r} is not an e-mail address (like name@example.com)")
    return email


def normalise_card_number(text: str) -> str:
    """A typed or scanned card number: digits only, with a valid Luhn check digit.

    Raises:
        InvalidCardNumberError: not digits, too short, or a wrong check digit
            (the message names the digit expected).
    """
    if not isinstance(text, str):
        raise InvalidCardNumberError(str(text), f"a card number must be text, got {text!r}")
    number = re.sub(r"[\s\-]", "", text)
    if not number.isdigit() or not number.isascii() or not 8 <= len(number) <= 19:
        raise InvalidCardNumberError(
            text, f"{text!r} is not a loyalty card number: give 8 to 19 digits"
        )
    expected = luhn_digit(number[:-1])
    if number[-1] != expected:
        raise InvalidCardNumberError(
            number,
            f"card number {number} has the check digit {number[-1]}, but its digits give "
            f"{expected}: it was mistyped or misread; scan or type it again",
            expected,
        )
    return number


# ---- customers and cards ------------------------------------------------------------------


def _optional_str(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    return value or None


@attrs.frozen
class Customer:
    """A customer's profile, as kept (personal fields are None once erased)."""

    id: str
    """The customer's UUIDv7, as text (what ``sale.identify_customer`` takes)."""
    name: str
    """The name to greet them by (empty once erased)."""
    phone: str | None = None
    """Digits with an optional leading ``+`` (see :func:`normalise_phone`)."""
    email: str | None = None
    """Lower-cased."""
    marketing_consent: bool = False
    """Whether they agreed to marketing messages."""
    birth_year: int | None = None
    """Optional demographics the merchant chose to collect."""
    postcode: str | None = attrs.field(default=None, converter=_optional_str)
    """Postcode or area."""
    gender: str | None = attrs.field(default=None, converter=_optional_str)
    """Gender or another self-described category, as the customer put it."""
    tier: str | None = None
    """The tier as last computed (see ``store.loyalty.points.tier_of``)."""
    points: int = 0
    """The points balance (a cache of the ledger's sum)."""
    created_at: datetime | None = None
    """When the profile was made."""
    updated_at: datetime | None = None
    """When it last changed."""
    erased_at: datetime | None = None
    """When the personal data was erased on request, if it was."""

    @property
    def erased(self) -> bool:
        """True once the personal data was erased (the id and points history stay)."""
        return self.erased_at is not None


class CardStatus(enum.Enum):
    """Whether a loyalty card can identify its customer."""

    ACTIVE = "active"
    """Usable at the till."""
    BLOCKED = "blocked"
    """Lost or stolen: refused at the till."""
    REPLACED = "replaced"
    """Superseded by another card (``replaced_by``): refused at the till."""


@attrs.frozen
class LoyaltyCard:
    """A loyalty card: a number with a Luhn check digit that identifies one customer."""

    number: str
    """The digits, the last a Luhn check digit."""
    customer_id: str
    """Whose card it is (the balance is the customer's, not the card's)."""
    status: CardStatus = CardStatus.ACTIVE
    """Active, blocked or replaced."""
    issued_at: datetime | None = None
    """When it was issued."""
    changed_at: datetime | None = None
    """When it was blocked or replaced."""
    replaced_by: str | None = None
    """The card that replaced it."""


# ---- points -----------------------------------------------------------------------------


class PointsKind(enum.Enum):
    """Why points moved: the sign is fixed by the kind (adjustments take either)."""

    EARN = "earn"
    """Earned by a sale line (positive)."""
    BURN = "burn"
    """Spent as a tender (negative)."""
    RETURN_EARN = "return_earn"
    """What a returned line had earned, taken back (negative)."""
    RETURN_BURN = "return_burn"
    """Points spent on a returned sale, given back (positive)."""
    EXPIRE = "expire"
    """Points older than the programme's expiry (negative)."""
    ADJUST = "adjust"
    """A manual correction (either sign)."""


@attrs.frozen
class PointsMovement:
    """One row of a customer's points ledger; the balance is the sum of them."""

    id: uuid.UUID
    """UUIDv7."""
    customer_id: str
    """Whose points."""
    at: datetime
    """When (UTC)."""
    kind: PointsKind
    """Why."""
    points: int
    """How many, signed: positive adds to the balance."""
    sale_id: uuid.UUID | None = None
    """The sale or return that moved them."""
    line_no: int | None = None
    """The line of that sale or return (earn, return_earn)."""
    reference: str = ""
    """A receipt number, payment id or reason."""
    of_sale_id: uuid.UUID | None = None
    """For return_earn: the original sale."""
    of_line_no: int | None = None
    """For return_earn: the original line."""
    amount_minor: int | None = None
    """The money it stands for, in minor units: a line's amount paid (earn, return_earn)
    or a points tender's amount (burn, return_burn)."""
    waived: int = 0
    """For return_earn: points owed back that the balance could not cover (never negative
    unless the programme allows it); never asked for again."""
    note: str = ""
    """Free text (an adjustment's reason)."""


def _decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    return to_decimal(value, "value")


def _decimal_map(value: Mapping[str, Any]) -> dict[str, Decimal]:
    return {str(k): _decimal(v) for k, v in dict(value).items()}


def _check_nonnegative_map(
    instance: object, attribute: attrs.Attribute[dict[str, Decimal]], value: dict[str, Decimal]
) -> None:
    for key, m in value.items():
        if not m.is_finite() or m < 0:
            raise LoyaltyError(f"{attribute.name}[{key!r}] must be zero or more, got {m}")


@attrs.frozen
class Tier:
    """A tier: reached at ``threshold`` qualifying points, it multiplies what sales earn."""

    name: str
    """What the receipt, promotions (``customer_tier`` conditions) and reports call it."""
    threshold: int
    """Qualifying points needed (earned minus returned within the programme's window)."""
    multiplier: Decimal = attrs.field(default=Decimal(1), converter=_decimal)
    """Earn multiplier for its members (``1.5``: half as many points again)."""
    benefits: str = ""
    """A description of what members get, for staff and customers."""

    def __attrs_post_init__(self) -> None:
        if not self.name.strip():
            raise LoyaltyError("a tier needs a name")
        if self.threshold < 0:
            raise LoyaltyError(f"tier {self.name!r}: threshold must be zero or more")
        if not self.multiplier.is_finite() or self.multiplier < 0:
            raise LoyaltyError(f"tier {self.name!r}: multiplier must be zero or more")


def _tiers(value: Iterable[Tier]) -> tuple[Tier, ...]:
    return tuple(sorted(value, key=lambda t: (t.threshold, t.name)))


def _names(value: Iterable[str]) -> frozenset[str]:
    return frozenset([value] if isinstance(value, str) else value)


@attrs.frozen
class LoyaltyProgramme:
    """The store's points rules: earning, burning, expiry and tiers.

    Set it with ``store.loyalty.points.configure(programme)``; it is kept
    in the database so every till applies the same rules. Earning is
    ``points_per_unit`` points for every ``spend_unit`` of money paid (after
    discounts, with tax), times the product's or category's multiplier and
    the customer's tier multiplier, rounded down once per sale.
    """

    points_per_unit: int = 1
    """Points earned per ``spend_unit`` spent."""
    spend_unit: Decimal = attrs.field(default=Decimal(10), converter=_decimal)
    """Money (in the store's currency) that earns ``points_per_unit`` points."""
    sku_multipliers: dict[str, Decimal] = attrs.field(
        factory=dict, converter=_decimal_map, validator=_check_nonnegative_map
    )
    """Earn multipliers by SKU (``0`` excludes it); they win over the category's."""
    category_multipliers: dict[str, Decimal] = attrs.field(
        factory=dict, converter=_decimal_map, validator=_check_nonnegative_map
    )
    """Earn multipliers by product category (``0`` excludes it)."""
    excluded_skus: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    """SKUs that never earn."""
    excluded_categories: frozenset[str] = attrs.field(factory=frozenset, converter=_names)
    """Categories that never earn (tobacco, say). Gift cards never earn, whatever the rules."""
    earn_on_points_paid: bool = False
    """Whether the part of a sale paid with points earns points too."""
    point_value: Decimal = attrs.field(default=Decimal("0.01"), converter=_decimal)
    """What one point pays when burnt, in the store's currency."""
    min_redemption: int = 0
    """The fewest points one redemption may burn."""
    expiry_months: int | None = None
    """Points expire this many months after they were earned (first in, first out)."""
    tiers: tuple[Tier, ...] = attrs.field(default=(), converter=_tiers)
    """Tiers by threshold; a customer is in the highest whose threshold they reach."""
    tier_window_months: int | None = 12
    """Qualifying points count over this many months back (None: since ever)."""
    allow_negative: bool = False
    """Whether taking back a returned line's points may take the balance below zero."""
    card_prefix: str = "2990"
    """The digits every generated card number starts with."""
    card_length: int = 13
    """The length of generated card numbers, check digit included."""

    def __attrs_post_init__(self) -> None:
        if self.points_per_unit < 0:
            raise LoyaltyError(f"points_per_unit must be zero or more, got {self.points_per_unit}")
        if not self.spend_unit.is_finite() or self.spend_unit <= 0:
            raise LoyaltyError(f"spend_unit must be more than zero, got {self.spend_unit}")
        if not self.point_value.is_finite() or self.point_value <= 0:
            raise LoyaltyError(f"point_value must be more than zero, got {self.point_value}")
        if self.min_redemption < 0:
            raise LoyaltyError(f"min_redemption must be zero or more, got {self.min_redemption}")
        for name in ("expiry_months", "tier_window_months"):
            months = getattr(self, name)
            if months is not None and months <= 0:
                raise LoyaltyError(f"{name} must be at least 1 (or None), got {months}")
        if not self.card_prefix.isdigit() or not self.card_prefix.isascii():
            raise LoyaltyError(f"card_prefix must be digits, got {self.card_prefix!r}")
        if not len(self.card_prefix) + 4 <= self.card_length <= 19:
            raise LoyaltyError(
                f"card_length must leave at least 3 digits after the prefix and the check "
                f"digit, and be at most 19; got {self.card_length}"
            )
        names = [t.name for t in self.tiers]
        if len(set(names)) != len(names):
            raise LoyaltyError(f"tier names must be unique, got {names}")

    def multiplier(self, sku: str, category: str | None) -> Decimal:
        """The earn multiplier of a product (0 for an excluded one)."""
        if sku in self.excluded_skus or (
            category is not None and category in self.excluded_categories
        ):
            return Decimal(0)
        if sku in self.sku_multipliers:
            return self.sku_multipliers[sku]
        if category is not None and category in self.category_multipliers:
            return self.category_multipliers[category]
        return Decimal(1)

    def tier(self, name: str | None) -> Tier | None:
        """The tier of this name, if the programme has it."""
        for t in self.tiers:
            if t.name == name:
                return t
        return None

    def tier_for(self, qualifying: int) -> Tier | None:
        """The highest tier whose threshold ``qualifying`` points reach."""
        found = None
        for t in self.tiers:
            if qualifying >= t.threshold:
                found = t
        return found

    def points_for(self, amount: Decimal) -> int:
        """How many points burning ``amount`` of money takes (whole points only).

        Raises:
            RedemptionError: the amount is not a whole number of points.
        """
        points = DIV.divide(amount, self.point_value)
        if points != points.to_integral_value():
            lower = EXACT.multiply(points.to_integral_value(rounding=ROUND_FLOOR), self.point_value)
            raise RedemptionError(
                f"{amount} is not a whole number of points at {self.point_value} a point; "
                f"take {lower} (or another amount in steps of {self.point_value})"
            )
        return int(points)

    def value_of(self, points: int) -> Decimal:
        """What ``points`` pay when burnt."""
        return EXACT.multiply(Decimal(points), self.point_value)


@attrs.frozen
class PointsCheck:
    """Whether every cached balance equals its customer's ledger sum."""

    ok: bool
    """True if they all agree."""
    mismatches: tuple[tuple[str, int, int], ...] = ()
    """(customer id, cached balance, ledger sum) of those that do not."""


# ---- pure arithmetic ----------------------------------------------------------------------


def exact_sum(values: Iterable[Decimal]) -> Decimal:
    """The exact sum of decimals, whatever the ambient decimal context."""
    total = Decimal(0)
    for v in values:
        total = EXACT.add(total, v)
    return total


def split_points(total: int, weights: Sequence[Decimal]) -> list[int]:
    """Spread ``total`` points over parts in proportion to ``weights``; parts sum to ``total``.

    Largest remainder (exact fractions), ties to the earlier part; a zero weight gets nothing.
    """
    whole = exact_sum(weights)
    if total == 0 or whole <= 0:
        return [0] * len(weights)
    shares = [Fraction(total) * Fraction(w) / Fraction(whole) for w in weights]
    parts = [math.floor(s) for s in shares]
    left = total - sum(parts)
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - parts[i]), i))
    for i in order[:left]:
        parts[i] += 1
    return parts


def add_months(at: datetime, months: int) -> datetime:
    """``at`` plus whole calendar months (the 31st becomes the month's last day)."""
    index = at.month - 1 + months
    year, month = at.year + index // 12, index % 12 + 1
    day = min(at.day, calendar.monthrange(year, month)[1])
    return at.replace(year=year, month=month, day=day)


def expiring_points(movements: Iterable[PointsMovement], months: int, now: datetime) -> int:
    """Points of a customer's ledger that have expired by ``now`` and are not booked yet.

    Every positive movement is a lot that expires ``months`` after it was
    booked; every negative movement (burns, reversals, earlier expiries)
    uses up the oldest lots first. What is left of lots past their expiry
    expires, never more than the balance. Booking it as one ``expire``
    movement uses those lots up, so asking again gives 0.
    """
    lots: list[list[Any]] = []  # [at, points left]
    debt = 0
    for m in sorted(movements, key=lambda m: (m.at, m.id)):
        if m.points > 0:
            left = m.points
            if debt:
                paid = min(debt, left)
                debt -= paid
                left -= paid
            if left:
                lots.append([m.at, left])
        elif m.points < 0:
            need = -m.points
            while need and lots:
                take = min(need, lots[0][1])
                lots[0][1] -= take
                need -= take
                if lots[0][1] == 0:
                    lots.pop(0)
            debt += need
    return sum(left for at, left in lots if add_months(at, months) <= now)
