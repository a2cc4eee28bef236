"""``store.inventory``: the stock ledger and everything that writes to it.

Every change of stock is a :class:`~possdk.inventory.Movement` appended to
the ledger in the same transaction as the operation that caused it (a sale's
movements are written with the sale); the per-location level rows are a
cache of the ledger's sums that :meth:`Inventory.check` verifies.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import ROUND_CEILING, Decimal
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

from possdk.core import Money, ProductKind, Receipt, Sale
from possdk.core._decimal import DIV, EXACT, EXACT_ROUNDING, RoundingMode, quantize
from possdk.core._money import currency, to_decimal
from possdk.errors import (
    InsufficientStockError,
    InventoryError,
    StockDocumentError,
)
from possdk.inventory import _csv
from possdk.inventory._model import (
    DEFAULT_LOCATION,
    AdjustmentReason,
    CountLine,
    CountResult,
    CountVariance,
    LedgerCheck,
    Location,
    Movement,
    MovementKind,
    NegativeStock,
    OrderSuggestion,
    PurchaseOrder,
    PurchaseOrderLine,
    PurchaseOrderStatus,
    ReorderMethod,
    ReorderRule,
    Reservation,
    Shortage,
    StockCount,
    StockCountStatus,
    StockItem,
    StockLevel,
    StockValuation,
    SuggestedLine,
    Supplier,
    SupplierItem,
    Transfer,
    TransferLine,
    TransferStatus,
    ValuationLine,
    plain,
)

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.storage._backend import UnitOfWork

__all__ = ["INVENTORY_TERMINAL", "Inventory"]

log = logging.getLogger(__name__)

T = TypeVar("T")

INVENTORY_TERMINAL = "@inventory"
"""The journal terminal of stock operations that are not sales (receipts, counts, ...)."""

ZERO = Decimal(0)
COST_QUANTUM = Decimal("0.000001")
"""Average costs are kept to six decimal places (half-even)."""

_PO, _TRANSFER, _COUNT = "purchase_order", "transfer", "count"

QuantityLike = Decimal | int | str


def _add(values: Iterable[Decimal]) -> Decimal:
    total = ZERO
    for v in values:
        total = EXACT.add(total, v)
    return total


class Inventory:
    """Stock per location: the ledger, levels, reordering, purchase orders, transfers, counts.

    Reach it as ``store.inventory``. Quantities are in the item's unit of
    sale and validated against it (whole pieces for items sold each);
    ``location`` defaults to the store's first location, ``"main"``.
    """

    def __init__(self, store: Store) -> None:
        self._store = store
        self._crossings: list[StockLevel] = []

    def __repr__(self) -> str:
        return f"<Inventory of {self._store!r}>"

    # ---- locations ---------------------------------------------------------------

    def add_location(self, location: Location) -> Location:
        """Add (or change) a location.

        Raises:
            InventoryError: ``damaged_to`` names an unknown location, or itself.
        """
        if location.damaged_to is not None:
            if location.damaged_to == location.id:
                raise InventoryError(
                    f"location {location.id!r} cannot send damaged goods to itself"
                )
            known = {loc.id for loc in self.locations()}
            if location.damaged_to not in known:
                raise InventoryError(
                    f"damaged_to={location.damaged_to!r} is not a location; add it first"
                )
        self._run(lambda uow: self._journaled(uow, "LocationSaved", location, uow.put_location))
        return location

    def locations(self) -> tuple[Location, ...]:
        """Every location, by id."""
        return tuple(self._store._read(lambda uow: uow.locations()))

    def location(self, location_id: str) -> Location:
        """A location by id.

        Raises:
            InventoryError: no such location.
        """
        for loc in self.locations():
            if loc.id == location_id:
                return loc
        raise InventoryError(
            f"unknown location {location_id!r}: add it with store.inventory.add_location() first"
        )

    def assign_register(self, register_id: str, location_id: str) -> None:
        """Make a register (till) sell from a location (the default is ``"main"``)."""
        self._store.register(register_id)  # validates the id
        self._active_location(location_id)

        def work(uow: UnitOfWork) -> None:
            uow.set_register_location(register_id, location_id)
            payload = {"register_id": register_id, "location_id": location_id}
            self._store._journal(uow, INVENTORY_TERMINAL, "RegisterLocationSet", _json(payload), 0)

        self._run(work)

    def location_for(self, register_id: str) -> str:
        """The location a register sells from."""
        found = self._store._read(lambda uow: uow.register_location(register_id))
        return found or DEFAULT_LOCATION

    # ---- items ---------------------------------------------------------------------

    def set_item(
        self,
        sku: str,
        *,
        tracked: bool | None = None,
        negative: NegativeStock | str | None = None,
        average_cost: Decimal | int | str | Money | None = None,
    ) -> StockItem:
        """Change how an item's stock is treated; what is left out stays as it was.

        ``average_cost`` sets a starting cost (for stock on hand before possdk
        knew its cost); receipts update it from then on.
        """
        self._store.catalog.get(sku)
        if tracked is not None and not isinstance(tracked, bool):
            raise InventoryError(f"tracked must be True or False, got {tracked!r}")
        rule = None if negative is None else _enum(NegativeStock, negative, "negative")

        def work(uow: UnitOfWork) -> StockItem:
            item = uow.stock_items([sku], lock=True).get(sku) or StockItem(sku)
            changes: dict[str, Any] = {}
            if tracked is not None:
                changes["tracked"] = bool(tracked)
            if rule is not None:
                changes["negative"] = rule
            if average_cost is not None:
                changes["average_cost"] = average_cost
            item = attrs.evolve(item, **changes)
            self._journaled(uow, "StockItemSaved", item, uow.put_stock_item)
            return item

        return self._run(work)

    def item(self, sku: str) -> StockItem:
        """An item's stock rules and costs (the defaults if never set)."""
        self._store.catalog.get(sku)
        found = self._store._read(lambda uow: uow.stock_items([sku]))
        return found.get(sku) or StockItem(sku)

    # ---- levels and the ledger ----------------------------------------------------------

    def level(self, sku: str, location: str | None = None) -> StockLevel:
        """An item's stock at a location (zero if it never moved there)."""
        self._store.catalog.get(sku)
        loc = location or DEFAULT_LOCATION
        found = self._store._read(lambda uow: uow.stock_level(sku, loc))
        return found or StockLevel(sku, loc, ZERO)

    def on_hand(self, sku: str, location: str | None = None) -> Decimal:
        """On hand of an item at a location."""
        return self.level(sku, location).on_hand

    def available(self, sku: str, location: str | None = None) -> Decimal:
        """On hand minus reserved."""
        return self.level(sku, location).available

    def levels(
        self, *, location: str | None = None, sku: str | None = None
    ) -> tuple[StockLevel, ...]:
        """Every kept level, by (sku, location), filtered."""
        return tuple(self._store._read(lambda uow: uow.stock_levels(sku=sku, location_id=location)))

    def negative_stock(self, location: str | None = None) -> tuple[StockLevel, ...]:
        """Levels below zero: sold without stock on the books (count or receive them)."""
        return tuple(lv for lv in self.levels(location=location) if lv.on_hand < 0)

    def movements(
        self,
        *,
        sku: str | None = None,
        location: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        document_id: uuid.UUID | None = None,
    ) -> tuple[Movement, ...]:
        """The ledger, oldest first, filtered."""
        return tuple(
            self._store._read(
                lambda uow: list(
                    uow.movements(
                        sku=sku,
                        location_id=location,
                        since=since,
                        until=until,
                        document_id=document_id,
                    )
                )
            )
        )

    def on_hand_from_ledger(self, location: str | None = None) -> dict[tuple[str, str], Decimal]:
        """On hand per (sku, location) summed from the ledger in the database."""
        return self._store._read(lambda uow: uow.ledger_on_hand(location))

    def check(self) -> LedgerCheck:
        """Prove the cached levels agree with the ledger (and reservations); changes nothing."""

        def read(uow: UnitOfWork) -> LedgerCheck:
            ledger = uow.ledger_on_hand(None)
            levels = {(lv.sku, lv.location_id): lv for lv in uow.stock_levels()}
            reserved: dict[tuple[str, str], Decimal] = {}
            for r in uow.open_reservations():
                key = (r.sku, r.location_id)
                reserved[key] = EXACT.add(reserved.get(key, ZERO), r.quantity)
            mismatches = []
            for key in sorted(set(ledger) | set(levels)):
                cached = levels[key].on_hand if key in levels else ZERO
                summed = ledger.get(key, ZERO)
                if cached != summed:
                    mismatches.append((key[0], key[1], cached, summed))
            reserved_bad = []
            for key in sorted(set(reserved) | set(levels)):
                cached = levels[key].reserved if key in levels else ZERO
                if cached != reserved.get(key, ZERO):
                    reserved_bad.append((key[0], key[1], cached, reserved.get(key, ZERO)))
            return LedgerCheck(
                len(set(ledger) | set(levels)), tuple(mismatches), tuple(reserved_bad)
            )

        return self._store._read(read)

    # ---- selling ---------------------------------------------------------------------

    def shortages(self, sale: Sale) -> tuple[Shortage, ...]:
        """Items of a sale the till's location cannot cover, with what completing would do.

        Ask after each scan to warn the cashier: ``BLOCK`` items will stop
        the sale at payment, ``WARN`` and ``ALLOW`` items will sell anyway.
        """
        if sale.is_return:
            return ()
        wanted: dict[str, Decimal] = {}
        for line in sale.active_lines:
            if line.kind is ProductKind.GIFT_CARD:
                continue  # no stock behind money put on a card
            wanted[line.sku] = EXACT.add(wanted.get(line.sku, ZERO), line.quantity)
        if not wanted:
            return ()

        def read(uow: UnitOfWork) -> tuple[Shortage, ...]:
            location = uow.register_location(sale.register_id) or DEFAULT_LOCATION
            items = uow.stock_items(wanted)
            levels = {lv.sku: lv for lv in uow.stock_levels(location_id=location, skus=wanted)}
            found = []
            for sku in sorted(wanted):
                item = items.get(sku) or StockItem(sku)
                want = wanted[sku]
                if not item.tracked or want <= 0:
                    continue
                level = levels.get(sku)
                available = level.available if level is not None else ZERO
                if want > available:
                    found.append(Shortage(sku, location, want, available, item.negative))
            return tuple(found)

        return self._store._read(read)

    def _check_sale(self, sale: Sale) -> None:
        # Before the first tender: a blocked item stops the sale before any money moves.
        for shortage in self.shortages(sale):
            if shortage.policy is NegativeStock.BLOCK:
                raise InsufficientStockError(
                    shortage.sku, shortage.location_id, shortage.wanted, shortage.available
                )

    def _apply_receipt(self, uow: UnitOfWork, receipt: Receipt) -> None:
        """Write a completed sale's or return's movements, inside its transaction."""
        self._crossings.clear()
        # Gift card lines put money on a card: there is nothing on a shelf to move.
        lines = [p.line for p in receipt.lines if p.line.kind is not ProductKind.GIFT_CARD]
        if not lines:
            return
        items = uow.stock_items({ln.sku for ln in lines})
        lines = [ln for ln in lines if ln.sku not in items or items[ln.sku].tracked]
        if not lines:
            return
        location = uow.register_location(receipt.register_id) or DEFAULT_LOCATION
        at = receipt.completed_at
        new_id = self._store.ids.new
        damaged_to: str | bool | None = False  # not looked up yet
        reference, document = receipt.number, receipt.sale_id
        moves: list[Movement] = []
        for ln in lines:
            quantity = EXACT.minus(ln.quantity)
            item = items.get(ln.sku)
            cost = item.average_cost if item is not None else None
            kind = MovementKind.RETURN if quantity > 0 else MovementKind.SALE
            if not (ln.damaged and quantity > 0):
                moves.append(
                    Movement(
                        new_id(at), at, ln.sku, location, kind, quantity, "",
                        reference, document, ln.line_no, cost, "",
                    )
                )  # fmt: skip
                continue
            if damaged_to is False:
                damaged_to = next(
                    (loc.damaged_to for loc in uow.locations() if loc.id == location), None
                )
            where = damaged_to if isinstance(damaged_to, str) else location
            moves.append(
                Movement(
                    new_id(at), at, ln.sku, where, kind, quantity, "damaged",
                    reference, document, ln.line_no, cost, "",
                )
            )  # fmt: skip
            if not isinstance(damaged_to, str):  # nowhere for damaged goods: written off at once
                moves.append(
                    Movement(
                        new_id(at), at, ln.sku, location, MovementKind.ADJUSTMENT,
                        EXACT.minus(quantity), AdjustmentReason.DAMAGE.value,
                        reference, document, ln.line_no, cost, "returned damaged",
                    )
                )  # fmt: skip
        self._move(uow, moves, items)

    def _move(
        self,
        uow: UnitOfWork,
        moves: Sequence[Movement],
        items: Mapping[str, StockItem] | None = None,
    ) -> list[StockLevel]:
        """Append movements, refuse a blocking item going below zero, note reorder crossings."""
        if not moves:
            return []
        if items is None:
            items = uow.stock_items({m.sku for m in moves})
        deltas: dict[tuple[str, str], Decimal] = {}
        for m in moves:
            key = (m.sku, m.location_id)
            deltas[key] = EXACT.add(deltas.get(key, ZERO), m.quantity)
        levels = uow.move_stock(moves)
        for level in levels:
            delta = deltas[(level.sku, level.location_id)]
            item = items.get(level.sku)
            policy = item.negative if item is not None else NegativeStock.ALLOW
            if delta < 0 and level.available < 0:
                if policy is NegativeStock.BLOCK:
                    raise InsufficientStockError(
                        level.sku,
                        level.location_id,
                        EXACT.minus(delta),
                        EXACT.subtract(level.available, delta),
                    )
                if policy is NegativeStock.WARN:
                    log.warning(
                        "%s at %s went below zero (on hand %s): count it or receive stock",
                        level.sku,
                        level.location_id,
                        level.on_hand,
                    )
            self._note_crossing(uow, level)
        return levels

    def _note_crossing(self, uow: UnitOfWork, level: StockLevel) -> None:
        point = level.reorder_point
        low = point is not None and level.available <= point
        if low != level.low:
            uow.set_low(level.sku, level.location_id, low)
            if low:
                self._crossings.append(attrs.evolve(level, low=True))

    def _after_commit(self) -> None:
        """Tell the plugins about levels that crossed their reorder point (once each)."""
        crossings, self._crossings = self._crossings, []
        if not crossings:
            return
        suggestions = {
            (line.sku, s.location_id): (s, line)
            for s in self.suggest_orders(skus={c.sku for c in crossings})
            for line in s.lines
        }
        for level in crossings:
            found = suggestions.get((level.sku, level.location_id))
            suggestion = None if found is None else attrs.evolve(found[0], lines=(found[1],))
            self._store._notify(
                self._store.plugins.hook.possdk_stock_low, level=level, suggestion=suggestion
            )
        if self._store.settings.auto_reorder:
            try:
                self.create_draft_orders(skus={c.sku for c in crossings})
            except Exception:
                log.exception("automatic reordering failed; the stock change itself is kept")

    # ---- adjustments, receipts without an order, reservations ---------------------------

    def adjust(
        self,
        sku: str,
        quantity: QuantityLike,
        *,
        reason: AdjustmentReason | str,
        location: str | None = None,
        note: str = "",
    ) -> Movement:
        """Correct stock by hand with a reason: ``adjust("MILK", -2, reason="damage")``.

        Damage, theft and expiry take stock out (a negative quantity); found
        puts it in; other goes either way and needs a note.

        Raises:
            InventoryError: a quantity of the wrong sign or finer than the item's
                unit, an unknown item or location, or no note for "other".
            InsufficientStockError: a blocking item would go below zero.
        """
        why = _enum(AdjustmentReason, reason, "reason")
        qty = self._quantity(sku, quantity, signed=True)
        if why.direction and (qty > 0) != (why.direction > 0):
            sign = "negative (stock out)" if why.direction < 0 else "positive (stock in)"
            raise InventoryError(
                f"{why.value} adjustments are {sign}: give {sku!r} a quantity like "
                f"{'-' if why.direction < 0 else ''}{abs(qty)}"
            )
        if why is AdjustmentReason.OTHER and not note.strip():
            raise InventoryError("an adjustment for reason 'other' needs a note saying why")
        loc = self._active_location(location)
        at = self._store.clock.now()
        move = Movement(
            self._store.ids.new(at),
            at,
            sku,
            loc,
            MovementKind.ADJUSTMENT,
            qty,
            why.value,
            note=note[:200],
        )

        def work(uow: UnitOfWork) -> Movement:
            items = uow.stock_items([sku])
            item = items.get(sku)
            kept = attrs.evolve(move, unit_cost=item.average_cost if item else None)
            self._move(uow, [kept], items)
            self._journaled(uow, "StockAdjusted", kept)
            return kept

        return self._run(work)

    def receive_stock(
        self,
        lines: Mapping[str, QuantityLike] | Iterable[tuple[str, QuantityLike, Any]],
        *,
        location: str | None = None,
        reference: str = "",
        note: str = "",
    ) -> tuple[Movement, ...]:
        """Receive goods without a purchase order: ``{"MILK": 12}`` or ``[("MILK", 12, "21.50")]``.

        A cost given with a line updates the item's average cost.
        """
        loc = self._active_location(location)
        parsed = self._lines(lines)
        at = self._store.clock.now()
        moves = [
            Movement(
                self._store.ids.new(at),
                at,
                sku,
                loc,
                MovementKind.RECEIPT,
                qty,
                reference=reference[:64],
                line_no=n,
                unit_cost=cost,
                note=note[:200],
            )
            for n, (sku, qty, cost) in enumerate(parsed, 1)
        ]

        def work(uow: UnitOfWork) -> tuple[Movement, ...]:
            for m in moves:
                self._receive_cost(uow, m.sku, m.quantity, m.unit_cost)
            self._move(uow, moves)
            self._journaled(uow, "StockReceived", {"location": loc, "movements": moves})
            return tuple(moves)

        return self._run(work)

    def reserve(
        self, sku: str, quantity: QuantityLike, *, reference: str, location: str | None = None
    ) -> Reservation:
        """Hold stock for an order not handed over yet (it stops counting as available).

        Raises:
            InsufficientStockError: a blocking item has not that much available.
        """
        qty = self._quantity(sku, quantity)
        loc = self._active_location(location)
        if not reference.strip():
            raise InventoryError("a reservation needs a reference (the order it is for)")
        at = self._store.clock.now()
        reservation = Reservation(self._store.ids.new(at), sku, loc, qty, reference[:64], at)

        def work(uow: UnitOfWork) -> Reservation:
            items = uow.stock_items([sku])
            level = uow.add_reserved(sku, loc, qty)
            item = items.get(sku)
            if item is not None and item.negative is NegativeStock.BLOCK and level.available < 0:
                raise InsufficientStockError(sku, loc, qty, EXACT.add(level.available, qty))
            uow.put_reservation(reservation)
            self._note_crossing(uow, level)
            self._journaled(uow, "StockReserved", reservation)
            return reservation

        return self._run(work)

    def release(self, reservation: Reservation | uuid.UUID) -> None:
        """Give reserved stock back to available (the order was handed over or cancelled)."""
        rid = reservation.id if isinstance(reservation, Reservation) else reservation

        def work(uow: UnitOfWork) -> None:
            kept = uow.reservation(rid, lock=True)
            if kept is None:
                raise InventoryError(f"no open reservation {rid}: released already, or unknown")
            level = uow.add_reserved(kept.sku, kept.location_id, EXACT.minus(kept.quantity))
            uow.release_reservation(rid, self._store.clock.now())
            self._note_crossing(uow, level)
            self._journaled(uow, "StockReleased", kept)

        self._run(work)

    def reservations(self) -> tuple[Reservation, ...]:
        """Open reservations, oldest first."""
        return tuple(self._store._read(lambda uow: uow.open_reservations()))

    # ---- reordering ------------------------------------------------------------------

    def set_reorder_rule(
        self, sku: str, rule: ReorderRule | None, *, location: str | None = None
    ) -> StockLevel:
        """Set (or with None, drop) an item's reorder rule at a location; the level after.

        A velocity rule is computed at once from the sales so far.
        """
        self._store.catalog.get(sku)
        if rule is not None and rule.method is ReorderMethod.FIXED:
            for value in (rule.reorder_point, rule.order_up_to):
                self._quantity(sku, value, zero=True)  # in the item's unit, like any quantity
        loc = self._active_location(location)
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> StockLevel:
            point, up_to = self._points(uow, sku, loc, rule, now)
            level = uow.stock_level(sku, loc, lock=True) or StockLevel(sku, loc, ZERO)
            text = None if rule is None else _json(rule)
            uow.put_reorder_rule(sku, loc, text, point, up_to, level.low)
            level = attrs.evolve(level, reorder_point=point, order_up_to=up_to)
            self._note_crossing(uow, level)
            payload = {"sku": sku, "location": loc, "rule": rule, "reorder_point": point}
            self._journaled(uow, "ReorderRuleSet", payload)
            return attrs.evolve(level, low=point is not None and level.available <= point)

        return self._run(work)

    def recompute_reorder_points(self) -> tuple[StockLevel, ...]:
        """Recompute every velocity rule from recent sales (run it daily); the levels changed."""
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> tuple[StockLevel, ...]:
            from possdk.storage._codec import loads

            changed = []
            for sku, loc, text in uow.reorder_rules():
                rule = loads(text, ReorderRule)
                if rule.method is not ReorderMethod.VELOCITY or sku not in self._store.catalog:
                    continue
                point, up_to = self._points(uow, sku, loc, rule, now)
                level = uow.stock_level(sku, loc, lock=True) or StockLevel(sku, loc, ZERO)
                if (point, up_to) == (level.reorder_point, level.order_up_to):
                    continue
                uow.set_points(sku, loc, point, up_to, level.low)
                level = attrs.evolve(level, reorder_point=point, order_up_to=up_to)
                self._note_crossing(uow, level)
                changed.append(level)
            if changed:
                self._journaled(
                    uow,
                    "ReorderPointsComputed",
                    [
                        {"sku": lv.sku, "location": lv.location_id, "point": lv.reorder_point}
                        for lv in changed
                    ],
                )
            return tuple(changed)

        return self._run(work)

    def velocity(self, sku: str, *, days: int, location: str | None = None) -> Decimal:
        """Net quantity sold per day over the last ``days`` (sales minus returns)."""
        self._store.catalog.get(sku)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise InventoryError(f"days must be a whole number of at least 1, got {days!r}")
        loc = location or DEFAULT_LOCATION
        now = self._store.clock.now()
        sold = self._store._read(
            lambda uow: uow.net_sold(loc, now - timedelta(days=days), now)
        ).get(sku, ZERO)
        return DIV.divide(max(sold, ZERO), Decimal(days))

    def _points(
        self,
        uow: UnitOfWork,
        sku: str,
        location: str,
        rule: ReorderRule | None,
        now: datetime,
    ) -> tuple[Decimal | None, Decimal | None]:
        if rule is None:
            return None, None
        if rule.method is ReorderMethod.FIXED:
            return rule.reorder_point, rule.order_up_to
        since = now - timedelta(days=rule.window_days)
        sold = uow.net_sold(location, since, now).get(sku, ZERO)
        daily = DIV.divide(max(sold, ZERO), Decimal(rule.window_days))
        step = Decimal(1).scaleb(-self._store.catalog.get(sku).decimals)
        point = DIV.add(DIV.multiply(daily, Decimal(rule.lead_time_days)), rule.safety_stock)
        cover = DIV.multiply(daily, Decimal(rule.lead_time_days + rule.review_days))
        up_to = DIV.add(cover, rule.safety_stock)
        return (
            plain(quantize(point, step, RoundingMode.CEILING)),
            plain(quantize(up_to, step, RoundingMode.CEILING)),
        )

    def suggest_orders(
        self, *, location: str | None = None, skus: Iterable[str] | None = None
    ) -> tuple[OrderSuggestion, ...]:
        """What to order, grouped by supplier and location.

        An item is due when available plus on order (sent purchase orders not
        yet received) is at or below its reorder point; the suggestion brings
        it to the order-up-to level in whole packs, at least the supplier's
        minimum. Suggestions go to the preferred supplier, else the cheapest.
        """
        if location is not None:
            self.location(location)  # an unknown one is named, not read as empty
        wanted = None if skus is None else set(skus)

        def read(uow: UnitOfWork) -> tuple[OrderSuggestion, ...]:
            levels = [
                lv
                for lv in uow.stock_levels(location_id=location, skus=wanted)
                if lv.reorder_point is not None
            ]
            if not levels:
                return ()
            on_order: dict[tuple[str, str], Decimal] = {}
            for po in self._orders(
                uow, (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED)
            ):
                for line in po.lines:
                    key = (line.sku, po.location_id)
                    on_order[key] = EXACT.add(on_order.get(key, ZERO), line.outstanding)
            offers: dict[str, list[SupplierItem]] = {}
            for kept in uow.supplier_items():
                offers.setdefault(kept.sku, []).append(kept)
            groups: dict[tuple[str | None, str], list[SuggestedLine]] = {}
            for lv in levels:
                assert lv.reorder_point is not None
                ordered = on_order.get((lv.sku, lv.location_id), ZERO)
                position = EXACT.add(lv.available, ordered)
                if position > lv.reorder_point:
                    continue
                up_to = lv.order_up_to if lv.order_up_to is not None else lv.reorder_point
                offer = _best_offer(offers.get(lv.sku, []))
                need = max(EXACT.subtract(up_to, position), ZERO)
                qty = _order_quantity(need, offer)
                groups.setdefault(
                    (offer.supplier_id if offer else None, lv.location_id), []
                ).append(
                    SuggestedLine(
                        lv.sku,
                        qty,
                        lv.available,
                        ordered,
                        lv.reorder_point,
                        up_to,
                        offer.unit_cost if offer else None,
                        offer.supplier_code if offer else "",
                    )
                )
            return tuple(
                OrderSuggestion(supplier, loc, tuple(lines))
                for (supplier, loc), lines in sorted(
                    groups.items(), key=lambda kv: (kv[0][0] is None, kv[0][0] or "", kv[0][1])
                )
            )

        return self._store._read(read)

    def create_draft_orders(
        self, *, location: str | None = None, skus: Iterable[str] | None = None
    ) -> tuple[PurchaseOrder, ...]:
        """Turn suggestions into draft purchase orders (one per supplier and location).

        An existing draft for the same supplier and location is topped up
        rather than duplicated, so running this again changes nothing.
        Items without a supplier are left out (see :meth:`suggest_orders`).
        """
        made = []
        for suggestion in self.suggest_orders(location=location, skus=skus):
            if suggestion.supplier_id is None:
                continue
            made.append(self._draft_for(suggestion))
        return tuple(made)

    def _draft_for(self, suggestion: OrderSuggestion) -> PurchaseOrder:
        assert suggestion.supplier_id is not None
        supplier_id = suggestion.supplier_id

        def work(uow: UnitOfWork) -> PurchaseOrder:
            drafts = [
                po
                for po in self._orders(uow, (PurchaseOrderStatus.DRAFT,))
                if po.supplier_id == supplier_id and po.location_id == suggestion.location_id
            ]
            now = self._store.clock.now()
            if drafts:
                po = self._order_locked(uow, drafts[0].id)
                lines = list(po.lines)
                by_sku = {ln.sku: i for i, ln in enumerate(lines)}
                for s in suggestion.lines:
                    if s.sku in by_sku:
                        i = by_sku[s.sku]
                        if lines[i].quantity < s.quantity:
                            lines[i] = attrs.evolve(lines[i], quantity=s.quantity)
                    else:
                        lines.append(
                            PurchaseOrderLine(
                                len(lines) + 1,
                                s.sku,
                                s.quantity,
                                s.unit_cost,
                                ZERO,
                                s.supplier_code,
                            )
                        )
                if tuple(lines) == po.lines:
                    return po  # already covers the suggestion: nothing to write or journal
                po = attrs.evolve(po, lines=tuple(lines))
                self._save_order(uow, po, now, "PurchaseOrderChanged")
                return po
            return self._new_order(
                uow,
                supplier_id,
                suggestion.location_id,
                [
                    PurchaseOrderLine(n, s.sku, s.quantity, s.unit_cost, ZERO, s.supplier_code)
                    for n, s in enumerate(suggestion.lines, 1)
                ],
                now,
                "made from reorder suggestions",
            )

        return self._run(work)

    # ---- suppliers -----------------------------------------------------------------

    def add_supplier(self, supplier: Supplier) -> Supplier:
        """Add (or change) a supplier."""
        self._run(lambda uow: self._journaled(uow, "SupplierSaved", supplier, uow.put_supplier))
        return supplier

    def suppliers(self) -> tuple[Supplier, ...]:
        """Every supplier."""
        return tuple(self._store._read(lambda uow: uow.suppliers()))

    def set_supplier_item(self, item: SupplierItem) -> SupplierItem:
        """Say what a supplier calls an item, charges for it and how it is ordered.

        Raises:
            InventoryError: unknown supplier.
            ProductNotFoundError: unknown item.
        """
        self._store.catalog.get(item.sku)
        self._supplier(item.supplier_id)
        self._quantity(item.sku, item.pack_size)
        if item.min_order:
            self._quantity(item.sku, item.min_order)
        self._run(
            lambda uow: self._journaled(uow, "SupplierItemSaved", item, uow.put_supplier_item)
        )
        return item

    def supplier_items(
        self, *, sku: str | None = None, supplier: str | None = None
    ) -> tuple[SupplierItem, ...]:
        """Supplier items, filtered."""
        return tuple(
            self._store._read(lambda uow: uow.supplier_items(sku=sku, supplier_id=supplier))
        )

    def _supplier(self, supplier_id: str) -> Supplier:
        for s in self.suppliers():
            if s.id == supplier_id:
                return s
        raise InventoryError(
            f"unknown supplier {supplier_id!r}: add it with store.inventory.add_supplier() first"
        )

    # ---- purchase orders -------------------------------------------------------------

    def create_order(
        self,
        supplier: str,
        lines: Mapping[str, QuantityLike] | Iterable[tuple[str, QuantityLike, Any]],
        *,
        location: str | None = None,
        note: str = "",
    ) -> PurchaseOrder:
        """A draft purchase order: ``create_order("dairy-co", {"MILK": 24})``.

        Costs and supplier codes come from the supplier's items unless a
        line gives a cost (``("MILK", 24, "21.50")``).
        """
        self._supplier(supplier)
        loc = self._active_location(location)
        parsed = self._lines(lines)
        offers = {o.sku: o for o in self.supplier_items(supplier=supplier)}
        po_lines = []
        for n, (sku, qty, cost) in enumerate(parsed, 1):
            offer = offers.get(sku)
            po_lines.append(
                PurchaseOrderLine(
                    n,
                    sku,
                    qty,
                    cost if cost is not None else (offer.unit_cost if offer else None),
                    ZERO,
                    offer.supplier_code if offer else "",
                )
            )

        def work(uow: UnitOfWork) -> PurchaseOrder:
            return self._new_order(
                uow, supplier, loc, po_lines, self._store.clock.now(), note[:200]
            )

        return self._run(work)

    def order(self, ref: uuid.UUID | str) -> PurchaseOrder:
        """A purchase order by id or number."""
        return self._document(_PO, ref, PurchaseOrder)

    def orders(
        self, *, status: PurchaseOrderStatus | str | None = None
    ) -> tuple[PurchaseOrder, ...]:
        """Purchase orders, oldest first (of one status, if given)."""
        wanted = None if status is None else (_enum(PurchaseOrderStatus, status, "status"),)
        return tuple(self._store._read(lambda uow: self._orders(uow, wanted)))

    def set_order_line(
        self, ref: uuid.UUID | str, sku: str, quantity: QuantityLike, *, unit_cost: Any = None
    ) -> PurchaseOrder:
        """Change (or with 0, remove) a line of a draft order, or add one."""
        qty = self._quantity(sku, quantity, zero=True)
        cost = _cost_or_none(unit_cost)

        def work(uow: UnitOfWork) -> PurchaseOrder:
            po = self._order_locked(uow, ref)
            self._require_order(po, (PurchaseOrderStatus.DRAFT,), "change lines of")
            lines = [ln for ln in po.lines if ln.sku != sku]
            old = next((ln for ln in po.lines if ln.sku == sku), None)
            if qty:
                if old is not None:
                    lines.append(
                        attrs.evolve(
                            old, quantity=qty, unit_cost=cost if cost is not None else old.unit_cost
                        )
                    )
                else:
                    offer = next(
                        iter(uow.supplier_items(sku=sku, supplier_id=po.supplier_id)), None
                    )
                    lines.append(
                        PurchaseOrderLine(
                            0,
                            sku,
                            qty,
                            cost if cost is not None else (offer.unit_cost if offer else None),
                            ZERO,
                            offer.supplier_code if offer else "",
                        )
                    )
            lines.sort(key=lambda ln: ln.line_no if ln.line_no else 10**9)
            renumbered = tuple(attrs.evolve(ln, line_no=n) for n, ln in enumerate(lines, 1))
            po = attrs.evolve(po, lines=renumbered)
            self._save_order(uow, po, self._store.clock.now(), "PurchaseOrderChanged")
            return po

        return self._run(work)

    def send_order(self, ref: uuid.UUID | str) -> PurchaseOrder:
        """Mark a draft order sent to the supplier (its lines are then on order)."""

        def work(uow: UnitOfWork) -> PurchaseOrder:
            po = self._order_locked(uow, ref)
            self._require_order(po, (PurchaseOrderStatus.DRAFT,), "send")
            if not po.lines:
                raise StockDocumentError(f"{po.number} has no lines: add some before sending it")
            now = self._store.clock.now()
            po = attrs.evolve(po, status=PurchaseOrderStatus.SENT, sent_at=now)
            self._save_order(uow, po, now, "PurchaseOrderSent")
            return po

        return self._run(work)

    def receive_order(
        self,
        ref: uuid.UUID | str,
        quantities: Mapping[str, QuantityLike] | None = None,
        *,
        costs: Mapping[str, Any] | None = None,
        allow_over: bool = False,
        note: str = "",
    ) -> PurchaseOrder:
        """Receive goods against a sent order (everything outstanding if no quantities given).

        Under-deliveries leave the order partially received (receive again,
        or :meth:`close_order` it short); over-deliveries and items not on
        the order are refused unless ``allow_over=True`` (then recorded as
        such). Costs (the order's, or ``costs=``) update average costs.

        Raises:
            StockDocumentError: the order is not sent, or an over-delivery was not allowed.
        """
        asked = None
        if quantities is not None:
            asked = {sku: self._quantity(sku, q) for sku, q in quantities.items()}
            if not asked:
                raise InventoryError("nothing to receive: give at least one item and quantity")
        given_costs = {sku: _cost_or_none(c) for sku, c in (costs or {}).items()}

        def work(uow: UnitOfWork) -> PurchaseOrder:
            po = self._order_locked(uow, ref)
            self._require_order(
                po, (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED), "receive"
            )
            self._active_location(po.location_id, uow)
            wanted = (
                asked
                if asked is not None
                else {ln.sku: ln.outstanding for ln in po.lines if ln.outstanding > 0}
            )
            if not wanted:
                raise StockDocumentError(f"{po.number} has nothing outstanding to receive")
            lines = {ln.sku: ln for ln in po.lines}
            for sku, qty in wanted.items():
                line = lines.get(sku)
                if line is None:
                    if not allow_over:
                        raise StockDocumentError(
                            f"{sku!r} is not on {po.number}: pass allow_over=True to take "
                            f"goods that were not ordered"
                        )
                    lines[sku] = PurchaseOrderLine(len(lines) + 1, sku, ZERO, None, qty)
                    continue
                after = EXACT.add(line.received, qty)
                if after > line.quantity and not allow_over:
                    raise StockDocumentError(
                        f"{po.number} line {line.line_no} ({sku}): ordered {line.quantity}, "
                        f"received {line.received}; {qty} more is "
                        f"{EXACT.subtract(after, line.quantity)} over: pass allow_over=True to "
                        f"accept an over-delivery"
                    )
                lines[sku] = attrs.evolve(line, received=after)
            now = self._store.clock.now()
            moves = []
            for sku, qty in wanted.items():
                line = lines[sku]
                cost = given_costs.get(sku)
                if cost is None:
                    cost = line.unit_cost
                self._receive_cost(uow, sku, qty, cost)
                moves.append(
                    Movement(
                        self._store.ids.new(now),
                        now,
                        sku,
                        po.location_id,
                        MovementKind.RECEIPT,
                        qty,
                        reference=po.number,
                        document_id=po.id,
                        line_no=line.line_no,
                        unit_cost=cost,
                        note=note[:200],
                    )
                )
            self._move(uow, moves)
            done = all(ln.received >= ln.quantity for ln in lines.values())
            po = attrs.evolve(
                po,
                lines=tuple(sorted(lines.values(), key=lambda ln: ln.line_no)),
                status=PurchaseOrderStatus.RECEIVED
                if done
                else PurchaseOrderStatus.PARTIALLY_RECEIVED,
                closed_at=now if done else None,
            )
            self._save_order(uow, po, now, "PurchaseOrderReceived", extra={"movements": moves})
            return po

        return self._run(work)

    def close_order(self, ref: uuid.UUID | str) -> PurchaseOrder:
        """Close a partially received order short: the rest is not coming."""

        def work(uow: UnitOfWork) -> PurchaseOrder:
            po = self._order_locked(uow, ref)
            self._require_order(
                po, (PurchaseOrderStatus.SENT, PurchaseOrderStatus.PARTIALLY_RECEIVED), "close"
            )
            now = self._store.clock.now()
            po = attrs.evolve(po, status=PurchaseOrderStatus.CLOSED, closed_at=now)
            self._save_order(uow, po, now, "PurchaseOrderClosed")
            return po

        return self._run(work)

    def cancel_order(self, ref: uuid.UUID | str) -> PurchaseOrder:
        """Cancel an order nothing was received against."""

        def work(uow: UnitOfWork) -> PurchaseOrder:
            po = self._order_locked(uow, ref)
            self._require_order(po, (PurchaseOrderStatus.DRAFT, PurchaseOrderStatus.SENT), "cancel")
            now = self._store.clock.now()
            po = attrs.evolve(po, status=PurchaseOrderStatus.CANCELLED, closed_at=now)
            self._save_order(uow, po, now, "PurchaseOrderCancelled")
            return po

        return self._run(work)

    def _new_order(
        self,
        uow: UnitOfWork,
        supplier: str,
        location: str,
        lines: Sequence[PurchaseOrderLine],
        now: datetime,
        note: str,
    ) -> PurchaseOrder:
        number = f"PO-{uow.next_counter('purchase_order'):06d}"
        po = PurchaseOrder(
            self._store.ids.new(now),
            number,
            supplier,
            location,
            PurchaseOrderStatus.DRAFT,
            tuple(lines),
            now,
            note=note,
        )
        self._save_order(uow, po, now, "PurchaseOrderCreated", new=True)
        return po

    def _save_order(
        self,
        uow: UnitOfWork,
        po: PurchaseOrder,
        now: datetime,
        event: str,
        *,
        new: bool = False,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        body = _json(po)
        payload = body if not extra else _json({"order": po, **extra})
        self._keep_document(
            uow, _PO, po.id, po.number, po.status.value, po.location_id, po.created_at,
            now, event, body, payload, new=new,
        )  # fmt: skip

    def _orders(
        self, uow: UnitOfWork, statuses: Sequence[PurchaseOrderStatus] | None
    ) -> list[PurchaseOrder]:
        from possdk.storage._codec import loads

        wanted = None if statuses is None else [s.value for s in statuses]
        return [loads(body, PurchaseOrder) for body in uow.stock_documents(_PO, wanted)]

    def _order_locked(self, uow: UnitOfWork, ref: uuid.UUID | str) -> PurchaseOrder:
        from possdk.storage._codec import loads

        body = uow.stock_document(_PO, ref, lock=True)
        if body is None:
            raise StockDocumentError(f"no purchase order {ref}")
        return loads(body, PurchaseOrder)

    @staticmethod
    def _require_order(
        po: PurchaseOrder, allowed: Sequence[PurchaseOrderStatus], action: str
    ) -> None:
        if po.status not in allowed:
            names = " or ".join(s.value for s in allowed)
            raise StockDocumentError(
                f"cannot {action} {po.number}: it is {po.status.value}, not {names}"
            )

    def _receive_cost(
        self, uow: UnitOfWork, sku: str, quantity: Decimal, cost: Decimal | None
    ) -> None:
        """Move an item's average cost for a receipt (before its movement is written)."""
        if cost is None:
            return
        item = uow.stock_items([sku], lock=True).get(sku) or StockItem(sku)
        before = uow.on_hand_total(sku)
        if item.average_cost is None or before <= 0:
            average = cost
        else:
            value = EXACT.add(
                EXACT.multiply(before, item.average_cost), EXACT.multiply(quantity, cost)
            )
            average = DIV.divide(value, EXACT.add(before, quantity))
        average = plain(quantize(average, COST_QUANTUM, RoundingMode.HALF_EVEN))
        uow.put_stock_item(attrs.evolve(item, average_cost=average, last_cost=cost))

    # ---- transfers -------------------------------------------------------------------

    def send_transfer(
        self,
        from_location: str,
        to_location: str,
        lines: Mapping[str, QuantityLike],
        *,
        note: str = "",
    ) -> Transfer:
        """Send stock to another location: it leaves now and is in transit until received.

        Raises:
            InsufficientStockError: a blocking item has not that much available.
        """
        source = self._active_location(from_location)
        target = self._active_location(to_location)
        if source == target:
            raise InventoryError(f"a transfer needs two different locations, got {source!r} twice")
        parsed = self._lines(lines)
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> Transfer:
            number = f"TR-{uow.next_counter('transfer'):06d}"
            transfer = Transfer(
                self._store.ids.new(now),
                number,
                source,
                target,
                TransferStatus.IN_TRANSIT,
                tuple(TransferLine(n, sku, qty) for n, (sku, qty, _) in enumerate(parsed, 1)),
                now,
                note=note[:200],
            )
            items = uow.stock_items({sku for sku, _, _ in parsed})
            moves = [
                Movement(
                    self._store.ids.new(now),
                    now,
                    ln.sku,
                    source,
                    MovementKind.TRANSFER_OUT,
                    EXACT.minus(ln.quantity),
                    reference=number,
                    document_id=transfer.id,
                    line_no=ln.line_no,
                    unit_cost=items[ln.sku].average_cost if ln.sku in items else None,
                )
                for ln in transfer.lines
            ]
            self._move(uow, moves, items)
            self._save_transfer(uow, transfer, now, "TransferSent", new=True)
            return transfer

        return self._run(work)

    def receive_transfer(
        self, ref: uuid.UUID | str, received: Mapping[str, QuantityLike] | None = None
    ) -> Transfer:
        """Take a transfer in at its destination (all of it, or what actually arrived).

        Less than was sent records the difference as lost in transit on the
        transfer; more than was sent is refused.
        """
        got = None
        if received is not None:
            got = {sku: self._quantity(sku, q, zero=True) for sku, q in received.items()}

        def work(uow: UnitOfWork) -> Transfer:
            from possdk.storage._codec import loads

            body = uow.stock_document(_TRANSFER, ref, lock=True)
            if body is None:
                raise StockDocumentError(f"no transfer {ref}")
            transfer = loads(body, Transfer)
            if transfer.status is not TransferStatus.IN_TRANSIT:
                raise StockDocumentError(f"{transfer.number} was received already")
            self._active_location(transfer.to_location, uow)
            sent = {ln.sku for ln in transfer.lines}
            if got is not None and set(got) - sent:
                extra = ", ".join(sorted(set(got) - sent))
                raise StockDocumentError(f"{extra} not on {transfer.number}: nothing received")
            now = self._store.clock.now()
            items = uow.stock_items(sent)
            lines = []
            moves = []
            for ln in transfer.lines:
                qty = ln.quantity if got is None else got.get(ln.sku, ZERO)
                if qty > ln.quantity:
                    raise StockDocumentError(
                        f"{transfer.number} sent {ln.quantity} of {ln.sku!r}; "
                        f"{qty} cannot have arrived"
                    )
                lines.append(attrs.evolve(ln, received=qty))
                if qty:
                    moves.append(
                        Movement(
                            self._store.ids.new(now),
                            now,
                            ln.sku,
                            transfer.to_location,
                            MovementKind.TRANSFER_IN,
                            qty,
                            reference=transfer.number,
                            document_id=transfer.id,
                            line_no=ln.line_no,
                            unit_cost=items[ln.sku].average_cost if ln.sku in items else None,
                        )
                    )
            self._move(uow, moves, items)
            transfer = attrs.evolve(
                transfer, lines=tuple(lines), status=TransferStatus.RECEIVED, received_at=now
            )
            self._save_transfer(uow, transfer, now, "TransferReceived")
            return transfer

        return self._run(work)

    def transfer(self, ref: uuid.UUID | str) -> Transfer:
        """A transfer by id or number."""
        return self._document(_TRANSFER, ref, Transfer)

    def transfers(self, *, status: TransferStatus | str | None = None) -> tuple[Transfer, ...]:
        """Transfers, oldest first (of one status, if given)."""
        from possdk.storage._codec import loads

        wanted = None if status is None else [_enum(TransferStatus, status, "status").value]
        bodies = self._store._read(lambda uow: uow.stock_documents(_TRANSFER, wanted))
        return tuple(loads(b, Transfer) for b in bodies)

    def _save_transfer(
        self, uow: UnitOfWork, transfer: Transfer, now: datetime, event: str, *, new: bool = False
    ) -> None:
        body = _json(transfer)
        self._keep_document(
            uow, _TRANSFER, transfer.id, transfer.number, transfer.status.value,
            transfer.from_location, transfer.sent_at, now, event, body, body, new=new,
        )  # fmt: skip

    # ---- counts ----------------------------------------------------------------------

    def start_count(
        self, location: str | None = None, *, skus: Iterable[str] | None = None
    ) -> StockCount:
        """Start a full count of a location, or a cycle count of some items.

        Selling goes on while counting: each counted quantity remembers what
        the books said when it was entered, and finishing books only the
        difference found then.
        """
        loc = self._active_location(location)
        scope = None
        if skus is not None:
            scope = tuple(sorted(set(skus)))
            if not scope:
                raise InventoryError("a cycle count needs at least one item (or skus=None for all)")
            for sku in scope:
                self._store.catalog.get(sku)
        now = self._store.clock.now()

        def work(uow: UnitOfWork) -> StockCount:
            count = StockCount(
                self._store.ids.new(now),
                f"CNT-{uow.next_counter('count'):06d}",
                loc,
                scope,
                StockCountStatus.OPEN,
                now,
            )
            self._save_count(uow, count, None, now, "StockCountStarted", new=True)
            return count

        return self._run(work)

    def record_count(
        self, ref: uuid.UUID | str, sku: str, quantity: QuantityLike, *, add: bool = False
    ) -> CountLine:
        """Enter what was counted of an item (``add=True`` adds to what was counted so far)."""
        qty = self._quantity(sku, quantity, zero=True)

        def work(uow: UnitOfWork) -> CountLine:
            count, _ = self._count_locked(uow, ref)
            if count.status is not StockCountStatus.OPEN:
                raise StockDocumentError(
                    f"{count.number} is {count.status.value}; start a new count"
                )
            if count.skus is not None and sku not in count.skus:
                raise InventoryError(
                    f"{sku!r} is not part of cycle count {count.number} ({', '.join(count.skus)})"
                )
            level = uow.stock_level(sku, count.location_id, lock=True)
            book = level.on_hand if level is not None else ZERO
            counted = qty
            if add:
                before = uow.count_lines(count.id, sku=sku)
                if before:
                    counted = EXACT.add(before[0].counted, qty)
            line = CountLine(sku, counted, book, self._store.clock.now())
            uow.put_count_line(count.id, line)
            # Journaled like every other stock operation: a counted quantity rewritten
            # before finishing leaves a trace.
            self._journaled(uow, "StockCounted", {"count": count.number, "line": line})
            return line

        return self._run(work)

    def scan_count(
        self, ref: uuid.UUID | str, code: str, quantity: QuantityLike | None = None
    ) -> CountLine:
        """Count by scanning: each scan adds one (or the weight a weighed label carries)."""
        match = self._store.catalog.scan(code)
        qty: QuantityLike
        if quantity is not None:
            qty = quantity
        elif match.quantity is not None:
            qty = match.quantity
        else:
            qty = 1
        return self.record_count(ref, match.product.sku, qty, add=True)

    def count_lines(self, ref: uuid.UUID | str) -> tuple[CountLine, ...]:
        """What a count has counted so far."""

        def read(uow: UnitOfWork) -> tuple[CountLine, ...]:
            count, _ = self._count_locked(uow, ref, lock=False)
            return tuple(uow.count_lines(count.id))

        return self._store._read(read)

    def count(self, ref: uuid.UUID | str) -> StockCount:
        """A count by id or number."""
        return self._store._read(lambda uow: self._count_locked(uow, ref, lock=False)[0])

    def count_result(self, ref: uuid.UUID | str) -> CountResult | None:
        """A finished count's variance report."""
        return self._store._read(lambda uow: self._count_locked(uow, ref, lock=False)[1])

    def finish_count(
        self, ref: uuid.UUID | str, *, zero_uncounted: bool | None = None
    ) -> CountResult:
        """Book the differences as count corrections; the variance report.

        ``zero_uncounted`` (the default for a full count) sets items with
        stock at the location that nobody counted to zero; a cycle count
        leaves its uncounted items as they are and lists them.

        Raises:
            InventoryError: a blocking item would go below zero (more was sold
                since it was counted than the count found): recount it.
        """

        def work(uow: UnitOfWork) -> CountResult:
            count, _ = self._count_locked(uow, ref)
            if count.status is not StockCountStatus.OPEN:
                raise StockDocumentError(f"{count.number} is {count.status.value} already")
            zero = count.is_full if zero_uncounted is None else zero_uncounted
            lines = {ln.sku: ln for ln in uow.count_lines(count.id)}
            now = self._store.clock.now()
            if zero:
                scope = count.skus
                for level in uow.stock_levels(location_id=count.location_id):
                    if level.sku in lines or level.on_hand == 0:
                        continue
                    if scope is not None and level.sku not in scope:
                        continue
                    lines[level.sku] = CountLine(level.sku, ZERO, level.on_hand, now)
            items = uow.stock_items(set(lines))
            code = self._store.settings.currency
            variances = []
            moves = []
            for sku in sorted(lines):
                ln = lines[sku]
                diff = EXACT.subtract(ln.counted, ln.book)
                item = items.get(sku)
                cost = item.average_cost if item is not None else None
                value = (
                    None
                    if cost is None
                    else Money(
                        quantize(
                            EXACT.multiply(diff, cost),
                            currency(code).quantum,
                            RoundingMode.HALF_EVEN,
                        ),
                        code,
                    )
                )
                variances.append(CountVariance(sku, ln.book, ln.counted, diff, cost, value))
                if diff:
                    moves.append(
                        Movement(
                            self._store.ids.new(now),
                            now,
                            sku,
                            count.location_id,
                            MovementKind.COUNT,
                            diff,
                            "count",
                            count.number,
                            count.id,
                            unit_cost=cost,
                        )
                    )
            try:
                self._move(uow, moves, items)
            except InsufficientStockError as exc:
                raise InventoryError(
                    f"{exc.sku!r} at {exc.location_id!r}: more was sold since it was counted "
                    f"than the count found, so it would go below zero; recount it with "
                    f"record_count() and finish again"
                ) from None
            counted_skus = set(lines)
            not_counted = (
                () if count.skus is None else tuple(s for s in count.skus if s not in counted_skus)
            )
            total = Money(_add(v.value.amount for v in variances if v.value is not None), code)
            finished = attrs.evolve(count, status=StockCountStatus.FINISHED, finished_at=now)
            result = CountResult(finished, tuple(variances), not_counted, total)
            self._save_count(uow, finished, result, now, "StockCountFinished")
            return result

        return self._run(work)

    def cancel_count(self, ref: uuid.UUID | str) -> StockCount:
        """Abandon an open count; nothing is booked."""

        def work(uow: UnitOfWork) -> StockCount:
            count, _ = self._count_locked(uow, ref)
            if count.status is not StockCountStatus.OPEN:
                raise StockDocumentError(f"{count.number} is {count.status.value} already")
            now = self._store.clock.now()
            count = attrs.evolve(count, status=StockCountStatus.CANCELLED, finished_at=now)
            self._save_count(uow, count, None, now, "StockCountCancelled")
            return count

        return self._run(work)

    def _count_locked(
        self, uow: UnitOfWork, ref: uuid.UUID | str, *, lock: bool = True
    ) -> tuple[StockCount, CountResult | None]:
        from possdk.storage._codec import loads

        body = uow.stock_document(_COUNT, ref, lock=lock)
        if body is None:
            raise StockDocumentError(f"no stock count {ref}")
        doc = loads(body, _CountDocument)
        return doc.count, doc.result

    def _save_count(
        self,
        uow: UnitOfWork,
        count: StockCount,
        result: CountResult | None,
        now: datetime,
        event: str,
        *,
        new: bool = False,
    ) -> None:
        body = _json(_CountDocument(count, result))
        self._keep_document(
            uow, _COUNT, count.id, count.number, count.status.value, count.location_id,
            count.started_at, now, event, body, body, new=new,
        )  # fmt: skip

    def _keep_document(
        self,
        uow: UnitOfWork,
        kind: str,
        document_id: uuid.UUID,
        number: str,
        status: str,
        location_id: str,
        created_at: datetime,
        now: datetime,
        event: str,
        body: str,
        payload: str,
        *,
        new: bool,
    ) -> None:
        """Keep a purchase order, transfer or count and journal the change, in one step."""
        uow.put_stock_document(
            kind=kind,
            id=document_id,
            number=number,
            status=status,
            location_id=location_id,
            created_at=created_at,
            updated_at=now,
            body=body,
            new=new,
        )
        self._store._journal(uow, INVENTORY_TERMINAL, event, payload, 0)

    # ---- valuation -------------------------------------------------------------------

    def valuation(self, location: str | None = None) -> StockValuation:
        """Stock at average cost (of one location, or the whole store).

        Each item's value is rounded half-even to the minor unit and the
        total is the sum of the rounded lines; negative stock counts as zero.
        """
        if location is not None:
            self.location(location)  # an unknown one is named, not valued at zero
        code = self._store.settings.currency
        quantum = currency(code).quantum

        def read(uow: UnitOfWork) -> StockValuation:
            on_hand: dict[str, Decimal] = {}
            for lv in uow.stock_levels(location_id=location):
                on_hand[lv.sku] = EXACT.add(on_hand.get(lv.sku, ZERO), max(lv.on_hand, ZERO))
            items = uow.stock_items(None)
            lines = []
            uncosted = []
            for sku in sorted(on_hand):
                qty = on_hand[sku]
                if qty <= 0:
                    continue
                item = items.get(sku)
                cost = item.average_cost if item is not None else None
                if cost is None:
                    uncosted.append(sku)
                    value = Money.zero(code)
                else:
                    value = Money(
                        quantize(EXACT.multiply(qty, cost), quantum, RoundingMode.HALF_EVEN), code
                    )
                lines.append(ValuationLine(sku, qty, cost, value))
            total = Money(_add(ln.value.amount for ln in lines), code)
            return StockValuation(location, tuple(lines), total, tuple(uncosted))

        return self._store._read(read)

    # ---- import and export (CSV) -------------------------------------------------------

    def import_items(self, source: _csv.CsvSource) -> int:
        """Set items' stock rules from CSV; the number of rows imported.

        Columns: ``sku,tracked,negative_stock,average_cost``. ``tracked`` is
        yes/no (true/false, 1/0), ``negative_stock`` allow/warn/block,
        ``average_cost`` a decimal cost per unit; only ``sku`` is required,
        and a column left out or a cell left empty keeps that rule as it is.
        ``source`` is a path, an open file or the CSV text (UTF-8, comma
        separated, header on line 1).

        Raises:
            CsvImportError: the file has problems, every one listed in
                ``problems`` as (line, column, message); nothing was imported.
        """
        return _csv.import_items(self, source)

    def export_items(self, path: _csv.CsvPath | None = None) -> str:
        """Every catalog product's stock rules as CSV text (also written to ``path``, if given).

        Columns: ``sku,tracked,negative_stock,average_cost``; the text
        imports back with :meth:`import_items`.
        """
        return _csv.export_items(self, path)

    def import_levels(self, source: _csv.CsvSource) -> int:
        """Set stock on hand and fixed reorder rules from CSV; the number of rows imported.

        Columns: ``sku,location,on_hand,reorder_point,order_up_to`` (the
        last two optional). On hand is set by a ``count`` movement with
        reason ``"import"`` of the difference, so the ledger stays the
        truth and importing the same file again writes nothing. Both reorder
        cells given set a fixed rule; both empty keep the rule as it is.
        Everything is applied in one transaction with one journal entry.

        Raises:
            CsvImportError: the file has problems (unknown items or locations,
                quantities finer than the item's unit, a blocking item below
                zero, ...), every one listed in ``problems`` as (line, column,
                message); nothing was imported.
        """
        return _csv.import_levels(self, source)

    def export_levels(
        self, path: _csv.CsvPath | None = None, *, location: str | None = None
    ) -> str:
        """Stock levels as CSV text (also written to ``path``, if given), of one location or all.

        Columns: ``sku,location,on_hand,reorder_point,order_up_to``. Levels
        holding nothing without a fixed reorder rule are left out, and so
        are the points of velocity rules (they are computed, not set); the
        text imports back with :meth:`import_levels`.
        """
        return _csv.export_levels(self, path, location=location)

    def import_suppliers(self, source: _csv.CsvSource) -> int:
        """Add or replace suppliers and their items from CSV; the number of rows imported.

        Columns: ``supplier_id,supplier_name,contact,sku,supplier_code,
        unit_cost,pack_size,min_order,preferred``, one row per supplier item
        (a supplier without items is a row with an empty ``sku``);
        ``supplier_id``, ``supplier_name`` and ``sku`` are required columns,
        the rest default to :class:`SupplierItem`'s defaults. Suppliers and
        items the file does not name are left as they are.

        Raises:
            CsvImportError: the file has problems, every one listed in
                ``problems`` as (line, column, message); nothing was imported.
        """
        return _csv.import_suppliers(self, source)

    def export_suppliers(self, path: _csv.CsvPath | None = None) -> str:
        """Every supplier and its items as CSV text (also written to ``path``, if given).

        Columns: ``supplier_id,supplier_name,contact,sku,supplier_code,
        unit_cost,pack_size,min_order,preferred``; the text imports back
        with :meth:`import_suppliers`.
        """
        return _csv.export_suppliers(self, path)

    # ---- internals -------------------------------------------------------------------

    def _run(self, work: Callable[[UnitOfWork], T]) -> T:
        def attempt(uow: UnitOfWork) -> T:
            self._crossings.clear()  # a retried attempt starts again
            return work(uow)

        result = self._store.backend.run(attempt)
        self._after_commit()
        return result

    def _journaled(
        self,
        uow: UnitOfWork,
        event: str,
        value: Any,
        put: Callable[[Any], None] | None = None,
    ) -> None:
        if put is not None:
            put(value)
        self._store._journal(uow, INVENTORY_TERMINAL, event, _json(value), 0)

    def _active_location(self, location: str | None, uow: UnitOfWork | None = None) -> str:
        loc = location or DEFAULT_LOCATION
        kept = uow.locations() if uow is not None else self.locations()
        for found in kept:
            if found.id == loc:
                if not found.active:
                    raise InventoryError(
                        f"location {loc!r} is inactive; reactivate it with add_location() first"
                    )
                return loc
        raise InventoryError(
            f"unknown location {loc!r}: add it with store.inventory.add_location() first"
        )

    def _quantity(
        self, sku: str, value: object, *, signed: bool = False, zero: bool = False
    ) -> Decimal:
        product = self._store.catalog.get(sku)
        try:
            qty = to_decimal(value, f"quantity of {sku!r}")
        except (TypeError, ValueError) as exc:
            raise InventoryError(str(exc)) from None
        if not qty.is_finite():
            raise InventoryError(f"quantity of {sku!r} must be a number, got {value!r}")
        if qty < 0 and not signed:
            raise InventoryError(f"quantity of {sku!r} cannot be negative, got {qty}")
        if qty == 0 and not zero:
            raise InventoryError(f"quantity of {sku!r} must not be zero")
        decimals = product.decimals
        if qty != qty.quantize(Decimal(1).scaleb(-decimals), context=EXACT_ROUNDING):
            if decimals == 0:
                raise InventoryError(
                    f"{sku!r} is counted in whole units ({product.unit.value}); got {qty}"
                )
            raise InventoryError(
                f"{sku!r} is counted in {product.unit.value} with at most {decimals} decimals; "
                f"got {qty}"
            )
        if abs(qty) > 1_000_000_000:
            raise InventoryError(f"quantity {qty} of {sku!r} is implausibly large; check it")
        return plain(qty) if qty else ZERO

    def _lines(
        self, lines: Mapping[str, QuantityLike] | Iterable[tuple[str, QuantityLike, Any]]
    ) -> list[tuple[str, Decimal, Decimal | None]]:
        if isinstance(lines, Mapping):
            raw: list[tuple[Any, ...]] = [(sku, q, None) for sku, q in lines.items()]
        else:
            raw = [tuple(row) for row in lines]
        if not raw:
            raise InventoryError("no lines: give at least one item and quantity")
        parsed: dict[str, tuple[str, Decimal, Decimal | None]] = {}
        for row in raw:
            if len(row) not in (2, 3):
                raise InventoryError(
                    f"a line is (sku, quantity) or (sku, quantity, cost), got {row!r}"
                )
            sku, qty = row[0], self._quantity(row[0], row[1])
            cost = _cost_or_none(row[2]) if len(row) == 3 else None
            if sku in parsed:
                raise InventoryError(f"{sku!r} is given twice: put it on one line")
            parsed[sku] = (sku, qty, cost)
        return list(parsed.values())

    def _document(self, kind: str, ref: uuid.UUID | str, cls: type[T]) -> T:
        from possdk.storage._codec import loads

        body = self._store._read(lambda uow: uow.stock_document(kind, ref))
        if body is None:
            raise StockDocumentError(f"no {kind.replace('_', ' ')} {ref}")
        return loads(body, cls)


@attrs.frozen
class _CountDocument:
    count: StockCount
    result: CountResult | None = None


def _best_offer(offers: Sequence[SupplierItem]) -> SupplierItem | None:
    if not offers:
        return None
    preferred = [o for o in offers if o.preferred]
    if preferred:
        return preferred[0]
    return min(
        offers,
        key=lambda o: (o.unit_cost is None, o.unit_cost or ZERO, o.supplier_id),
    )


def _order_quantity(need: Decimal, offer: SupplierItem | None) -> Decimal:
    """Whole packs covering ``need``, at least the minimum order; at least one pack."""
    pack = offer.pack_size if offer is not None else Decimal(1)
    minimum = offer.min_order if offer is not None else ZERO
    wanted = max(need, minimum)
    packs = DIV.divide(wanted, pack).to_integral_value(rounding=ROUND_CEILING, context=DIV)
    packs = max(packs, Decimal(1))
    return plain(EXACT.multiply(packs, pack))


def _enum(cls: type[Any], value: Any, what: str) -> Any:
    if isinstance(value, cls):
        return value
    try:
        return cls(value)
    except ValueError:
        names = ", ".join(repr(m.value) for m in cls)
        raise InventoryError(f"{what} {value!r} is not one of {names}") from None


def _cost_or_none(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Money):
        value = value.amount
    try:
        cost = to_decimal(value, "cost")
    except (TypeError, ValueError) as exc:
        raise InventoryError(str(exc)) from None
    if not cost.is_finite() or cost < 0:
        raise InventoryError(f"a cost must be a number of at least zero, got {value!r}")
    return cost


def _json(value: Any) -> str:
    from possdk.storage._codec import canonical, unstructure

    return canonical(unstructure(value))
