"""Customer profiles and loyalty cards (issue, block, replace), and finding them at the till.

Personal data lives only in the ``customers`` table: journal entries name a
customer by id and list which fields changed, never their values, so erasing
a customer on request leaves nothing personal behind in the append-only
journal.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from possdk.core import luhn_digit
from possdk.errors import StorageError
from possdk.loyalty._loyalty_model import (
    CardBlockedError,
    CardStatus,
    Customer,
    CustomerNotFoundError,
    DuplicateCustomerError,
    LoyaltyCard,
    LoyaltyError,
    LoyaltyProgramme,
    normalise_card_number,
    normalise_email,
    normalise_phone,
    phone_forms,
)

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.core import Receipt, Sale
    from possdk.storage import UnitOfWork

__all__ = ["LOYALTY_TERMINAL", "Customer", "Customers"]

log = logging.getLogger(__name__)

T = TypeVar("T")

LOYALTY_TERMINAL = "@loyalty"
"""The journal terminal of loyalty operations that are not sales."""

_UNSET: Any = object()
_PROFILE_FIELDS = (
    "name",
    "phone",
    "email",
    "marketing_consent",
    "birth_year",
    "postcode",
    "gender",
)


@attrs.frozen
class CustomerChanged:
    """Journal payload: a customer was added, changed or erased (field names, no values)."""

    customer_id: str
    fields: tuple[str, ...]


@attrs.frozen
class CardChanged:
    """Journal payload: a loyalty card was issued, blocked, unblocked or replaced."""

    number: str
    customer_id: str
    status: CardStatus
    replaced_by: str | None = None


class Customers:
    """Customer profiles and loyalty cards: ``store.loyalty.customers``.

    ``add()`` a customer, ``issue_card()`` them a card, and at the till
    ``store.loyalty.identify(sale, scanned_or_typed)`` finds them by card
    number, phone or e-mail. ``export()`` and ``erase()`` serve a
    customer's data requests; erasing keeps the id, so receipts and the
    points history stay valid.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"<Customers of {self._store!r}>"

    # ---- profiles ------------------------------------------------------------------

    def add(
        self,
        name: str,
        *,
        phone: str | None = None,
        email: str | None = None,
        marketing_consent: bool = False,
        birth_year: int | None = None,
        postcode: str | None = None,
        gender: str | None = None,
    ) -> Customer:
        """Add a customer; returns the profile with its new id.

        Raises:
            LoyaltyError: a bad name, phone, e-mail or birth year.
            DuplicateCustomerError: another customer has the phone or e-mail.
        """
        now = self._store.clock.now()
        fields = self._checked(
            {
                "name": name,
                "phone": phone,
                "email": email,
                "marketing_consent": marketing_consent,
                "birth_year": birth_year,
                "postcode": postcode,
                "gender": gender,
            },
            now,
        )
        customer = Customer(
            id=str(self._store.ids.new(now)), created_at=now, updated_at=now, **fields
        )

        def work(uow: UnitOfWork) -> Customer:
            self._unique(uow, customer)
            uow.insert_customer(customer)
            self._journal(uow, "CustomerAdded", CustomerChanged(customer.id, _PROFILE_FIELDS))
            return customer

        return self._run_unique(work, customer)

    def get(self, customer_id: str) -> Customer:
        """A customer by id.

        Raises:
            CustomerNotFoundError: no such customer.
        """
        found = self._store._read(lambda uow: uow.customer(str(customer_id)))
        if found is None:
            raise _unknown(customer_id)
        return found

    def find(self, key: str) -> Customer:
        """A customer by loyalty card number (scanned or typed), phone or e-mail.

        Raises:
            InvalidCardNumberError: it looks like a card number but its check digit is wrong.
            CardBlockedError: the card is blocked or was replaced.
            CustomerNotFoundError: nobody has it, or the customer was erased.
        """
        return self._store._read(lambda uow: self._lookup(uow, key))

    def update(
        self,
        customer_id: str,
        *,
        name: str = _UNSET,
        phone: str | None = _UNSET,
        email: str | None = _UNSET,
        marketing_consent: bool = _UNSET,
        birth_year: int | None = _UNSET,
        postcode: str | None = _UNSET,
        gender: str | None = _UNSET,
    ) -> Customer:
        """Change a customer's profile; what is left out stays as it was (None clears it).

        Raises:
            CustomerNotFoundError: no such customer, or they were erased.
            DuplicateCustomerError: another customer has the new phone or e-mail.
        """
        now = self._store.clock.now()
        given = {
            k: v
            for k, v in {
                "name": name,
                "phone": phone,
                "email": email,
                "marketing_consent": marketing_consent,
                "birth_year": birth_year,
                "postcode": postcode,
                "gender": gender,
            }.items()
            if v is not _UNSET
        }
        changes = self._checked(given, now)

        def work(uow: UnitOfWork) -> Customer:
            current = self._live(uow, customer_id, lock=True)
            changed = tuple(k for k, v in changes.items() if getattr(current, k) != v)
            if not changed:
                return current
            customer = attrs.evolve(current, updated_at=now, **changes)
            self._unique(uow, customer)
            uow.update_customer(customer)
            self._journal(uow, "CustomerChanged", CustomerChanged(customer.id, changed))
            return customer

        return self._run_unique(work, attrs.evolve(_placeholder(customer_id), **changes))

    def erase(self, customer_id: str) -> Customer:
        """Erase a customer's personal data on request (anonymise); returns what is left.

        The name, contacts, consent and demographics are cleared and every
        card is blocked; the id, the points ledger and the balance stay, so
        receipts naming the customer and the points history stay valid.
        Erasing twice is harmless.

        Raises:
            CustomerNotFoundError: no such customer.
        """
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> Customer:
            current = uow.customer(str(customer_id), lock=True)
            if current is None:
                raise CustomerNotFoundError(
                    str(customer_id), f"no customer with the id {customer_id}"
                )
            if current.erased:
                return current
            erased = attrs.evolve(
                current,
                name="",
                phone=None,
                email=None,
                marketing_consent=False,
                birth_year=None,
                postcode=None,
                gender=None,
                updated_at=now,
                erased_at=now,
            )
            uow.update_customer(erased)
            for card in uow.cards_of(erased.id):
                if card.status is CardStatus.ACTIVE:
                    uow.put_card(
                        attrs.evolve(card, status=CardStatus.BLOCKED, changed_at=now), new=False
                    )
            self._journal(uow, "CustomerErased", CustomerChanged(erased.id, _PROFILE_FIELDS))
            return erased

        return self._run(work)

    def export(self, customer_id: str) -> dict[str, Any]:
        """Everything kept about a customer, as JSON-ready data (a data access request).

        ``{"customer": {...}, "cards": [...], "points": {"balance": ..., "tier": ...,
        "ledger": [...]}}``: the profile, every card and every points movement.
        """
        from possdk.storage._codec import unstructure

        def read(uow: UnitOfWork) -> dict[str, Any]:
            customer = uow.customer(str(customer_id))
            if customer is None:
                raise CustomerNotFoundError(
                    str(customer_id), f"no customer with the id {customer_id}"
                )
            cards = uow.cards_of(customer.id)
            ledger = uow.points_movements(customer_id=customer.id)
            profile = unstructure(customer)
            profile["erased"] = customer.erased
            return {
                "customer": profile,
                "cards": [unstructure(c) for c in cards],
                "points": {
                    "balance": customer.points,
                    "tier": customer.tier,
                    "ledger": [unstructure(m) for m in ledger],
                },
            }

        return self._store._read(read)

    # ---- cards ---------------------------------------------------------------------

    def issue_card(self, customer_id: str, number: str | None = None) -> LoyaltyCard:
        """Give a customer a loyalty card; returns it.

        Without ``number`` a new one is made from the programme's card prefix,
        a running serial and a Luhn check digit; a pre-printed card's
        ``number`` is checked.

        Raises:
            InvalidCardNumberError: ``number`` fails its check digit.
            LoyaltyError: the number belongs to a card already.
            CustomerNotFoundError: no such customer, or they were erased.
        """
        given = None if number is None else normalise_card_number(number)
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> LoyaltyCard:
            customer = self._live(uow, customer_id)
            if given is None:
                card_number = self._new_number(uow)
            else:
                card_number = given
                if uow.card(card_number) is not None:
                    raise LoyaltyError(f"loyalty card {card_number} is issued already")
            card = LoyaltyCard(card_number, customer.id, CardStatus.ACTIVE, now)
            uow.put_card(card, new=True)
            self._journal(
                uow, "LoyaltyCardIssued", CardChanged(card.number, customer.id, card.status)
            )
            return card

        return self._run(work)

    def card(self, number: str) -> LoyaltyCard:
        """A loyalty card by number.

        Raises:
            InvalidCardNumberError: a bad check digit.
            LoyaltyError: no such card.
        """
        normal = normalise_card_number(number)
        found = self._store._read(lambda uow: uow.card(normal))
        if found is None:
            raise LoyaltyError(f"no loyalty card {normal}")
        return found

    def cards(self, customer_id: str) -> tuple[LoyaltyCard, ...]:
        """A customer's cards, oldest first (blocked and replaced ones too)."""
        return tuple(self._store._read(lambda uow: uow.cards_of(str(customer_id))))

    def block_card(self, number: str) -> LoyaltyCard:
        """Block a lost or stolen card: it is refused at the till from now on."""
        return self._set_status(number, CardStatus.BLOCKED, "LoyaltyCardBlocked")

    def unblock_card(self, number: str) -> LoyaltyCard:
        """Make a blocked card usable again (a replaced card stays replaced)."""
        return self._set_status(number, CardStatus.ACTIVE, "LoyaltyCardUnblocked")

    def replace_card(self, number: str, new_number: str | None = None) -> LoyaltyCard:
        """Replace a card with a new one for the same customer; returns the new card.

        The balance is the customer's, so it carries over to the new card as
        it is; the old card is marked replaced and refused at the till.

        Raises:
            LoyaltyError: no such card, it was replaced already, or the new number is taken.
        """
        old_number = normalise_card_number(number)
        given = None if new_number is None else normalise_card_number(new_number)
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> LoyaltyCard:
            old = uow.card(old_number)
            if old is None:
                raise LoyaltyError(f"no loyalty card {old_number}")
            if old.status is CardStatus.REPLACED:
                raise LoyaltyError(
                    f"loyalty card {old_number} was replaced by {old.replaced_by} already"
                )
            self._live(uow, old.customer_id)
            if given is None:
                fresh_number = self._new_number(uow)
            else:
                fresh_number = given
                if uow.card(fresh_number) is not None:
                    raise LoyaltyError(f"loyalty card {fresh_number} is issued already")
            fresh = LoyaltyCard(fresh_number, old.customer_id, CardStatus.ACTIVE, now)
            uow.put_card(fresh, new=True)
            uow.put_card(
                attrs.evolve(
                    old, status=CardStatus.REPLACED, changed_at=now, replaced_by=fresh_number
                ),
                new=False,
            )
            self._journal(
                uow,
                "LoyaltyCardReplaced",
                CardChanged(old_number, old.customer_id, CardStatus.REPLACED, fresh_number),
            )
            return fresh

        return self._run(work)

    # ---- at the till -------------------------------------------------------------------

    def identify(self, sale: Sale, key: str) -> Customer:
        """Find a customer by card number, phone or e-mail and put them on the sale.

        The customer's tier is worked out now (from the points earned in the
        programme's window) and put on the sale too, so tier promotions apply.

        Raises:
            InvalidCardNumberError: a card number with a wrong check digit.
            CardBlockedError: the card is blocked or was replaced.
            CustomerNotFoundError: nobody has it, or the customer was erased.
        """
        points = self._store.loyalty.points
        now = self._store.clock.now()

        def read(uow: UnitOfWork) -> Customer:
            customer = self._lookup(uow, key)
            return attrs.evolve(customer, tier=points._tier_name(uow, customer.id, now))

        customer = self._store._read(read)
        sale.identify_customer(customer.id, tier=customer.tier)
        return customer

    def _check_sale(self, sale: Sale) -> None:
        """Refuse a sale that cannot complete, before its first tender."""

    def _apply_receipt(self, uow: UnitOfWork, receipt: Receipt) -> None:
        """Nothing: a sale changes no profile or card (points are ``Points``' business)."""

    # ---- internals -----------------------------------------------------------------------

    def _lookup(self, uow: UnitOfWork, key: str) -> Customer:
        if not isinstance(key, str) or not key.strip():
            raise CustomerNotFoundError(str(key), "give a card number, phone or e-mail to look up")
        text = key.strip()
        if "@" in text:
            found = uow.customer_by_email(normalise_email(text))
            return self._found(found, text)
        compact = re.sub(r"[\s\-]", "", text)
        if compact.isdigit() and not text.startswith("+"):
            programme = self._programme(uow)
            card_like = compact.startswith(programme.card_prefix) and len(compact) == (
                programme.card_length
            )
            card = uow.card(compact) if compact[-1:] == luhn_digit(compact[:-1]) else None
            if card is not None:
                if card.status is not CardStatus.ACTIVE:
                    raise CardBlockedError(card.number, card.status, card.replaced_by)
                return self._found(uow.customer(card.customer_id), text)
            if card_like:
                normalise_card_number(compact)  # names the bad check digit
                raise CustomerNotFoundError(
                    text, f"no loyalty card {compact}: it was never issued in this store"
                )
        region = self._store.settings.phone_country
        try:
            phone = normalise_phone(text, region)
        except LoyaltyError:
            raise CustomerNotFoundError(
                text, f"{text!r} is not a card number, phone or e-mail known here"
            ) from None
        found = None
        for form in phone_forms(phone, region):  # kept as typed before regions were read
            found = uow.customer_by_phone(form)
            if found is not None:
                break
        return self._found(found, text)

    @staticmethod
    def _found(customer: Customer | None, key: str) -> Customer:
        if customer is None or customer.erased:
            raise CustomerNotFoundError(key)
        return customer

    def _live(self, uow: UnitOfWork, customer_id: str, *, lock: bool = False) -> Customer:
        customer = uow.customer(str(customer_id), lock=lock)
        if customer is None:
            raise _unknown(customer_id)
        if customer.erased:
            raise CustomerNotFoundError(
                str(customer_id), f"customer {customer_id} was erased; their data cannot change"
            )
        return customer

    def _programme(self, uow: UnitOfWork) -> LoyaltyProgramme:
        return self._store.loyalty.points._programme_in(uow) or LoyaltyProgramme()

    def _new_number(self, uow: UnitOfWork) -> str:
        programme = self._programme(uow)
        width = programme.card_length - len(programme.card_prefix) - 1
        serial = uow.next_counter(f"loyalty_card:{programme.card_prefix}")
        if serial >= 10**width:
            raise LoyaltyError(
                f"every card number with the prefix {programme.card_prefix} is used; "
                f"configure a new card_prefix"
            )
        body = f"{programme.card_prefix}{serial:0{width}d}"
        return body + luhn_digit(body)

    def _set_status(self, number: str, status: CardStatus, event: str) -> LoyaltyCard:
        normal = normalise_card_number(number)
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> LoyaltyCard:
            card = uow.card(normal)
            if card is None:
                raise LoyaltyError(f"no loyalty card {normal}")
            if card.status is CardStatus.REPLACED:
                raise LoyaltyError(f"loyalty card {normal} was replaced by {card.replaced_by}")
            if card.status is status:
                return card
            if status is CardStatus.ACTIVE:
                self._live(uow, card.customer_id)
            card = attrs.evolve(card, status=status, changed_at=now)
            uow.put_card(card, new=False)
            self._journal(uow, event, CardChanged(card.number, card.customer_id, status))
            return card

        return self._run(work)

    def _checked(self, given: dict[str, Any], now: datetime) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in given.items():
            if key == "name":
                if not isinstance(value, str) or not value.strip():
                    raise LoyaltyError(f"a customer needs a name, got {value!r}")
                if len(value.strip()) > 200:
                    raise LoyaltyError("a customer's name must be at most 200 characters")
                out[key] = value.strip()
            elif key == "phone":
                region = self._store.settings.phone_country
                out[key] = None if value is None else normalise_phone(value, region)
            elif key == "email":
                out[key] = None if value is None else normalise_email(value)
            elif key == "marketing_consent":
                if not isinstance(value, bool):
                    raise LoyaltyError(f"marketing_consent must be True or False, got {value!r}")
                out[key] = value
            elif key == "birth_year":
                if value is not None and (
                    isinstance(value, bool)
                    or not isinstance(value, int)
                    or not 1900 <= value <= now.year
                ):
                    raise LoyaltyError(
                        f"birth_year must be a year from 1900 to {now.year}, got {value!r}"
                    )
                out[key] = value
            elif key in ("postcode", "gender"):
                limit = 32 if key == "postcode" else 64
                if value is not None and (not isinstance(value, str) or len(value.strip()) > limit):
                    raise LoyaltyError(f"{key} must be text of at most {limit} characters")
                out[key] = None if value is None else (value.strip() or None)
        return out

    def _unique(self, uow: UnitOfWork, customer: Customer) -> None:
        if customer.phone is not None:
            for form in phone_forms(customer.phone, self._store.settings.phone_country):
                other = uow.customer_by_phone(form)
                if other is not None and other.id != customer.id:
                    raise DuplicateCustomerError("phone", customer.phone, other.id)
        if customer.email is not None:
            other = uow.customer_by_email(customer.email)
            if other is not None and other.id != customer.id:
                raise DuplicateCustomerError("e-mail", customer.email, other.id)

    def _journal(self, uow: UnitOfWork, event: str, value: Any) -> None:
        from possdk.storage._codec import canonical, unstructure

        self._store._journal(uow, LOYALTY_TERMINAL, event, canonical(unstructure(value)), 0)

    def _run(self, work: Callable[[UnitOfWork], T]) -> T:
        return self._store.backend.run(work)

    def _run_unique(self, work: Callable[[UnitOfWork], T], customer: Customer) -> T:
        """Run ``work``; a phone or e-mail another till took meanwhile is named as such.

        The check inside the transaction sees only committed customers: two
        tills adding the same phone at once both pass it, and the database's
        unique index refuses the second. That refusal is read again here.
        """
        try:
            return self._run(work)
        except StorageError:
            self._store._read(lambda uow: self._unique(uow, customer))
            raise


def _placeholder(customer_id: str) -> Customer:
    """A stand-in with only the id, for checking a change's phone and e-mail."""
    return Customer(id=customer_id, name="-")


def _unknown(customer_id: object) -> CustomerNotFoundError:
    return CustomerNotFoundError(str(customer_id), f"no customer with the id {customer_id}")
