"""Persistence of customers, loyalty cards and the points ledger.

``LoyaltyRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``LoyaltyUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.
Moving points is on a sale's hot path, so it runs plain SQL on the driver's
cursor: the ledger rows and one conditional update of the cached balance
that refuses to go below a floor; the rest goes through SQLAlchemy Core.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from possdk.loyalty._loyalty_model import (
    CardStatus,
    Customer,
    LoyaltyCard,
    PointsKind,
    PointsMovement,
)
from possdk.storage import _schema_loyalty as t

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["LoyaltyRepository", "LoyaltyUnitOfWork"]


class LoyaltyUnitOfWork(Protocol):
    """The unit of work's methods for customers, loyalty cards and the points ledger."""

    def insert_customer(self, customer: Customer) -> None:
        """Keep a new customer (balance zero)."""
        ...

    def update_customer(self, customer: Customer) -> None:
        """Replace a customer's profile, tier and times (never the balance)."""
        ...

    def customer(self, customer_id: str, *, lock: bool = False) -> Customer | None:
        """A customer by id (locked until commit, if asked)."""
        ...

    def customer_by_phone(self, phone: str) -> Customer | None:
        """The customer with this normalised phone."""
        ...

    def customer_by_email(self, email: str) -> Customer | None:
        """The customer with this lower-cased e-mail."""
        ...

    def put_card(self, card: LoyaltyCard, *, new: bool) -> None:
        """Insert a new card or update a kept one's status."""
        ...

    def card(self, number: str) -> LoyaltyCard | None:
        """A loyalty card by number."""
        ...

    def cards_of(self, customer_id: str) -> list[LoyaltyCard]:
        """A customer's cards, oldest first."""
        ...

    def move_points(
        self, customer_id: str, moves: Sequence[PointsMovement], *, floor: int | None
    ) -> int | None:
        """Append movements and add them to the balance unless it would end below ``floor``.

        The new balance, or None (nothing written) if refused; ``floor=None``
        never refuses.
        """
        ...

    def points_movements(
        self,
        *,
        customer_id: str | None = None,
        sale_id: uuid.UUID | None = None,
        of_sale_id: uuid.UUID | None = None,
        reference: str | None = None,
        kinds: Collection[PointsKind] | None = None,
    ) -> list[PointsMovement]:
        """Ledger rows oldest first, filtered."""
        ...

    def points_balances(self) -> dict[str, int]:
        """Every customer's cached balance."""
        ...

    def ledger_points(self) -> dict[str, int]:
        """Every customer's ledger sum (one GROUP BY)."""
        ...

    def customers_with_points(self) -> list[str]:
        """Ids of customers with a positive balance."""
        ...

    def points_outstanding(self) -> int:
        """The sum of every positive balance: points the store still owes."""
        ...

    def set_customer_tier(self, customer_id: str, tier: str | None) -> None:
        """Keep a customer's computed tier."""
        ...

    def qualifying_points(self, customer_id: str, since: datetime | None) -> int:
        """Points earned minus earned points returned (taken or waived) since a time."""
        ...


def _customer(row: Any) -> Customer:
    return Customer(
        id=row.id,
        name=row.name,
        phone=row.phone,
        email=row.email,
        marketing_consent=bool(row.marketing_consent),
        birth_year=row.birth_year,
        postcode=row.postcode,
        gender=row.gender,
        tier=row.tier,
        points=int(row.points),
        created_at=row.created_at,
        updated_at=row.updated_at,
        erased_at=row.erased_at,
    )


def _card(row: Any) -> LoyaltyCard:
    return LoyaltyCard(
        row.number,
        row.customer_id,
        CardStatus(row.status),
        row.issued_at,
        row.changed_at,
        row.replaced_by,
    )


def _movement(row: Any) -> PointsMovement:
    return PointsMovement(
        id=row.id,
        customer_id=row.customer_id,
        at=row.at,
        kind=PointsKind(row.kind),
        points=int(row.points),
        sale_id=row.sale_id,
        line_no=row.line_no,
        reference=row.reference,
        of_sale_id=row.of_sale_id,
        of_line_no=row.of_line_no,
        amount_minor=None if row.amount_minor is None else int(row.amount_minor),
        waived=int(row.waived),
        note=row.note,
    )


def _profile(customer: Customer) -> dict[str, Any]:
    return {
        "name": customer.name,
        "phone": customer.phone,
        "email": customer.email,
        "marketing_consent": customer.marketing_consent,
        "birth_year": customer.birth_year,
        "postcode": customer.postcode,
        "gender": customer.gender,
        "tier": customer.tier,
        "updated_at": customer.updated_at,
        "erased_at": customer.erased_at,
    }


class LoyaltyRepository:
    """SQL for customers, loyalty cards and the points ledger.

    Needs ``conn``, ``raw`` and ``cursor`` from the unit of work.
    """

    conn: Connection
    raw: Any
    cursor: Any

    # ---- customers -------------------------------------------------------------------

    def insert_customer(self, customer: Customer) -> None:
        """Keep a new customer (balance zero)."""
        self.conn.execute(
            sa.insert(t.customers).values(
                id=customer.id, created_at=customer.created_at, points=0, **_profile(customer)
            )
        )

    def update_customer(self, customer: Customer) -> None:
        """Replace a customer's profile, tier and times (never the balance)."""
        self.conn.execute(
            sa.update(t.customers)
            .where(t.customers.c.id == customer.id)
            .values(**_profile(customer))
        )

    def customer(self, customer_id: str, *, lock: bool = False) -> Customer | None:
        """A customer by id (locked until commit, if asked)."""
        stmt = sa.select(t.customers).where(t.customers.c.id == customer_id)
        if lock and self.conn.dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        row = self.conn.execute(stmt).first()
        return None if row is None else _customer(row)

    def customer_by_phone(self, phone: str) -> Customer | None:
        """The customer with this normalised phone."""
        row = self.conn.execute(sa.select(t.customers).where(t.customers.c.phone == phone)).first()
        return None if row is None else _customer(row)

    def customer_by_email(self, email: str) -> Customer | None:
        """The customer with this lower-cased e-mail."""
        row = self.conn.execute(sa.select(t.customers).where(t.customers.c.email == email)).first()
        return None if row is None else _customer(row)

    def set_customer_tier(self, customer_id: str, tier: str | None) -> None:
        """Keep a customer's computed tier."""
        self.conn.execute(
            sa.update(t.customers).where(t.customers.c.id == customer_id).values(tier=tier)
        )

    # ---- cards -----------------------------------------------------------------------

    def put_card(self, card: LoyaltyCard, *, new: bool) -> None:
        """Insert a new card or update a kept one's status."""
        values = {
            "status": card.status.value,
            "changed_at": card.changed_at,
            "replaced_by": card.replaced_by,
        }
        if new:
            self.conn.execute(
                sa.insert(t.loyalty_cards).values(
                    number=card.number,
                    customer_id=card.customer_id,
                    issued_at=card.issued_at,
                    **values,
                )
            )
        else:
            self.conn.execute(
                sa.update(t.loyalty_cards)
                .where(t.loyalty_cards.c.number == card.number)
                .values(**values)
            )

    def card(self, number: str) -> LoyaltyCard | None:
        """A loyalty card by number."""
        row = self.conn.execute(
            sa.select(t.loyalty_cards).where(t.loyalty_cards.c.number == number)
        ).first()
        return None if row is None else _card(row)

    def cards_of(self, customer_id: str) -> list[LoyaltyCard]:
        """A customer's cards, oldest first."""
        c = t.loyalty_cards.c
        rows = self.conn.execute(
            sa.select(t.loyalty_cards)
            .where(c.customer_id == customer_id)
            .order_by(c.issued_at, c.number)
        )
        return [_card(r) for r in rows]

    # ---- the points ledger -------------------------------------------------------------

    def move_points(
        self, customer_id: str, moves: Sequence[PointsMovement], *, floor: int | None
    ) -> int | None:
        """Append movements and add them to the balance unless it would end below ``floor``.

        The update locks the customer's row until commit, so two tills
        burning the same points cannot both succeed.
        """
        raw, cur = self.raw, self.cursor
        delta = sum(m.points for m in moves)
        if floor is None:
            cur.execute(
                raw.sql("UPDATE customers SET points = points + ? WHERE id = ? RETURNING points"),
                (delta, customer_id),
            )
        else:
            cur.execute(
                raw.sql(
                    "UPDATE customers SET points = points + ? "
                    "WHERE id = ? AND points + ? >= ? RETURNING points"
                ),
                (delta, customer_id, delta, floor),
            )
        row = cur.fetchone()
        if row is None:
            return None
        insert = raw.inserts["points_ledger"]
        for m in moves:
            cur.execute(
                insert,
                (
                    raw.uuid(m.id),
                    m.customer_id,
                    raw.time(m.at),
                    m.kind.value,
                    m.points,
                    raw.uuid(m.sale_id),
                    m.line_no,
                    m.reference,
                    raw.uuid(m.of_sale_id),
                    m.of_line_no,
                    m.amount_minor,
                    m.waived,
                    m.note,
                ),
            )
        return int(row[0])

    def points_movements(
        self,
        *,
        customer_id: str | None = None,
        sale_id: uuid.UUID | None = None,
        of_sale_id: uuid.UUID | None = None,
        reference: str | None = None,
        kinds: Collection[PointsKind] | None = None,
    ) -> list[PointsMovement]:
        """Ledger rows oldest first, filtered."""
        c = t.points_ledger.c
        stmt = sa.select(t.points_ledger).order_by(c.at, c.id)
        if customer_id is not None:
            stmt = stmt.where(c.customer_id == customer_id)
        if sale_id is not None:
            stmt = stmt.where(c.sale_id == sale_id)
        if of_sale_id is not None:
            stmt = stmt.where(c.of_sale_id == of_sale_id)
        if reference is not None:
            stmt = stmt.where(c.reference == reference)
        if kinds is not None:
            stmt = stmt.where(c.kind.in_(sorted(k.value for k in kinds)))
        return [_movement(r) for r in self.conn.execute(stmt)]

    def points_balances(self) -> dict[str, int]:
        """Every customer's cached balance."""
        c = t.customers.c
        return {r[0]: int(r[1]) for r in self.conn.execute(sa.select(c.id, c.points))}

    def ledger_points(self) -> dict[str, int]:
        """Every customer's ledger sum (one GROUP BY)."""
        c = t.points_ledger.c
        stmt = sa.select(c.customer_id, sa.func.sum(c.points)).group_by(c.customer_id)
        return {r[0]: int(r[1]) for r in self.conn.execute(stmt)}

    def customers_with_points(self) -> list[str]:
        """Ids of customers with a positive balance."""
        c = t.customers.c
        return [r[0] for r in self.conn.execute(sa.select(c.id).where(c.points > 0).order_by(c.id))]

    def points_outstanding(self) -> int:
        """The sum of every positive balance: points the store still owes."""
        c = t.customers.c
        total = self.conn.execute(sa.select(sa.func.sum(c.points)).where(c.points > 0)).scalar()
        return int(total or 0)

    def qualifying_points(self, customer_id: str, since: datetime | None) -> int:
        """Points earned minus earned points returned (taken or waived) since a time."""
        c = t.points_ledger.c
        stmt = sa.select(sa.func.coalesce(sa.func.sum(c.points - c.waived), 0)).where(
            c.customer_id == customer_id,
            c.kind.in_([PointsKind.EARN.value, PointsKind.RETURN_EARN.value]),
        )
        if since is not None:
            stmt = stmt.where(c.at >= since)
        return int(self.conn.execute(stmt).scalar_one())
