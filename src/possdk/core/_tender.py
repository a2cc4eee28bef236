"""Tender arithmetic: what is due, what each tender covers, cash rounding and change.

Pure functions over values. Providers that actually take the money (card
terminals, wallets) come with ``possdk.payments``; here a tender is just an
amount of a kind.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from possdk.core._decimal import EXACT, RoundingMode, quantize
from possdk.core._money import Money, currency, to_decimal
from possdk.errors import ConfigurationError, TenderError

__all__ = [
    "CardDisplay",
    "CashRounding",
    "CashRoundingPolicy",
    "Tender",
    "TenderKind",
    "apply_tender",
]


class TenderKind(enum.Enum):
    """The kinds of tender a customer can pay with."""

    CASH = "cash"
    """Notes and coins: the only tender that gives change, and the only one rounded."""
    CARD = "card"
    """Debit or credit card."""
    MOBILE = "mobile"
    """A phone wallet or a QR payment."""
    GIFT_CARD = "gift_card"
    """A gift card balance."""
    STORE_CREDIT = "store_credit"
    """A customer's store credit."""
    VOUCHER = "voucher"
    """A merchant-defined tender with a reference (cheque, meal voucher)."""
    POINTS = "points"
    """Loyalty points spent as money (``store.loyalty.points`` settles them)."""

    @property
    def gives_change(self) -> bool:
        """True only for cash."""
        return self is TenderKind.CASH


def _increment(value: object) -> Decimal:
    result = to_decimal(value, "cash rounding increment")
    if result <= 0:
        raise ConfigurationError(f"cash rounding increment must be positive, got {result}")
    return result


@attrs.frozen
class CashRounding:
    """How cash payments in one currency are rounded.

    ``CashRounding("0.10")`` rounds to 10 kopiykas half-up: 1-4 down, 5-9 up.
    Applied only to what is settled in cash, never to card payments.
    """

    increment: Decimal = attrs.field(converter=_increment)
    """The smallest cash amount, e.g. ``Decimal("0.05")`` for CHF."""
    mode: RoundingMode = RoundingMode.HALF_UP
    """How a balance is rounded to the increment."""

    def apply(self, amount: Decimal) -> Decimal:
        """Round a cash amount to the increment."""
        return quantize(amount, self.increment, self.mode)


def _rounding_map(value: Mapping[str, CashRounding | str | Decimal]) -> dict[str, CashRounding]:
    result: dict[str, CashRounding] = {}
    for code, rule in dict(value).items():
        currency(code)
        result[code] = rule if isinstance(rule, CashRounding) else CashRounding(rule)
    return result


@attrs.frozen
class CashRoundingPolicy:
    """The merchant's cash rounding, per currency; currencies not listed are not rounded.

    ``CashRoundingPolicy({"UAH": CashRounding("0.10"), "CHF": "0.05"})``.
    :meth:`national` gives the rules of countries that withdrew their
    smallest coins.
    """

    rules: dict[str, CashRounding] = attrs.field(factory=dict, converter=_rounding_map)
    """Rounding per ISO 4217 code."""

    def for_currency(self, code: str) -> CashRounding | None:
        """The rule for ``code``, or None when cash is not rounded."""
        return self.rules.get(code)

    @classmethod
    def national(cls) -> CashRoundingPolicy:
        """Rounding rules set by law or common practice where small coins were withdrawn.

        UAH 0.10 (NBU, 2019), CHF 0.05, CAD 0.05, AUD 0.05, NZD 0.10, SEK 1,
        all half-up. EUR is not rounded (some countries round voluntarily:
        add it yourself).
        """
        return cls(
            {
                "UAH": CashRounding("0.10"),
                "CHF": CashRounding("0.05"),
                "CAD": CashRounding("0.05"),
                "AUD": CashRounding("0.05"),
                "NZD": CashRounding("0.10"),
                "SEK": CashRounding("1"),
            }
        )


def _digits(n: int) -> Callable[[object, attrs.Attribute[Any], str | None], None]:
    def check(instance: object, attribute: attrs.Attribute[Any], value: str | None) -> None:
        if value is not None and not (len(value) == n and value.isascii() and value.isdigit()):
            raise TenderError(f"card {attribute.name} must be {n} digits, got {value!r}")

    return check


@attrs.frozen
class CardDisplay:
    """The part of a card that may be kept and printed: brand, BIN and last four.

    Never more: a full card number, CVV, track data or PIN is never stored.
    """

    brand: str
    """``"VISA"``, ``"MASTERCARD"``, ..."""
    last4: str = attrs.field(validator=_digits(4))
    """The last four digits."""
    first6: str | None = attrs.field(default=None, validator=_digits(6))
    """The first six digits (the issuer's BIN), when the provider gives them."""

    def __str__(self) -> str:
        return f"{self.brand} **** {self.last4}"


@attrs.frozen
class Tender:
    """One payment towards a sale, as recorded on the receipt.

    For a sale, amounts are positive; for a refund (a return), negative.
    ``amount`` is what counts towards the total; ``tendered`` is what the
    customer handed over (more than ``amount`` only for cash, the rest being
    ``change``). ``rounding`` is the cash rounding applied when this tender
    settled the balance, so that ``total + sum(rounding) == sum(amount)``.
    """

    tender_no: int
    """1-based position among the sale's tenders."""
    kind: TenderKind
    """Cash, card, ..."""
    amount: Money
    """What this tender pays towards the sale."""
    tendered: Money
    """What was handed over."""
    change: Money
    """Given back in cash."""
    rounding: Money
    """Cash rounding applied (positive: the customer paid a little more)."""
    reference: str | None = None
    """A provider reference, voucher number, last four digits, ..."""
    payment_id: uuid.UUID | None = None
    """The payment record behind this tender (``possdk.payments``), if any."""
    provider: str | None = None
    """The payment provider that took it."""
    card: CardDisplay | None = None
    """What may be shown of the card: brand, first six and last four digits."""
    offline: bool = False
    """Taken while the provider was offline, stored to forward later."""


def apply_tender(
    *,
    tender_no: int,
    kind: TenderKind,
    offered: Money | None,
    remaining: Money,
    rounding: CashRounding | None,
    reference: str | None = None,
) -> Tender:
    """Work out what a new tender pays, the change and the cash rounding.

    ``remaining`` is what is still due (negative on a refund). ``offered``
    is what the customer hands over; None means "exactly the balance".

    Cash settles the balance when it covers the balance rounded to the cash
    increment; the difference is the tender's ``rounding`` and anything over
    is change. Cash that does not cover it is a part payment, unrounded.
    Other tenders may not exceed the balance, because they cannot give change.

    Raises:
        TenderError: wrong currency, nothing due, a non-positive amount, or a
            non-cash tender above the balance.
    """
    code = remaining.currency
    zero = Money.zero(code)
    if offered is not None and offered.currency != code:
        raise TenderError(
            f"tender is in {offered.currency} but the sale is in {code}; convert it first"
        )
    sign = 1 if remaining.amount > 0 else -1
    due_cash = remaining.amount
    if kind is TenderKind.CASH and rounding is not None:
        due_cash = rounding.apply(remaining.amount)
    if remaining.amount == 0 or (kind is TenderKind.CASH and due_cash == 0 and offered is None):
        if remaining.amount == 0:
            raise TenderError("nothing is due: the sale is already paid in full")
        # The balance rounds away in cash (e.g. 0.03 UAH): settle it with no cash.
        return Tender(
            tender_no,
            kind,
            zero,
            zero,
            zero,
            Money._make(EXACT.minus(remaining.amount), code),
            reference,
        )
    if offered is None:
        offered = Money._make(due_cash if kind is TenderKind.CASH else remaining.amount, code)
    if (offered.amount < 0 if sign > 0 else offered.amount > 0) or (
        offered.amount == 0 and due_cash != 0
    ):
        direction = "positive" if sign > 0 else "negative (money paid out)"
        raise TenderError(f"a tender must be {direction}, got {offered}")
    magnitude = EXACT.abs(offered.amount)
    if kind is TenderKind.CASH:
        if EXACT.abs(remaining.amount) < magnitude < EXACT.abs(due_cash):
            raise TenderError(
                f"cash of {offered} is more than the balance of {remaining} but less than "
                f"{Money._make(due_cash, code)}, the balance rounded to the cash increment; "
                f"take at least {Money._make(due_cash, code)} or part-pay less than the balance"
            )
        if magnitude >= EXACT.abs(due_cash):
            diff = EXACT.subtract(due_cash, remaining.amount)
            return Tender(
                tender_no,
                kind,
                Money._make(due_cash, code),
                offered,
                Money._make(EXACT.subtract(offered.amount, due_cash), code),
                Money._make(diff, code),
                reference,
            )
        return Tender(tender_no, kind, offered, offered, zero, zero, reference)
    if magnitude > EXACT.abs(remaining.amount):
        raise TenderError(
            f"{kind.value} tender of {offered} is more than the balance of {remaining}; "
            f"only cash can give change, so take {remaining} or less"
        )
    return Tender(tender_no, kind, offered, offered, zero, zero, reference)
