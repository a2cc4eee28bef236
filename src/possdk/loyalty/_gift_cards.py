"""Gift cards as liability accounts: sold as sale lines, reloaded, spent, expired.

A card's balance is an account (``accounts``) and every change of it is a
ledger entry (``account_entries``) written in the transaction that caused it:
the sale that sold or reloaded the card, the sale it paid for, the return it
took a refund, the expiry that wrote it off. ``gift_cards`` keeps what an
account does not say: when it was issued, on which sale, when it expires and
why it is blocked.
"""

from __future__ import annotations

import enum
import secrets
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from possdk.core import Money, ProductKind, Receipt, TenderKind, luhn_digit
from possdk.errors import (
    ConfigurationError,
    GiftCardError,
)

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.core import Sale
    from possdk.storage import UnitOfWork
    from possdk.storage._sql_gifts import GiftCardRow

__all__ = [
    "LOYALTY_TERMINAL",
    "GiftCard",
    "GiftCardEntry",
    "GiftCardEntryKind",
    "GiftCardError",
    "GiftCardPolicy",
    "GiftCards",
]

T = TypeVar("T")

LOYALTY_TERMINAL = "@loyalty"
"""The journal terminal of loyalty operations that are not sales (issue, block, coupons...)."""

_POLICY_KEY = "gift_card_policy"


# ---- check digits --------------------------------------------------------------------


def _luhn_ok(number: str) -> bool:
    """True if ``number`` is digits whose last one is the Luhn check digit of the rest."""
    return (
        len(number) >= 2
        and number.isascii()
        and number.isdigit()
        and luhn_digit(number[:-1]) == number[-1]
    )


# ---- values --------------------------------------------------------------------------


def _positive_money(instance: object, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and (value.amount <= 0 or not value.is_rounded):
        raise ConfigurationError(
            f"{attribute.name} must be a positive amount in whole minor units, got {value}"
        )


def _check_prefix(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not value.isascii() or (value and not value.isdigit()):
        raise ConfigurationError(f"number_prefix must be digits, got {value!r}")


def _check_length(instance: GiftCardPolicy, attribute: attrs.Attribute[int], value: int) -> None:
    if not 8 <= value <= 32 or value < len(instance.number_prefix) + 6:
        raise ConfigurationError(
            f"number_length must be 8 to 32 and leave at least 6 random digits after the "
            f"prefix {instance.number_prefix!r}, got {value}"
        )
    if 13 <= value <= 19:
        raise ConfigurationError(
            f"number_length {value}: numbers of 13 to 19 digits with a Luhn check digit are "
            f"taken for payment card numbers and masked; use 20 (the default) or 8 to 12"
        )


def _check_valid_for(
    instance: object, attribute: attrs.Attribute[timedelta | None], value: timedelta | None
) -> None:
    if value is not None and value <= timedelta(0):
        raise ConfigurationError(f"valid_for must be a positive time, got {value}")


@attrs.frozen
class GiftCardPolicy:
    """The merchant's rules for gift cards; kept in the store (``set_policy``).

    The default never expires a card: many jurisdictions forbid expiring the
    value of a gift card sold for money, so expiry is the merchant's choice.
    """

    valid_for: timedelta | None = attrs.field(default=None, validator=_check_valid_for)
    """A card sold or issued expires this long after it was issued; None: never."""
    max_load: Money | None = attrs.field(default=None, validator=_positive_money)
    """The most one sale (or issue) may put on a card; None: no limit."""
    max_balance: Money | None = attrs.field(default=None, validator=_positive_money)
    """The most a card may hold; None: no limit."""
    check_digit: bool = True
    """A new card's number must end in its Luhn check digit (typing errors are caught)."""
    number_prefix: str = attrs.field(default="60", validator=_check_prefix)
    """The first digits of numbers :meth:`GiftCards.new_number` makes."""
    number_length: int = attrs.field(default=20, validator=_check_length)
    """The length of numbers :meth:`GiftCards.new_number` makes, check digit included."""


class GiftCardEntryKind(enum.Enum):
    """What changed a card's balance."""

    ISSUE = "issue"
    """Issued with a balance (outside a sale, or opened as an account)."""
    SOLD = "sold"
    """Sold on a sale (the card's first load)."""
    LOAD = "load"
    """Reloaded on a sale."""
    REDEEM = "redeem"
    """Spent as a tender."""
    REFUND = "refund"
    """A refund paid onto the card."""
    RETURN = "return"
    """A sold card taken back on a return: its value debited."""
    EXPIRE = "expire"
    """The lapsed balance written off by :meth:`GiftCards.expire`."""
    ADJUST = "adjust"
    """Any other movement of the account."""


@attrs.frozen
class GiftCardEntry:
    """One change of a card's balance: a line of its ledger."""

    at: datetime
    """When."""
    kind: GiftCardEntryKind
    """What made it."""
    amount: Money
    """Signed: positive puts money on the card."""
    balance: Money
    """The balance after it."""
    reference: str
    """The ledger key (names the sale, payment or operation)."""
    payment_id: uuid.UUID | None = None
    """The payment of a redemption or refund."""


@attrs.frozen
class GiftCard:
    """A gift card as kept."""

    number: str
    """The card's number."""
    balance: Money
    """What the store owes on it."""
    active: bool
    """False once blocked."""
    issued_at: datetime
    """When it was opened."""
    expires_at: datetime | None = None
    """When it stops being accepted (None: never)."""
    sale_id: uuid.UUID | None = None
    """The sale that sold it, if it was sold."""
    customer_id: str | None = None
    """Whom it was sold or issued to, if known."""
    blocked_reason: str | None = None
    """Why it is blocked."""
    origin: str = "account"
    """``sale``, ``issue``, ``refund`` or ``account`` (opened by ``store.payments``)."""

    def expired(self, now: datetime) -> bool:
        """True from its expiry on."""
        return self.expires_at is not None and now >= self.expires_at


def _card(row: GiftCardRow) -> GiftCard:
    return GiftCard(
        number=row.number,
        balance=Money.from_minor(row.balance_minor, row.currency),
        active=row.active,
        issued_at=row.issued_at or row.created_at,
        expires_at=row.expires_at,
        sale_id=row.sale_id,
        customer_id=row.customer_id,
        blocked_reason=row.blocked_reason,
        origin=row.origin or "account",
    )


def _entry_kind(key: str, amount_minor: int) -> GiftCardEntryKind:
    if key.startswith("gc:"):
        name = key.split(":", 2)[1]
        try:
            return GiftCardEntryKind(name)
        except ValueError:
            return GiftCardEntryKind.ADJUST
    if key.startswith("open:"):
        return GiftCardEntryKind.ISSUE
    if ":settle:" in key or ":sale" in key:
        return GiftCardEntryKind.REDEEM if amount_minor < 0 else GiftCardEntryKind.REFUND
    return GiftCardEntryKind.ADJUST


# ---- checks shared with the payments' account provider -----------------------------------


def refuse_unusable(row: GiftCardRow, now: datetime, currency_code: str, doing: str) -> None:
    """Raise :class:`GiftCardError` if a card is blocked, expired or in another currency."""
    if not row.active:
        why = f" ({row.blocked_reason})" if row.blocked_reason else ""
        raise GiftCardError(row.number, f"gift card {row.number!r} is blocked{why}: cannot {doing}")
    if row.expires_at is not None and now >= row.expires_at:
        raise GiftCardError(
            row.number,
            f"gift card {row.number!r} expired on {row.expires_at:%Y-%m-%d %H:%M} UTC: "
            f"cannot {doing}",
        )
    if row.currency != currency_code:
        raise GiftCardError(
            row.number,
            f"gift card {row.number!r} is in {row.currency}, the sale is in {currency_code}: "
            f"cannot {doing}",
        )


def read_policy(uow: UnitOfWork) -> GiftCardPolicy:
    """The policy kept in the store (the default if none was set)."""
    text = uow.get_setting(_POLICY_KEY)
    if text is None:
        return GiftCardPolicy()
    from possdk.storage._codec import loads

    return loads(text, GiftCardPolicy)


def check_new_number(number: str, policy: GiftCardPolicy) -> None:
    """Refuse a number a new card cannot have."""
    if not number or len(number) > 64 or not number.isprintable() or number != number.strip():
        raise GiftCardError(number, f"{number!r} cannot be a gift card number")
    from possdk.payments._model import mask_pans

    if mask_pans(number) != number:
        raise GiftCardError(
            number,
            "that number looks like a payment card number (13 to 19 digits passing the Luhn "
            "check), which possdk masks wherever it is typed; give gift cards other numbers "
            "(GiftCards.new_number() makes 20 digits)",
        )
    if policy.check_digit and not _luhn_ok(number):
        raise GiftCardError(
            number,
            f"{number!r} is not a valid gift card number (its last digit must be the Luhn "
            f"check digit of the rest): check it was typed right",
        )


def open_for_refund(
    uow: UnitOfWork, number: str, currency_code: str, at: datetime, sale_id: Any
) -> None:
    """Open an empty card to pay a refund onto (inside the return's transaction)."""
    policy = read_policy(uow)
    check_new_number(number, policy)
    expires = None if policy.valid_for is None else at + policy.valid_for
    uow.open_gift_card(
        number, currency_code, at, origin="refund", expires_at=expires, sale_id=sale_id
    )


# ---- the service -----------------------------------------------------------------------


class GiftCards:
    """Gift cards as liability accounts: sold as sale lines, reloaded, spent, expired.

    Reach it as ``store.loyalty.gift_cards``. Sell a card on a sale with
    ``sale.add_gift_card(sku, number, amount)`` (a new number is issued, a
    known one reloaded when the sale completes); spend it with
    ``sale.pay("gift_card", amount, reference=number)``.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"<GiftCards of {self._store!r}>"

    # ---- policy ------------------------------------------------------------------------

    @property
    def policy(self) -> GiftCardPolicy:
        """The rules in force (kept in the store; the default until set)."""
        return self._store._read(read_policy)

    def set_policy(self, policy: GiftCardPolicy) -> GiftCardPolicy:
        """Keep new rules (journaled). Cards issued before keep their expiry.

        Raises:
            ConfigurationError: a limit in another currency than the store's.
        """
        code = self._store.settings.currency
        for limit in (policy.max_load, policy.max_balance):
            if limit is not None and limit.currency != code:
                raise ConfigurationError(f"gift card limits must be in {code}, got {limit}")
        from possdk.storage._codec import dumps

        text = dumps(policy)

        def work(uow: UnitOfWork) -> GiftCardPolicy:
            uow.put_setting(_POLICY_KEY, text)
            self._store._journal(uow, LOYALTY_TERMINAL, "GiftCardPolicySet", text, 0)
            return policy

        return self._store.backend.run(work)

    # ---- cards -------------------------------------------------------------------------

    def new_number(self) -> str:
        """A fresh card number: the policy's prefix, random digits and a Luhn check digit."""
        policy = self.policy
        for _ in range(100):
            size = policy.number_length - len(policy.number_prefix) - 1
            body = policy.number_prefix + "".join(secrets.choice("0123456789") for _ in range(size))
            number = body + luhn_digit(body)
            if self._store._read(lambda uow, n=number: uow.account(n)) is None:  # type: ignore[misc]
                return number
        raise GiftCardError(None, "could not find an unused gift card number; lengthen them")

    def issue(
        self,
        amount: Money | int | str,
        *,
        number: str | None = None,
        expires: datetime | timedelta | None = None,
        customer_id: str | None = None,
    ) -> GiftCard:
        """Issue a card outside a sale (a promotional or goodwill card); journaled.

        Nothing is paid for it, so it is no sale: ``number`` defaults to
        :meth:`new_number`; ``expires`` is a time or how long from now
        (default: the policy's ``valid_for``, usually never).

        Raises:
            GiftCardError: the number exists or is not valid, or the amount breaks a limit.
        """
        code = self._store.settings.currency
        value = amount if isinstance(amount, Money) else Money(amount, code)
        if value.currency != code or value.amount < 0 or not value.is_rounded:
            raise GiftCardError(
                number,
                f"a gift card is issued with zero or more {code} in minor units, got {value}",
            )
        number = (number if number is not None else self.new_number()).strip()
        now = self._store.clock.now()
        if isinstance(expires, timedelta):
            expires = now + expires
        if expires is not None and (expires.tzinfo is None or expires <= now):
            raise GiftCardError(number, f"expiry must be an aware time after now, got {expires}")
        from possdk.storage._codec import canonical

        def work(uow: UnitOfWork) -> GiftCard:
            policy = read_policy(uow)
            check_new_number(number, policy)
            self._limits(number, value, 0, policy)
            until = expires or (None if policy.valid_for is None else now + policy.valid_for)
            if not uow.open_gift_card(
                number, code, now, origin="issue", expires_at=until, customer_id=customer_id
            ):
                raise GiftCardError(
                    number, f"gift card {number!r} exists already; reload it on a sale instead"
                )
            if value.minor:
                uow.move_account(number, value.minor, f"gc:issue:{number}", None, at=now)
            payload = {
                "number": number,
                "amount": {"amount": str(value.amount), "currency": code},
                "expires_at": None if until is None else until.isoformat(),
                "customer_id": customer_id,
            }
            self._store._journal(uow, LOYALTY_TERMINAL, "GiftCardIssued", canonical(payload), 0)
            return self._get(uow, number)

        return self._store.backend.run(work)

    def get(self, number: str) -> GiftCard:
        """A card as kept.

        Raises:
            GiftCardError: no such card.
        """
        return self._store._read(lambda uow: self._get(uow, number))

    def balance(self, number: str) -> Money:
        """What a card holds."""
        return self.get(number).balance

    def history(self, number: str) -> tuple[GiftCardEntry, ...]:
        """Every change of a card's balance, oldest first (they add up to the balance)."""

        def read(uow: UnitOfWork) -> tuple[GiftCardEntry, ...]:
            card = self._get(uow, number)
            code = card.balance.currency
            return tuple(
                GiftCardEntry(
                    e.at,
                    _entry_kind(e.key, e.amount_minor),
                    Money.from_minor(e.amount_minor, code),
                    Money.from_minor(e.balance_minor, code),
                    e.key,
                    e.payment_id,
                )
                for e in uow.gift_card_entries(number)
            )

        return self._store._read(read)

    def block(self, number: str, reason: str) -> GiftCard:
        """Block a card (lost, stolen, fraud): it can be neither spent nor loaded; journaled."""
        if not isinstance(reason, str) or not reason.strip() or len(reason) > 200:
            raise GiftCardError(number, "say why the card is blocked (1 to 200 characters)")
        return self._set_block(number, reason.strip(), "GiftCardBlocked")

    def unblock(self, number: str) -> GiftCard:
        """Let a blocked card be used again; journaled."""
        return self._set_block(number, None, "GiftCardUnblocked")

    def expire(self, now: datetime | None = None) -> tuple[tuple[str, Money], ...]:
        """Write off the balances of cards past their expiry; the (number, amount) written off.

        Each write-off is a ledger entry, and the batch one journal entry. A
        card only expires if it was given an expiry (the policy's
        ``valid_for``, or ``issue(expires=...)``); by default none is.
        Blocked cards are left for the merchant to settle. Running it again
        writes nothing twice.
        """
        when = now or self._store.clock.now()
        if when.tzinfo is None:
            raise GiftCardError(None, f"expire(now=...) needs an aware time, got {when}")
        from possdk.storage._codec import canonical

        def work(uow: UnitOfWork) -> tuple[tuple[str, Money], ...]:
            done = []
            for number, balance, expires_at in uow.lapsed_gift_cards(when):
                key = f"gc:expire:{number}:{expires_at.isoformat()}"
                left = uow.move_account(number, -balance, key, None, at=when)
                if left is not None:
                    row = uow.gift_card(number)
                    assert row is not None
                    done.append((number, Money.from_minor(balance, row.currency)))
            if done:
                payload = [
                    {"number": n, "amount": {"amount": str(m.amount), "currency": m.currency}}
                    for n, m in done
                ]
                self._store._journal(
                    uow, LOYALTY_TERMINAL, "GiftCardsExpired", canonical(payload), 0
                )
            return tuple(done)

        return self._store.backend.run(work)

    def outstanding(self, currency_code: str | None = None) -> Money:
        """What the store owes on gift cards: the sum of their balances (a liability)."""
        code = currency_code or self._store.settings.currency
        rows = self._store._read(lambda uow: uow.gift_card_liability())
        return sum(
            (Money.from_minor(minor, c) for c, minor, _ in rows if c == code), Money.zero(code)
        )

    # ---- called by the store ------------------------------------------------------------

    def _check_sale(self, sale: Sale) -> None:
        """Refuse a sale whose gift card lines cannot complete, before its first tender."""
        if sale.is_return:  # a card given back is checked when the return completes
            return
        loads: dict[str, Money] = {}
        for ln in sale.active_lines:
            if ln.kind is not ProductKind.GIFT_CARD:
                continue
            if not ln.account:
                raise GiftCardError(
                    None,
                    f"line {ln.line_no} ({ln.sku}) sells a gift card without its number; "
                    f"void it and use sale.add_gift_card(sku, number, amount)",
                )
            value = ln.unit_price * ln.quantity
            loads[ln.account] = loads.get(ln.account, Money.zero(sale.currency)) + value
        if not loads:
            return
        now = self._store.clock.now()
        self._store._read(lambda uow: self._check_loads(uow, loads, sale.currency, now))

    def _apply_receipt(self, uow: UnitOfWork, receipt: Receipt) -> None:
        """Issue, reload or take back the cards on a completed sale or return."""
        if receipt.is_return:
            self._apply_return(uow, receipt)
            return
        gift = [p for p in receipt.lines if p.line.kind is ProductKind.GIFT_CARD]
        if not gift:
            return
        code = receipt.currency
        loads: dict[str, Money] = {}
        for p in gift:
            number = p.line.account
            if not number:
                raise GiftCardError(
                    None, f"line {p.line.line_no} sells a gift card without its number"
                )
            if p.discount or p.gross != p.subtotal:
                # A card carries what was paid for it: never a discount, never tax.
                raise GiftCardError(
                    number,
                    f"gift card line {p.line.line_no} is discounted or taxed "
                    f"({p.subtotal} -> {p.gross}); a gift card is sold at face value",
                )
            loads[number] = loads.get(number, Money.zero(code)) + Money(p.gross, code)
        spent_on = {t.reference for t in receipt.tenders if t.kind is TenderKind.GIFT_CARD}
        for number in loads:
            if number in spent_on:
                raise GiftCardError(
                    number, f"gift card {number!r} cannot pay for its own load; take another tender"
                )
        at = receipt.completed_at
        rows = self._check_loads(uow, loads, code, at, lock=True)
        policy = read_policy(uow)
        expires = None if policy.valid_for is None else at + policy.valid_for
        for p in gift:
            number = p.line.account
            assert number is not None
            kind = "load"
            if rows.get(number) is None:
                if uow.open_gift_card(
                    number,
                    code,
                    at,
                    origin="sale",
                    expires_at=expires,
                    sale_id=receipt.sale_id,
                    customer_id=receipt.customer_id,
                ):
                    kind = "sold"
                else:  # another till sold this number meanwhile: a reload, checked again
                    row = uow.gift_card(number, lock=True)
                    if row is None:
                        raise GiftCardError(number, f"{number!r} is an account but not a gift card")
                    refuse_unusable(row, at, code, "load it")
                rows[number] = uow.gift_card(number)
            minor = Money(p.gross, code).minor
            key = f"gc:{kind}:{receipt.sale_id}:{p.line.line_no}"
            if uow.move_account(number, minor, key, None, at=at) is None:
                raise GiftCardError(number, f"gift card {number!r} was blocked meanwhile")

    # ---- internals ---------------------------------------------------------------------

    def _apply_return(self, uow: UnitOfWork, receipt: Receipt) -> None:
        catalog = self._store.catalog
        candidates = []
        for p in receipt.lines:
            sku = p.line.sku
            if sku in catalog and catalog.get(sku).kind is not ProductKind.GIFT_CARD:
                continue
            if p.line.kind is ProductKind.GIFT_CARD or p.line.return_of is not None:
                candidates.append(p)
        if not candidates:
            return
        original: dict[int, Any] = {}
        if receipt.return_of is not None:
            from possdk.storage._codec import loads

            doc = uow.receipt_document(receipt.return_of)
            if doc is not None:
                original = {q.line.line_no: q for q in loads(doc, Receipt).lines}
        code = receipt.currency
        for p in candidates:
            ref = p.line.return_of
            sold = original.get(ref.line_no) if ref is not None else None
            if sold is None or sold.line.kind is not ProductKind.GIFT_CARD:
                if p.line.kind is ProductKind.GIFT_CARD or ref is None:
                    raise GiftCardError(
                        p.line.account,
                        f"line {p.line.line_no} returns a gift card without its receipt; a card "
                        f"is returned against the sale that sold it (return_line), so its "
                        f"value can be taken off it",
                    )
                continue
            number = sold.line.account
            refund = Money(-p.gross, code)
            key = f"gc:return:{receipt.sale_id}:{p.line.line_no}"
            if uow.move_account(number, -refund.minor, key, None, at=receipt.completed_at) is None:
                row = uow.gift_card(number)
                held = (
                    Money.from_minor(row.balance_minor, row.currency) if row else Money.zero(code)
                )
                state = "" if row is None or row.active else " and is blocked"
                raise GiftCardError(
                    number,
                    f"gift card {number!r} holds {held}{state}, so the {refund} refunded for it "
                    f"cannot be taken off it (it has been spent): the card cannot be returned; "
                    f"void this return",
                )

    def _check_loads(
        self,
        uow: UnitOfWork,
        loads: dict[str, Money],
        code: str,
        now: datetime,
        *,
        lock: bool = False,
    ) -> dict[str, GiftCardRow | None]:
        policy = read_policy(uow)
        rows: dict[str, GiftCardRow | None] = {}
        for number, amount in loads.items():
            row = uow.gift_card(number, lock=lock)
            if row is None:
                if uow.account(number) is not None:
                    raise GiftCardError(
                        number, f"{number!r} is a store-credit account, not a gift card"
                    )
                check_new_number(number, policy)
                balance = 0
            else:
                refuse_unusable(row, now, code, "load it")
                balance = row.balance_minor
            self._limits(number, amount, balance, policy)
            rows[number] = row
        return rows

    @staticmethod
    def _limits(number: str, amount: Money, balance_minor: int, policy: GiftCardPolicy) -> None:
        if policy.max_load is not None and amount > policy.max_load:
            raise GiftCardError(
                number,
                f"{amount} is more than the {policy.max_load} a gift card may be loaded with "
                f"at once",
            )
        after = Money.from_minor(balance_minor, amount.currency) + amount
        if policy.max_balance is not None and after > policy.max_balance:
            raise GiftCardError(
                number,
                f"gift card {number!r} would hold {after}, more than the {policy.max_balance} "
                f"a card may hold",
            )

    def _get(self, uow: UnitOfWork, number: str) -> GiftCard:
        row = uow.gift_card(number)
        if row is None:
            raise GiftCardError(number, f"no gift card {number!r}: check the number")
        return _card(row)

    def _set_block(self, number: str, reason: str | None, event: str) -> GiftCard:
        from possdk.storage._codec import canonical

        def work(uow: UnitOfWork) -> GiftCard:
            if not uow.set_gift_card_block(number, reason):
                raise GiftCardError(number, f"no gift card {number!r}: check the number")
            payload = canonical({"number": number, "reason": reason})
            self._store._journal(uow, LOYALTY_TERMINAL, event, payload, 0)
            return self._get(uow, number)

        return self._run(work)

    def _run(self, work: Callable[[UnitOfWork], T]) -> T:
        return self._store.backend.run(work)
