"""The receipt: the final, frozen record of a completed sale or return."""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import attrs

from possdk.core._lines import Discount, SaleLine
from possdk.core._money import Money
from possdk.core._permissions import Approval
from possdk.core._pricing import PricedLine, SaleTotals
from possdk.core._tender import Tender, TenderKind

__all__ = ["Receipt", "ReceiptKind"]


class ReceiptKind(enum.Enum):
    """What a receipt records."""

    SALE = "sale"
    """Goods sold."""
    RETURN = "return"
    """Goods given back and refunded."""


@attrs.frozen
class Receipt:
    """A completed sale or return, as it was: lines, totals, tenders, who and when.

    Receipts are values: reprinting one never changes it (a reprint is a
    copy of it with :attr:`copy` set). Render with :meth:`as_text`.
    """

    sale_id: uuid.UUID
    """The sale's id (a UUIDv7)."""
    number: str
    """The receipt number printed for people, unique per register: ``"till-1/000042"``."""
    kind: ReceiptKind
    """Sale or return."""
    register_id: str
    """The register (till)."""
    session_id: uuid.UUID
    """The register session."""
    operator_id: str
    """Who rang it up."""
    operator_name: str
    """Their name, as printed."""
    started_at: datetime
    """When the first line was rung up (the sale was opened)."""
    completed_at: datetime
    """When it was completed."""
    totals: SaleTotals
    """Priced lines, discounts, tax breakdown and total."""
    tenders: tuple[Tender, ...]
    """How it was paid (or refunded)."""
    sale_discounts: tuple[Discount, ...] = ()
    """Manual discounts on the whole sale."""
    voided_lines: tuple[SaleLine, ...] = ()
    """Lines rung up and then voided (kept for audit, not printed)."""
    approvals: tuple[Approval, ...] = ()
    """Every supervisor approval taken on this sale."""
    return_of: uuid.UUID | None = None
    """For a return against a receipt, the original sale's id."""
    return_of_number: str | None = None
    """... and the original receipt's number."""
    header: tuple[str, ...] = ()
    """Lines printed at the top (shop name, address, tax id)."""
    extra_lines: tuple[str, ...] = ()
    """Lines plugins added (fiscal QR text, promotion messages), printed at the bottom."""
    copy: bool = False
    """True for a reprint."""
    timezone: str = "UTC"
    """The shop's IANA time zone, for showing times (times are stored in UTC)."""
    customer_id: str | None = None
    """The identified customer, if any."""
    customer_tier: str | None = None
    """Their loyalty tier at the time of sale."""
    coupons: tuple[str, ...] = ()
    """Coupon codes entered on the sale."""
    coupon_campaigns: tuple[tuple[str, str], ...] = ()
    """(code, campaign) for coupons that belong to a campaign."""
    channel: str = "store"
    """Where the sale was made."""
    points_earned: int | None = None
    """Loyalty points this sale earned its customer (None: no customer or programme)."""
    points_balance: int | None = None
    """The customer's points balance after this sale (None with ``points_earned``)."""

    @property
    def currency(self) -> str:
        """The currency of every amount on the receipt."""
        return self.totals.currency

    @property
    def lines(self) -> tuple[PricedLine, ...]:
        """The priced lines."""
        return self.totals.lines

    @property
    def total(self) -> Money:
        """The total before cash rounding."""
        return self.totals.total

    @property
    def cash_rounding(self) -> Money:
        """The cash rounding on this receipt (its own amount, so the books balance)."""
        return sum((t.rounding for t in self.tenders), Money.zero(self.currency))

    @property
    def paid(self) -> Money:
        """What the tenders paid: ``total + cash_rounding``."""
        return sum((t.amount for t in self.tenders), Money.zero(self.currency))

    @property
    def change(self) -> Money:
        """Cash given back."""
        return sum((t.change for t in self.tenders), Money.zero(self.currency))

    def paid_by(self, kind: TenderKind) -> Money:
        """What tenders of one kind paid."""
        return sum((t.amount for t in self.tenders if t.kind is kind), Money.zero(self.currency))

    @property
    def is_return(self) -> bool:
        """True for a return."""
        return self.kind is ReceiptKind.RETURN

    def as_copy(self) -> Receipt:
        """This receipt marked as a copy, for a reprint."""
        return attrs.evolve(self, copy=True)

    def as_text(self, *, width: int = 42, locale: str = "en_US") -> str:
        """Render as plain text for a screen, a log or a simple printer.

        Args:
            width: characters per line: 32, 42 or 48 are the usual paper widths.
            locale: a CLDR locale for numbers, dates and labels, e.g. ``"uk_UA"``.
        """
        from possdk.core._text import render_receipt

        return render_receipt(self, width=width, locale=locale)
