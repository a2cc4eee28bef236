"""Stock per location as an append-only ledger: selling, receiving, reordering, counting.

Reach it as ``store.inventory`` (an :class:`Inventory`). Every change of
stock is a :class:`Movement` written in the same transaction as what caused
it; on hand per item and location is the ledger's sum (a cached level row
that :meth:`Inventory.check` proves agrees).
"""

from __future__ import annotations

from possdk.inventory._model import (
    DEFAULT_LOCATION,
    AdjustmentReason,
    CountLine,
    CountResult,
    CountVariance,
    LedgerCheck,
    Location,
    LocationKind,
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
)
from possdk.inventory._service import INVENTORY_TERMINAL, Inventory

__all__ = [
    "DEFAULT_LOCATION",
    "INVENTORY_TERMINAL",
    "AdjustmentReason",
    "CountLine",
    "CountResult",
    "CountVariance",
    "Inventory",
    "LedgerCheck",
    "Location",
    "LocationKind",
    "Movement",
    "MovementKind",
    "NegativeStock",
    "OrderSuggestion",
    "PurchaseOrder",
    "PurchaseOrderLine",
    "PurchaseOrderStatus",
    "ReorderMethod",
    "ReorderRule",
    "Reservation",
    "Shortage",
    "StockCount",
    "StockCountStatus",
    "StockItem",
    "StockLevel",
    "StockValuation",
    "SuggestedLine",
    "Supplier",
    "SupplierItem",
    "Transfer",
    "TransferLine",
    "TransferStatus",
    "ValuationLine",
]
