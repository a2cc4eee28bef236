"""Hook specifications of the inventory: stock running low."""

from __future__ import annotations

from typing import TYPE_CHECKING

from possdk._hooks import hookspec

if TYPE_CHECKING:
    from possdk.inventory._model import OrderSuggestion, StockLevel


@hookspec
def possdk_stock_low(level: StockLevel, suggestion: OrderSuggestion | None) -> None:
    """Called once when an item's available stock at a location falls to its reorder point.

    ``level`` is the level after the change that crossed it; ``suggestion``
    what to order for it (its supplier, quantity in whole packs, cost), or
    None when nothing needs ordering (enough is on order already). It fires
    again only after the stock has risen above the reorder point. Called
    after the change is kept: exceptions are logged and undo nothing.
    """
