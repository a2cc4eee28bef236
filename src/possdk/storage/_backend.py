"""The storage port: what a backend gives the Store.

A backend hands out units of work. A unit of work is one transaction: it
rolls back unless :meth:`UnitOfWork.commit` is called, and its methods are
the repositories the Store needs. The built-in SQL backend implements it for
SQLite and PostgreSQL; a third-party backend implements the same protocol
and is found through the ``possdk_storage_backend`` hook.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol, TypeVar

import attrs

from possdk.core import Operator, Product, Receipt, TaxCategory
from possdk.inventory._model import (
    CountLine,
    Location,
    Movement,
    Reservation,
    StockItem,
    StockLevel,
    Supplier,
    SupplierItem,
)
from possdk.payments._model import Payment
from possdk.storage._journal import JournalEntry
from possdk.storage._url import StoreURL

__all__ = ["SessionRow", "StockUnitOfWork", "StorageBackend", "UnitOfWork"]

T = TypeVar("T")


@attrs.frozen
class SessionRow:
    """A register session as stored."""

    id: uuid.UUID
    register_id: str
    operator_id: str
    currency: str
    opening_float_minor: int
    opened_at: datetime
    totals: str
    """The running totals, canonical JSON."""
    closed_at: datetime | None = None
    z_number: int | None = None
    z_report: str | None = None
    """The Z report, canonical JSON, once closed."""


class StockUnitOfWork(Protocol):
    """The inventory's part of a unit of work: locations, the ledger, levels, documents."""

    def put_location(self, location: Location) -> None:
        """Insert or replace a location."""
        ...

    def locations(self) -> list[Location]:
        """Every location, by id."""
        ...

    def register_location(self, register_id: str) -> str | None:
        """Where a register sells from (None: the default location)."""
        ...

    def set_register_location(self, register_id: str, location_id: str | None) -> None:
        """Make a register sell from a location."""
        ...

    def stock_items(
        self, skus: Collection[str] | None = None, *, lock: bool = False
    ) -> dict[str, StockItem]:
        """Items' stock rules (only items that have one kept); all with None."""
        ...

    def put_stock_item(self, item: StockItem) -> None:
        """Insert or replace an item's stock rules and costs."""
        ...

    def move_stock(self, moves: Sequence[Movement]) -> list[StockLevel]:
        """Append movements and add them to the levels (locked until commit); the new levels."""
        ...

    def set_low(self, sku: str, location_id: str, low: bool) -> None:
        """Mark a level as at or below its reorder point, or re-armed."""
        ...

    def stock_level(self, sku: str, location_id: str, *, lock: bool = False) -> StockLevel | None:
        """One item's level at one location."""
        ...

    def stock_levels(
        self,
        *,
        sku: str | None = None,
        location_id: str | None = None,
        skus: Collection[str] | None = None,
    ) -> list[StockLevel]:
        """Levels by (sku, location), filtered."""
        ...

    def on_hand_total(self, sku: str) -> Decimal:
        """An item's on hand over every location."""
        ...

    def ledger_on_hand(self, location_id: str | None = None) -> dict[tuple[str, str], Decimal]:
        """On hand per (sku, location) summed from the movements."""
        ...

    def movements(
        self,
        *,
        sku: str | None = None,
        location_id: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        document_id: uuid.UUID | None = None,
    ) -> Iterator[Movement]:
        """Movements oldest first, filtered."""
        ...

    def net_sold(self, location_id: str, since: datetime, until: datetime) -> dict[str, Decimal]:
        """Sold minus returned per item at a location in ``[since, until)``."""
        ...

    def add_reserved(self, sku: str, location_id: str, delta: Decimal) -> StockLevel:
        """Change a level's reserved quantity; the level after."""
        ...

    def put_reservation(self, reservation: Reservation) -> None:
        """Keep a new reservation."""
        ...

    def reservation(self, reservation_id: uuid.UUID, *, lock: bool = False) -> Reservation | None:
        """An open reservation."""
        ...

    def release_reservation(self, reservation_id: uuid.UUID, at: datetime) -> None:
        """Mark a reservation released."""
        ...

    def open_reservations(self) -> list[Reservation]:
        """Reservations not released."""
        ...

    def put_reorder_rule(
        self,
        sku: str,
        location_id: str,
        rule: str | None,
        reorder_point: Decimal | None,
        order_up_to: Decimal | None,
        low: bool,
    ) -> None:
        """Keep (or drop) a rule and set the level's points."""
        ...

    def set_points(
        self,
        sku: str,
        location_id: str,
        reorder_point: Decimal | None,
        order_up_to: Decimal | None,
        low: bool,
    ) -> None:
        """Set a level's reorder point and order-up-to level."""
        ...

    def reorder_rules(self) -> list[tuple[str, str, str]]:
        """Every rule: (sku, location, rule JSON)."""
        ...

    def put_supplier(self, supplier: Supplier) -> None:
        """Insert or replace a supplier."""
        ...

    def suppliers(self) -> list[Supplier]:
        """Every supplier."""
        ...

    def put_supplier_item(self, item: SupplierItem) -> None:
        """Insert or replace a supplier item."""
        ...

    def supplier_items(
        self, *, sku: str | None = None, supplier_id: str | None = None
    ) -> list[SupplierItem]:
        """Supplier items, filtered."""
        ...

    def next_counter(self, name: str) -> int:
        """Take the next number of a named counter."""
        ...

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
        """Insert or update a purchase order, transfer or count."""
        ...

    def stock_document(self, kind: str, ref: uuid.UUID | str, *, lock: bool = False) -> str | None:
        """A document's JSON by id or number."""
        ...

    def stock_documents(self, kind: str, statuses: Collection[str] | None = None) -> list[str]:
        """Documents' JSON of one kind, oldest first."""
        ...

    def put_count_line(self, count_id: uuid.UUID, line: CountLine) -> None:
        """Insert or replace a counted quantity."""
        ...

    def count_lines(self, count_id: uuid.UUID, *, sku: str | None = None) -> list[CountLine]:
        """What a count has counted."""
        ...


if TYPE_CHECKING:  # their modules import SQLAlchemy: not at `import possdk` time
    from possdk.storage._sql_customer_reports import CustomerReportsUnitOfWork
    from possdk.storage._sql_exports import ExportsUnitOfWork
    from possdk.storage._sql_gifts import GiftCouponUnitOfWork
    from possdk.storage._sql_loyalty import LoyaltyUnitOfWork
    from possdk.storage._sql_outbox import WebhookUnitOfWork
    from possdk.storage._sql_reports import ReportsUnitOfWork

    class _LoyaltyParts(
        LoyaltyUnitOfWork,
        GiftCouponUnitOfWork,
        WebhookUnitOfWork,
        ReportsUnitOfWork,
        ExportsUnitOfWork,
        CustomerReportsUnitOfWork,
        Protocol,
    ):
        """Loyalty's, gift cards', webhooks', reports' and exports' parts of a unit of work."""

else:

    class _LoyaltyParts(Protocol):
        """Loyalty's and gift cards' parts of a unit of work (typed for mypy only)."""


class UnitOfWork(StockUnitOfWork, _LoyaltyParts, Protocol):
    """One transaction's view of the store; rolls back unless committed."""

    def commit(self) -> None:
        """Make everything done in this unit of work durable, at once."""
        ...

    # ---- settings, catalog, operators --------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """A setting's stored JSON text."""
        ...

    def put_setting(self, key: str, value: str) -> None:
        """Store a setting's JSON text."""
        ...

    def load_tax_categories(self) -> list[TaxCategory]:
        """Every tax category."""
        ...

    def put_tax_category(self, category: TaxCategory) -> None:
        """Insert or replace a tax category."""
        ...

    def load_products(self) -> Iterator[Product]:
        """Every product, streamed."""
        ...

    def put_products(self, products: Iterable[Product], *, replace: bool) -> int:
        """Insert products (or, with ``replace``, overwrite them and their barcodes)."""
        ...

    def load_operators(self) -> list[Operator]:
        """Every operator."""
        ...

    def put_operator(self, operator: Operator) -> None:
        """Insert or replace an operator."""
        ...

    # ---- registers and sessions ----------------------------------------------

    def next_number(self, register_id: str, counter: str) -> int:
        """Lock the register's row and take its next ``receipt`` or ``z`` number."""
        ...

    def lock_register(self, register_id: str) -> None:
        """Create the register's row if needed and lock it until commit."""
        ...

    def insert_session(self, row: SessionRow) -> None:
        """Keep a newly opened session."""
        ...

    def open_session_for(self, register_id: str) -> SessionRow | None:
        """The register's open session, if any."""
        ...

    def session(self, session_id: uuid.UUID, *, lock: bool = False) -> SessionRow | None:
        """A session (locked against other writers until commit, if asked)."""
        ...

    def update_session(
        self,
        session_id: uuid.UUID,
        *,
        totals: str,
        closed_at: datetime | None = None,
        z_number: int | None = None,
        z_report: str | None = None,
    ) -> None:
        """Write a session's totals (and, at close, its Z report)."""
        ...

    def z_reports(self) -> list[str]:
        """Every Z report's JSON, in closing order."""
        ...

    # ---- sales ---------------------------------------------------------------------

    def insert_receipt(self, receipt: Receipt, document: str) -> None:
        """Keep a completed sale or return: header, lines, taxes, tenders, the document."""
        ...

    def receipt_document(self, number_or_id: str | uuid.UUID) -> str | None:
        """A receipt's JSON document by number or sale id."""
        ...

    def receipt_documents(self, session_id: uuid.UUID | None = None) -> Iterator[str]:
        """Receipts' JSON documents in completion order (of one session, if given)."""
        ...

    def lock_sale(self, sale_id: uuid.UUID) -> bool:
        """Lock a completed sale's row against concurrent returns; False if absent."""
        ...

    def returned_quantities(self, sale_id: uuid.UUID) -> dict[int, Decimal]:
        """Quantities already returned per line of a sale."""
        ...

    def park(
        self, sale_id: uuid.UUID, register_id: str, operator_id: str, at: datetime, payload: str
    ) -> None:
        """Keep a parked sale."""
        ...

    def parked(self, sale_id: uuid.UUID | None = None) -> list[str]:
        """Parked sales' payloads (one, or all in parking order)."""
        ...

    def unpark(self, sale_id: uuid.UUID) -> bool:
        """Forget a parked sale; False if it was not parked (another till took it)."""
        ...

    # ---- payments ----------------------------------------------------------------------

    def put_payment(self, payment: Payment, *, new: bool = False) -> None:
        """Insert or update a payment (``new``: known not to be kept yet)."""
        ...

    def payment(self, payment_id: uuid.UUID) -> Payment | None:
        """A payment."""
        ...

    def payments(self, sale_id: uuid.UUID | None = None) -> list[Payment]:
        """Payments, oldest first."""
        ...

    def put_attempt(
        self,
        key: str,
        payment_id: uuid.UUID,
        operation: str,
        fingerprint: str,
        result: str | None,
        at: datetime,
    ) -> None:
        """Keep an idempotency key before the call it names is made."""
        ...

    def attempt(self, key: str) -> tuple[str, str | None] | None:
        """An idempotency key's (fingerprint, result JSON or None), or None if never used."""
        ...

    def open_attempts(self, operation: str) -> list[tuple[str, uuid.UUID, str]]:
        """Calls of one operation whose answer is not kept: (key, payment id, fingerprint)."""
        ...

    def finish_attempt(self, key: str, result: str, at: datetime) -> None:
        """Keep the provider's answer to a call."""
        ...

    def account(self, number: str) -> tuple[str, str, int, bool] | None:
        """An account: (kind, currency, balance_minor, active)."""
        ...

    def open_account(
        self, number: str, kind: str, currency_code: str, balance_minor: int, at: datetime, key: str
    ) -> None:
        """Create an account with an opening balance."""
        ...

    def move_account(
        self, number: str, delta_minor: int, key: str, payment_id: uuid.UUID | None, *, at: datetime
    ) -> int | None:
        """Move a balance unless it would go negative (None); idempotent by key."""
        ...

    def set_account_active(self, number: str, active: bool) -> bool:
        """Block or unblock an account."""
        ...

    # ---- journal ---------------------------------------------------------------------

    def journal_head(self, terminal_id: str) -> tuple[int, str, int, int] | None:
        """Lock and read a terminal's head: (seq, hash, gt_sales, gt_returns)."""
        ...

    def append_journal(self, entry: JournalEntry) -> None:
        """Write an entry and move its terminal's head to it."""
        ...

    def journal_entries(self) -> Iterator[JournalEntry]:
        """Every entry, ordered by terminal and sequence number."""
        ...

    def journal_heads(self) -> dict[str, tuple[int, str, int, int]]:
        """Every terminal's head."""
        ...


class StorageBackend(Protocol):
    """A place the Store keeps its data."""

    url: StoreURL
    """Where."""

    def unit_of_work(self, *, write: bool = True) -> AbstractContextManager[UnitOfWork]:
        """A transaction; rolls back unless committed. ``write=False`` for read-only work."""
        ...

    def run(self, work: Callable[[UnitOfWork], T]) -> T:
        """Run ``work`` in a write unit of work and commit it.

        Transient conflicts (serialization failures, deadlocks) are retried a
        bounded number of times from the start, so ``work`` must not have side
        effects outside the unit of work.
        """
        ...

    def prepare(self) -> None:
        """Create the schema in an empty database; refuse an old or newer one."""
        ...

    def schema_revision(self) -> str | None:
        """The stored schema revision, or None for an empty database; changes nothing."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...
