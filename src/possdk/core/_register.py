"""Register (till) sessions: the float, paid in/out, the count, and X/Z totals."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol, runtime_checkable

import attrs

from possdk.core._catalog import Catalog, ProductKind
from possdk.core._clock import Clock, IdGenerator
from possdk.core._events import (
    ApprovalGranted,
    CashMoved,
    CashMovementKind,
    DrawerOpened,
    Event,
    RegisterSessionClosed,
    RegisterSessionOpened,
    ReturnCompleted,
    SaleCompleted,
    SaleSuspended,
    SaleVoided,
)
from possdk.core._lines import PromotionDiscount, SaleLine
from possdk.core._money import Money, to_decimal
from possdk.core._permissions import Action, Approval, Operator, authorize
from possdk.core._pricing import TaxLine
from possdk.core._receipt import Receipt
from possdk.core._report import RegisterReport, TenderTotal, zero_in_currency
from possdk.core._sale import Basket, Sale, SaleSnapshot, SaleState
from possdk.core._tax import TaxPolicy
from possdk.core._tender import CashRoundingPolicy, Tender, TenderKind
from possdk.errors import (
    MoneyError,
    RegisterSessionStateError,
    ReturnError,
    SessionTotalsChangedError,
)

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


_CLOSE_ATTEMPTS = 3  # a Z built again when other tills keep committing to the session


def _is_gift_card(line: SaleLine) -> bool:
    """True for a gift card line sold, or a return line giving one back (it keeps the kind)."""
    return line.kind is ProductKind.GIFT_CARD


@attrs.frozen
class RegisterTotals:
    """A session's running tally of receipts, voids and cash movements: a value.

    Each ``with_*`` method returns the tally with one more operation added,
    so storage can keep it as one row and update it in the same transaction
    as the operation itself. Constant size however long the session.
    """

    currency: str
    """The currency."""
    sale_count: int
    """Completed sales."""
    return_count: int
    """Completed returns."""
    void_count: int
    """Sales voided before completion."""
    voided_line_count: int
    """Lines voided on completed sales."""
    no_sale_count: int
    """Drawer opens without a sale."""
    approval_count: int
    """Supervisor approvals."""
    sales: Money
    """Totals of completed sales."""
    discounts: Money
    """Discounts on them."""
    returns: Money
    """Refunded on returns (positive)."""
    voided_total: Money
    """What voided sales came to."""
    paid_in: Money
    """Cash paid in."""
    paid_out: Money
    """Cash paid out."""
    cash_sales: Money
    """Cash taken on sales."""
    cash_refunds: Money
    """Cash paid out on returns (positive)."""
    cash_rounding: Money
    """Net cash rounding."""
    tax: tuple[TaxLine, ...] = ()
    """Net and tax per rate."""
    tenders: tuple[TenderTotal, ...] = ()
    """Per tender kind."""
    gift_cards_sold_count: int = 0
    """Gift card lines sold minus gift card lines returned."""
    gift_cards_sold: Money = attrs.field(default=attrs.Factory(zero_in_currency, takes_self=True))
    """Put on gift cards by sales, less what returns took back off them."""
    gift_cards_redeemed_count: int = 0
    """Gift card tenders taken minus refunds made onto a gift card."""
    gift_cards_redeemed: Money = attrs.field(
        default=attrs.Factory(zero_in_currency, takes_self=True)
    )
    """Paid with gift cards, net of refunds onto a gift card."""

    @classmethod
    def empty(cls, currency_code: str) -> RegisterTotals:
        """The tally of a session that has done nothing yet."""
        zero = Money.zero(currency_code)
        return cls(
            currency_code,
            0,
            0,
            0,
            0,
            0,
            0,
            sales=zero,
            discounts=zero,
            returns=zero,
            voided_total=zero,
            paid_in=zero,
            paid_out=zero,
            cash_sales=zero,
            cash_refunds=zero,
            cash_rounding=zero,
        )

    def with_receipt(self, receipt: Receipt) -> RegisterTotals:
        """Add a completed sale or return."""
        totals = receipt.totals
        changes: dict[str, Any] = {
            "voided_line_count": self.voided_line_count + len(receipt.voided_lines),
            "approval_count": self.approval_count + len(receipt.approvals),
        }
        if receipt.is_return:
            changes["return_count"] = self.return_count + 1
            changes["returns"] = self.returns - totals.total
        else:
            changes["sale_count"] = self.sale_count + 1
            changes["sales"] = self.sales + totals.total
            changes["discounts"] = self.discounts + totals.discount
        tax = {row.rate.code: row for row in self.tax}
        for row in totals.breakdown:
            old = tax.get(row.rate.code)
            tax[row.rate.code] = (
                row if old is None else TaxLine(old.rate, old.net + row.net, old.tax + row.tax)
            )
        sold_count, sold = self.gift_cards_sold_count, self.gift_cards_sold
        for p in receipt.lines:
            if _is_gift_card(p.line):
                sold_count += -1 if p.line.quantity < 0 else 1
                sold = sold + Money(p.gross, receipt.currency)
        redeemed_count, redeemed = self.gift_cards_redeemed_count, self.gift_cards_redeemed
        tenders = {t.kind: t for t in self.tenders}
        cash_sales, cash_refunds, rounding = self.cash_sales, self.cash_refunds, self.cash_rounding
        for t in receipt.tenders:
            if t.kind is TenderKind.GIFT_CARD:
                redeemed_count += -1 if t.amount.amount < 0 else 1
                redeemed = redeemed + t.amount
            old_t = tenders.get(t.kind)
            tenders[t.kind] = (
                TenderTotal(t.kind, 1, t.amount)
                if old_t is None
                else TenderTotal(t.kind, old_t.count + 1, old_t.amount + t.amount)
            )
            if t.kind is TenderKind.CASH:
                if t.amount.amount >= 0:
                    cash_sales = cash_sales + t.amount
                else:
                    cash_refunds = cash_refunds - t.amount
            rounding = rounding + t.rounding
        changes.update(
            cash_sales=cash_sales,
            cash_refunds=cash_refunds,
            cash_rounding=rounding,
            tax=tuple(tax.values()),
            tenders=tuple(tenders[k] for k in TenderKind if k in tenders),
            gift_cards_sold_count=sold_count,
            gift_cards_sold=sold,
            gift_cards_redeemed_count=redeemed_count,
            gift_cards_redeemed=redeemed,
        )
        return attrs.evolve(self, **changes)

    def with_void(self, total: Money, *, approved: bool = False) -> RegisterTotals:
        """Add a sale voided before completion."""
        return attrs.evolve(
            self,
            void_count=self.void_count + 1,
            voided_total=self.voided_total + total,
            approval_count=self.approval_count + int(approved),
        )

    def with_cash(
        self, kind: CashMovementKind, amount: Money, *, approved: bool = False
    ) -> RegisterTotals:
        """Add a paid-in or paid-out."""
        approvals = self.approval_count + int(approved)
        if kind is CashMovementKind.PAID_IN:
            return attrs.evolve(self, paid_in=self.paid_in + amount, approval_count=approvals)
        return attrs.evolve(self, paid_out=self.paid_out + amount, approval_count=approvals)

    def with_no_sale(self, *, approved: bool = False) -> RegisterTotals:
        """Add a drawer open without a sale."""
        return attrs.evolve(
            self,
            no_sale_count=self.no_sale_count + 1,
            approval_count=self.approval_count + int(approved),
        )

    def expected_cash(self, opening_float: Money) -> Money:
        """What should be in the drawer, given the opening float."""
        return opening_float + self.cash_sales - self.cash_refunds + self.paid_in - self.paid_out

    def apply(self, event: Event) -> RegisterTotals:
        """The tally after a committed session event (the one place that maps events to totals)."""
        if isinstance(event, (SaleCompleted, ReturnCompleted)):
            return self.with_receipt(event.receipt)
        if isinstance(event, SaleVoided):
            return self.with_void(event.total, approved=event.approval is not None)
        if isinstance(event, CashMoved):
            return self.with_cash(event.kind, event.amount, approved=event.approval is not None)
        if isinstance(event, DrawerOpened):
            return self.with_no_sale(approved=event.approval is not None)
        return self


class RegisterHost(Protocol):
    """What a register session needs from its surroundings (the Store implements it).

    ``commit`` is the one door to durable state: each call is one business
    operation in one transaction (the event, the totals, the journal), and
    returns the event as kept (a receipt numbered, a report numbered).

    A host that keeps a journal may also offer ``grand_totals(register_id)
    -> (sales, returns)``, the register's perpetual grand totals; X and Z
    reports then show them.
    """

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
        """Take an event that changes nothing durable (a line added): observers only."""
        ...

    def commit(self, session: RegisterSession, event: Event) -> Event:
        """Keep one business operation; raise to refuse it (nothing is then kept)."""
        ...

    def session_totals(self, session: RegisterSession) -> RegisterTotals:
        """The session's totals as kept."""
        ...

    def returned_quantities(self, sale_id: uuid.UUID) -> Mapping[int, Decimal]:
        """Quantities already returned per line of a completed sale."""
        ...

    def parked_sale(self, sale_id: uuid.UUID) -> SaleSnapshot:
        """A parked sale's snapshot (it stays parked until SaleResumed is committed)."""
        ...

    def receipt(self, number_or_id: str | uuid.UUID) -> Receipt:
        """A completed receipt."""
        ...

    @property
    def refund_kinds(self) -> frozenset[TenderKind]:
        """Tender kinds refunds may go to besides the original tenders."""
        ...

    def take_payment(
        self, sale: Sale, tender: Tender, *, provider: str | None, card: object
    ) -> Tender:
        """Move a tender's money through its provider."""
        ...

    def void_payment(self, payment_id: uuid.UUID) -> None:
        """Give a payment back."""
        ...

    def refundable(self, payment_id: uuid.UUID) -> Money:
        """What is left to refund of a payment."""
        ...

    def refund_payment(self, payment_id: uuid.UUID, amount: Money, sale_id: uuid.UUID) -> None:
        """Refund part of a payment."""
        ...

    def cancel_refund(self, payment_id: uuid.UUID, amount: Money | Decimal) -> None:
        """Undo a refund not kept yet."""
        ...

    def resolve_payment(self, payment_id: uuid.UUID) -> Tender | None:
        """Look an unknown payment up."""
        ...

    def abandon_payments(self, payment_ids: tuple[uuid.UUID, ...]) -> None:
        """Leave payments of a voided sale to recovery."""
        ...


@runtime_checkable
class _GrandTotalsHost(Protocol):
    """A host that keeps a journal offers its registers' grand totals for X and Z reports."""

    def grand_totals(self, register_id: str) -> tuple[Money, Money]:
        """The register's perpetual totals of sales and of returns (positive), never reset."""
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
        self._session._host.record(event)

    def commit(self, event: Event) -> Event:
        return self._session._commit_sale_event(event)

    def returned_quantities(self, sale_id: uuid.UUID) -> Mapping[int, Decimal]:
        return self._session._host.returned_quantities(sale_id)

    @property
    def refund_kinds(self) -> frozenset[TenderKind]:
        return self._session._host.refund_kinds

    def take_payment(
        self, sale: Sale, tender: Tender, *, provider: str | None, card: object
    ) -> Tender:
        self._session._require_open("take a payment")
        return self._session._host.take_payment(sale, tender, provider=provider, card=card)

    def void_payment(self, payment_id: uuid.UUID) -> None:
        self._session._host.void_payment(payment_id)

    def refundable(self, payment_id: uuid.UUID) -> Money:
        return self._session._host.refundable(payment_id)

    def refund_payment(self, payment_id: uuid.UUID, amount: Money, sale_id: uuid.UUID) -> None:
        self._session._host.refund_payment(payment_id, amount, sale_id)

    def cancel_refund(self, payment_id: uuid.UUID, amount: Money | Decimal) -> None:
        self._session._host.cancel_refund(payment_id, amount)

    def resolve_payment(self, payment_id: uuid.UUID) -> Tender | None:
        return self._session._host.resolve_payment(payment_id)

    def abandon_payments(self, payment_ids: tuple[uuid.UUID, ...]) -> None:
        self._session._host.abandon_payments(payment_ids)


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
        session_id: uuid.UUID,
        register_id: str,
        operator: Operator,
        opening_float: Money,
        currency_code: str,
        opened_at: datetime,
        state: SessionState = SessionState.OPEN,
    ) -> None:
        # Plain assignment: open() and the storage layer decide what to keep.
        self._host = host
        self.id = session_id
        """The session's UUIDv7."""
        self.register_id = register_id
        """The register (till)."""
        self.operator = operator
        """Who opened it."""
        self.currency = currency_code
        """The currency of the drawer."""
        self.opening_float = opening_float
        """Cash in the drawer at the start."""
        self.opened_at = opened_at
        """When it opened."""
        self._state = state
        self._sale_host = _SessionSaleHost(self)
        self._open_sales: dict[uuid.UUID, Sale] = {}
        self.z_report: RegisterReport | None = None
        """The Z report, once closed."""

    @classmethod
    def open(
        cls,
        host: RegisterHost,
        *,
        register_id: str,
        operator: Operator,
        opening_float: Money,
        currency_code: str,
    ) -> RegisterSession:
        """Open a new session and keep it (one committed operation)."""
        if opening_float.currency != currency_code:
            raise MoneyError(f"opening float must be in {currency_code}, got {opening_float}")
        if opening_float.amount < 0 or not opening_float.is_rounded:
            raise MoneyError(
                f"opening float must be zero or more in whole minor units, got {opening_float}"
            )
        now = host.clock.now()
        session = cls(
            host,
            session_id=host.ids.new(now),
            register_id=register_id,
            operator=operator,
            opening_float=opening_float,
            currency_code=currency_code,
            opened_at=now,
        )
        session._commit(
            RegisterSessionOpened,
            session_id=session.id,
            register_id=register_id,
            operator_id=operator.id,
            opening_float=opening_float,
        )
        return session

    @property
    def state(self) -> SessionState:
        """Open or closed."""
        return self._state

    @property
    def totals(self) -> RegisterTotals:
        """The running totals, as kept (other tills' work on this session included)."""
        return self._host.session_totals(self)

    def __repr__(self) -> str:
        return f"<RegisterSession {self.register_id} {self.id} {self._state.value}>"

    # ---- selling -------------------------------------------------------------

    def new_sale(self, *, operator: Operator | str | None = None, channel: str = "store") -> Sale:
        """Open a new sale (by the session's operator unless another one is named).

        ``channel`` says where it is made (``"store"``, ``"online"``,
        ``"mobile"``): promotions may be limited to a channel.
        """
        self._require_open("start a sale")
        sale = Sale(
            self._sale_host,
            register_id=self.register_id,
            session_id=self.id,
            operator=self._resolve(operator),
            currency_code=self.currency,
            channel=channel,
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
        """Resume a parked sale on this session, by this session's operator unless named.

        Raises:
            SaleError: no such parked sale, or another till resumed it first.
        """
        self._require_open("resume a sale")
        snapshot = self._host.parked_sale(sale_id)
        original = (
            None
            if snapshot.original_sale_id is None
            else self._host.receipt(snapshot.original_sale_id)
        )
        sale = Sale.restore(self._sale_host, snapshot, original=original)
        sale.resume(
            session_id=self.id, register_id=self.register_id, operator=self._resolve(operator)
        )
        self._open_sales[sale.id] = sale
        return sale

    @property
    def open_sales(self) -> tuple[Sale, ...]:
        """Sales started on this session in this process and not yet completed, voided or parked."""
        return tuple(s for s in self._open_sales.values() if s.state in _IN_PROGRESS)

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
        self._commit(
            DrawerOpened,
            session_id=self.id,
            operator_id=self.operator.id,
            reason=reason,
            approval=approval,
        )

    def expected_cash(self) -> Money:
        """What should be in the drawer now."""
        return self.totals.expected_cash(self.opening_float)

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
        busy = [s for s in self.open_sales if s.active_lines]
        if busy:
            raise RegisterSessionStateError(
                f"session {self.id} has {len(busy)} sale(s) in progress; "
                f"complete, park or void them first"
            )
        counted, breakdown = self._count(counted_cash, denominations)
        for attempt in range(_CLOSE_ATTEMPTS):
            at = self._host.clock.now()
            report = self._report(final=True, at=at, counted=counted, denominations=breakdown)
            try:
                event = self._commit(RegisterSessionClosed, session_id=self.id, report=report)
                break
            except SessionTotalsChangedError:  # another till's sale landed: count it in
                if attempt == _CLOSE_ATTEMPTS - 1:
                    raise
        assert isinstance(event, RegisterSessionClosed)
        self._state = SessionState.CLOSED
        self.z_report = event.report
        return event.report

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
        t = self.totals
        expected = t.expected_cash(self.opening_float)
        grand: tuple[Money | None, Money | None] = (None, None)
        if isinstance(self._host, _GrandTotalsHost):
            grand = self._host.grand_totals(self.register_id)
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
            tax_breakdown=t.tax,
            tenders=t.tenders,
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
            gift_cards_sold_count=t.gift_cards_sold_count,
            gift_cards_sold=t.gift_cards_sold,
            gift_cards_redeemed_count=t.gift_cards_redeemed_count,
            gift_cards_redeemed=t.gift_cards_redeemed,
            grand_total_sales=grand[0],
            grand_total_returns=grand[1],
        )

    def _cash(
        self,
        kind: CashMovementKind,
        amount: Money | Decimal | int | str,
        reason: str,
        approved_by: Operator | str | None,
    ) -> Money:
        what = kind.value.replace("_", " ")
        self._require_open(what)
        value = amount if isinstance(amount, Money) else Money(amount, self.currency)
        if value.currency != self.currency or value.amount <= 0 or not value.is_rounded:
            raise MoneyError(
                f"{what} must be a positive amount in {self.currency} "
                f"in whole minor units, got {value}"
            )
        if not reason.strip():
            raise MoneyError(f"{what} needs a reason for the books")
        if kind is CashMovementKind.PAID_OUT and value > self.expected_cash():
            raise MoneyError(
                f"cannot pay out {value}: only {self.expected_cash()} should be in the drawer"
            )
        approval = self._authorize(
            Action.PAID_IN_OUT, approved_by, f"{kind.value} {value}: {reason}"
        )
        self._commit(
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
            now = approval.at
            self._host.record(
                ApprovalGranted(
                    event_id=self._host.ids.new(now),
                    occurred_at=now,
                    approval=approval,
                    session_id=self.id,
                )
            )
        return approval

    def _resolve(self, operator: Operator | str | None) -> Operator:
        return self.operator if operator is None else self._host.operator(operator)

    def _require_open(self, action: str) -> None:
        if self._state is not SessionState.OPEN:
            raise RegisterSessionStateError(
                f"cannot {action}: register session {self.id} is closed; open a new session"
            )

    def _commit(self, event_type: type[Event], **fields: Any) -> Event:
        now = self._host.clock.now()
        return self._host.commit(
            self, event_type(event_id=self._host.ids.new(now), occurred_at=now, **fields)
        )

    def _commit_sale_event(self, event: Event) -> Event:
        if self._state is not SessionState.OPEN:
            raise RegisterSessionStateError(
                f"register session {self.id} is closed; "
                f"park the sale and resume it on an open session"
            )
        kept = self._host.commit(self, event)
        if isinstance(event, (SaleCompleted, ReturnCompleted, SaleVoided, SaleSuspended)):
            self._open_sales.pop(event.sale_id, None)
        return kept


_IN_PROGRESS = (SaleState.OPEN, SaleState.TENDERING)
