"""The customer display follows the sale: each item as it is rung up, the total, the change."""

from __future__ import annotations

import logging
import uuid
from typing import TYPE_CHECKING, Any

from possdk._hooks import hookimpl
from possdk.core import (
    Event,
    LineAdded,
    Money,
    PaymentTaken,
    RegisterSessionOpened,
    SaleCompleted,
    SaleResumed,
    SaleStarted,
    SaleVoided,
)
from possdk.drivers._base import DeviceKind

if TYPE_CHECKING:
    from possdk._store import Store

__all__ = ["AUTO_DISPLAY_PLUGIN", "AutoDisplay", "enable_customer_display"]

log = logging.getLogger(__name__)

AUTO_DISPLAY_PLUGIN = "possdk-auto-display"


class AutoDisplay:
    """A per-store plugin that shows each sale on its register's customer display.

    Register with :func:`enable_customer_display`. A display that fails is
    logged and left alone: the sale goes on.
    """

    def __init__(self, store: Store, *, thanks: str = "Thank you!") -> None:
        self.store = store
        self.thanks = thanks
        self._register_of_sale: dict[uuid.UUID, str] = {}
        self._register_of_session: dict[uuid.UUID, str] = {}

    def _display(self, register_id: str | None) -> Any:
        if register_id is None:
            return None
        return self.store.devices.find(DeviceKind.DISPLAY, register_id)

    @hookimpl
    def possdk_event(self, event: Event) -> None:
        """Show what the customer should see after this event."""
        try:
            self._show(event)
        except Exception:  # the display must never stop a sale
            log.exception("the customer display could not show %s", type(event).__name__)

    def _show(self, event: Event) -> None:
        if isinstance(event, RegisterSessionOpened):
            self._register_of_session[event.session_id] = event.register_id
            return
        if isinstance(event, SaleStarted):
            self._register_of_sale[event.sale_id] = event.register_id
            self._register_of_session[event.session_id] = event.register_id
            return
        if isinstance(event, SaleResumed):
            register = self._register_of_session.get(event.session_id)
            if register is not None:
                self._register_of_sale[event.sale_id] = register
            return
        if not isinstance(event, (LineAdded, PaymentTaken, SaleCompleted, SaleVoided)):
            return
        register = self._register_of_sale.get(event.sale_id)
        display = self._display(register)
        if display is None:
            return
        if isinstance(event, LineAdded):
            line = event.line
            quantity = None if line.quantity == 1 else line.quantity
            display.show_item(line.name, line.unit_price, quantity=quantity)
        elif isinstance(event, PaymentTaken):
            sale = self._sale(event.sale_id, register)
            if sale is not None:
                display.show_total(sale.balance_due, label="To pay")
        elif isinstance(event, SaleCompleted):
            self._register_of_sale.pop(event.sale_id, None)
            receipt = event.receipt
            change = sum((t.change for t in receipt.tenders), Money.zero(receipt.currency))
            display.show_change(change, thanks=self.thanks)
        else:  # voided
            self._register_of_sale.pop(event.sale_id, None)
            display.clear()

    def _sale(self, sale_id: uuid.UUID, register_id: str | None) -> Any:
        if register_id is None:
            return None
        session = self.store.register(register_id).session
        if session is None:
            return None
        return next((s for s in session.open_sales if s.id == sale_id), None)


def enable_customer_display(store: Store, *, thanks: str = "Thank you!") -> AutoDisplay:
    """Show every sale on its register's customer display (``store.devices``).

    Each item as it is rung up (name, quantity x price), the balance to pay
    when a tender is taken, and the thank-you with the change when the sale
    completes; a voided sale clears it. Returns the plugin (the same one when
    called again).
    """
    existing = store.plugins.get_plugin(AUTO_DISPLAY_PLUGIN)
    if isinstance(existing, AutoDisplay):
        return existing
    plugin = AutoDisplay(store, thanks=thanks)
    store.plugins.register(plugin, name=AUTO_DISPLAY_PLUGIN)
    return plugin
