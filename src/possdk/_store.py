"""The Store facade: the one object a host app holds.

It owns the catalog, the merchant's settings, the operators, the plugin
manager, the clock and the registers, keeps them in a storage backend
(SQLite by default, PostgreSQL for many tills), and implements the port the
core's register sessions and sales commit through: every business operation
is one unit of work with one journal entry.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar

import attrs
import pluggy

from possdk.core import (
    Basket,
    CashMoved,
    CashRoundingPolicy,
    Catalog,
    Clock,
    DrawerOpened,
    Event,
    IdGenerator,
    Money,
    Operator,
    Product,
    PromotionDiscount,
    Receipt,
    RegisterReport,
    RegisterSession,
    RegisterSessionClosed,
    RegisterSessionOpened,
    RegisterTotals,
    ReturnCompleted,
    Sale,
    SaleCompleted,
    SaleResumed,
    SaleSnapshot,
    SaleSuspended,
    SaleVoided,
    SystemClock,
    TaxCategory,
    TaxPolicy,
    Tender,
    TenderKind,
    currency,
)
from possdk.core._barcodes import BarcodeLayouts
from possdk.core._decimal import EXACT
from possdk.errors import (
    ConfigurationError,
    PluginError,
    RegisterError,
    RegisterSessionStateError,
    ReturnError,
    SaleError,
    SessionTotalsChangedError,
    StorageError,
)
from possdk.payments._model import OfflinePolicy
from possdk.plugins import get_plugin_manager
from possdk.storage._backend import SessionRow, StorageBackend, UnitOfWork
from possdk.storage._codec import canonical, canonical_with, dumps, loads, unstructure
from possdk.storage._journal import GENESIS, JournalEntry, entry_hash
from possdk.storage._url import StoreURL

__all__ = ["Register", "Settings", "Store"]

log = logging.getLogger(__name__)

T = TypeVar("T")

STORE_TERMINAL = "@store"
"""The journal terminal of store-wide changes (settings, catalog, operators)."""


def _check_currency(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    currency(value)


def _check_timezone(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigurationError(
            f"unknown time zone {value!r}: use an IANA name such as 'Europe/Kyiv' or 'UTC'"
        ) from None


def _str_tuple(value: Iterable[str]) -> tuple[str, ...]:
    return (value,) if isinstance(value, str) else tuple(value)


def _check_phone_region(instance: object, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None:
        return
    from possdk.loyalty._loyalty_model import phone_regions

    if not isinstance(value, str) or value not in phone_regions():
        raise ConfigurationError(
            f"phone_region must be a two-letter region code like 'UA' or 'US', got {value!r}"
        )


def _check_width(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 24 <= value <= 80:
        raise ConfigurationError(f"receipt width must be 24 to 80 characters, got {value}")


@attrs.frozen
class Settings:
    """The merchant's configuration of a store; kept in the store's database.

    ``Settings(currency="UAH", locale="uk_UA")``. Cash rounding left as None
    takes the national default for the currency (UAH rounds cash to 0.10,
    EUR is not rounded); pass a :class:`~possdk.core.CashRoundingPolicy` to
    choose.
    """

    currency: str = attrs.field(validator=_check_currency)
    """The store's currency (ISO 4217)."""
    locale: str = "en_US"
    """The CLDR locale for receipts and reports, e.g. ``"uk_UA"``."""
    tax: TaxPolicy = attrs.field(factory=TaxPolicy)
    """Tax mode (prices with or without tax) and rounding (per line or per document)."""
    cash_rounding: CashRoundingPolicy | None = None
    """Cash rounding per currency; None: the national default from the plugins."""
    receipt_header: tuple[str, ...] = attrs.field(default=(), converter=_str_tuple)
    """Lines at the top of every receipt: name, address, tax number."""
    receipt_width: int = attrs.field(default=42, validator=_check_width)
    """Default receipt width in characters."""
    timezone: str = attrs.field(default="UTC", validator=_check_timezone)
    """The shop's IANA time zone (``"Europe/Kyiv"``), for showing times; times are kept in UTC."""
    offline: OfflinePolicy = attrs.field(factory=OfflinePolicy)
    """Store-and-forward rules for card payments while a provider is offline (default: refuse)."""
    refund_kinds: frozenset[TenderKind] = attrs.field(
        factory=lambda: frozenset({TenderKind.CASH, TenderKind.STORE_CREDIT, TenderKind.GIFT_CARD}),
        converter=frozenset,
    )
    """Tender kinds a refund may go to when it cannot go back to the tender that paid."""
    auto_reorder: bool = False
    """Create draft purchase orders by themselves when stock falls to a reorder point."""
    phone_region: str | None = attrs.field(default=None, validator=_check_phone_region)
    """Where phone numbers typed without ``+`` are dialled (``"UA"``: ``067...`` is
    ``+38067...``); None takes the locale's country (``uk_UA``: UA)."""

    @property
    def phone_country(self) -> str | None:
        """The region phone numbers are read in: ``phone_region``, else the locale's country."""
        if self.phone_region is not None:
            return self.phone_region
        from possdk.loyalty._loyalty_model import phone_regions

        territory = self.locale.replace("-", "_").partition("_")[2].upper()
        return territory if territory in phone_regions() else None


class Register:
    """A till: where register sessions open and close, one at a time."""

    def __init__(self, store: Store, register_id: str) -> None:
        self._store = store
        self.id = register_id
        """The register's id, e.g. ``"till-1"``."""
        self._session: RegisterSession | None = None

    @property
    def session(self) -> RegisterSession | None:
        """The open session, if any (also one another process opened on this register)."""
        row = self._store._read(lambda uow: uow.open_session_for(self.id))
        if row is None:
            self._session = None
        elif self._session is None or self._session.id != row.id:
            self._session = self._store._restore_session(row)
        return self._session

    def open_session(
        self, *, operator: Operator | str, opening_float: Money | Decimal | int | str = 0
    ) -> RegisterSession:
        """Open a session with the cash in the drawer (the float).

        Raises:
            RegisterError: a session is already open on this register.
        """
        open_now = self.session
        if open_now is not None:
            raise RegisterError(
                f"register {self.id} already has an open session ({open_now.id}); close it first"
            )
        code = self._store.settings.currency
        amount = opening_float if isinstance(opening_float, Money) else Money(opening_float, code)
        self._session = RegisterSession.open(
            self._store,
            register_id=self.id,
            operator=self._store.operator(operator),
            opening_float=amount,
            currency_code=code,
        )
        return self._session

    def __repr__(self) -> str:
        return f"<Register {self.id}>"


class _CatalogWriter:
    """Keeps catalog changes in the database before the catalog makes them."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def products_added(self, products: Sequence[Product]) -> None:
        self._store._save_products(products, replace=False)

    def product_replaced(self, product: Product) -> None:
        self._store._save_products([product], replace=True)

    def tax_category_put(self, category: TaxCategory) -> None:
        self._store._save_tax_category(category)


class Store:
    """A shop: catalog, settings, operators, registers and plugins, kept in a database.

    ``Store.open("sqlite:///shop.db", settings=Settings(currency="UAH"))``
    opens (or creates) an embedded SQLite store; ``postgresql://...`` serves
    many tills; ``Store.create(settings)`` is an in-memory store for tests and
    demos. Close it when done (or use it as a context manager).
    """

    def __init__(
        self,
        settings: Settings,
        *,
        backend: StorageBackend,
        catalog: Catalog,
        operators: Iterable[Operator],
        clock: Clock,
        plugin_manager: pluggy.PluginManager,
    ) -> None:
        self.settings = settings
        """The merchant's settings."""
        self.backend = backend
        """Where everything is kept."""
        self.catalog = catalog
        """The products (changes are kept in the database as they are made)."""
        self.clock = clock
        """The time source (inject a FixedClock in tests)."""
        self.ids = IdGenerator(clock)
        """The UUIDv7 generator."""
        self.plugins = plugin_manager
        """The pluggy plugin manager."""
        self._operators: dict[str, Operator] = {op.id: op for op in operators}
        self._registers: dict[str, Register] = {}
        self._totals_cache: dict[uuid.UUID, tuple[str, RegisterTotals]] = {}
        self._pending_totals: list[tuple[uuid.UUID, str, RegisterTotals]] = []
        self.cash_rounding = settings.cash_rounding or self._default_cash_rounding()
        """The cash rounding in force."""
        catalog.listener = _CatalogWriter(self)
        from possdk.payments._builtin import BUILTIN_IDS
        from possdk.payments._service import PaymentService

        contributed = []
        hook = plugin_manager.hook.possdk_payment_providers
        for impl in reversed(hook.get_hookimpls()):  # latest registered first, as pluggy calls
            given: list[Any] = list(impl.function(store=self) or [])  # type: ignore[call-overload]
            for provider in given:
                contributed.append((impl.plugin_name, provider))
        self.payments = PaymentService(self, contributed, BUILTIN_IDS)
        """Payments: providers, voids, refunds, the offline queue, recovery."""
        from possdk.inventory._service import Inventory

        self.inventory = Inventory(self)
        """Stock: locations, the ledger, reordering, purchase orders, transfers, counts."""
        from possdk.loyalty._service import Loyalty

        self.loyalty = Loyalty(self)
        """Customers, points, promotions, coupons and gift cards."""
        from possdk.drivers._registry import Devices, DevicesPlugin

        self.devices = Devices(self)
        """Receipt printers, cash drawers, scanners, scales and displays."""
        self.plugins.register(DevicesPlugin(self.devices), name="possdk-devices")
        from possdk.reports._webhooks import Webhooks

        self.webhooks = Webhooks(self)
        """Webhooks: subscriptions, signed deliveries from the journal, retries, dead letters."""

    # ---- opening ---------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str,
        *,
        settings: Settings | None = None,
        catalog: Catalog | None = None,
        operators: Iterable[Operator] = (),
        clock: Clock | None = None,
        plugins: Iterable[object] = (),
        load_entry_points: bool = True,
    ) -> Store:
        """Open the store at ``url``, creating it if the database is empty.

        Args:
            url: ``sqlite:///path/shop.db``, ``sqlite://`` (in memory) or
                ``postgresql://user@host/db``; a plugin may serve other schemes.
            settings: required for a new store; for an existing one, new
                settings replace the kept ones (journaled).
            catalog: products and tax categories to add (or update) in the store.
            operators: operators to add (or update).
            clock: the time source; the system clock if not given.
            plugins: extra plugin objects to register (besides entry points).
            load_entry_points: load installed plugins from the ``possdk`` group.

        Raises:
            StorageError: the URL is malformed, no backend serves it, or the
                database cannot be opened.
            SchemaVersionError: the database needs ``possdk db upgrade``, or is newer.
            ConfigurationError: a new store without settings.
        """
        store_url = StoreURL.parse(url)
        pm = get_plugin_manager(load_entry_points=load_entry_points, plugins=plugins)
        backend = pm.hook.possdk_storage_backend(url=store_url)
        if backend is None:
            raise StorageError(
                f"no storage backend serves {store_url.scheme}:// URLs; install a plugin that "
                f"does, or use sqlite:// or postgresql://"
            )
        try:
            backend.prepare()
            return cls._load(backend, pm, settings, catalog, operators, clock or SystemClock())
        except BaseException:
            backend.close()
            raise

    @classmethod
    def create(
        cls,
        settings: Settings,
        *,
        catalog: Catalog | None = None,
        operators: Iterable[Operator] = (),
        clock: Clock | None = None,
        plugins: Iterable[object] = (),
        load_entry_points: bool = True,
    ) -> Store:
        """An in-memory store (SQLite in memory): gone when the process ends.

        Handy for tests, demos and trying things out; ``Store.open`` keeps data.
        """
        return cls.open(
            "sqlite://",
            settings=settings,
            catalog=catalog,
            operators=operators,
            clock=clock,
            plugins=plugins,
            load_entry_points=load_entry_points,
        )

    @classmethod
    def _load(
        cls,
        backend: StorageBackend,
        pm: pluggy.PluginManager,
        settings: Settings | None,
        catalog: Catalog | None,
        operators: Iterable[Operator],
        clock: Clock,
    ) -> Store:
        with backend.unit_of_work(write=False) as uow:
            kept_settings = uow.get_setting("settings")
            kept_layouts = uow.get_setting("barcode_layouts")
            categories = uow.load_tax_categories()
            loaded = Catalog(
                categories,
                uow.load_products(),
                layouts=loads(kept_layouts, BarcodeLayouts) if kept_layouts else None,
            )
            kept_operators = uow.load_operators()
        if kept_settings is None and settings is None:
            raise ConfigurationError(
                f"{backend.url} is a new store: pass settings=Settings(currency=...) to create it"
            )
        if settings is not None and kept_settings is not None:
            kept_currency = loads(kept_settings, Settings).currency
            if settings.currency != kept_currency:
                raise ConfigurationError(
                    f"{backend.url} trades in {kept_currency}; a store's currency cannot change "
                    f"(its receipts, sessions and totals are in {kept_currency}); open another "
                    f"database for another currency"
                )
        current = settings or loads(kept_settings or "", Settings)
        store = cls(
            current,
            backend=backend,
            catalog=loaded,
            operators=kept_operators,
            clock=clock,
            plugin_manager=pm,
        )
        if settings is not None and dumps(settings) != kept_settings:
            store._save_setting("settings", dumps(settings), "SettingsChanged")
        if catalog is not None:
            store._import_catalog(catalog)
        for op in operators:
            if store._operators.get(op.id) != op:
                store.add_operator(op)
        return store

    def close(self) -> None:
        """Close the devices and release the database."""
        self.devices.close()
        self.backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<Store {self.backend.url} {self.settings.currency} {len(self.catalog)} products>"

    # ---- settings, catalog, operators -----------------------------------------

    def set_barcode_layouts(self, layouts: BarcodeLayouts) -> None:
        """Keep new variable-measure barcode layouts and use them for scans."""
        self._save_setting("barcode_layouts", dumps(layouts), "BarcodeLayoutsChanged")
        self.catalog.layouts = layouts

    def add_operator(self, operator: Operator) -> None:
        """Add (or replace) an operator, kept in the store."""
        payload = dumps(operator)

        def work(uow: UnitOfWork) -> None:
            uow.put_operator(operator)
            self._journal(uow, STORE_TERMINAL, "OperatorSaved", payload, 0)

        self.backend.run(work)
        self._operators[operator.id] = operator

    def operator(self, ref: Operator | str) -> Operator:
        """Look an operator up by id."""
        key = ref.id if isinstance(ref, Operator) else ref
        try:
            return self._operators[key]
        except KeyError:
            raise ConfigurationError(
                f"unknown operator {key!r}: add it with store.add_operator() first"
            ) from None

    def register(self, register_id: str) -> Register:
        """The register (till) with this id."""
        if (
            not isinstance(register_id, str)
            or not register_id.strip()
            or "/" in register_id
            or register_id.startswith("@")
        ):
            raise ConfigurationError(
                f"register id must be non-empty, without '/' and not starting with '@', "
                f"got {register_id!r}"
            )
        reg = self._registers.get(register_id)
        if reg is None:
            reg = self._registers[register_id] = Register(self, register_id)
        return reg

    # ---- receipts and reports --------------------------------------------------

    def receipt(self, number_or_id: str | uuid.UUID) -> Receipt:
        """Find a completed receipt by its printed number or its sale id."""
        doc = self._read(lambda uow: uow.receipt_document(number_or_id))
        if doc is None:
            raise SaleError(f"no receipt {number_or_id!r} in this store")
        return loads(doc, Receipt)

    def receipts(self, *, session_id: uuid.UUID | None = None) -> tuple[Receipt, ...]:
        """Receipts in completion order (of one session, if given)."""
        docs = self._read(lambda uow: list(uow.receipt_documents(session_id)))
        return tuple(loads(d, Receipt) for d in docs)

    def reprint(self, number_or_id: str | uuid.UUID) -> Receipt:
        """A receipt again, marked as a copy; the reprint is journaled (``ReceiptReprinted``)."""
        copy = self.receipt(number_or_id).as_copy()
        payload = canonical({"number": copy.number, "sale_id": str(copy.sale_id)})

        def work(uow: UnitOfWork) -> None:
            self._journal(uow, copy.register_id, "ReceiptReprinted", payload, 0)

        self.backend.run(work)
        return copy

    def z_reports(self) -> tuple[RegisterReport, ...]:
        """Every Z report, in the order the sessions closed."""
        return tuple(loads(d, RegisterReport) for d in self._read(lambda uow: uow.z_reports()))

    def grand_totals(self, register_id: str) -> tuple[Money, Money]:
        """A register's perpetual totals of sales and of returns (positive), never reset.

        They are the grand totals of the register's journal head, as X and Z
        reports show them (``grand_total_sales``, ``grand_total_returns``).
        """
        heads = self._read(lambda uow: uow.journal_heads())
        _, _, sales, returns = heads.get(register_id, (0, GENESIS, 0, 0))
        code = self.settings.currency
        return Money.from_minor(sales, code), Money.from_minor(returns, code)

    def suspended_sales(self) -> tuple[SaleSnapshot, ...]:
        """Parked sales any session may resume (as snapshots)."""
        return tuple(loads(d, SaleSnapshot) for d in self._read(lambda uow: uow.parked()))

    def verify_journal(self) -> Any:
        """Re-read the journal and check every chain and grand total (see ``possdk.storage``)."""
        from possdk.storage._journal import verify_entries

        def read(uow: UnitOfWork) -> Any:
            return verify_entries(uow.journal_entries(), uow.journal_heads())

        return self._read(read)

    # ---- RegisterHost ------------------------------------------------------------

    @property
    def tax_policy(self) -> TaxPolicy:
        """The tax policy in force."""
        return self.settings.tax

    def promotions(self, basket: Basket) -> Sequence[PromotionDiscount]:
        """Ask the promotion plugins for discounts on a basket."""
        results = self.plugins.hook.possdk_pricing_promotions(basket=basket)
        found = self.loyalty.promotions._discounts(basket)
        return [*found, *(p for batch in results for p in batch)]

    def record(self, event: Event) -> None:
        """Hand an uncommitted event (a line added) to the observers."""
        self._notify(self.plugins.hook.possdk_event, event=event)

    @property
    def refund_kinds(self) -> frozenset[TenderKind]:
        """Tender kinds refunds may go to besides the original tenders."""
        return self.settings.refund_kinds

    def take_payment(
        self, sale: Sale, tender: Tender, *, provider: str | None, card: object
    ) -> Tender:
        """Move a tender's money through its provider (``store.payments``)."""
        from possdk.payments._model import CardInput

        if not sale.tenders and not sale.is_return:
            self.inventory._check_sale(sale)  # a blocked item stops the sale before money moves
            self.loyalty._check_sale(sale)  # so does a used-up coupon or an unknown gift card
        if card is not None and not isinstance(card, CardInput):
            card = CardInput(str(card))  # masked at once; the number is never kept
        if tender.reference:
            from possdk.payments._model import mask_pans

            # A card number typed as a reference is masked before anything keeps it.
            tender = attrs.evolve(tender, reference=mask_pans(tender.reference))
        return self.payments.take(
            tender, sale_id=sale.id, terminal_id=sale.register_id, provider=provider, card=card
        )

    def void_payment(self, payment_id: uuid.UUID) -> None:
        """Give a payment back."""
        self.payments.void(payment_id)

    def refundable(self, payment_id: uuid.UUID) -> Money:
        """What is left to refund of a payment (nothing if its provider cannot refund)."""
        payment = self.payments.payment(payment_id)
        provider = self.payments.providers.get(payment.provider)
        if provider is None or not provider.capabilities.refund:
            return Money.zero(payment.captured.currency)
        return payment.refundable

    def refund_payment(self, payment_id: uuid.UUID, amount: Money, sale_id: uuid.UUID) -> None:
        """Refund part of a captured payment."""
        self.payments.refund(payment_id, amount, sale_id=sale_id)

    def cancel_refund(self, payment_id: uuid.UUID, amount: Money | Decimal) -> None:
        """Undo a refund that was not kept yet."""
        self.payments.cancel_refund(payment_id, amount)

    def resolve_payment(self, payment_id: uuid.UUID) -> Tender | None:
        """Look an unknown payment up; a tender if it was taken."""
        from possdk.payments._model import PaymentStatus

        payment = self.payments.resolve(payment_id)
        if payment.status is not PaymentStatus.CAPTURED:
            return None
        zero = Money.zero(payment.captured.currency)
        return Tender(
            0,
            payment.kind,
            payment.captured,
            payment.captured,
            zero,
            zero,
            payment.reference,
            payment.id,
            payment.provider,
            payment.card,
        )

    def abandon_payments(self, payment_ids: tuple[uuid.UUID, ...]) -> None:
        """Leave payments of a voided sale to ``store.payments.recover()``."""
        self.payments.abandon(payment_ids)

    def session_totals(self, session: RegisterSession) -> RegisterTotals:
        """A session's totals as kept."""
        row = self._read(lambda uow: uow.session(session.id))
        if row is None:
            return RegisterTotals.empty(session.currency)
        return loads(row.totals, RegisterTotals)

    def returned_quantities(self, sale_id: uuid.UUID) -> Mapping[int, Decimal]:
        """Quantities already returned per line of a sale."""
        return self._read(lambda uow: uow.returned_quantities(sale_id))

    def parked_sale(self, sale_id: uuid.UUID) -> SaleSnapshot:
        """A parked sale's snapshot."""
        docs = self._read(lambda uow: uow.parked(sale_id))
        if not docs:
            raise SaleError(f"no parked sale {sale_id}: it was resumed already, or never parked")
        return loads(docs[0], SaleSnapshot)

    def commit(self, session: RegisterSession, event: Event) -> Event:
        """Keep one business operation in one transaction, then tell the plugins."""
        self._pending_totals.clear()
        self.inventory._crossings.clear()
        kept: Event = self.backend.run(lambda uow: self._apply(uow, session, event))
        for sid, text, totals in self._pending_totals[-1:]:  # the attempt that committed
            self._totals_cache[sid] = (text, totals)
        self.inventory._after_commit()
        if isinstance(kept, (SaleCompleted, ReturnCompleted, SaleVoided)):
            tenders = kept.tenders if isinstance(kept, SaleVoided) else kept.receipt.tenders
            self.payments.settled(tenders)
            if isinstance(kept, ReturnCompleted) and any(
                t.payment_id is not None and t.amount.amount < 0 for t in tenders
            ):
                self.payments.send_refunds()  # the return is kept: now the money may go back
            if any(t.kind is TenderKind.CASH for t in tenders) and not isinstance(kept, SaleVoided):
                self._notify(
                    self.plugins.hook.possdk_cash_drawer_open,
                    register_id=session.register_id,
                    reason="cash tender",
                )
        elif isinstance(kept, (DrawerOpened, CashMoved)):
            self._notify(
                self.plugins.hook.possdk_cash_drawer_open,
                register_id=session.register_id,
                reason=kept.reason,
            )
        self._notify(self.plugins.hook.possdk_event, event=kept)
        if isinstance(kept, SaleCompleted):
            self._notify(self.plugins.hook.possdk_sale_completed, receipt=kept.receipt)
        elif isinstance(kept, ReturnCompleted):
            self._notify(self.plugins.hook.possdk_sale_returned, receipt=kept.receipt)
        elif isinstance(kept, SaleVoided):
            self._notify(self.plugins.hook.possdk_sale_voided, event=kept)
        elif isinstance(kept, RegisterSessionClosed):
            self._notify(self.plugins.hook.possdk_register_session_closed, report=kept.report)
        return kept

    # ---- the unit of work of each operation ---------------------------------------

    def _apply(self, uow: UnitOfWork, session: RegisterSession, event: Event) -> Event:
        terminal = session.register_id
        if isinstance(event, RegisterSessionOpened):
            uow.lock_register(terminal)  # two tills opening one register: one waits, then sees it
            if uow.open_session_for(terminal) is not None:
                raise RegisterError(
                    f"register {terminal} already has an open session; close it first"
                )
            uow.insert_session(
                SessionRow(
                    id=session.id,
                    register_id=terminal,
                    operator_id=session.operator.id,
                    currency=session.currency,
                    opening_float_minor=session.opening_float.minor,
                    opened_at=session.opened_at,
                    totals=dumps(RegisterTotals.empty(session.currency)),
                )
            )
            self._journal(uow, terminal, event, dumps(event), 0)
            return event
        if isinstance(event, SaleSuspended):
            uow.park(
                event.sale_id,
                terminal,
                event.snapshot.operator_id,
                event.occurred_at,
                dumps(event.snapshot),
            )
            self._journal(uow, terminal, event, dumps(event), 0)
            return event
        if isinstance(event, SaleResumed):
            if not uow.unpark(event.sale_id):
                raise SaleError(
                    f"sale {event.sale_id} is not parked any more: another till resumed it"
                )
            self._journal(uow, terminal, event, dumps(event), 0)
            return event

        row = uow.session(session.id, lock=True)
        if row is None or row.closed_at is not None:
            raise RegisterSessionStateError(
                f"register session {session.id} is closed (perhaps by another till); "
                f"open a new session"
            )
        totals = self._read_totals(session.id, row.totals)
        if isinstance(event, (SaleCompleted, ReturnCompleted)):
            event = self._number_receipt(uow, event)
            assert isinstance(event, (SaleCompleted, ReturnCompleted))
            receipt = event.receipt
            self.payments.settle(
                uow, receipt.tenders, sale_id=receipt.sale_id, terminal_id=receipt.register_id
            )
            self.inventory._apply_receipt(uow, receipt)  # its stock moves with it, or not at all
            points = self.loyalty._apply_receipt(uow, receipt)  # coupons, gift cards, points
            if points is not None:  # printed on the receipt: what it earned, what is left
                receipt = attrs.evolve(receipt, points_earned=points[0], points_balance=points[1])
                event = attrs.evolve(event, receipt=receipt)
            data = unstructure(event)
            document = canonical(data["receipt"])
            uow.insert_receipt(receipt, document)
            self._write_totals(uow, session.id, totals.apply(event))
            payload = canonical_with(data, "receipt", document)
            self._journal(uow, terminal, event, payload, abs(receipt.total.minor))
            return event
        if isinstance(event, RegisterSessionClosed):
            if any(getattr(event.report, k) != getattr(totals, k) for k in _CLOSE_BASIS):
                raise SessionTotalsChangedError(
                    f"register session {session.id} took more receipts or cash movements while "
                    f"its Z report was made (another till); close it again"
                )
            number = uow.next_number(terminal, "z")
            report = attrs.evolve(event.report, number=number, timezone=self.settings.timezone)
            event = attrs.evolve(event, report=report)
            uow.update_session(
                session.id,
                totals=row.totals,
                closed_at=event.occurred_at,
                z_number=number,
                z_report=dumps(report),
            )
            self._journal(uow, terminal, event, dumps(event), 0)
            return event
        if isinstance(event, SaleVoided):
            for payment in self.payments.pending_for(event.tenders, uow):
                uow.put_payment(payment)
        if isinstance(event, (SaleVoided, CashMoved, DrawerOpened)):
            self._write_totals(uow, session.id, totals.apply(event))
            self._journal(uow, terminal, event, dumps(event), 0)
            return event
        raise TypeError(f"not a committed operation: {type(event).__name__}")

    def _number_receipt(self, uow: UnitOfWork, event: SaleCompleted | ReturnCompleted) -> Event:
        receipt = event.receipt
        if isinstance(event, ReturnCompleted) and receipt.return_of is not None:
            self._check_returnable(uow, receipt)
        number = uow.next_number(receipt.register_id, "receipt")
        numbered = attrs.evolve(
            receipt,
            number=f"{receipt.register_id}/{number:06d}",
            header=self.settings.receipt_header,
            timezone=self.settings.timezone,
        )
        try:
            batches = self.plugins.hook.possdk_receipt_extra_lines(receipt=numbered)
        except Exception as exc:
            raise PluginError(
                f"a possdk_receipt_extra_lines plugin failed, so the sale was not completed: {exc}"
            ) from exc
        extra = tuple(str(line) for batch in batches for line in batch)
        return attrs.evolve(event, receipt=attrs.evolve(numbered, extra_lines=extra))

    def _check_returnable(self, uow: UnitOfWork, receipt: Receipt) -> None:
        # Checked again inside the transaction, with the original locked: two
        # tills returning the same line at once cannot both succeed.
        assert receipt.return_of is not None
        if not uow.lock_sale(receipt.return_of):
            raise ReturnError(f"the original sale {receipt.return_of} is not in this store")
        already = uow.returned_quantities(receipt.return_of)
        original = loads(uow.receipt_document(receipt.return_of) or "", Receipt)
        sold = {p.line.line_no: p.line.quantity for p in original.lines}
        asked: dict[int, Decimal] = {}
        for p in receipt.lines:
            ref = p.line.return_of
            if ref is not None:
                asked[ref.line_no] = EXACT.subtract(
                    asked.get(ref.line_no, Decimal(0)), p.line.quantity
                )
        for line_no, qty in asked.items():
            total = EXACT.add(already.get(line_no, Decimal(0)), qty)
            if total > sold.get(line_no, Decimal(0)):
                raise ReturnError(
                    f"line {line_no} of receipt {original.number}: {already.get(line_no, 0)} "
                    f"was returned meanwhile, so {qty} more would exceed the {sold[line_no]} sold"
                )

    def _journal(
        self, uow: UnitOfWork, terminal: str, event: Event | str, payload: str, amount_minor: int
    ) -> JournalEntry:
        if isinstance(event, Event):
            type_, at, entry_id = type(event).__name__, event.occurred_at, event.event_id
        else:
            at = self.clock.now()
            type_, entry_id = event, self.ids.new(at)
        head = uow.journal_head(terminal)
        seq, prev, gt_sales, gt_returns = (head[0] + 1, *head[1:]) if head else (1, GENESIS, 0, 0)
        if type_ == "SaleCompleted":
            gt_sales += amount_minor
        elif type_ == "ReturnCompleted":
            gt_returns += amount_minor
        fields: dict[str, Any] = {
            "id": entry_id,
            "terminal_id": terminal,
            "seq": seq,
            "at": at,
            "type": type_,
            "amount_minor": amount_minor,
            "payload": payload,
            "gt_sales_minor": gt_sales,
            "gt_returns_minor": gt_returns,
            "prev_hash": prev,
        }
        entry = JournalEntry(**fields, hash=entry_hash(**fields))
        try:
            signature = self.plugins.hook.possdk_journal_sign(entry=entry)
        except Exception as exc:
            raise PluginError(
                f"a possdk_journal_sign plugin failed, so the operation was not kept: {exc}"
            ) from exc
        if signature is not None:
            entry = attrs.evolve(entry, signature=str(signature))
        uow.append_journal(entry)
        return entry

    # ---- internals ---------------------------------------------------------------

    def _read_totals(self, session_id: uuid.UUID, text: str) -> RegisterTotals:
        # The totals this process wrote last are usually what it reads next:
        # reuse the value instead of parsing the JSON again.
        cached = self._totals_cache.get(session_id)
        if cached is not None and cached[0] == text:
            return cached[1]
        return loads(text, RegisterTotals)

    def _write_totals(self, uow: UnitOfWork, session_id: uuid.UUID, totals: RegisterTotals) -> None:
        text = dumps(totals)
        uow.update_session(session_id, totals=text)
        # Cached only once the transaction commits (see commit()).
        self._pending_totals.append((session_id, text, totals))

    def _read(self, work: Callable[[UnitOfWork], T]) -> T:
        import sqlalchemy as sa

        errors = getattr(self.backend, "errors", (sa.exc.DBAPIError,))
        try:
            with self.backend.unit_of_work(write=False) as uow:
                return work(uow)
        except errors as exc:
            translate = getattr(self.backend, "translate", None)
            raise (translate(exc) if translate else StorageError(str(exc))) from exc

    def _restore_session(self, row: SessionRow) -> RegisterSession:
        return RegisterSession(
            self,
            session_id=row.id,
            register_id=row.register_id,
            operator=self.operator(row.operator_id),
            opening_float=Money.from_minor(row.opening_float_minor, row.currency),
            currency_code=row.currency,
            opened_at=row.opened_at,
        )

    def _save_setting(self, key: str, value: str, type_: str) -> None:
        def work(uow: UnitOfWork) -> None:
            uow.put_setting(key, value)
            self._journal(uow, STORE_TERMINAL, type_, value, 0)

        self.backend.run(work)

    def _save_products(self, products: Sequence[Product], *, replace: bool) -> None:
        # Catalog changes are journaled compactly: how many, and a digest of what.
        digest = hashlib.sha256()
        for p in products:
            codes = ",".join(g.gtin14 for g in p.barcodes)
            digest.update(
                f"{p.sku}\t{p.name}\t{p.price}\t{p.tax_category}\t{p.unit.value}\t{codes}\t"
                f"{p.plu}\t{p.active}\t{p.parent_sku}\n".encode()
            )
        payload = canonical(
            {"count": len(products), "replace": replace, "sha256": digest.hexdigest()}
        )

        def work(uow: UnitOfWork) -> None:
            uow.put_products(products, replace=replace)
            self._journal(uow, STORE_TERMINAL, "CatalogChanged", payload, 0)

        self.backend.run(work)

    def _save_tax_category(self, category: TaxCategory) -> None:
        payload = dumps(category)

        def work(uow: UnitOfWork) -> None:
            uow.put_tax_category(category)
            self._journal(uow, STORE_TERMINAL, "TaxCategorySaved", payload, 0)

        self.backend.run(work)

    def _import_catalog(self, catalog: Catalog) -> None:
        for category in catalog.tax_categories.values():
            if self.catalog.tax_categories.get(category.code) != category:
                self.catalog.add_tax_category(category)
        new = [p for p in catalog if p.sku not in self.catalog]
        changed = [p for p in catalog if p.sku in self.catalog and self.catalog.get(p.sku) != p]
        if new:
            self.catalog.add_many(new)
        for p in changed:
            self.catalog.replace(p)
        if catalog.layouts.by_prefix and catalog.layouts != self.catalog.layouts:
            self.set_barcode_layouts(catalog.layouts)

    def _default_cash_rounding(self) -> CashRoundingPolicy:
        code = self.settings.currency
        rule = self.plugins.hook.possdk_cash_rounding(currency=code)
        return CashRoundingPolicy({code: rule} if rule is not None else {})

    @staticmethod
    def _notify(hook: Any, **kwargs: Any) -> None:
        # After-the-fact notifications: the change is final, so a failing
        # plugin is logged, not allowed to undo it.
        try:
            hook(**kwargs)
        except Exception:
            log.exception("possdk plugin failed in %s; the operation itself succeeded", hook.name)


# What a Z report counted: every operation that moves a session's totals changes one of
# these, and the report and the totals name them alike.
_CLOSE_BASIS = (
    "sale_count",
    "return_count",
    "void_count",
    "voided_line_count",
    "no_sale_count",
    "sales",
    "returns",
    "paid_in",
    "paid_out",
)
