"""Coupon codes: single and multi use, per-customer limits, batches; redeemed once.

A coupon is checked when it is entered (:meth:`Coupons.apply`), again before
the sale's first tender, and redeemed inside the sale's own transaction with
a conditional update: two tills completing sales with the last use of a code
at the same moment cannot both keep it; the second sale is refused and rolls
back whole.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import attrs

from possdk.errors import (
    CouponError,
)
from possdk.loyalty._promo_model import CouponPresent, ExtraPoints

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.core import Receipt, Sale
    from possdk.storage import UnitOfWork
    from possdk.storage._sql_gifts import CouponRow

__all__ = [
    "CODE_ALPHABET",
    "Coupon",
    "CouponError",
    "CouponRedemption",
    "Coupons",
    "coupon_check_char",
]

log = logging.getLogger(__name__)

CODE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
"""The characters of generated codes: no 0/O or 1/I, which read alike."""

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,63}$")


def coupon_check_char(body: str) -> str:
    """The check character of a generated code's random part (Luhn mod 32 over CODE_ALPHABET).

    It catches any single mistyped character and most swaps of neighbours.
    """
    n = len(CODE_ALPHABET)
    total, factor = 0, 2
    for ch in reversed(body):
        value = CODE_ALPHABET.find(ch)
        if value < 0:
            raise ValueError(f"{ch!r} is not a character of generated coupon codes")
        addend = factor * value
        total += addend // n + addend % n
        factor = 1 if factor == 2 else 2
    return CODE_ALPHABET[(n - total % n) % n]


def _code(code: object, what: str = "a coupon code") -> str:
    if not isinstance(code, str):
        raise CouponError(None, f"{what} must be a string, got {code!r}")
    kept = code.strip().upper()
    if not _CODE.match(kept):
        raise CouponError(
            kept,
            f"{what} is 1 to 64 letters, digits, '-' or '_' (starting with a letter or digit), "
            f"got {code!r}",
        )
    return kept


def _limit(value: object, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CouponError(
            None, f"{what} must be a whole number of at least 1 or None, got {value!r}"
        )
    return value


def _aware(value: datetime | None, what: str) -> datetime | None:
    if value is not None and (not isinstance(value, datetime) or value.tzinfo is None):
        raise CouponError(None, f"{what} must be an aware datetime, got {value!r}")
    return value


@attrs.frozen
class Coupon:
    """A coupon code and its rules."""

    code: str
    """The code, upper case."""
    campaign: str | None = None
    """The campaign it belongs to: promotions name it (``CouponPresent(campaign)``)."""
    max_uses: int | None = 1
    """How many sales may use it in all; None: unlimited."""
    uses: int = 0
    """How many have."""
    per_customer: int | None = None
    """How many sales of one customer may use it; None: no limit (and no customer needed)."""
    valid_from: datetime | None = None
    """Accepted from (inclusive); None: at once."""
    valid_until: datetime | None = None
    """Accepted until (exclusive); None: no end."""
    active: bool = True
    """False once deactivated."""
    created_at: datetime | None = None
    """When it was created."""

    @property
    def uses_left(self) -> int | None:
        """Uses left (None: unlimited)."""
        return None if self.max_uses is None else max(self.max_uses - self.uses, 0)


@attrs.frozen
class CouponRedemption:
    """One sale that used a coupon."""

    code: str
    """The code."""
    sale_id: uuid.UUID
    """The sale."""
    customer_id: str | None
    """The sale's customer, if identified."""
    register_id: str
    """The till."""
    at: datetime
    """When the sale completed."""


def _coupon(row: CouponRow) -> Coupon:
    return Coupon(
        row.code,
        row.campaign,
        row.max_uses,
        row.uses,
        row.per_customer,
        row.valid_from,
        row.valid_until,
        row.active,
        row.created_at,
    )


class Coupons:
    """Coupon codes: single and multi use, per-customer limits, batches; redeemed once.

    Reach it as ``store.loyalty.coupons``. A return does not give a use back:
    the coupon was used by the sale, whatever came back later.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def __repr__(self) -> str:
        return f"<Coupons of {self._store!r}>"

    # ---- making codes ------------------------------------------------------------------

    def create(
        self,
        code: str,
        *,
        campaign: str | None = None,
        max_uses: int | None = 1,
        per_customer: int | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> Coupon:
        """Create one code (journaled). ``max_uses=None`` makes it unlimited.

        Raises:
            CouponError: the code exists, or a rule is not valid.
        """
        row = self._row(code, campaign, max_uses, per_customer, valid_from, valid_until)

        def work(uow: UnitOfWork) -> Coupon:
            if uow.existing_coupons([row.code]):
                raise CouponError(row.code, f"coupon {row.code} exists already")
            uow.insert_coupons([row])
            self._journal(uow, "CouponCreated", {"code": row.code, **self._rules(row)})
            return _coupon(row)

        return self._store.backend.run(work)

    def generate(
        self,
        campaign: str,
        count: int,
        *,
        prefix: str = "",
        length: int = 8,
        max_uses: int | None = 1,
        per_customer: int | None = None,
        valid_from: datetime | None = None,
        valid_until: datetime | None = None,
    ) -> tuple[str, ...]:
        """Make ``count`` random unique codes of a campaign; kept and returned (journaled once).

        A code is ``prefix`` + ``length`` random characters of
        :data:`CODE_ALPHABET` + a check character (:func:`coupon_check_char`).
        Codes are unique in the batch and among the store's coupons.

        Raises:
            CouponError: a bad argument, or not enough distinct codes of that length.
        """
        campaign = _code(campaign, "a campaign")
        if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= 100_000:
            raise CouponError(None, f"count must be 1 to 100000, got {count!r}")
        if isinstance(length, bool) or not isinstance(length, int) or not 1 <= length <= 32:
            raise CouponError(None, f"length must be 1 to 32 random characters, got {length!r}")
        prefix = prefix.strip().upper() if isinstance(prefix, str) else prefix
        if prefix:
            _code(prefix, "a prefix")
        if len(prefix) + length + 1 > 64:
            raise CouponError(None, "prefix and length make codes longer than 64 characters")
        if count > len(CODE_ALPHABET) ** length // 2:
            raise CouponError(
                None,
                f"{count} codes of {length} random characters would be too easy to guess and "
                f"may not be distinct; use a longer length",
            )
        template = self._row(
            f"{prefix}X", campaign, max_uses, per_customer, valid_from, valid_until
        )

        def fresh() -> str:
            body = "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))
            return f"{prefix}{body}{coupon_check_char(body)}"

        def work(uow: UnitOfWork) -> tuple[str, ...]:
            codes: dict[str, None] = {}
            for _ in range(1000):
                while len(codes) < count:
                    codes[fresh()] = None  # a dict: a repeat in the batch is drawn again
                taken = uow.existing_coupons(codes)
                if not taken:
                    break
                for code in taken:
                    del codes[code]
            else:
                raise CouponError(None, "could not draw enough unused codes; use a longer length")
            uow.insert_coupons([template._replace(code=code) for code in codes])
            rules = self._rules(template)
            # Compactly, as the catalog is: how many, and a digest of which.
            digest = hashlib.sha256("\n".join(sorted(codes)).encode()).hexdigest()
            self._journal(uow, "CouponsGenerated", {"count": len(codes), "sha256": digest, **rules})
            return tuple(codes)

        return self._store.backend.run(work)

    def deactivate(self, code: str) -> Coupon:
        """Stop a code from being accepted (sales completing with it are refused); journaled."""
        kept = _code(code)

        def work(uow: UnitOfWork) -> Coupon:
            if not uow.set_coupon_active(kept, False):
                raise CouponError(kept, f"no coupon {kept}: check the code")
            self._journal(uow, "CouponDeactivated", {"code": kept})
            row = uow.coupon(kept)
            assert row is not None
            return _coupon(row)

        return self._store.backend.run(work)

    # ---- reading -----------------------------------------------------------------------

    def get(self, code: str) -> Coupon:
        """A coupon as kept.

        Raises:
            CouponError: no such code.
        """
        kept = _code(code)
        row = self._store._read(lambda uow: uow.coupon(kept))
        if row is None:
            raise CouponError(kept, f"no coupon {kept}: check the code")
        return _coupon(row)

    def all(self, campaign: str | None = None) -> tuple[Coupon, ...]:
        """Every coupon (of one campaign), by code."""
        name = None if campaign is None else _code(campaign, "a campaign")
        return tuple(_coupon(r) for r in self._store._read(lambda uow: uow.coupons_in(name)))

    def redemptions(self, code: str) -> tuple[CouponRedemption, ...]:
        """The sales that used a code, oldest first."""
        kept = _code(code)
        rows = self._store._read(lambda uow: uow.coupon_redemptions(kept))
        return tuple(CouponRedemption(*r) for r in rows)

    # ---- on a sale ---------------------------------------------------------------------

    def apply(self, sale: Sale, code: str) -> Coupon:
        """Check a code and enter it on ``sale`` (with its campaign, for promotions).

        Raises:
            CouponError: unknown, inactive, outside its dates, used up, or over
                the customer's limit (or the coupon has one and no customer is
                identified on the sale).
        """
        kept = _code(code)
        now = self._store.clock.now()
        coupon = self._store._read(lambda uow: self._check(uow, kept, sale.customer_id, now))
        sale.add_coupon(kept, campaign=coupon.campaign)
        return coupon

    def _check_sale(self, sale: Sale) -> None:
        """Refuse a sale whose coupons cannot be redeemed, before its first tender."""
        if not sale.coupons or sale.is_return:
            return
        now = self._store.clock.now()

        def read(uow: UnitOfWork) -> None:
            for code in sale.coupons:
                self._check(uow, code, sale.customer_id, now)

        self._store._read(read)

    def _apply_receipt(self, uow: UnitOfWork, receipt: Receipt) -> None:
        """Redeem each coupon of a completed sale exactly once, in its transaction."""
        if receipt.is_return or not receipt.coupons:
            return
        for code in self._gave_something(receipt):
            # The row lock (PostgreSQL; SQLite has one writer) makes the count of
            # this customer's uses and the update below one step.
            self._check(uow, code, receipt.customer_id, receipt.completed_at, lock=True)
            if not uow.redeem_coupon(
                code,
                receipt.sale_id,
                receipt.customer_id,
                receipt.register_id,
                receipt.completed_at,
            ):
                raise CouponError(
                    code,
                    f"coupon {code} was used up by another sale meanwhile; take it off the sale "
                    f"(void and ring it up again without it)",
                )

    # ---- internals ---------------------------------------------------------------------

    def _gave_something(self, receipt: Receipt) -> list[str]:
        """The receipt's coupons to redeem: all but those whose promotions all stayed away.

        A coupon that a promotion's ``CouponPresent`` condition names (by code
        or by campaign) is used only if one of those promotions applied to the
        sale; one that no promotion names (a coupon the cashier honours by
        hand) is always used.
        """
        campaigns = dict(receipt.coupon_campaigns)
        applied = {p.promotion_id for p in receipt.totals.promotions}
        naming: dict[str, set[str]] = {}
        for promotion in self._store.loyalty.promotions.all():
            if isinstance(promotion.benefit, ExtraPoints):
                applied.add(promotion.id)  # points are not on the receipt: count it as used
            for condition in promotion.conditions:
                if isinstance(condition, CouponPresent):
                    naming.setdefault(condition.code, set()).add(promotion.id)
        kept = []
        for code in receipt.coupons:
            promotions = naming.get(code, set()) | naming.get(campaigns.get(code, ""), set())
            if promotions and not promotions & applied:
                log.info("coupon %s gave nothing on %s: not used up", code, receipt.number)
                continue
            kept.append(code)
        return kept

    def _check(
        self,
        uow: UnitOfWork,
        code: str,
        customer_id: str | None,
        now: datetime,
        *,
        lock: bool = False,
    ) -> Coupon:
        row = uow.coupon(code, lock=lock)
        if row is None:
            raise CouponError(code, f"no coupon {code}: check the code")
        if not row.active:
            raise CouponError(code, f"coupon {code} is no longer valid (deactivated)")
        if row.valid_from is not None and now < row.valid_from:
            raise CouponError(
                code, f"coupon {code} is valid from {row.valid_from:%Y-%m-%d %H:%M} UTC"
            )
        if row.valid_until is not None and now >= row.valid_until:
            raise CouponError(
                code, f"coupon {code} expired on {row.valid_until:%Y-%m-%d %H:%M} UTC"
            )
        if row.max_uses is not None and row.uses >= row.max_uses:
            times = "once" if row.max_uses == 1 else f"{row.max_uses} times"
            raise CouponError(code, f"coupon {code} has been used already ({times})")
        if row.per_customer is not None:
            if customer_id is None:
                raise CouponError(
                    code, f"coupon {code} is limited per customer: identify the customer first"
                )
            used = uow.customer_redemptions(code, customer_id)
            if used >= row.per_customer:
                raise CouponError(
                    code,
                    f"customer {customer_id} has used coupon {code} {used} time(s), "
                    f"its limit per customer",
                )
        return _coupon(row)

    def _row(
        self,
        code: str,
        campaign: str | None,
        max_uses: int | None,
        per_customer: int | None,
        valid_from: datetime | None,
        valid_until: datetime | None,
    ) -> CouponRow:
        from possdk.storage._sql_gifts import CouponRow

        kept = _code(code)
        name = None if campaign is None else _code(campaign, "a campaign")
        uses = _limit(max_uses, "max_uses")
        each = _limit(per_customer, "per_customer")
        start = _aware(valid_from, "valid_from")
        end = _aware(valid_until, "valid_until")
        if start is not None and end is not None and end <= start:
            raise CouponError(kept, f"valid_until {end} is not after valid_from {start}")
        return CouponRow(kept, name, uses, 0, each, start, end, True, self._store.clock.now())

    @staticmethod
    def _rules(row: CouponRow) -> dict[str, object]:
        return {
            "campaign": row.campaign,
            "max_uses": row.max_uses,
            "per_customer": row.per_customer,
            "valid_from": None if row.valid_from is None else row.valid_from.isoformat(),
            "valid_until": None if row.valid_until is None else row.valid_until.isoformat(),
        }

    def _journal(self, uow: UnitOfWork, event: str, payload: dict[str, object]) -> None:
        from possdk.loyalty._gift_cards import LOYALTY_TERMINAL
        from possdk.storage._codec import canonical

        self._store._journal(uow, LOYALTY_TERMINAL, event, canonical(payload), 0)
