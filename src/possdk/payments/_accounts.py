"""Gift card and store-credit accounts: balances the store owes, kept as a ledger.

Every balance change is an ``account_entries`` row written with the
conditional update that makes it, so the balance is always the sum of the
ledger and never below zero. Gift cards add their own rules (expiry, a
blocked card's reason, opening a new card for a refund) from
:mod:`possdk.loyalty._gift_cards`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from possdk.core import Money, TenderKind
from possdk.errors import AccountError
from possdk.payments._model import Operation, Outcome, PaymentRequest, ProviderResult

if TYPE_CHECKING:
    from possdk.storage import UnitOfWork

__all__ = ["check_account", "settle_account"]


def _number(request: PaymentRequest) -> str:
    number = (request.reference or "").strip()
    if not number:
        raise AccountError(
            f"a {request.kind.value.replace('_', ' ')} tender needs the account number as "
            f"reference=..."
        )
    return number


def _new_card_for_refund(uow: UnitOfWork, kind: TenderKind, request: PaymentRequest) -> bool:
    """True if a refund may open this unknown number as a new gift card."""
    if kind is not TenderKind.GIFT_CARD or request.operation is not Operation.REFUND:
        return False
    from possdk.loyalty._gift_cards import check_new_number, read_policy

    check_new_number(_number(request), read_policy(uow))
    return True


def check_account(uow: UnitOfWork, kind: TenderKind, request: PaymentRequest) -> ProviderResult:
    """Read-only: the account exists, is active, in the currency, and covers a redemption.

    A gift card must also not be expired. A refund to an unknown gift card
    number is allowed if the number can be a new card: settling it opens one.
    """
    number = _number(request)
    account = uow.account(number)
    what = kind.value.replace("_", " ")
    if account is None and _new_card_for_refund(uow, kind, request):
        return ProviderResult(Outcome.APPROVED, request.amount, number, message="new card")
    if account is None or account[0] != kind.value:
        raise AccountError(f"no {what} {number!r}: check the number")
    _, code, balance_minor, active = account
    if kind is TenderKind.GIFT_CARD:
        from possdk.loyalty._gift_cards import refuse_unusable

        card = uow.gift_card(number)
        assert card is not None, "an account of kind gift_card is a gift card"
        assert request.at is not None, "possdk sets the time of every request"
        doing = "take a refund" if request.operation is Operation.REFUND else "pay with it"
        refuse_unusable(card, request.at, request.amount.currency, doing)
    if not active:
        raise AccountError(f"{what} {number!r} is blocked and cannot be used")
    if code != request.amount.currency:
        raise AccountError(
            f"{what} {number!r} is in {code}, the sale is in {request.amount.currency}"
        )
    balance = Money.from_minor(balance_minor, code)
    if request.operation is not Operation.REFUND:
        if balance.amount <= 0:
            raise AccountError(f"{what} {number!r} is empty (balance {balance})")
        if request.amount > balance:
            raise AccountError(
                f"{what} {number!r} has {balance}, less than {request.amount}; take {balance} "
                f"from it and the rest with another tender"
            )
    return ProviderResult(Outcome.APPROVED, request.amount, number, message=f"balance {balance}")


def settle_account(uow: UnitOfWork, kind: TenderKind, request: PaymentRequest) -> ProviderResult:
    """Debit a redemption (or credit a refund) inside the caller's transaction.

    The debit is a conditional update: it fails, refusing the whole sale,
    if another till spent the balance meanwhile. A refund to a new gift
    card number opens the card first.
    """
    check_account(uow, kind, request)
    number = _number(request)
    assert request.at is not None, "possdk sets the time of every request"
    if uow.account(number) is None:  # checked above: a refund opening a new gift card
        from possdk.loyalty._gift_cards import open_for_refund

        open_for_refund(uow, number, request.amount.currency, request.at, request.sale_id)
    minor = request.amount.minor
    delta = minor if request.operation is Operation.REFUND else -minor
    balance = uow.move_account(
        number, delta, request.idempotency_key, request.payment_id, at=request.at
    )
    if balance is None:
        raise AccountError(
            f"{kind.value.replace('_', ' ')} {number!r} no longer covers {request.amount} "
            f"(spent at another till meanwhile); remove this tender and take another"
        )
    left = Money.from_minor(balance, request.amount.currency)
    return ProviderResult(Outcome.APPROVED, request.amount, number, message=f"balance {left}")
