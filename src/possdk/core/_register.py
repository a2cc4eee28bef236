"""Register (till) sessions: the float, paid in/out, the count, and X/Z totals."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

import attrs

from possdk.core._catalog import Catalog
from possdk.core._clock import Clock, IdGenerator
from possdk.core._events import (
    ApprovalGranted,
    CashMoved,
    CashMovementKind,
    DrawerOpened,
    Event,
    RegisterSessionClosed,
    RegisterSessionOpened,
    SaleVoided,
)
from possdk.core._lines import PromotionDiscount
from possdk.core._money import Money, to_decimal
from possdk.core._permissions import Action, Approval, Operator, authorize
from possdk.core._pricing import TaxLine
from possdk.core._receipt import Receipt
from possdk.core._sale import Basket, Sale, SaleState
from possdk.core._tax import TaxPolicy, TaxRate
from possdk.core._tender import CashRoundingPolicy, TenderKind
from possdk.errors import MoneyError, RegisterSessionStateError, ReturnError, SaleStateError

__all__ = [
    "RegisterHost",
    "RegisterReport",
    "RegisterSession",
    "RegisterTotals",
    "SessionState",
    "TenderTotal",
]


class SessionState(enum.Enum):
    """Whether a register session is trading."""

    OPEN = "open"
    """Trading."""
    CLOSED = "closed"
    """Counted and closed; the Z report is final."""


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


class RegisterTotals:
    """A running tally of a session's receipts, voids and cash movements.

    Constant memory however long the session: it adds each receipt up as it
    completes and never keeps the receipts themselves.
    """

    def __init__(self, currency_code: str) -> None:
        zero = Money.zero(currency_code)
        self.currency = currency_code
        self.sale_count = 0
        self.return_count = 0
        self.void_count = 0
        self.voided_line_count = 0
        self.no_sale_count = 0
        self.approval_count = 0
        self.sales = zero
        self.discounts = zero
        self.returns = zero
        self.voided_total = zero
        self.paid_in = zero
        self.paid_out = zero
        self.cash_sales = zero
        self.cash_refunds = zero
        self.cash_rounding = zero
        self._tax: dict[str, list[Any]] = {}
        self._tenders: dict[TenderKind, list[Any]] = {}

    def add_receipt(self, receipt: Receipt) -> None:
        """Count a completed sale or return."""
        totals = receipt.totals
        if receipt.is_return:
            self.return_count += 1
            self.returns = self.returns - totals.total
        else:
            self.sale_count += 1
            self.sales = self.sales + totals.total
            self.discounts = self.discounts + totals.discount
        self.voided_line_count += len(receipt.voided_lines)
        for row in totals.breakdown:
            slot = self._tax.get(row.rate.code)
            if slot is None:
                self._tax[row.rate.code] = [row.rate, row.net, row.tax]
            else:
                slot[1] = slot[1] + row.net
                slot[2] = slot[2] + row.tax
        for t in receipt.tenders:
            slot = self._tenders.setdefault(t.kind, [0, Money.zero(self.currency)])
            slot[0] += 1
            slot[1] = slot[1] + t.amount
            if t.kind is TenderKind.CASH:
                if t.amount.amount >= 0:
                    self.cash_sales = self.cash_sales + t.amount
                else:
                    self.cash_refunds = self.cash_refunds - t.amount
            self.cash_rounding = self.cash_rounding + t.rounding

    def add_void(self, total: Money) -> None:
        """Count a sale voided before completion."""
        self.void_count += 1
        self.voided_total = self.voided_total + total

    def add_cash(self, kind: CashMovementKind, amount: Money) -> None:
        """Count a paid-in or paid-out."""
        if kind is CashMovementKind.PAID_IN:
            self.paid_in = self.paid_in + amount
        else:
            self.paid_out = self.paid_out + amount

    def tax_breakdown(self) -> tuple[TaxLine, ...]:
        """Net and tax per rate so far."""
        rows: list[tuple[TaxRate, Money, Money]] = [(r, n, t) for r, n, t in self._tax.values()]
        return tuple(TaxLine(r, n, t) for r, n, t in rows)

    def tender_totals(self) -> tuple[TenderTotal, ...]:
        """Per tender kind, in the order of :class:`TenderKind`."""
        return tuple(
            TenderTotal(kind, self._tenders[kind][0], self._tenders[kind][1])
            for kind in TenderKind
            if kind in self._tenders
        )


class RegisterHost(Protocol):
    """What a register session needs from its surroundings (the Store implements it)."""

    @property
    def catalog(self) -> Catalog:
        """Products to sell."""
        ...

    @property
    def clock(self) -> Clock:
        """The time."""
        ...

    @property
    def ids(self) -> IdGenerator:
        """UUIDv7 ids."""
        ...

    @property
    def tax_policy(self) -> TaxPolicy:
        """Tax mode and rounding."""
        ...

    @property
    def cash_rounding(self) -> CashRoundingPolicy:
        """Cash rounding per currency."""
        ...

    def promotions(self, basket: Basket) -> Sequence[PromotionDiscount]:
        """Automatic promotions for a basket."""
        ...

    def operator(self, ref: Operator | str) -> Operator:
        """Resolve an operator by id."""
        ...

    def record(self, event: Event) -> None:
        """Take an event as it happens."""
        ...

    def finish_receipt(self, session: RegisterSession, receipt: Receipt) -> Receipt:
        """Number, keep and publish a receipt; raise to refuse completion."""
        ...

    def returned_quantities(self, sale_id: uuid.UUID) -> Mapping[int, Decimal]:
        """Quantities already returned per line of a completed sale."""
        ...

    def close_session(self, session: RegisterSession, report: RegisterReport) -> RegisterReport:
        """Number and keep a Z report; raise to refuse the close."""
        ...

    def suspend_sale(self, sale: Sale) -> None:
        """Keep a parked sale so any session can resume it."""
        ...

    def take_suspended(self, sale_id: uuid.UUID) -> Sale:
        """Hand a parked sale back (and forget it as parked)."""
        ...


class _SessionSaleHost:
    """Adapts a register session to the port a sale needs."""

    def __init__(self, session: RegisterSession) -> None:
        self._session = session
        host = session._host
        self.catalog = host.catalog
        self.clock = host.clock
        self.ids = host.ids
        self.tax_policy = host.tax_policy
        self.cash_rounding = host.cash_rounding

    def promotions(self, basket: Basket) -> Sequence[PromotionDiscount]:
        return self._session._host.promotions(basket)

    def operator(self, ref: Operator | str) -> Operator:
        return self._session._host.operator(ref)

    def record(self, event: Event) -> None:
        self._session._on_sale_event(event)

    def finish(self, receipt: Receipt) -> Receipt:
        return self._session._finish(receipt)

    def returned_quantities(self, sale_id: uuid.UUID) -> Mapping[int, Decimal]:
        return self._session._host.returned_quantities(sale_id)

    def park(self, sale: Sale) -> None:
        self._session._park(sale)


class RegisterSession:
    """One operator's shift on one register, from the opening float to the count.

    Open one with ``store.register("till-1").open_session(...)``. Sales and
    returns are rung up through it; :meth:`x_report` shows the totals so
    far, :meth:`close` counts the drawer and gives the final Z report.
    """

    def __init__(
        self,
        host: RegisterHost,
        *,
        register_id: str,
        operator: Operator,
        opening_float: Money,
        currency_code: str,
    ) -> None:
        if opening_float.currency != currency_code:
            raise MoneyError(f"opening float must be in {currency_code}, got {opening_float}")
        if opening_float.amount < 0:
            raise MoneyError(f"opening float cannot be negative, got {opening_float}")
        self._host = host
        self.id: uuid.UUID = host.ids.new()
        """The session's UUIDv7."""
        self.register_id = register_id
        """The register (till)."""
        self.operator = operator
        """Who opened it."""
        self.currency = currency_code
        """The currency of the drawer."""
        self.opening_float = opening_float
        """Cash in the drawer at the start."""
        self.opened_at: datetime = host.clock.now()
        """When it opened."""
        self._state = SessionState.OPEN
        self._totals = RegisterTotals(currency_code)
        self._sale_host = _SessionSaleHost(self)
        self._open_sales: dict[uuid.UUID, Sale] = {}
        self.z_report: RegisterReport | None = None
        """The Z report, once closed."""
        self._record(
            RegisterSessionOpened,
            session_id=self.id,
            register_id=register_id,
            operator_id=operator.id,
            opening_float=opening_float,
        )

    @property
    def state(self) -> SessionState:
        """Open or closed."""
        return self._state

    @property
    def totals(self) -> RegisterTotals:
        """The running totals."""
        return self._totals

    def __repr__(self) -> str:
        return f"<RegisterSession {self.register_id} {self.id} {self._state.value}>"

    # ---- selling -------------------------------------------------------------

    def new_sale(self, *, operator: Operator | str | None = None) -> Sale:
        """Open a new sale (by the session's operator unless another one is named)."""
        self._require_open("start a sale")
        sale = Sale(
            self._sale_host,
            register_id=self.register_id,
            session_id=self.id,
            operator=self._resolve(operator),
            currency_code=self.currency,
        )
        self._open_sales[sale.id] = sale
        return sale

    def new_return(
        self,
        receipt: Receipt | None = None,
        *,
        operator: Operator | str | None = None,
        approved_by: Operator | str | None = None,
    ) -> Sale:
        """Open a return: against ``receipt``, or without one (a separate permission).

        A return against a receipt needs :attr:`~possdk.core.Action.REFUND`;
        one without a receipt needs :attr:`~possdk.core.Action.REFUND_WITHOUT_RECEIPT`.
        """
        self._require_open("start a return")
        who = self._resolve(operator)
        if receipt is not None:
            if receipt.is_return:
                raise ReturnError(
                    f"receipt {receipt.number} is itself a return; it cannot be returned"
                )
            if receipt.currency != self.currency:
                raise ReturnError(
                    f"receipt {receipt.number} is in {receipt.currency}; "
                    f"this drawer is in {self.currency}"
                )
            action, detail = Action.REFUND, f"return against {receipt.number}"
        else:
            action, detail = Action.REFUND_WITHOUT_RECEIPT, "return without a receipt"
        approval = authorize(
            action,
            who,
            None if approved_by is None else self._host.operator(approved_by),
            self._host.clock.now(),
            detail=detail,
        )
        sale = Sale(
            self._sale_host,
            register_id=self.register_id,
            session_id=self.id,
            operator=who,
            currency_code=self.currency,
            original=receipt,
            is_return=True,
            approval=approval,
        )
        self._open_sales[sale.id] = sale
        return sale

    def suspend(self, sale: Sale) -> None:
        """Park a sale (the same as ``sale.suspend()``); any open session can :meth:`resume` it."""
        sale.suspend()

    def resume(self, sale_id: uuid.UUID, *, operator: Operator | str | None = None) -> Sale:
        """Resume a parked sale on this session, by this session's operator unless named."""
        self._require_open("resume a sale")
        sale = self._host.take_suspended(sale_id)
        sale.resume(session_id=self.id, operator=self._resolve(operator))
        sale._host = self._sale_host
        self._open_sales[sale.id] = sale
        return sale

    @property
    def open_sales(self) -> tuple[Sale, ...]:
        """Sales started on this session and not yet completed, voided or parked."""
        return tuple(self._open_sales.values())

    # ---- cash ----------------------------------------------------------------

    def paid_in(
        self,
        amount: Money | Decimal | int | str,
        *,
        reason: str,
        approved_by: Operator | str | None = None,
    ) -> Money:
        """Record cash put into the drawer (needs :attr:`~possdk.core.Action.PAID_IN_OUT`)."""
        return self._cash(CashMovementKind.PAID_IN, amount, reason, approved_by)

    def paid_out(
        self,
        amount: Money | Decimal | int | str,
        *,
        reason: str,
        approved_by: Operator | str | None = None,
    ) -> Money:
        """Record cash taken out of the drawer (needs :attr:`~possdk.core.Action.PAID_IN_OUT`)."""
        return self._cash(CashMovementKind.PAID_OUT, amount, reason, approved_by)

    def open_drawer(self, *, reason: str, approved_by: Operator | str | None = None) -> None:
        """Open the drawer without a sale ("no sale"); needs :attr:`~possdk.core.Action.NO_SALE`."""
        self._require_open("open the drawer")
        approval = self._authorize(Action.NO_SALE, approved_by, reason)
        self._totals.no_sale_count += 1
        self._record(
            DrawerOpened,
            session_id=self.id,
            operator_id=self.operator.id,
            reason=reason,
            approval=approval,
        )

    def expected_cash(self) -> Money:
        """What should be in the drawer now."""
        t = self._totals
        return self.opening_float + t.cash_sales - t.cash_refunds + t.paid_in - t.paid_out

    # ---- reports and closing -------------------------------------------------

    def x_report(self) -> RegisterReport:
        """The totals so far; can be taken any number of times and changes nothing."""
        return self._report(final=False, at=self._host.clock.now())

    def close(
        self,
        *,
        counted_cash: Money | Decimal | int | str | None = None,
        denominations: Mapping[Decimal, int] | Mapping[str, int] | Mapping[int, int] | None = None,
    ) -> RegisterReport:
        """Count the drawer, close the session and return the final Z report.

        Give either the counted total or the count by denomination
        (``{"500": 2, "0.50": 3}``: two 500 notes and three 50-kopiyka coins).

        Raises:
            RegisterSessionStateError: already closed, or sales still open.
        """
        self._require_open("close")
        busy = [
            s
            for s in self._open_sales.values()
            if s.state in (SaleState.OPEN, SaleState.TENDERING) and s.lines
        ]
        if busy:
            raise RegisterSessionStateError(
                f"session {self.id} has {len(busy)} sale(s) in progress; "
                f"complete, park or void them first"
            )
        counted, breakdown = self._count(counted_cash, denominations)
        at = self._host.clock.now()
        report = self._report(final=True, at=at, counted=counted, denominations=breakdown)
        report = self._host.close_session(self, report)
        self._state = SessionState.CLOSED
        self.z_report = report
        self._record(RegisterSessionClosed, session_id=self.id, report=report)
        return report

    # ---- internals -------------------------------------------------------------

    def _count(
        self,
        counted_cash: Money | Decimal | int | str | None,
        denominations: Mapping[Decimal, int] | Mapping[str, int] | Mapping[int, int] | None,
    ) -> tuple[Money, tuple[tuple[Decimal, int], ...]]:
        if (counted_cash is None) == (denominations is None):
            raise RegisterSessionStateError(
                "close() needs the counted cash: give counted_cash= or denominations=, not both"
            )
        if denominations is not None:
            rows: list[tuple[Decimal, int]] = []
            total = Money.zero(self.currency)
            for value, count in denominations.items():
                face = to_decimal(value, "denomination")
                if face <= 0 or isinstance(count, bool) or not isinstance(count, int) or count < 0:
                    raise MoneyError(f"bad denomination count {value!r}: {count!r}")
                rows.append((face, count))
                total = total + Money(face, self.currency) * count
            return total, tuple(sorted(rows, reverse=True))
        assert counted_cash is not None
        counted = (
            counted_cash if isinstance(counted_cash, Money) else Money(counted_cash, self.currency)
        )
        if counted.currency != self.currency or counted.amount < 0:
            raise MoneyError(
                f"counted cash must be a non-negative amount in {self.currency}, got {counted}"
            )
        return counted, ()

    def _report(
        self,
        *,
        final: bool,
        at: datetime,
        counted: Money | None = None,
        denominations: tuple[tuple[Decimal, int], ...] = (),
    ) -> RegisterReport:
        t = self._totals
        expected = self.expected_cash()
        return RegisterReport(
            is_final=final,
            number=None,
            register_id=self.register_id,
            session_id=self.id,
            operator_id=self.operator.id,
            operator_name=self.operator.name,
            currency=self.currency,
            opened_at=self.opened_at,
            at=at,
            sale_count=t.sale_count,
            sales=t.sales,
            discounts=t.discounts,
            return_count=t.return_count,
            returns=t.returns,
            net_sales=t.sales - t.returns,
            void_count=t.void_count,
            voided_total=t.voided_total,
            voided_line_count=t.voided_line_count,
            tax_breakdown=t.tax_breakdown(),
            tenders=t.tender_totals(),
            opening_float=self.opening_float,
            cash_sales=t.cash_sales,
            cash_refunds=t.cash_refunds,
            paid_in=t.paid_in,
            paid_out=t.paid_out,
            cash_rounding=t.cash_rounding,
            expected_cash=expected,
            counted_cash=counted,
            variance=None if counted is None else counted - expected,
            counted_denominations=denominations,
            no_sale_count=t.no_sale_count,
            approval_count=t.approval_count,
        )

    def _cash(
        self,
        kind: CashMovementKind,
        amount: Money | Decimal | int | str,
        reason: str,
        approved_by: Operator | str | None,
    ) -> Money:
        self._require_open(kind.value.replace("_", " "))
        value = amount if isinstance(amount, Money) else Money(amount, self.currency)
        if value.currency != self.currency or value.amount <= 0 or not value.is_rounded:
            raise MoneyError(
                f"{kind.value.replace('_', ' ')} must be a positive amount in {self.currency} "
                f"in whole minor units, got {value}"
            )
        if not reason.strip():
            raise MoneyError(f"{kind.value.replace('_', ' ')} needs a reason for the books")
        if kind is CashMovementKind.PAID_OUT and value > self.expected_cash():
            raise MoneyError(
                f"cannot pay out {value}: only {self.expected_cash()} should be in the drawer"
            )
        approval = self._authorize(
            Action.PAID_IN_OUT, approved_by, f"{kind.value} {value}: {reason}"
        )
        self._totals.add_cash(kind, value)
        self._record(
            CashMoved,
            session_id=self.id,
            kind=kind,
            amount=value,
            reason=reason,
            operator_id=self.operator.id,
            approval=approval,
        )
        return value

    def _authorize(
        self, action: Action, approved_by: Operator | str | None, detail: str
    ) -> Approval | None:
        approval = authorize(
            action,
            self.operator,
            None if approved_by is None else self._host.operator(approved_by),
            self._host.clock.now(),
            detail=detail,
        )
        if approval is not None:
            self._totals.approval_count += 1
            self._record(ApprovalGranted, approval=approval, session_id=self.id)
        return approval

    def _resolve(self, operator: Operator | str | None) -> Operator:
        return self.operator if operator is None else self._host.operator(operator)

    def _require_open(self, action: str) -> None:
        if self._state is not SessionState.OPEN:
            raise RegisterSessionStateError(
                f"cannot {action}: register session {self.id} is closed; open a new session"
            )

    def _record(self, event_type: type[Event], **fields: Any) -> None:
        now = self._host.clock.now()
        self._host.record(event_type(event_id=self._host.ids.new(now), occurred_at=now, **fields))

    def _on_sale_event(self, event: Event) -> None:
        if isinstance(event, SaleVoided):
            self._totals.add_void(event.total)
            self._open_sales.pop(event.sale_id, None)
        elif isinstance(event, ApprovalGranted):
            self._totals.approval_count += 1
        self._host.record(event)

    def _park(self, sale: Sale) -> None:
        self._open_sales.pop(sale.id, None)
        self._host.suspend_sale(sale)

    def _finish(self, receipt: Receipt) -> Receipt:
        if self._state is not SessionState.OPEN:
            raise SaleStateError(
                receipt.sale_id, "on a closed session", "complete", "resume it on an open session"
            )
        final = self._host.finish_receipt(self, receipt)
        self._totals.add_receipt(final)
        self._open_sales.pop(final.sale_id, None)
        return final
