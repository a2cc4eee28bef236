"""Persistence of coupons and their redemptions, gift card details.

``GiftCouponRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``GiftCouponUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.
Redeeming a coupon and crediting a card run inside a sale's transaction, so
they use plain SQL on the driver's cursor like the rest of that path.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = [
    "CouponRow",
    "GiftCardRow",
    "GiftCouponRepository",
    "GiftCouponUnitOfWork",
    "LedgerRow",
    "RedemptionRow",
]


class GiftCardRow(NamedTuple):
    """A gift card account with its details (``origin`` None: opened as a bare account)."""

    number: str
    currency: str
    balance_minor: int
    active: bool
    created_at: datetime
    origin: str | None
    issued_at: datetime | None
    expires_at: datetime | None
    sale_id: uuid.UUID | None
    customer_id: str | None
    blocked_reason: str | None


class LedgerRow(NamedTuple):
    """One balance change of an account: the key names what made it."""

    key: str
    amount_minor: int
    balance_minor: int
    payment_id: uuid.UUID | None
    at: datetime


class CouponRow(NamedTuple):
    """A coupon as kept."""

    code: str
    campaign: str | None
    max_uses: int | None
    uses: int
    per_customer: int | None
    valid_from: datetime | None
    valid_until: datetime | None
    active: bool
    created_at: datetime


class RedemptionRow(NamedTuple):
    """One use of a coupon."""

    code: str
    sale_id: uuid.UUID
    customer_id: str | None
    register_id: str
    at: datetime


class GiftCouponUnitOfWork(Protocol):
    """The unit of work's methods for coupons and their redemptions, gift card details."""

    # ---- gift cards ------------------------------------------------------------------

    def gift_card(self, number: str, *, lock: bool = False) -> GiftCardRow | None:
        """A gift card account and its details (locked for update with ``lock``)."""
        ...

    def open_gift_card(
        self,
        number: str,
        currency_code: str,
        at: datetime,
        *,
        origin: str,
        expires_at: datetime | None = None,
        sale_id: uuid.UUID | None = None,
        customer_id: str | None = None,
    ) -> bool:
        """Open an empty gift card account with its details; False if the number exists."""
        ...

    def set_gift_card_block(self, number: str, reason: str | None) -> bool:
        """Block a card with a reason (None: unblock); False if there is no such card."""
        ...

    def gift_card_entries(self, number: str) -> list[LedgerRow]:
        """An account's ledger, oldest first."""
        ...

    def lapsed_gift_cards(self, now: datetime) -> list[tuple[str, int, datetime]]:
        """Active cards past their expiry with a balance: (number, balance_minor, expires_at)."""
        ...

    def gift_card_liability(self) -> list[tuple[str, int, int]]:
        """What gift cards hold, per currency: (currency, balance_minor, cards)."""
        ...

    # ---- coupons ---------------------------------------------------------------------

    def coupon(self, code: str, *, lock: bool = False) -> CouponRow | None:
        """A coupon (locked for update with ``lock``)."""
        ...

    def coupons_in(self, campaign: str | None) -> list[CouponRow]:
        """Every coupon (of one campaign), by code."""
        ...

    def existing_coupons(self, codes: Collection[str]) -> set[str]:
        """Those of ``codes`` that are kept already."""
        ...

    def insert_coupons(self, rows: Sequence[CouponRow]) -> None:
        """Keep new coupons."""
        ...

    def set_coupon_active(self, code: str, active: bool) -> bool:
        """Activate or deactivate a coupon; False if there is no such coupon."""
        ...

    def customer_redemptions(self, code: str, customer_id: str) -> int:
        """How many times a customer has used a coupon."""
        ...

    def redeem_coupon(
        self,
        code: str,
        sale_id: uuid.UUID,
        customer_id: str | None,
        register_id: str,
        at: datetime,
    ) -> bool:
        """Use a coupon once for a sale unless its uses are gone (False; nothing written)."""
        ...

    def coupon_redemptions(self, code: str) -> list[RedemptionRow]:
        """A coupon's redemptions, oldest first."""
        ...


def _when(value: Any) -> datetime:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.astimezone(timezone.utc) if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _opt_when(value: Any) -> datetime | None:
    return None if value is None else _when(value)


def _uuid(value: Any) -> uuid.UUID | None:
    if value is None or isinstance(value, uuid.UUID):
        return value
    return uuid.UUID(str(value))


_GIFT_CARD = (
    "SELECT a.number, a.currency, a.balance_minor, a.active, a.created_at, g.origin, "
    "g.issued_at, g.expires_at, g.sale_id, g.customer_id, g.blocked_reason "
    "FROM accounts a LEFT JOIN gift_cards g ON g.number = a.number "
    "WHERE a.number = ? AND a.kind = 'gift_card'"
)
_COUPON = (
    "SELECT code, campaign, max_uses, uses, per_customer, valid_from, valid_until, active, "
    "created_at FROM coupons"
)


def _coupon(row: Any) -> CouponRow:
    return CouponRow(
        str(row[0]),
        row[1],
        None if row[2] is None else int(row[2]),
        int(row[3]),
        None if row[4] is None else int(row[4]),
        _opt_when(row[5]),
        _opt_when(row[6]),
        bool(row[7]),
        _when(row[8]),
    )


class GiftCouponRepository:
    """SQL for coupons and their redemptions, gift card details.

    Needs ``conn``, ``raw`` and ``cursor`` from the unit of work.
    """

    conn: Connection
    raw: Any
    cursor: Any

    # ---- gift cards ------------------------------------------------------------------

    def gift_card(self, number: str, *, lock: bool = False) -> GiftCardRow | None:
        """A gift card account and its details (locked for update with ``lock``)."""
        raw, cur = self.raw, self.cursor
        # FOR UPDATE OF a: the outer-joined side cannot be locked on PostgreSQL.
        suffix = " FOR UPDATE OF a" if lock and not raw.sqlite else ""
        cur.execute(raw.sql(_GIFT_CARD + suffix), (number,))
        row = cur.fetchone()
        if row is None:
            return None
        return GiftCardRow(
            str(row[0]),
            str(row[1]),
            int(row[2]),
            bool(row[3]),
            _when(row[4]),
            row[5],
            _opt_when(row[6]),
            _opt_when(row[7]),
            _uuid(row[8]),
            row[9],
            row[10],
        )

    def open_gift_card(
        self,
        number: str,
        currency_code: str,
        at: datetime,
        *,
        origin: str,
        expires_at: datetime | None = None,
        sale_id: uuid.UUID | None = None,
        customer_id: str | None = None,
    ) -> bool:
        """Open an empty gift card account with its details; False if the number exists.

        Two tills opening one number at once: one inserts, the other waits
        for it and finds the account there (no error, False).
        """
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(
                "INSERT INTO accounts (number, kind, currency, balance_minor, active, created_at) "
                "VALUES (?, 'gift_card', ?, 0, ?, ?) ON CONFLICT (number) DO NOTHING"
            ),
            (number, currency_code, raw.flag(True), raw.time(at)),
        )
        if cur.rowcount != 1:
            return False
        cur.execute(
            raw.inserts["gift_cards"],
            (
                number,
                origin,
                raw.time(at),
                None if expires_at is None else raw.time(expires_at),
                raw.uuid(sale_id),
                customer_id,
                None,
            ),
        )
        return True

    def set_gift_card_block(self, number: str, reason: str | None) -> bool:
        """Block a card with a reason (None: unblock); False if there is no such card."""
        raw, cur = self.raw, self.cursor
        card = self.gift_card(number, lock=True)
        if card is None:
            return False
        cur.execute(
            raw.sql("UPDATE accounts SET active = ? WHERE number = ?"),
            (raw.flag(reason is None), number),
        )
        if card.origin is None:  # a bare account (payments.open_account): add its details
            cur.execute(
                raw.inserts["gift_cards"],
                (number, "account", raw.time(card.created_at), None, None, None, reason),
            )
        else:
            cur.execute(
                raw.sql("UPDATE gift_cards SET blocked_reason = ? WHERE number = ?"),
                (reason, number),
            )
        return True

    def gift_card_entries(self, number: str) -> list[LedgerRow]:
        """An account's ledger, oldest first."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(
                "SELECT key, amount_minor, balance_minor, payment_id, at FROM account_entries "
                "WHERE number = ?"
            ),
            (number,),
        )
        rows = [
            LedgerRow(str(r[0]), int(r[1]), int(r[2]), _uuid(r[3]), _when(r[4]))
            for r in cur.fetchall()
        ]
        # Each entry's balance follows from the one before: that order is the ledger's own.
        rows.sort(key=lambda r: r.at)
        return _chain(rows)

    def lapsed_gift_cards(self, now: datetime) -> list[tuple[str, int, datetime]]:
        """Active cards past their expiry with a balance: (number, balance_minor, expires_at)."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(
                "SELECT a.number, a.balance_minor, g.expires_at FROM accounts a "
                "JOIN gift_cards g ON g.number = a.number "
                "WHERE a.kind = 'gift_card' AND a.active = ? AND a.balance_minor > 0 "
                "AND g.expires_at IS NOT NULL AND g.expires_at <= ? ORDER BY a.number"
            ),
            (raw.flag(True), raw.time(now)),
        )
        return [(str(r[0]), int(r[1]), _when(r[2])) for r in cur.fetchall()]

    def gift_card_liability(self) -> list[tuple[str, int, int]]:
        """What gift cards hold, per currency: (currency, balance_minor, cards)."""
        cur = self.cursor
        cur.execute(
            "SELECT currency, COALESCE(SUM(balance_minor), 0), COUNT(*) FROM accounts "
            "WHERE kind = 'gift_card' AND balance_minor > 0 GROUP BY currency ORDER BY currency"
        )
        return [(str(r[0]), int(r[1]), int(r[2])) for r in cur.fetchall()]

    # ---- coupons ---------------------------------------------------------------------

    def coupon(self, code: str, *, lock: bool = False) -> CouponRow | None:
        """A coupon (locked for update with ``lock``)."""
        raw, cur = self.raw, self.cursor
        cur.execute(raw.sql(_COUPON + " WHERE code = ?" + (raw.lock if lock else "")), (code,))
        row = cur.fetchone()
        return None if row is None else _coupon(row)

    def coupons_in(self, campaign: str | None) -> list[CouponRow]:
        """Every coupon (of one campaign), by code."""
        raw, cur = self.raw, self.cursor
        if campaign is None:
            cur.execute(_COUPON + " ORDER BY code")
        else:
            cur.execute(raw.sql(_COUPON + " WHERE campaign = ? ORDER BY code"), (campaign,))
        return [_coupon(r) for r in cur.fetchall()]

    def existing_coupons(self, codes: Collection[str]) -> set[str]:
        """Those of ``codes`` that are kept already."""
        raw, cur = self.raw, self.cursor
        found: set[str] = set()
        todo = list(codes)
        for start in range(0, len(todo), 500):
            part = todo[start : start + 500]
            marks = ", ".join([raw.ph] * len(part))
            cur.execute(f"SELECT code FROM coupons WHERE code IN ({marks})", part)
            found.update(str(r[0]) for r in cur.fetchall())
        return found

    def insert_coupons(self, rows: Sequence[CouponRow]) -> None:
        """Keep new coupons."""
        raw, cur = self.raw, self.cursor

        def t(value: datetime | None) -> Any:
            return None if value is None else raw.time(value)

        cur.executemany(
            raw.inserts["coupons"],
            [
                (
                    r.code,
                    r.campaign,
                    r.max_uses,
                    r.uses,
                    r.per_customer,
                    t(r.valid_from),
                    t(r.valid_until),
                    raw.flag(r.active),
                    raw.time(r.created_at),
                )
                for r in rows
            ],
        )

    def set_coupon_active(self, code: str, active: bool) -> bool:
        """Activate or deactivate a coupon; False if there is no such coupon."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql("UPDATE coupons SET active = ? WHERE code = ?"), (raw.flag(active), code)
        )
        return bool(cur.rowcount)

    def customer_redemptions(self, code: str, customer_id: str) -> int:
        """How many times a customer has used a coupon."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql("SELECT COUNT(*) FROM coupon_redemptions WHERE code = ? AND customer_id = ?"),
            (code, customer_id),
        )
        return int(cur.fetchone()[0])

    def redeem_coupon(
        self,
        code: str,
        sale_id: uuid.UUID,
        customer_id: str | None,
        register_id: str,
        at: datetime,
    ) -> bool:
        """Use a coupon once for a sale unless its uses are gone (False; nothing written).

        The update is conditional, so two tills can never take the last use
        both: the second waits for the first's row lock and then finds none left.
        """
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(
                "UPDATE coupons SET uses = uses + 1 WHERE code = ? AND active = ? "
                "AND (max_uses IS NULL OR uses < max_uses)"
            ),
            (code, raw.flag(True)),
        )
        if cur.rowcount != 1:
            return False
        cur.execute(
            raw.inserts["coupon_redemptions"],
            (code, raw.uuid(sale_id), customer_id, register_id, raw.time(at)),
        )
        return True

    def coupon_redemptions(self, code: str) -> list[RedemptionRow]:
        """A coupon's redemptions, oldest first."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(
                "SELECT code, sale_id, customer_id, register_id, at FROM coupon_redemptions "
                "WHERE code = ?"
            ),
            (code,),
        )
        rows = []
        for r in cur.fetchall():
            sale_id = _uuid(r[1])
            assert sale_id is not None
            rows.append(RedemptionRow(str(r[0]), sale_id, r[2], str(r[3]), _when(r[4])))
        rows.sort(key=lambda r: (r.at, str(r.sale_id)))
        return rows


def _chain(rows: list[LedgerRow]) -> list[LedgerRow]:
    """Order entries so each balance is the one before plus its amount (ties of ``at``)."""
    if len(rows) < 2:
        return rows
    left = list(rows)
    ordered: list[LedgerRow] = []
    balance = 0
    while left:
        for i, row in enumerate(left):
            if balance + row.amount_minor == row.balance_minor:
                ordered.append(left.pop(i))
                balance = row.balance_minor
                break
        else:  # not a chain (should not happen): keep the time order for the rest
            ordered.extend(left)
            break
    return ordered
