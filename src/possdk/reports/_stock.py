"""Inventory reports: stock on hand at cost, what is at or below its reorder point.

Thin typed views over :mod:`possdk.inventory` (which keeps the ledger and
does the sums), with the same text, CSV and JSON renderers as the sales
analytics, so ``possdk report stock`` prints them like the other reports.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

import attrs

from possdk.core._money import Money
from possdk.reports._analytics import _Tabular

if TYPE_CHECKING:
    from possdk._store import Store

__all__ = ["ReorderDue", "StockOnHand", "stock_reports"]


@attrs.frozen
class StockOnHand(_Tabular):
    """Stock on hand at average cost, per item (of one location or the whole store)."""

    location_id: str | None
    """The location, or None for all."""
    rows: tuple[tuple[str, str, Decimal, Decimal | None, Money], ...]
    """(SKU, name, on hand, average cost or None, value), items with stock."""
    total: Money
    """The value of it all."""
    uncosted: tuple[str, ...]
    """Items in stock with no cost (valued at zero): receive them with a cost."""

    _shrink = 1

    def _title(self) -> str:
        where = self.location_id or "all locations"
        return f"Stock on hand at cost, {where}: {format(self.total.amount, 'f')}"

    def _header(self) -> tuple[str, ...]:
        return ("sku", "name", "on_hand", "unit_cost", "value")

    def _rows(self) -> list[tuple[object, ...]]:
        return list(self.rows)


@attrs.frozen
class ReorderDue(_Tabular):
    """Items at or below their reorder point (available plus on order), with what to order."""

    rows: tuple[tuple[str, str, str, Decimal, Decimal, Decimal, Decimal, str], ...]
    """(location, SKU, name, available, on order, reorder point, suggested, supplier)."""

    _shrink = 2

    def _title(self) -> str:
        return f"At or below the reorder point: {len(self.rows)} item(s)"

    def _header(self) -> tuple[str, ...]:
        return (
            "location",
            "sku",
            "name",
            "available",
            "on_order",
            "reorder_point",
            "suggested",
            "supplier",
        )

    def _rows(self) -> list[tuple[object, ...]]:
        return list(self.rows)


def stock_reports(store: Store, location: str | None = None) -> tuple[StockOnHand, ReorderDue]:
    """Stock on hand at cost and the items due for reordering (of ``location``, or all).

    Count variances are reported when a count is finished
    (``store.inventory.finish_count(...)`` returns them, ``as_text()`` too).
    """
    inventory, catalog = store.inventory, store.catalog

    def name(sku: str) -> str:  # an item since taken out of the catalog: its SKU
        return catalog.get(sku).name if sku in catalog else sku

    valuation = inventory.valuation(location)
    on_hand = StockOnHand(
        valuation.location_id,
        tuple((v.sku, name(v.sku), v.on_hand, v.unit_cost, v.value) for v in valuation.lines),
        valuation.total,
        valuation.uncosted,
    )
    due = tuple(
        (
            s.location_id,
            line.sku,
            name(line.sku),
            line.available,
            line.on_order,
            line.reorder_point,
            line.quantity,
            s.supplier_id or "",
        )
        for s in inventory.suggest_orders(location=location)
        for line in s.lines
    )
    return on_hand, ReorderDue(tuple(sorted(due)))
