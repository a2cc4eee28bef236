"""Register reports: X (any time) and Z (at close, numbered, final)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

import attrs

from possdk.core._money import Money
from possdk.core._pricing import TaxLine
from possdk.core._tender import TenderKind

__all__ = ["RegisterReport", "TenderTotal"]


@attrs.frozen
class TenderTotal:
    """How much was taken (or paid out) in one kind of tender, and how often."""

    kind: TenderKind
    """The tender kind."""
    count: int
    """Number of tenders."""
    amount: Money
    """Net amount: takings minus refunds."""


@attrs.frozen
class RegisterReport:
    """An X report (any time, not final) or a Z report (at close, numbered, final).

    Every amount is in the session's currency. ``net_sales == sales - returns``
    and ``expected_cash == opening_float + cash_sales - cash_refunds + paid_in - paid_out``.
    """

    is_final: bool
    """True for a Z report."""
    number: int | None
    """The Z report number (per register), None for an X report."""
    register_id: str
    """The register."""
    session_id: uuid.UUID
    """The session."""
    operator_id: str
    """Who opened the session."""
    operator_name: str
    """Their name."""
    currency: str
    """The currency."""
    opened_at: datetime
    """When the session opened."""
    at: datetime
    """When the report was taken (for a Z report, when the session closed)."""
    sale_count: int
    """Completed sales."""
    sales: Money
    """Their totals."""
    discounts: Money
    """Discounts given on them."""
    return_count: int
    """Completed returns."""
    returns: Money
    """What was refunded (positive)."""
    net_sales: Money
    """``sales - returns``."""
    void_count: int
    """Sales voided before completion."""
    voided_total: Money
    """What the voided sales came to."""
    voided_line_count: int
    """Lines voided on completed sales."""
    tax_breakdown: tuple[TaxLine, ...]
    """Net and tax per rate over sales and returns."""
    tenders: tuple[TenderTotal, ...]
    """Per tender kind."""
    opening_float: Money
    """Cash in the drawer at the start."""
    cash_sales: Money
    """Cash taken on sales (after change)."""
    cash_refunds: Money
    """Cash paid out on returns (positive)."""
    paid_in: Money
    """Cash paid into the drawer outside sales."""
    paid_out: Money
    """Cash paid out of the drawer outside sales."""
    cash_rounding: Money
    """Net cash rounding (positive: customers paid a little more)."""
    expected_cash: Money
    """What should be in the drawer."""
    counted_cash: Money | None = None
    """What was counted at close (Z only)."""
    variance: Money | None = None
    """``counted_cash - expected_cash``: negative means cash is missing."""
    counted_denominations: tuple[tuple[Decimal, int], ...] = ()
    """The count by note and coin, when it was given that way."""
    no_sale_count: int = 0
    """Drawer opens without a sale."""
    approval_count: int = 0
    """Supervisor approvals taken."""
    timezone: str = "UTC"
    """The shop's IANA time zone, for showing times."""

    def as_text(self, *, width: int = 42, locale: str = "en_US") -> str:
        """Render for the receipt printer or a screen (32/42/48 columns)."""
        from possdk.core._text import render_report

        return render_report(self, width=width, locale=locale)
