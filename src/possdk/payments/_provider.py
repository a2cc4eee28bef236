"""The payment provider protocol, and the built-in providers that need no outside party."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

from possdk.core import TenderKind
from possdk.payments._model import Capabilities, Outcome, PaymentRequest, ProviderResult

if TYPE_CHECKING:
    from possdk.storage import UnitOfWork

__all__ = [
    "AccountProvider",
    "CashProvider",
    "LocalProvider",
    "ManualCardProvider",
    "PaymentProvider",
    "VoucherProvider",
]


@runtime_checkable
class PaymentProvider(Protocol):
    """A way to take money: a card terminal, a wallet, a payment gateway.

    possdk generates an idempotency key for every call and stores it before
    the call is made. A provider must honour it: the same key again returns
    the first result and moves no money a second time. A provider raises
    :class:`~possdk.errors.ProviderOfflineError` when it could not send the
    request at all (no money moved), and
    :class:`~possdk.errors.ProviderTimeoutError` when it sent it (or may
    have) and got no answer; possdk then asks :meth:`status` with the same key.
    """

    id: str
    """Unique among the store's providers, e.g. ``"sim-card"``."""
    kinds: frozenset[TenderKind]
    """The tender kinds it takes."""
    capabilities: Capabilities
    """What it can do."""

    def call(self, request: PaymentRequest) -> ProviderResult:
        """Authorize, capture, sell (both at once), void or refund: ``request.operation``."""
        ...

    def status(self, idempotency_key: str) -> ProviderResult:
        """What became of the call made with this key (``Outcome.NOT_FOUND`` if never seen)."""
        ...


@runtime_checkable
class LocalProvider(Protocol):
    """A tender settled inside the store's own transaction (gift card, store credit).

    :meth:`check` runs when the tender is taken (nothing moves); :meth:`settle`
    runs inside the unit of work that completes the sale, so the sale and the
    money move together or not at all.
    """

    id: str
    """Unique among the store's providers."""
    kinds: frozenset[TenderKind]
    """The tender kinds it takes."""
    capabilities: Capabilities
    """What it can do."""
    local: bool
    """Always True: marks a provider settled in the store's transaction."""

    def check(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """Whether the tender can be taken now (read only)."""
        ...

    def settle(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """Move the money inside the sale's transaction; raise to refuse the whole sale."""
        ...


class _Immediate:
    """A tender approved as it is handed over: settled in the sale's own transaction."""

    id = "immediate"
    kinds: frozenset[TenderKind] = frozenset()
    capabilities = Capabilities()
    local = True
    reads_store = False

    def check(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """Always possible."""
        return self._approve(request)

    def settle(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """Nothing to move but the record."""
        return self._approve(request)

    def _approve(self, request: PaymentRequest) -> ProviderResult:
        return ProviderResult(
            Outcome.APPROVED,
            request.amount,
            request.reference,
            card=request.card.display if request.card else None,
        )


class CashProvider(_Immediate):
    """Notes and coins: approved as handed over; change and rounding come from the core.

    Taking cash opens the drawer through the ``possdk_cash_drawer_open`` hook
    (the devices issue implements it).
    """

    id = "cash"
    kinds = frozenset({TenderKind.CASH})
    capabilities = Capabilities(gives_change=True, void=True, refund=True)


class ManualCardProvider(_Immediate):
    """A card or phone paid on a stand-alone terminal the till does not talk to.

    The cashier keys the amount into the bank's terminal and confirms it on
    the till; possdk records the tender with the reference typed in. The
    default for card and mobile tenders until an integrated provider (a
    terminal SDK, or the simulator) is registered.
    """

    id = "manual-terminal"
    kinds = frozenset({TenderKind.CARD, TenderKind.MOBILE})
    capabilities = Capabilities(void=True, refund=True)


class VoucherProvider(_Immediate):
    """A merchant-defined tender with a reference: a cheque, a meal voucher."""

    id = "voucher"
    kinds = frozenset({TenderKind.VOUCHER})
    capabilities = Capabilities(void=True, refund=False)


class AccountProvider:
    """Gift cards and store credit: balances kept as accounts in the store.

    Redeeming debits the account inside the sale's own transaction (a
    conditional update: never below zero, never a blocked card), and a refund
    to the card credits it the same way. An account is an ISO currency
    liability the loyalty issue builds card selling and programmes on.
    """

    local = True
    capabilities = Capabilities(void=True, refund=True, partial_approval=False)

    def __init__(self, kind: TenderKind) -> None:
        self.kind = kind
        self.kinds = frozenset({kind})
        self.id = kind.value.replace("_", "-")

    def check(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """Is the account there, active, in the currency and with enough balance?"""
        from possdk.payments._accounts import check_account

        return check_account(uow, self.kind, request)

    def settle(self, request: PaymentRequest, uow: UnitOfWork) -> ProviderResult:
        """Debit (or, for a refund, credit) the account in the sale's transaction."""
        from possdk.payments._accounts import settle_account

        return settle_account(uow, self.kind, request)
