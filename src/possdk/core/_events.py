"""Domain events: one frozen value for every state change, with a UUIDv7 id and a time.

Events are facts, in the past tense. The sale and the register session
produce them; the shell (the Store) journals them and hands them to plugins.
"""

from __future__ import annotations

import enum
import uuid
from datetime import datetime

import attrs

from possdk.core._lines import Discount, SaleLine, SaleSnapshot
from possdk.core._money import Money
from possdk.core._permissions import Approval
from possdk.core._receipt import Receipt
from possdk.core._report import RegisterReport
from possdk.core._tender import Tender

__all__ = [
    "ApprovalGranted",
    "CashMoved",
    "CashMovementKind",
    "DrawerOpened",
    "Event",
    "LineAdded",
    "LineChanged",
    "LineVoided",
    "PaymentRemoved",
    "PaymentTaken",
    "RegisterSessionClosed",
    "RegisterSessionOpened",
    "ReturnCompleted",
    "SaleCompleted",
    "SaleDiscounted",
    "SaleResumed",
    "SaleStarted",
    "SaleSuspended",
    "SaleVoided",
]


@attrs.frozen(kw_only=True)
class Event:
    """Base of every domain event."""

    event_id: uuid.UUID
    """A UUIDv7: unique and ordered by time."""
    occurred_at: datetime
    """When it happened (UTC), from the injected clock."""

    @property
    def name(self) -> str:
        """The event's type name, e.g. ``"SaleCompleted"``."""
        return type(self).__name__


@attrs.frozen(kw_only=True)
class SaleEvent(Event):
    """An event in the life of one sale."""

    sale_id: uuid.UUID
    """The sale."""


@attrs.frozen(kw_only=True)
class SaleStarted(SaleEvent):
    """A sale (or a return) was opened on a register session."""

    register_id: str
    session_id: uuid.UUID
    operator_id: str
    is_return: bool


@attrs.frozen(kw_only=True)
class LineAdded(SaleEvent):
    """A line was added."""

    line: SaleLine


@attrs.frozen(kw_only=True)
class LineChanged(SaleEvent):
    """A line's quantity, price, discount or note changed."""

    before: SaleLine
    after: SaleLine
    change: str
    """``"quantity"``, ``"price"``, ``"discount"``, ``"note"`` or ``"damaged"``."""


@attrs.frozen(kw_only=True)
class LineVoided(SaleEvent):
    """A line was removed from the sale (it stays on record as voided)."""

    line: SaleLine


@attrs.frozen(kw_only=True)
class SaleDiscounted(SaleEvent):
    """A manual discount was put on the whole sale."""

    discount: Discount


@attrs.frozen(kw_only=True)
class PaymentTaken(SaleEvent):
    """A tender was added."""

    tender: Tender


@attrs.frozen(kw_only=True)
class PaymentRemoved(SaleEvent):
    """A tender was taken off again before the sale completed."""

    tender: Tender


@attrs.frozen(kw_only=True)
class SaleSuspended(SaleEvent):
    """The sale was parked; the snapshot is what any till needs to resume it."""

    snapshot: SaleSnapshot


@attrs.frozen(kw_only=True)
class SaleResumed(SaleEvent):
    """A parked sale was picked up again."""

    session_id: uuid.UUID


@attrs.frozen(kw_only=True)
class SaleVoided(SaleEvent):
    """The whole sale was cancelled before completion."""

    reason: str
    approval: Approval | None
    total: Money
    """What the sale came to when it was voided."""
    tenders: tuple[Tender, ...]
    """Tenders that were taken and must be given back."""


@attrs.frozen(kw_only=True)
class SaleCompleted(SaleEvent):
    """The sale was paid and completed; the receipt is final."""

    receipt: Receipt


@attrs.frozen(kw_only=True)
class ReturnCompleted(SaleEvent):
    """A return was completed and refunded."""

    receipt: Receipt
    original_sale_id: uuid.UUID | None
    """The sale returned against, or None for a return without a receipt."""


@attrs.frozen(kw_only=True)
class ApprovalGranted(Event):
    """A supervisor approved a restricted action."""

    approval: Approval
    sale_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None


class CashMovementKind(enum.Enum):
    """Cash put into or taken out of the drawer outside a sale."""

    PAID_IN = "paid_in"
    """Cash put in (change from the bank, a float top-up)."""
    PAID_OUT = "paid_out"
    """Cash taken out (a supplier paid from the till, a bank drop)."""


@attrs.frozen(kw_only=True)
class RegisterSessionOpened(Event):
    """A register session opened with an opening float."""

    session_id: uuid.UUID
    register_id: str
    operator_id: str
    opening_float: Money


@attrs.frozen(kw_only=True)
class CashMoved(Event):
    """Cash was paid in or out of the drawer."""

    session_id: uuid.UUID
    kind: CashMovementKind
    amount: Money
    reason: str
    operator_id: str
    approval: Approval | None = None


@attrs.frozen(kw_only=True)
class DrawerOpened(Event):
    """The drawer was opened without a sale ("no sale")."""

    session_id: uuid.UUID
    operator_id: str
    reason: str
    approval: Approval | None = None


@attrs.frozen(kw_only=True)
class RegisterSessionClosed(Event):
    """The session closed with a count; the Z report is final."""

    session_id: uuid.UUID
    report: RegisterReport
