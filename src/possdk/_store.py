"""The Store facade: the one object a host app holds.

It owns the catalog, the merchant's settings, the operators, the plugin
manager, the clock and the registers, and implements the ports the core's
sale and register session need. This version keeps everything in memory;
durable storage plugs in behind the same facade.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs
import pluggy

from possdk.core import (
    Basket,
    CashRoundingPolicy,
    Catalog,
    Clock,
    Event,
    IdGenerator,
    Money,
    Operator,
    PromotionDiscount,
    Receipt,
    RegisterReport,
    RegisterSession,
    Sale,
    SaleVoided,
    SystemClock,
    TaxPolicy,
    currency,
)
from possdk.core._decimal import EXACT
from possdk.errors import ConfigurationError, PluginError, RegisterError, SaleError
from possdk.plugins import get_plugin_manager

__all__ = ["Register", "Settings", "Store"]

log = logging.getLogger(__name__)


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


def _check_width(instance: object, attribute: attrs.Attribute[int], value: int) -> None:
    if not 24 <= value <= 80:
        raise ConfigurationError(f"receipt width must be 24 to 80 characters, got {value}")


@attrs.frozen
class Settings:
    """The merchant's configuration of a store.

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


class Register:
    """A till: where register sessions open and close, one at a time."""

    def __init__(self, store: Store, register_id: str) -> None:
        self._store = store
        self.id = register_id
        """The register's id, e.g. ``"till-1"``."""
        self.session: RegisterSession | None = None
        """The open session, if any."""
        self.z_count = 0
        """How many Z reports this register has produced."""
        self.receipt_count = 0
        """How many receipts it has numbered."""

    def open_session(
        self, *, operator: Operator | str, opening_float: Money | Decimal | int | str = 0
    ) -> RegisterSession:
        """Open a session with the cash in the drawer (the float).

        Raises:
            RegisterError: a session is already open on this register.
        """
        if self.session is not None:
            raise RegisterError(
                f"register {self.id} already has an open session "
                f"({self.session.id}); close it first"
            )
        code = self._store.settings.currency
        amount = opening_float if isinstance(opening_float, Money) else Money(opening_float, code)
        session = RegisterSession(
            self._store,
            register_id=self.id,
            operator=self._store.operator(operator),
            opening_float=amount,
            currency_code=code,
        )
        self.session = session
        return session

    def __repr__(self) -> str:
        return f"<Register {self.id}>"


class Store:
    """A shop: catalog, settings, operators, registers and plugins, in one object.

    ``Store.create(Settings(currency="UAH", locale="uk_UA"), catalog=catalog,
    operators=[...])`` gives an in-memory store. Host apps keep one Store
    and open register sessions on it.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        catalog: Catalog,
        operators: Iterable[Operator],
        clock: Clock,
        plugin_manager: pluggy.PluginManager,
    ) -> None:
        self.settings = settings
        """The merchant's settings."""
        self.catalog = catalog
        """The products."""
        self.clock = clock
        """The time source (inject a FixedClock in tests)."""
        self.ids = IdGenerator(clock)
        """The UUIDv7 generator."""
        self.plugins = plugin_manager
        """The pluggy plugin manager."""
        self._operators: dict[str, Operator] = {}
        for op in operators:
            self.add_operator(op)
        self._registers: dict[str, Register] = {}
        self._receipts: dict[uuid.UUID, Receipt] = {}
        self._receipt_numbers: dict[str, uuid.UUID] = {}
        self._returned: dict[uuid.UUID, dict[int, Decimal]] = {}
        self._suspended: dict[uuid.UUID, Sale] = {}
        self._z_reports: list[RegisterReport] = []
        self.cash_rounding = settings.cash_rounding or self._default_cash_rounding()
        """The cash rounding in force."""

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
        """Create an in-memory store.

        Args:
            settings: the merchant's settings.
            catalog: products; an empty catalog if not given.
            operators: the people who may use the tills.
            clock: the time source; the system clock if not given.
            plugins: extra plugin objects to register (besides entry points).
            load_entry_points: load installed plugins from the ``possdk`` group.
        """
        pm = get_plugin_manager(load_entry_points=load_entry_points, plugins=plugins)
        return cls(
            settings,
            catalog=catalog if catalog is not None else Catalog(),
            operators=operators,
            clock=clock or SystemClock(),
            plugin_manager=pm,
        )

    def __repr__(self) -> str:
        return f"<Store {self.settings.currency} {len(self.catalog)} products>"

    # ---- operators and registers ---------------------------------------------

    def add_operator(self, operator: Operator) -> None:
        """Add (or replace) an operator."""
        self._operators[operator.id] = operator

    def operator(self, ref: Operator | str) -> Operator:
        """Look an operator up by id (an Operator is returned as is, if known)."""
        key = ref.id if isinstance(ref, Operator) else ref
        try:
            return self._operators[key]
        except KeyError:
            raise ConfigurationError(
                f"unknown operator {key!r}: add it with store.add_operator() first"
            ) from None

    def register(self, register_id: str) -> Register:
        """The register (till) with this id, created on first use."""
        if not register_id or not register_id.strip() or "/" in register_id:
            raise ConfigurationError(
                f"register id must be non-empty without '/', got {register_id!r}"
            )
        reg = self._registers.get(register_id)
        if reg is None:
            reg = self._registers[register_id] = Register(self, register_id)
        return reg

    # ---- receipts --------------------------------------------------------------

    def receipt(self, number_or_id: str | uuid.UUID) -> Receipt:
        """Find a completed receipt by its printed number or its sale id."""
        key = (
            number_or_id
            if isinstance(number_or_id, uuid.UUID)
            else self._receipt_numbers.get(number_or_id)
        )
        if key is None or key not in self._receipts:
            raise SaleError(f"no receipt {number_or_id!r} in this store")
        return self._receipts[key]

    def receipts(self) -> tuple[Receipt, ...]:
        """Every receipt, in completion order."""
        return tuple(self._receipts.values())

    def reprint(self, number_or_id: str | uuid.UUID) -> Receipt:
        """A receipt again, marked as a copy."""
        return self.receipt(number_or_id).as_copy()

    def z_reports(self) -> tuple[RegisterReport, ...]:
        """Every Z report, in the order the sessions closed."""
        return tuple(self._z_reports)

    def suspended_sales(self) -> tuple[Sale, ...]:
        """Parked sales any session may resume."""
        return tuple(self._suspended.values())

    # ---- RegisterHost ------------------------------------------------------------

    @property
    def tax_policy(self) -> TaxPolicy:
        """The tax policy in force."""
        return self.settings.tax

    def promotions(self, basket: Basket) -> Sequence[PromotionDiscount]:
        """Ask the promotion plugins for discounts on a basket."""
        results = self.plugins.hook.possdk_pricing_promotions(basket=basket)
        return [p for batch in results for p in batch]

    def record(self, event: Event) -> None:
        """Hand an event to the plugins (and, for voids, the void hook)."""
        self._notify(self.plugins.hook.possdk_event, event=event)
        if isinstance(event, SaleVoided):
            self._notify(self.plugins.hook.possdk_sale_voided, event=event)

    def finish_receipt(self, session: RegisterSession, receipt: Receipt) -> Receipt:
        """Number a receipt, add plugin lines, keep it and tell the plugins."""
        reg = self.register(session.register_id)
        number = f"{reg.id}/{reg.receipt_count + 1:06d}"
        numbered = attrs.evolve(
            receipt,
            number=number,
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
        final = attrs.evolve(numbered, extra_lines=extra)
        reg.receipt_count += 1
        self._receipts[final.sale_id] = final
        self._receipt_numbers[final.number] = final.sale_id
        if final.return_of is not None:
            returned = self._returned.setdefault(final.return_of, {})
            for p in final.lines:
                if p.line.return_of is not None:
                    n = p.line.return_of.line_no
                    returned[n] = EXACT.subtract(returned.get(n, Decimal(0)), p.line.quantity)
        if final.is_return:
            self._notify(self.plugins.hook.possdk_sale_returned, receipt=final)
        else:
            self._notify(self.plugins.hook.possdk_sale_completed, receipt=final)
        return final

    def returned_quantities(self, sale_id: uuid.UUID) -> Mapping[int, Decimal]:
        """Quantities already returned per line of a sale."""
        return dict(self._returned.get(sale_id, {}))

    def close_session(self, session: RegisterSession, report: RegisterReport) -> RegisterReport:
        """Number and keep a Z report; free the register for a new session."""
        reg = self.register(session.register_id)
        numbered = attrs.evolve(report, number=reg.z_count + 1, timezone=self.settings.timezone)
        reg.z_count += 1
        reg.session = None
        self._z_reports.append(numbered)
        self._notify(self.plugins.hook.possdk_register_session_closed, report=numbered)
        return numbered

    def suspend_sale(self, sale: Sale) -> None:
        """Keep a parked sale."""
        self._suspended[sale.id] = sale

    def take_suspended(self, sale_id: uuid.UUID) -> Sale:
        """Hand a parked sale back."""
        try:
            return self._suspended.pop(sale_id)
        except KeyError:
            raise SaleError(f"no parked sale {sale_id}") from None

    # ---- internals ---------------------------------------------------------------

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
