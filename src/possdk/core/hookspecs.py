"""Hook specifications of the core: sales, registers, pricing, receipts, settings.

Every hook is named ``possdk_<area>_<verb>`` and typed with domain values.
Implement one with ``@possdk.hookimpl`` in a module or class and register it
through the ``possdk`` entry-point group (or ``Store.create(plugins=[...])``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from possdk._hooks import hookspec

if TYPE_CHECKING:
    from possdk.core._events import Event, SaleVoided
    from possdk.core._lines import PromotionDiscount
    from possdk.core._receipt import Receipt
    from possdk.core._register import RegisterReport
    from possdk.core._sale import Basket
    from possdk.core._tender import CashRounding

# ---- sales -------------------------------------------------------------------


@hookspec
def possdk_sale_completed(receipt: Receipt) -> None:
    """Called after a sale completed and its receipt was kept.

    The sale is final by then: an exception here is logged and does not undo
    it. Use it to notify other systems, print, or update a display.
    """


@hookspec
def possdk_sale_voided(event: SaleVoided) -> None:
    """Called after a whole sale was voided before completion.

    ``event.tenders`` lists what had been taken and must be given back.
    Exceptions are logged.
    """


@hookspec
def possdk_sale_returned(receipt: Receipt) -> None:
    """Called after a return completed; ``receipt.return_of`` names the original sale.

    Exceptions are logged.
    """


# ---- registers ---------------------------------------------------------------


@hookspec
def possdk_register_session_closed(report: RegisterReport) -> None:
    """Called after a register session closed with its final Z report.

    Exceptions are logged.
    """


# ---- events ------------------------------------------------------------------


@hookspec
def possdk_event(event: Event) -> None:
    """Called with every domain event as it happens (line added, payment taken, ...).

    Cheap observers only: this runs on the till's hot path. Exceptions are logged.
    """


# ---- pricing -----------------------------------------------------------------


@hookspec
def possdk_pricing_promotions(basket: Basket) -> list[PromotionDiscount]:
    """Return the automatic promotion discounts for a basket (or an empty list).

    Called whenever a sale is re-priced; every plugin's results are applied.
    Must be pure and fast: no I/O, the same basket gives the same answer.
    Each :class:`~possdk.core.PromotionDiscount` names a line or, without
    ``line_no``, the whole sale. Discounts never take a line below zero.
    """
    return []


# ---- receipts ----------------------------------------------------------------


@hookspec
def possdk_receipt_extra_lines(receipt: Receipt) -> list[str]:
    """Return extra lines for the bottom of a receipt (fiscal text, a message).

    Called once when the sale completes, before the receipt is kept; the lines
    become part of the receipt. An exception here refuses the completion
    (a fiscal plugin that cannot sign must stop the sale), and the sale stays
    tendering.
    """
    return []


# ---- settings ----------------------------------------------------------------


@hookspec(firstresult=True)
def possdk_cash_rounding(currency: str) -> CashRounding | None:
    """Return the default cash rounding for a currency, or None if cash is not rounded.

    Consulted only when the merchant configured no cash rounding policy.
    Stops at the first non-None result.
    """
