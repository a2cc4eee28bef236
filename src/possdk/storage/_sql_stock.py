"""The inventory's tables for the SQL unit of work: locations, the ledger, levels, documents.

Mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`. Moving stock for a
sale is on the hot path, so it runs plain SQL on the driver's cursor (an
upsert per item that returns the new level); the rest goes through
SQLAlchemy Core.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Collection, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from possdk.core._decimal import EXACT
from possdk.errors import StockDocumentError, StorageError
from possdk.inventory._model import (
    CountLine,
    Location,
    LocationKind,
    Movement,
    MovementKind,
    NegativeStock,
    Reservation,
    StockItem,
    StockLevel,
    Supplier,
    SupplierItem,
)
from possdk.storage import _schema as t

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection

__all__ = ["StockRepository", "from_micro", "micro"]


def micro(quantity: Decimal) -> int:
    """A quantity as integer millionths; more than six decimals is refused."""
    scaled = quantity.scaleb(6, context=EXACT)
    if scaled != scaled.to_integral_value(context=EXACT):
        raise StorageError(f"quantity {quantity} has more than 6 decimals")
    return int(scaled)


def from_micro(value: int) -> Decimal:
    """Millionths back to a quantity without trailing zeros: 3000000 -> 3, 1500 -> 0.0015."""
    if value % 1_000_000 == 0:
        return Decimal(value // 1_000_000)
    return Decimal(value).scaleb(-6, context=EXACT).normalize(EXACT)


def _opt_micro(value: int | None) -> Decimal | None:
    return None if value is None else from_micro(value)


def _cost_text(value: Decimal | None) -> str | None:
    return None if value is None else format(value, "f")


def _cost(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


_CHUNK = 250  # rows per statement: far below SQLite's 32,766 bound parameters


@functools.cache
def _insert_movements(sqlite: bool, rows: int) -> str:
    """Append ``rows`` movements in one statement."""
    mark = "?" if sqlite else "%s"
    columns = [c.name for c in t.stock_movements.columns]
    values = ", ".join(["(" + ", ".join([mark] * len(columns)) + ")"] * rows)
    return f"INSERT INTO stock_movements ({', '.join(columns)}) VALUES {values}"


@functools.cache
def _upsert_levels(sqlite: bool, rows: int) -> str:
    """Add ``rows`` deltas to their levels (creating them), returning the new levels."""
    mark = "?" if sqlite else "%s"
    values = ", ".join([f"({mark}, {mark}, {mark}, 0, NULL, NULL, {mark})"] * rows)
    return (
        "INSERT INTO stock_levels (sku, location_id, on_hand_micro, reserved_micro, "
        f"reorder_point_micro, order_up_to_micro, low) VALUES {values} "
        "ON CONFLICT (sku, location_id) DO UPDATE SET "
        "on_hand_micro = stock_levels.on_hand_micro + excluded.on_hand_micro "
        "RETURNING sku, location_id, on_hand_micro, reserved_micro, reorder_point_micro, "
        "order_up_to_micro, low"
    )


_LEVEL_COLUMNS = (
    t.stock_levels.c.sku,
    t.stock_levels.c.location_id,
    t.stock_levels.c.on_hand_micro,
    t.stock_levels.c.reserved_micro,
    t.stock_levels.c.reorder_point_micro,
    t.stock_levels.c.order_up_to_micro,
    t.stock_levels.c.low,
)


def _level(row: Any) -> StockLevel:
    return StockLevel(
        sku=row[0],
        location_id=row[1],
        on_hand=from_micro(row[2]),
        reserved=from_micro(row[3]),
        reorder_point=_opt_micro(row[4]),
        order_up_to=_opt_micro(row[5]),
        low=bool(row[6]),
    )


def _movement(row: Any) -> Movement:
    return Movement(
        id=row.id,
        at=row.at,
        sku=row.sku,
        location_id=row.location_id,
        kind=MovementKind(row.kind),
        quantity=from_micro(row.quantity_micro),
        reason=row.reason,
        reference=row.reference,
        document_id=row.document_id,
        line_no=row.line_no,
        unit_cost=_cost(row.unit_cost),
        note=row.note,
    )


def _upsert(conn: Connection, table: sa.Table, values: dict[str, Any], keys: Sequence[str]) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        stmt: Any = pg_insert(table)
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        stmt = sqlite_insert(table)
    stmt = stmt.values(**values)
    update = {k: stmt.excluded[k] for k in values if k not in keys}
    conn.execute(stmt.on_conflict_do_update(index_elements=list(keys), set_=update))


class StockRepository:
    """Inventory persistence; needs ``conn``, ``raw`` and ``cursor`` from the unit of work."""

    conn: Connection
    raw: Any
    cursor: Any

    def _for_update(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        return stmt.with_for_update() if self.conn.dialect.name == "postgresql" else stmt

    # ---- locations -------------------------------------------------------------

    def put_location(self, location: Location) -> None:
        """Insert or replace a location."""
        _upsert(
            self.conn,
            t.locations,
            {
                "id": location.id,
                "name": location.name,
                "kind": location.kind.value,
                "damaged_to": location.damaged_to,
                "active": location.active,
            },
            ["id"],
        )

    def locations(self) -> list[Location]:
        """Every location, by id."""
        rows = self.conn.execute(sa.select(t.locations).order_by(t.locations.c.id))
        return [
            Location(r.id, r.name, LocationKind(r.kind), r.damaged_to, bool(r.active)) for r in rows
        ]

    def register_location(self, register_id: str) -> str | None:
        """Where a register sells from (None: the default location)."""
        raw, cur = self.raw, self.cursor
        cur.execute(raw.sql("SELECT location_id FROM registers WHERE id = ?"), (register_id,))
        row = cur.fetchone()
        return None if row is None else row[0]

    def register_locations(self) -> dict[str, str | None]:
        """Every register's selling location."""
        rows = self.conn.execute(sa.select(t.registers.c.id, t.registers.c.location_id))
        return {r.id: r.location_id for r in rows}

    def set_register_location(self, register_id: str, location_id: str | None) -> None:
        """Make a register sell from a location."""
        self.lock_register(register_id)  # type: ignore[attr-defined]
        self.conn.execute(
            sa.update(t.registers)
            .where(t.registers.c.id == register_id)
            .values(location_id=location_id)
        )

    # ---- items -------------------------------------------------------------------

    def stock_items(
        self, skus: Collection[str] | None = None, *, lock: bool = False
    ) -> dict[str, StockItem]:
        """Items' stock rules (only items that have one kept)."""
        raw = self.raw
        if skus is not None:
            if not skus:
                return {}
            keys = sorted(skus)
            cur = self.cursor
            marks = ", ".join("?" * len(keys))
            cur.execute(
                raw.sql(
                    "SELECT sku, tracked, negative, average_cost, last_cost FROM stock_items "
                    f"WHERE sku IN ({marks}){raw.lock if lock else ''}"
                ),
                keys,
            )
            rows = cur.fetchall()
        else:
            rows = list(
                self.conn.execute(
                    sa.select(
                        t.stock_items.c.sku,
                        t.stock_items.c.tracked,
                        t.stock_items.c.negative,
                        t.stock_items.c.average_cost,
                        t.stock_items.c.last_cost,
                    )
                )
            )
        return {
            r[0]: StockItem(r[0], bool(r[1]), NegativeStock(r[2]), _cost(r[3]), _cost(r[4]))
            for r in rows
        }

    def put_stock_item(self, item: StockItem) -> None:
        """Insert or replace an item's stock rules and costs."""
        _upsert(
            self.conn,
            t.stock_items,
            {
                "sku": item.sku,
                "tracked": item.tracked,
                "negative": item.negative.value,
                "average_cost": _cost_text(item.average_cost),
                "last_cost": _cost_text(item.last_cost),
            },
            ["sku"],
        )

    # ---- the ledger ------------------------------------------------------------------

    def move_stock(self, moves: Sequence[Movement]) -> list[StockLevel]:
        """Append movements and add them to the levels; the new levels, by (sku, location).

        Levels are updated in (sku, location) order, so two transactions
        moving the same items lock them in the same order. Each update locks
        its row until commit: a concurrent sale of the same item waits and
        then sees this one's result.
        """
        raw, cur = self.raw, self.cursor
        deltas: dict[tuple[str, str], int] = {}
        rows = []
        # A sale's movements share their time and document: convert each once.
        times: dict[datetime, Any] = {}
        documents: dict[uuid.UUID | None, Any] = {}
        for m in moves:
            q = micro(m.quantity)
            key = (m.sku, m.location_id)
            deltas[key] = deltas.get(key, 0) + q
            at = times.get(m.at)
            if at is None:
                at = times[m.at] = raw.time(m.at)
            if m.document_id in documents:
                document = documents[m.document_id]
            else:
                document = documents[m.document_id] = raw.uuid(m.document_id)
            rows.append(
                (
                    raw.uuid(m.id),
                    at,
                    m.sku,
                    m.location_id,
                    m.kind.value,
                    q,
                    m.reason,
                    m.reference,
                    document,
                    m.line_no,
                    _cost_text(m.unit_cost),
                    m.note,
                )
            )
        # One statement upserts every level, in (sku, location) order; RETURNING gives
        # the new values (in no promised order, so they are matched by key).
        keys = sorted(deltas)
        low = raw.flag(False)
        found = {}
        for i in range(0, len(keys), _CHUNK):
            params: list[Any] = []
            for key in keys[i : i + _CHUNK]:
                params += (key[0], key[1], deltas[key], low)
            cur.execute(_upsert_levels(raw.sqlite, len(params) // 4), params)
            found.update({(r[0], r[1]): r for r in cur.fetchall()})
        levels = []
        for key in keys:
            _, _, on_hand, reserved, point, up_to, is_low = found[key]
            levels.append(
                StockLevel(
                    key[0],
                    key[1],
                    from_micro(on_hand),
                    from_micro(reserved),
                    _opt_micro(point),
                    _opt_micro(up_to),
                    bool(is_low),
                )
            )
        for i in range(0, len(rows), _CHUNK):
            chunk = rows[i : i + _CHUNK]
            cur.execute(_insert_movements(raw.sqlite, len(chunk)), [v for r in chunk for v in r])
        return levels

    def set_low(self, sku: str, location_id: str, low: bool) -> None:
        """Mark a level as below its reorder point (or re-armed above it)."""
        raw = self.raw
        self.cursor.execute(
            raw.sql("UPDATE stock_levels SET low = ? WHERE sku = ? AND location_id = ?"),
            (raw.flag(low), sku, location_id),
        )

    def stock_level(self, sku: str, location_id: str, *, lock: bool = False) -> StockLevel | None:
        """One item's level at one location (locked until commit, if asked)."""
        stmt = sa.select(*_LEVEL_COLUMNS).where(
            t.stock_levels.c.sku == sku, t.stock_levels.c.location_id == location_id
        )
        row = self.conn.execute(self._for_update(stmt) if lock else stmt).first()
        return None if row is None else _level(row)

    def stock_levels(
        self,
        *,
        sku: str | None = None,
        location_id: str | None = None,
        skus: Collection[str] | None = None,
    ) -> list[StockLevel]:
        """Levels, by (sku, location), filtered."""
        c = t.stock_levels.c
        stmt = sa.select(*_LEVEL_COLUMNS).order_by(c.sku, c.location_id)
        if sku is not None:
            stmt = stmt.where(c.sku == sku)
        if location_id is not None:
            stmt = stmt.where(c.location_id == location_id)
        if skus is not None:
            stmt = stmt.where(c.sku.in_(sorted(skus)))
        return [_level(r) for r in self.conn.execute(stmt)]

    def on_hand_total(self, sku: str) -> Decimal:
        """An item's on hand over every location."""
        c = t.stock_levels.c
        total = self.conn.execute(
            sa.select(sa.func.coalesce(sa.func.sum(c.on_hand_micro), 0)).where(c.sku == sku)
        ).scalar_one()
        return from_micro(int(total))

    def ledger_on_hand(self, location_id: str | None = None) -> dict[tuple[str, str], Decimal]:
        """On hand per (sku, location) summed from the ledger itself (one GROUP BY)."""
        m = t.stock_movements.c
        stmt = sa.select(m.sku, m.location_id, sa.func.sum(m.quantity_micro)).group_by(
            m.sku, m.location_id
        )
        if location_id is not None:
            stmt = stmt.where(m.location_id == location_id)
        return {(r[0], r[1]): from_micro(int(r[2])) for r in self.conn.execute(stmt)}

    def movements(
        self,
        *,
        sku: str | None = None,
        location_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        document_id: uuid.UUID | None = None,
    ) -> Iterator[Movement]:
        """Movements in ledger order (oldest first), filtered."""
        m = t.stock_movements.c
        stmt = sa.select(t.stock_movements).order_by(m.at, m.id)
        if sku is not None:
            stmt = stmt.where(m.sku == sku)
        if location_id is not None:
            stmt = stmt.where(m.location_id == location_id)
        if since is not None:
            stmt = stmt.where(m.at >= since)
        if until is not None:
            stmt = stmt.where(m.at < until)
        if document_id is not None:
            stmt = stmt.where(m.document_id == document_id)
        for row in self.conn.execute(stmt):
            yield _movement(row)

    def net_sold(self, location_id: str, since: datetime, until: datetime) -> dict[str, Decimal]:
        """Quantity sold minus returned per item at a location in ``[since, until)``."""
        m = t.stock_movements.c
        stmt = (
            sa.select(m.sku, sa.func.sum(m.quantity_micro))
            .where(
                m.location_id == location_id,
                m.kind.in_([MovementKind.SALE.value, MovementKind.RETURN.value]),
                m.at >= since,
                m.at < until,
            )
            .group_by(m.sku)
        )
        return {r[0]: from_micro(-int(r[1])) for r in self.conn.execute(stmt)}

    # ---- reservations ------------------------------------------------------------

    def add_reserved(self, sku: str, location_id: str, delta: Decimal) -> StockLevel:
        """Add to (or take from) a level's reserved quantity; the level after."""
        stmt: Any
        if delta < 0:
            # Taking back: the level exists (it was reserved). An upsert would check the
            # negative candidate row against the "reserved >= 0" constraint and fail.
            c = t.stock_levels.c
            stmt = (
                sa.update(t.stock_levels)
                .where(c.sku == sku, c.location_id == location_id)
                .values(reserved_micro=c.reserved_micro + micro(delta))
                .returning(*_LEVEL_COLUMNS)
            )
            return _level(self.conn.execute(stmt).one())
        values = {
            "sku": sku,
            "location_id": location_id,
            "on_hand_micro": 0,
            "reserved_micro": micro(delta),
            "low": False,
        }
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(t.stock_levels)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(t.stock_levels)
        stmt = stmt.values(**values)
        stmt = stmt.on_conflict_do_update(
            index_elements=["sku", "location_id"],
            set_={"reserved_micro": t.stock_levels.c.reserved_micro + stmt.excluded.reserved_micro},
        ).returning(*_LEVEL_COLUMNS)
        return _level(self.conn.execute(stmt).one())

    def put_reservation(self, reservation: Reservation) -> None:
        """Keep a new reservation."""
        self.conn.execute(
            sa.insert(t.stock_reservations).values(
                id=reservation.id,
                sku=reservation.sku,
                location_id=reservation.location_id,
                quantity_micro=micro(reservation.quantity),
                reference=reservation.reference,
                at=reservation.at,
                released_at=None,
            )
        )

    def reservation(self, reservation_id: uuid.UUID, *, lock: bool = False) -> Reservation | None:
        """An open reservation (None if released or unknown)."""
        r = t.stock_reservations.c
        stmt = sa.select(t.stock_reservations).where(
            r.id == reservation_id, r.released_at.is_(None)
        )
        row = self.conn.execute(self._for_update(stmt) if lock else stmt).first()
        if row is None:
            return None
        return Reservation(
            row.id, row.sku, row.location_id, from_micro(row.quantity_micro), row.reference, row.at
        )

    def release_reservation(self, reservation_id: uuid.UUID, at: datetime) -> None:
        """Mark a reservation released."""
        r = t.stock_reservations.c
        self.conn.execute(
            sa.update(t.stock_reservations).where(r.id == reservation_id).values(released_at=at)
        )

    def open_reservations(self) -> list[Reservation]:
        """Every reservation not released, oldest first."""
        r = t.stock_reservations.c
        rows = self.conn.execute(
            sa.select(t.stock_reservations).where(r.released_at.is_(None)).order_by(r.at, r.id)
        )
        return [
            Reservation(
                row.id,
                row.sku,
                row.location_id,
                from_micro(row.quantity_micro),
                row.reference,
                row.at,
            )
            for row in rows
        ]

    # ---- reorder rules ---------------------------------------------------------------

    def put_reorder_rule(
        self,
        sku: str,
        location_id: str,
        rule: str | None,
        reorder_point: Decimal | None,
        order_up_to: Decimal | None,
        low: bool,
    ) -> None:
        """Keep a rule (or drop it, with None) and set the level's points and low flag."""
        if rule is None:
            self.conn.execute(
                sa.delete(t.reorder_rules).where(
                    t.reorder_rules.c.sku == sku, t.reorder_rules.c.location_id == location_id
                )
            )
        else:
            _upsert(
                self.conn,
                t.reorder_rules,
                {"sku": sku, "location_id": location_id, "rule": rule},
                ["sku", "location_id"],
            )
        self.set_points(sku, location_id, reorder_point, order_up_to, low)

    def set_points(
        self,
        sku: str,
        location_id: str,
        reorder_point: Decimal | None,
        order_up_to: Decimal | None,
        low: bool,
    ) -> None:
        """Set a level's reorder point, order-up-to level and low flag (creating the level)."""
        point = None if reorder_point is None else micro(reorder_point)
        up_to = None if order_up_to is None else micro(order_up_to)
        values = {
            "sku": sku,
            "location_id": location_id,
            "on_hand_micro": 0,
            "reserved_micro": 0,
            "reorder_point_micro": point,
            "order_up_to_micro": up_to,
            "low": low,
        }
        stmt: Any
        if self.conn.dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert as pg_insert

            stmt = pg_insert(t.stock_levels)
        else:
            from sqlalchemy.dialects.sqlite import insert as sqlite_insert

            stmt = sqlite_insert(t.stock_levels)
        stmt = stmt.values(**values)
        self.conn.execute(
            stmt.on_conflict_do_update(
                index_elements=["sku", "location_id"],
                set_={"reorder_point_micro": point, "order_up_to_micro": up_to, "low": low},
            )
        )

    def reorder_rules(self) -> list[tuple[str, str, str]]:
        """Every rule: (sku, location, rule JSON)."""
        r = t.reorder_rules.c
        rows = self.conn.execute(sa.select(r.sku, r.location_id, r.rule).order_by(r.sku))
        return [(row[0], row[1], row[2]) for row in rows]

    # ---- suppliers -------------------------------------------------------------------

    def put_supplier(self, supplier: Supplier) -> None:
        """Insert or replace a supplier."""
        _upsert(
            self.conn,
            t.suppliers,
            {"id": supplier.id, "name": supplier.name, "contact": supplier.contact},
            ["id"],
        )

    def suppliers(self) -> list[Supplier]:
        """Every supplier, by id."""
        rows = self.conn.execute(sa.select(t.suppliers).order_by(t.suppliers.c.id))
        return [Supplier(r.id, r.name, r.contact) for r in rows]

    def put_supplier_item(self, item: SupplierItem) -> None:
        """Insert or replace what a supplier calls and charges for an item."""
        _upsert(
            self.conn,
            t.supplier_items,
            {
                "supplier_id": item.supplier_id,
                "sku": item.sku,
                "supplier_code": item.supplier_code,
                "unit_cost": _cost_text(item.unit_cost),
                "pack_micro": micro(item.pack_size),
                "min_order_micro": micro(item.min_order),
                "preferred": item.preferred,
            },
            ["supplier_id", "sku"],
        )

    def supplier_items(
        self, *, sku: str | None = None, supplier_id: str | None = None
    ) -> list[SupplierItem]:
        """Supplier items, filtered, by (supplier, sku)."""
        c = t.supplier_items.c
        stmt = sa.select(t.supplier_items).order_by(c.supplier_id, c.sku)
        if sku is not None:
            stmt = stmt.where(c.sku == sku)
        if supplier_id is not None:
            stmt = stmt.where(c.supplier_id == supplier_id)
        return [
            SupplierItem(
                r.supplier_id,
                r.sku,
                r.supplier_code,
                _cost(r.unit_cost),
                from_micro(r.pack_micro),
                from_micro(r.min_order_micro),
                bool(r.preferred),
            )
            for r in self.conn.execute(stmt)
        ]

    # ---- documents: purchase orders, transfers, counts -----------------------------

    def next_counter(self, name: str) -> int:
        """Take the next number of a named counter (locked until commit)."""
        c = t.counters.c
        row = self.conn.execute(self._for_update(sa.select(c.value).where(c.name == name))).first()
        if row is None:
            _upsert(self.conn, t.counters, {"name": name, "value": 0}, ["name"])
            row = self.conn.execute(
                self._for_update(sa.select(c.value).where(c.name == name))
            ).first()
        assert row is not None
        number = int(row[0]) + 1
        self.conn.execute(sa.update(t.counters).where(c.name == name).values(value=number))
        return number

    def put_stock_document(
        self,
        *,
        kind: str,
        id: uuid.UUID,
        number: str,
        status: str,
        location_id: str,
        created_at: datetime,
        updated_at: datetime,
        body: str,
        new: bool,
    ) -> None:
        """Insert a new document or update a kept one."""
        if new:
            self.conn.execute(
                sa.insert(t.stock_documents).values(
                    id=id,
                    kind=kind,
                    number=number,
                    status=status,
                    location_id=location_id,
                    created_at=created_at,
                    updated_at=updated_at,
                    body=body,
                )
            )
        else:
            self.conn.execute(
                sa.update(t.stock_documents)
                .where(t.stock_documents.c.id == id)
                .values(status=status, updated_at=updated_at, body=body)
            )

    def stock_document(self, kind: str, ref: uuid.UUID | str, *, lock: bool = False) -> str | None:
        """A document's JSON by id or number (locked until commit, if asked).

        The document itself (a count, an order, a transfer) is taken by its id.
        """
        given: object = ref  # callers pass documents themselves too
        if not isinstance(given, uuid.UUID | str):
            ref_id = getattr(given, "id", None)
            if not isinstance(ref_id, uuid.UUID):
                raise StockDocumentError(
                    f"a stock document is named by its id or number, got {given!r}"
                )
            ref = ref_id
        d = t.stock_documents.c
        key = d.id == ref if isinstance(ref, uuid.UUID) else d.number == ref
        stmt = sa.select(d.body).where(d.kind == kind, key)
        row = self.conn.execute(self._for_update(stmt) if lock else stmt).first()
        return None if row is None else str(row[0])

    def stock_documents(self, kind: str, statuses: Collection[str] | None = None) -> list[str]:
        """Documents' JSON of one kind, oldest first, filtered by status."""
        d = t.stock_documents.c
        stmt = sa.select(d.body).where(d.kind == kind).order_by(d.created_at, d.number)
        if statuses is not None:
            stmt = stmt.where(d.status.in_(sorted(statuses)))
        return [str(r[0]) for r in self.conn.execute(stmt)]

    def put_count_line(self, count_id: uuid.UUID, line: CountLine) -> None:
        """Insert or replace what was counted of an item."""
        _upsert(
            self.conn,
            t.stock_count_lines,
            {
                "count_id": count_id,
                "sku": line.sku,
                "counted_micro": micro(line.counted),
                "book_micro": micro(line.book),
                "at": line.at,
            },
            ["count_id", "sku"],
        )

    def count_lines(self, count_id: uuid.UUID, *, sku: str | None = None) -> list[CountLine]:
        """What a count has counted, by sku."""
        c = t.stock_count_lines.c
        stmt = sa.select(t.stock_count_lines).where(c.count_id == count_id).order_by(c.sku)
        if sku is not None:
            stmt = stmt.where(c.sku == sku)
        return [
            CountLine(r.sku, from_micro(r.counted_micro), from_micro(r.book_micro), r.at)
            for r in self.conn.execute(stmt)
        ]
