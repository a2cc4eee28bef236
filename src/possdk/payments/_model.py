"""Payment values: statuses and their legal transitions, requests, results, card data, policy."""

from __future__ import annotations

import enum
import re
import uuid
from datetime import datetime, timedelta

import attrs

from possdk.core import CardDisplay, Money, RoundingMode, TenderKind
from possdk.errors import ConfigurationError, PaymentError, PaymentStateError

__all__ = [
    "Capabilities",
    "CardInput",
    "OfflinePolicy",
    "Operation",
    "Outcome",
    "Payment",
    "PaymentRequest",
    "PaymentStatus",
    "ProviderResult",
    "luhn_valid",
    "mask_pans",
]


class PaymentStatus(enum.Enum):
    """Where a payment is; only the transitions in :data:`TRANSITIONS` are legal."""

    PENDING = "pending"
    """Created; the provider has not answered yet (or it is queued offline)."""
    AUTHORIZED = "authorized"
    """Approved and held, not yet captured."""
    CAPTURED = "captured"
    """The money moved."""
    DECLINED = "declined"
    """Refused by the provider; no money moved."""
    VOIDED = "voided"
    """Cancelled before settlement; no money moved in the end."""
    REFUNDED = "refunded"
    """Everything captured was given back."""
    PARTIALLY_REFUNDED = "partially_refunded"
    """Part of what was captured was given back."""
    FAILED = "failed"
    """Did not happen (an error before it reached the provider, or confirmed absent)."""
    UNKNOWN = "unknown"
    """Sent, no answer: to be looked up with the same idempotency key."""

    @property
    def is_final(self) -> bool:
        """True when nothing can happen to the payment any more."""
        return not TRANSITIONS[self]

    @property
    def holds_money(self) -> bool:
        """True when the customer's money is (at least partly) with the merchant."""
        return self in (PaymentStatus.CAPTURED, PaymentStatus.PARTIALLY_REFUNDED)


S = PaymentStatus
TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    S.PENDING: frozenset({S.AUTHORIZED, S.CAPTURED, S.DECLINED, S.FAILED, S.UNKNOWN}),
    S.UNKNOWN: frozenset({S.AUTHORIZED, S.CAPTURED, S.DECLINED, S.FAILED, S.UNKNOWN}),
    S.AUTHORIZED: frozenset({S.CAPTURED, S.VOIDED, S.UNKNOWN}),
    S.CAPTURED: frozenset({S.VOIDED, S.REFUNDED, S.PARTIALLY_REFUNDED}),
    S.PARTIALLY_REFUNDED: frozenset({S.PARTIALLY_REFUNDED, S.REFUNDED}),
    S.DECLINED: frozenset(),
    S.VOIDED: frozenset(),
    S.REFUNDED: frozenset(),
    S.FAILED: frozenset(),
}
"""Legal status changes: from a status to the statuses it may become."""


def check_transition(payment_id: uuid.UUID, old: PaymentStatus, new: PaymentStatus) -> None:
    """Raise :class:`~possdk.errors.PaymentStateError` unless ``old -> new`` is legal."""
    if new not in TRANSITIONS[old]:
        raise PaymentStateError(f"payment {payment_id} cannot go from {old.value} to {new.value}")


class Operation(enum.Enum):
    """What a provider is asked to do."""

    AUTHORIZE = "authorize"
    """Hold the amount (capture later)."""
    CAPTURE = "capture"
    """Take an authorized amount."""
    SALE = "sale"
    """Authorize and capture at once."""
    VOID = "void"
    """Cancel an authorization or a same-day capture."""
    REFUND = "refund"
    """Give captured money back."""


class Outcome(enum.Enum):
    """What a provider answered."""

    APPROVED = "approved"
    """Done for the whole amount."""
    PARTIAL = "partial"
    """Approved for less than asked (``amount`` says how much)."""
    DECLINED = "declined"
    """Refused; ``code`` and ``message`` say why."""
    NOT_FOUND = "not_found"
    """(Status look-ups) the provider never saw this idempotency key."""


@attrs.frozen
class Capabilities:
    """What a provider can do."""

    separate_capture: bool = False
    """Authorize now and capture later (otherwise: one SALE operation)."""
    void: bool = True
    """Cancel a payment before settlement."""
    refund: bool = True
    """Give captured money back."""
    partial_approval: bool = False
    """May approve less than asked."""
    tips: bool = False
    """Can add a tip."""
    offline: bool = False
    """Can take payments offline for store-and-forward."""
    gives_change: bool = False
    """Can give change (only cash)."""


_PAN = re.compile(r"(?<!\d)(?:\d[ -]?){12,}\d(?!\d)")


def luhn_valid(digits: str) -> bool:
    """True if ``digits`` (13 to 19 digits) pass the Luhn check, as card numbers do."""
    if not (13 <= len(digits) <= 19 and digits.isascii() and digits.isdigit()):
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def mask_pans(text: str) -> str:
    """``text`` with every Luhn-valid 13-19 digit card number masked to its last four."""

    def mask_digits(digits: str) -> str:
        return "*" * (len(digits) - 4) + digits[-4:]

    def mask(match: re.Match[str]) -> str:
        run = match.group(0)
        digits = re.sub(r"[ -]", "", run)
        if luhn_valid(digits):
            return mask_digits(digits)
        # A card number followed (or preceded) by other groups: its CVV, an expiry.
        groups = re.split(r"([ -])", run)
        words = groups[0::2]
        for start in range(len(words)):
            joined = ""
            for end in range(start, len(words)):
                joined += words[end]
                if len(joined) > 19:
                    break
                if len(joined) >= 13 and luhn_valid(joined):
                    head = "".join(groups[: 2 * start])
                    tail = "".join(groups[2 * end + 1 :])
                    return head + mask_digits(joined) + tail
        return run

    return _PAN.sub(mask, text)


_BRANDS = (
    ("4", "VISA"),
    ("51", "MASTERCARD"),
    ("52", "MASTERCARD"),
    ("53", "MASTERCARD"),
    ("54", "MASTERCARD"),
    ("55", "MASTERCARD"),
    ("2", "MASTERCARD"),
    ("34", "AMEX"),
    ("37", "AMEX"),
    ("6", "DISCOVER"),
)


class CardInput:
    """A card number typed or read at the till (manual entry), held only briefly.

    It is masked at once: :attr:`display` is all that is ever kept, and the
    number itself never appears in ``repr``, logs, events or the store. Only a
    provider that needs the number (manual key entry) reads :meth:`reveal`.
    """

    __slots__ = ("_pan", "display")

    def __init__(self, number: str) -> None:
        digits = re.sub(r"[ -]", "", number or "")
        if not luhn_valid(digits):
            raise PaymentError(
                "that is not a valid card number (it fails the Luhn check); key it again"
            )
        self._pan = digits
        brand = next((name for prefix, name in _BRANDS if digits.startswith(prefix)), "CARD")
        self.display = CardDisplay(brand, digits[-4:], digits[:6])
        """Brand, first six and last four: what may be kept."""

    def reveal(self) -> str:
        """The full number, for a provider that must send it; never store or log it."""
        return self._pan

    def __repr__(self) -> str:
        return f"CardInput({self.display})"

    __str__ = __repr__

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("a CardInput holds a card number and is never pickled")


@attrs.frozen
class PaymentRequest:
    """One call to a provider. The idempotency key is stored before the call is made."""

    idempotency_key: str
    """Unique per call; repeating the call with it must return the first result."""
    operation: Operation
    """What to do."""
    amount: Money
    """How much (for a refund: how much to give back, positive)."""
    payment_id: uuid.UUID
    """possdk's payment this call belongs to."""
    kind: TenderKind
    """The tender kind."""
    reference: str | None = None
    """The provider's reference of the original payment (capture, void, refund), or an
    account or voucher number."""
    sale_id: uuid.UUID | None = None
    """The sale it is for."""
    terminal_id: str | None = None
    """The register."""
    card: CardInput | None = attrs.field(default=None, repr=False, eq=False)
    """A manually entered card, for providers that take one; never stored."""
    at: datetime | None = attrs.field(default=None, eq=False)
    """When possdk made the request (from the store's clock)."""

    def fingerprint(self) -> str:
        """What must match when an idempotency key is used again (everything but the card)."""
        return "|".join(
            [
                self.operation.value,
                format(self.amount.round(mode=RoundingMode.HALF_UP).amount, "f"),
                self.amount.currency,
                str(self.payment_id),
                self.kind.value,
                self.reference or "",
            ]
        )


@attrs.frozen
class ProviderResult:
    """A provider's answer."""

    outcome: Outcome
    """Approved, partial, declined (or not found, for look-ups)."""
    amount: Money | None = None
    """The amount approved (may be less than asked when partial)."""
    reference: str | None = None
    """The provider's reference for the payment (to capture, void or refund it later)."""
    code: str | None = None
    """A decline or response code."""
    message: str = ""
    """A human reason, e.g. ``"insufficient funds"``."""
    card: CardDisplay | None = None
    """The card's displayable data, when a card was used."""
    operation: Operation | None = None
    """For look-ups: the operation the key was used for."""


def _positive(
    instance: object, attribute: attrs.Attribute[Money | None], value: Money | None
) -> None:
    if value is not None and value.amount <= 0:
        raise ConfigurationError(f"{attribute.name} must be positive, got {value}")


@attrs.frozen
class OfflinePolicy:
    """The merchant's store-and-forward rules for when a provider is offline.

    A plain value any provider can use. ``OfflinePolicy.refuse()`` takes no
    offline payments (the default); otherwise a payment is accepted and
    queued only within every limit, and forwarded exactly once later.
    """

    accept: bool = False
    """Accept offline payments at all."""
    max_amount: Money | None = attrs.field(default=None, validator=_positive)
    """The largest single offline payment (inclusive)."""
    max_total: Money | None = attrs.field(default=None, validator=_positive)
    """The most that may wait in the queue at once (inclusive)."""
    max_age: timedelta = timedelta(hours=24)
    """How long a queued payment may wait; older ones are not forwarded but reported."""
    kinds: frozenset[TenderKind] = attrs.field(
        factory=lambda: frozenset({TenderKind.CARD}), converter=frozenset
    )
    """The tender kinds that may be taken offline."""

    @classmethod
    def refuse(cls) -> OfflinePolicy:
        """Take no offline payments."""
        return cls()

    def refusal(self, kind: TenderKind, amount: Money, queued_total: Money) -> str | None:
        """Why an offline payment may not be taken, or None if it may."""
        if not self.accept:
            return "the store takes no offline payments"
        if kind not in self.kinds:
            return f"{kind.value} payments are not taken offline"
        if self.max_amount is not None and amount > self.max_amount:
            return f"{amount} is over the offline limit of {self.max_amount} per payment"
        if self.max_total is not None and queued_total + amount > self.max_total:
            return (
                f"{queued_total} is already waiting offline; {amount} more would pass the "
                f"limit of {self.max_total}"
            )
        return None


@attrs.frozen
class Payment:
    """A payment as possdk keeps it: one tender's money, through one provider."""

    id: uuid.UUID
    """The payment's UUIDv7."""
    provider: str
    """The provider's id."""
    kind: TenderKind
    """The tender kind."""
    status: PaymentStatus
    """Where it is."""
    requested: Money
    """What was asked for."""
    approved: Money
    """What the provider approved (less than asked on a partial approval)."""
    captured: Money
    """What was taken."""
    refunded: Money
    """What was given back so far (never more than captured)."""
    created_at: datetime
    """When it was started."""
    updated_at: datetime
    """When it last changed."""
    sale_id: uuid.UUID | None = None
    """The sale."""
    terminal_id: str | None = None
    """The register."""
    reference: str | None = None
    """The provider's reference."""
    card: CardDisplay | None = None
    """Brand, first six and last four of the card."""
    decline_code: str | None = None
    """The provider's code, when declined."""
    decline_message: str = ""
    """Why, when declined."""
    offline: bool = False
    """Taken offline and queued for forwarding."""
    forwarded_at: datetime | None = None
    """When a queued payment was forwarded."""
    exception: str | None = None
    """Why a queued payment could not be forwarded (declined, expired)."""

    @property
    def refundable(self) -> Money:
        """What may still be refunded."""
        return self.captured - self.refunded
