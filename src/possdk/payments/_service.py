"""The payment service: takes, voids and refunds money through providers, exactly once.

For an outside provider (a card terminal, a wallet) every call follows one
rule: the payment and the call's idempotency key are committed to the store
*before* the call is made. If the process dies during the call, the key is
there to ask the provider what happened (:meth:`PaymentService.recover`);
the same key again never moves money twice. Tenders the store settles itself
(cash, gift cards, store credit, vouchers) move inside the sale's own
transaction instead.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import attrs

from possdk.core import Money, Tender, TenderKind
from possdk.errors import (
    ConfigurationError,
    IdempotencyError,
    OfflineLimitError,
    PaymentDeclinedError,
    PaymentError,
    PaymentUnknownError,
    PluginError,
    ProviderOfflineError,
    ProviderTimeoutError,
    RefundError,
)
from possdk.payments._model import (
    CardInput,
    OfflinePolicy,
    Operation,
    Outcome,
    Payment,
    PaymentRequest,
    PaymentStatus,
    ProviderResult,
    check_transition,
)
from possdk.payments._provider import LocalProvider, PaymentProvider

if TYPE_CHECKING:
    from possdk._store import Store
    from possdk.storage import UnitOfWork

__all__ = ["PaymentService"]

log = logging.getLogger(__name__)

S = PaymentStatus


class PaymentService:
    """The store's payments: ``store.payments``."""

    def __init__(
        self,
        store: Store,
        providers: Iterable[tuple[str, PaymentProvider | LocalProvider]],
        builtin_ids: frozenset[str],
    ) -> None:
        self._store = store
        self._providers: dict[str, PaymentProvider | LocalProvider] = {}
        self._builtin = builtin_ids
        owners: dict[str, str] = {}
        for plugin, p in providers:
            if p.id in self._providers:
                raise PluginError(
                    f"plugins {owners[p.id]!r} and {plugin!r} both contribute a payment provider "
                    f"with the id {p.id!r}; provider ids must be unique"
                )
            self._providers[p.id] = p
            owners[p.id] = plugin
        self._pending: dict[uuid.UUID, Payment] = {}
        self._results: dict[str, ProviderResult] = {}
        self._unsaved: set[uuid.UUID] = set()  # local payments not written to the store yet

    # ---- providers --------------------------------------------------------------

    @property
    def providers(self) -> dict[str, PaymentProvider | LocalProvider]:
        """Every provider by id."""
        return dict(self._providers)

    def provider_for(
        self, kind: TenderKind, provider: str | None = None
    ) -> PaymentProvider | LocalProvider:
        """The provider for ``kind``: the one named, else an integrated one, else built-in."""
        if provider is not None:
            found = self._providers.get(provider)
            if found is None:
                raise ConfigurationError(
                    f"no payment provider {provider!r}; known: {sorted(self._providers)}"
                )
            if kind not in found.kinds:
                raise ConfigurationError(f"provider {provider!r} does not take {kind.value}")
            return found
        serving = [p for p in self._providers.values() if kind in p.kinds]
        if not serving:
            raise ConfigurationError(
                f"no payment provider takes {kind.value} tenders; "
                f"register one (see possdk.payments)"
            )
        integrated = [p for p in serving if p.id not in self._builtin]
        return (integrated or serving)[0]  # providers come latest-registered first

    # ---- taking -----------------------------------------------------------------

    def take(
        self,
        tender: Tender,
        *,
        sale_id: uuid.UUID,
        terminal_id: str,
        provider: str | None = None,
        card: CardInput | None = None,
        policy: OfflinePolicy | None = None,
    ) -> Tender:
        """Take the money for a tender the core has worked out; return it as taken.

        Raises:
            PaymentDeclinedError: declined; nothing moved (the attempt is kept).
            PaymentUnknownError: no answer; the payment is kept as unknown.
            OfflineLimitError: the provider is offline and the policy refuses.
            AccountError: a gift card or store-credit account cannot cover it.
        """
        chosen = self.provider_for(tender.kind, provider)
        now = self._store.clock.now()
        payment = Payment(
            id=self._store.ids.new(now),
            provider=chosen.id,
            kind=tender.kind,
            status=S.PENDING,
            requested=tender.amount,
            approved=Money.zero(tender.amount.currency),
            captured=Money.zero(tender.amount.currency),
            refunded=Money.zero(tender.amount.currency),
            created_at=now,
            updated_at=now,
            sale_id=sale_id,
            terminal_id=terminal_id,
            card=card.display if card else None,
        )
        payout = tender.amount.amount < 0  # money out to the customer, on a return
        if payout and not getattr(chosen, "local", False):
            raise RefundError(
                f"{chosen.id} cannot pay money out as a new {tender.kind.value} payment: a card "
                f"refund goes back to the card that paid (sale.refund()); refund in cash otherwise"
            )
        request = PaymentRequest(
            idempotency_key=f"{payment.id}:sale",
            operation=Operation.REFUND if payout else Operation.SALE,
            amount=abs(tender.amount),
            payment_id=payment.id,
            kind=tender.kind,
            reference=tender.reference,
            sale_id=sale_id,
            terminal_id=terminal_id,
            card=card,
            at=now,
        )
        if getattr(chosen, "local", False):
            earlier = sum(
                (
                    p.captured
                    for p in self._pending.values()
                    if p.sale_id == sale_id
                    and p.kind is tender.kind
                    and p.status is S.CAPTURED
                    and tender.reference is not None
                    and p.reference == tender.reference
                ),
                Money.zero(tender.amount.currency),
            )
            check = (
                request if not earlier else attrs.evolve(request, amount=request.amount + earlier)
            )
            if getattr(chosen, "reads_store", True):
                result = self._store._read(lambda uow: chosen.check(check, uow))  # type: ignore[union-attr]
            else:  # cash, a stand-alone terminal, a voucher: nothing to read
                result = chosen.check(request, None)  # type: ignore[union-attr, arg-type]
            amount = abs(tender.amount)
            kept = attrs.evolve(
                payment,
                # A payout (money out on a return) is kept as taken and fully given back.
                status=S.REFUNDED if payout else S.CAPTURED,
                requested=amount,
                approved=amount,
                captured=amount,
                refunded=amount if payout else payment.refunded,
                reference=result.reference,
                card=result.card or payment.card,
            )
            self._pending[kept.id] = kept
            self._unsaved.add(kept.id)
            return attrs.evolve(
                tender,
                payment_id=kept.id,
                provider=chosen.id,
                reference=result.reference or tender.reference,
                card=kept.card,
            )
        assert isinstance(chosen, PaymentProvider)
        self._write_ahead(payment, request)
        try:
            result = chosen.call(request)
        except ProviderOfflineError as exc:
            return self._offline(payment, request, tender, chosen, policy, exc)
        except ProviderTimeoutError as exc:
            unknown = attrs.evolve(payment, status=S.UNKNOWN, updated_at=self._store.clock.now())
            self._save(unknown)
            raise PaymentUnknownError(chosen.id, payment.id, str(exc)) from exc
        except PaymentError:
            self._save(attrs.evolve(payment, status=S.FAILED, updated_at=self._store.clock.now()))
            raise
        kept = self._apply_result(payment, request, result)
        if kept.status is S.DECLINED:
            self._save(kept)
            raise PaymentDeclinedError(chosen.id, result.code or "?", result.message, kept.id)
        self._pending[kept.id] = kept
        return attrs.evolve(
            tender,
            amount=kept.captured,
            tendered=kept.captured,
            payment_id=kept.id,
            provider=chosen.id,
            reference=kept.reference,
            card=kept.card,
        )

    def resolve(self, payment_id: uuid.UUID) -> Payment:
        """Ask the provider what became of an unknown payment (with the same key)."""
        payment = self.payment(payment_id)
        if payment.status is not S.UNKNOWN:
            return payment
        provider = self._providers[payment.provider]
        assert isinstance(provider, PaymentProvider)
        key = f"{payment.id}:sale"
        try:
            result = provider.status(key)
        except (ProviderOfflineError, ProviderTimeoutError) as exc:
            raise PaymentUnknownError(provider.id, payment.id, f"look-up failed: {exc}") from exc
        if result.outcome is Outcome.NOT_FOUND:
            kept = attrs.evolve(payment, status=S.FAILED, updated_at=self._store.clock.now())
        else:
            request = PaymentRequest(
                key,
                Operation.SALE,
                payment.requested,
                payment.id,
                payment.kind,
                sale_id=payment.sale_id,
            )
            kept = self._apply_result(payment, request, result)
        self._save(kept, result=(key, result))
        if kept.status is S.CAPTURED:
            self._pending.pop(kept.id, None)
        return kept

    def void(self, payment_id: uuid.UUID) -> Payment:
        """Give a taken payment back before the sale completes (void, or refund if settled)."""
        payment = self.payment(payment_id)
        if payment.status in (S.DECLINED, S.FAILED, S.VOIDED):
            return payment
        provider = self._providers[payment.provider]
        now = self._store.clock.now()
        if getattr(provider, "local", False) or (payment.offline and payment.forwarded_at is None):
            # Nothing has moved yet (settled with the sale, or still queued offline).
            # The voided record is kept with the sale's void.
            kept = attrs.evolve(payment, status=S.VOIDED, updated_at=now)
            if payment.offline:
                self._save(kept)
            self._pending[kept.id] = kept
            return kept
        assert isinstance(provider, PaymentProvider)
        check_transition(payment.id, payment.status, S.VOIDED)
        request = PaymentRequest(
            self._fresh_key(f"{payment.id}:void"),
            Operation.VOID,
            payment.captured,
            payment.id,
            payment.kind,
            reference=payment.reference,
            sale_id=payment.sale_id,
            terminal_id=payment.terminal_id,
            at=now,
        )
        result = self._call(provider, payment, request)
        if result.outcome is Outcome.DECLINED:
            raise PaymentError(
                f"{provider.id} refused to void payment {payment.id}: {result.message}"
            )
        kept = attrs.evolve(payment, status=S.VOIDED, updated_at=now)
        self._save(kept, result=(request.idempotency_key, result))
        return kept

    def refund(self, payment_id: uuid.UUID, amount: Money, *, sale_id: uuid.UUID) -> Payment:
        """Check that part or all of a captured payment can go back to where it came from.

        Nothing moves yet: the refund is settled when the return completes
        (inside its transaction for tenders the store settles itself; for an
        outside provider, its key is kept with the return and the provider
        is called right after, see :meth:`send_refunds`). So a return that
        cannot be kept never sends money back.

        Raises:
            RefundError: more than is left to refund, or the provider cannot refund.
        """
        payment = self.payment(payment_id)
        if not payment.status.holds_money:
            raise RefundError(f"payment {payment.id} is {payment.status.value}; nothing to refund")
        if amount.amount <= 0 or amount > payment.refundable:
            raise RefundError(
                f"cannot refund {amount} of payment {payment.id}: {payment.refundable} is left "
                f"of the {payment.captured} captured"
            )
        provider = self._providers[payment.provider]
        if not provider.capabilities.refund:
            raise RefundError(f"{provider.id} cannot refund; refund in cash or store credit")
        return payment

    def cancel_refund(self, payment_id: uuid.UUID, amount: Money | Any) -> None:
        """Undo a refund not kept yet (its return was voided before completion).

        Refunds move only when the return completes, so there is nothing to
        give back: this only checks the payment exists.
        """
        self.payment(payment_id)

    def send_refunds(self) -> list[Payment]:
        """Call the outside providers for refunds kept with completed returns.

        Each refund's idempotency key was committed with its return, so this
        is safe to run again (after a crash, or when a provider was offline):
        a refund already made is not made twice. A provider's refusal is
        listed in :meth:`exceptions`.
        """
        from possdk.storage._codec import dumps

        done = []
        # Only keys that were committed with their return: never a refund of a
        # return that could not be kept.
        waiting = self._store._read(lambda uow: uow.open_attempts(Operation.REFUND.value))
        for key, payment_id, fingerprint in waiting:
            payment = self.payment(payment_id)
            provider = self._providers.get(payment.provider)
            if not isinstance(provider, PaymentProvider):
                continue
            op, value, code, _, kind, reference = fingerprint.split("|", 5)
            request = PaymentRequest(
                key,
                Operation(op),
                Money(value, code),
                payment.id,
                TenderKind(kind),
                reference=reference or None,
                sale_id=payment.sale_id,
                terminal_id=payment.terminal_id,
                at=self._store.clock.now(),
            )
            try:
                result = provider.status(key)
                if result.outcome is Outcome.NOT_FOUND:
                    result = provider.call(request)
            except (ProviderOfflineError, ProviderTimeoutError) as exc:
                log.warning("refund %s not sent yet (%s); send_refunds() again later", key, exc)
                continue
            kept = payment
            kind_of_entry = "PaymentRefundSent"
            if result.outcome is Outcome.DECLINED:
                kind_of_entry = "PaymentRefundDeclined"
                back = payment.refunded - request.amount  # it did not go back after all
                kept = attrs.evolve(
                    payment,
                    refunded=back,
                    status=S.CAPTURED if back.amount == 0 else S.PARTIALLY_REFUNDED,
                    exception=f"refund declined by {provider.id}: {result.code} "
                    f"{result.message}; give it back another way",
                    updated_at=self._store.clock.now(),
                )
            self._finish(kept, key, dumps(result), kind_of_entry)
            done.append(kept)
        return done

    def _finish(self, payment: Payment, key: str, result: str, entry: str) -> None:
        def work(uow: UnitOfWork) -> None:
            uow.finish_attempt(key, result, self._store.clock.now())
            uow.put_payment(payment)
            self._journal_payment(uow, payment, entry)

        self._store.backend.run(work)
        self._pending.pop(payment.id, None)

    # ---- offline --------------------------------------------------------------

    def queued(self) -> list[Payment]:
        """Offline payments waiting to be forwarded, oldest first."""
        return [
            p
            for p in self.all_payments()
            if p.offline
            and p.forwarded_at is None
            and p.exception is None
            and p.status is S.PENDING
        ]

    def exceptions(self) -> list[Payment]:
        """Offline payments that could not be forwarded (declined, expired): the merchant's list."""
        return [p for p in self.all_payments() if p.exception is not None]

    def forward(self, policy: OfflinePolicy | None = None) -> list[Payment]:
        """Send queued offline payments to their providers, each exactly once.

        A payment older than the policy's ``max_age`` is not sent but listed
        as an exception; a decline lands in :meth:`exceptions`. Safe to run
        again after a crash: each payment is sent with the key it was queued
        with, and the provider returns the first result.
        """
        policy = policy or self._store.settings.offline
        done = []
        for payment in self.queued():
            if not self._sale_completed(payment.sale_id):
                continue  # only a completed sale's money is taken (recover() drops the rest)
            provider = self._providers[payment.provider]
            assert isinstance(provider, PaymentProvider)
            now = self._store.clock.now()
            if now - payment.created_at > policy.max_age:
                kept = attrs.evolve(
                    payment, exception=f"expired: older than {policy.max_age}", updated_at=now
                )
                self._save(kept)
                done.append(kept)
                continue
            request = PaymentRequest(
                f"{payment.id}:sale",
                Operation.SALE,
                payment.requested,
                payment.id,
                payment.kind,
                sale_id=payment.sale_id,
                terminal_id=payment.terminal_id,
                at=now,
            )
            try:
                result = provider.call(request)
            except (ProviderOfflineError, ProviderTimeoutError):
                break  # still offline: try again later, in the same order
            kept = self._apply_result(payment, request, result)
            kept = attrs.evolve(kept, forwarded_at=now, offline=True)
            if kept.status is S.DECLINED:
                kept = attrs.evolve(
                    kept, exception=f"declined on forwarding: {result.code} {result.message}"
                )
            elif kept.captured != payment.requested:
                kept = attrs.evolve(
                    kept, exception=f"forwarded for only {kept.captured} of {payment.requested}"
                )
            self._save(kept, result=(request.idempotency_key, result))
            done.append(kept)
        return done

    # ---- recovery ---------------------------------------------------------------

    def recover(self) -> list[Payment]:
        """After a crash: settle payments left pending or unknown by sales that never completed.

        Run it when a till starts, before it sells. Each payment is looked up
        with its own key; money that moved for a sale that was never
        completed is voided back; offline payments queued for such a sale are
        dropped; refunds kept with returns but not yet sent are sent. Returns
        what changed.
        """
        changed = []
        for payment in self.all_payments():
            if payment.id in self._pending:
                continue  # a sale of this process, still being rung up
            if payment.offline:
                if (
                    payment.status is S.PENDING
                    and payment.forwarded_at is None
                    and not self._sale_completed(payment.sale_id)
                ):
                    # Queued for a sale that never completed: nothing was sent; drop it.
                    kept = attrs.evolve(
                        payment, status=S.VOIDED, updated_at=self._store.clock.now()
                    )
                    self._save(kept)
                    self._pending.pop(kept.id, None)
                    changed.append(kept)
                continue
            if payment.status not in (S.PENDING, S.UNKNOWN, S.CAPTURED):
                continue
            if payment.status is S.CAPTURED and self._sale_completed(payment.sale_id):
                continue
            provider = self._providers.get(payment.provider)
            if not isinstance(provider, PaymentProvider):
                continue
            if payment.status is not S.CAPTURED:
                payment = attrs.evolve(payment, status=S.UNKNOWN)
                self._pending[payment.id] = payment
                try:
                    payment = self.resolve(payment.id)
                except PaymentUnknownError:
                    continue
            if payment.status is S.CAPTURED and not self._sale_completed(payment.sale_id):
                payment = self.void(payment.id)
            self._pending.pop(payment.id, None)
            changed.append(payment)
        changed += self.send_refunds()  # refunds kept with returns but not sent before the crash
        return changed

    # ---- accounts ---------------------------------------------------------------------

    def open_account(self, kind: TenderKind, number: str, balance: Money) -> None:
        """Open a gift card or store-credit account with an opening balance (journaled).

        Selling gift cards as sale lines comes with the loyalty issue; this is
        the mechanism it builds on.
        """
        if kind not in (TenderKind.GIFT_CARD, TenderKind.STORE_CREDIT):
            raise ConfigurationError(
                f"accounts are for gift cards and store credit, not {kind.value}"
            )
        if not number.strip():
            raise ConfigurationError("an account needs a number")
        if balance.amount < 0 or not balance.is_rounded:
            raise ConfigurationError(
                f"opening balance must be zero or more in minor units: {balance}"
            )
        from possdk.storage._codec import canonical

        now = self._store.clock.now()
        payload = canonical(
            {
                "number": number,
                "kind": kind.value,
                "balance": {"amount": str(balance.amount), "currency": balance.currency},
            }
        )

        def work(uow: UnitOfWork) -> None:
            if uow.account(number) is not None:
                raise ConfigurationError(f"account {number!r} exists already")
            uow.open_account(
                number, kind.value, balance.currency, balance.minor, now, f"open:{number}"
            )
            self._store._journal(uow, "@store", "AccountOpened", payload, 0)

        self._store.backend.run(work)

    def balance(self, number: str) -> Money:
        """A gift card's or store-credit account's balance."""
        account = self._store._read(lambda uow: uow.account(number))
        if account is None:
            raise PaymentError(f"no account {number!r}")
        return Money.from_minor(account[2], account[1])

    # ---- records ------------------------------------------------------------------

    def payment(self, payment_id: uuid.UUID, uow: UnitOfWork | None = None) -> Payment:
        """A payment, as this process knows it or as kept (read through ``uow`` if given)."""
        pending = self._pending.get(payment_id)
        if pending is not None:
            return pending
        row = (
            uow.payment(payment_id)
            if uow is not None
            else self._store._read(lambda u: u.payment(payment_id))
        )
        if row is None:
            raise PaymentError(f"no payment {payment_id}")
        return row

    def all_payments(self) -> list[Payment]:
        """Every kept payment, oldest first."""
        return list(self._store._read(lambda uow: uow.payments()))

    def pending_for(
        self, tenders: Sequence[Tender], uow: UnitOfWork | None = None
    ) -> list[Payment]:
        """The payments behind a sale's tenders, to be kept with it."""
        return [self.payment(t.payment_id, uow) for t in tenders if t.payment_id is not None]

    def settle(
        self, uow: UnitOfWork, tenders: Sequence[Tender], *, sale_id: uuid.UUID, terminal_id: str
    ) -> None:
        """Inside the sale's transaction: settle local tenders and keep every payment.

        A refund to an original tender is checked again here against what
        the original payment has left (the original sale is locked by then),
        so two returns cannot refund the same money twice.
        """
        for t in tenders:
            if t.payment_id is None:
                continue
            payment = self._pending.get(t.payment_id) or uow.payment(t.payment_id)
            if payment is None:
                raise PaymentError(f"no payment {t.payment_id}")
            provider = self._providers.get(payment.provider)
            local = getattr(provider, "local", False)
            amount = abs(t.amount)
            refund_of_original = t.amount.amount < 0 and payment.sale_id != sale_id
            request = PaymentRequest(
                f"{payment.id}:settle:{sale_id}",
                Operation.REFUND if t.amount.amount < 0 else Operation.SALE,
                amount,
                payment.id,
                payment.kind,
                reference=payment.reference,
                sale_id=sale_id,
                terminal_id=terminal_id,
                at=self._store.clock.now(),
            )
            if refund_of_original:
                kept = uow.payment(payment.id) or payment
                if amount > kept.refundable:
                    raise RefundError(
                        f"payment {kept.id} has {kept.refundable} left to refund, "
                        f"not {amount}: it was refunded meanwhile"
                    )
                if local:
                    provider.settle(request, uow)  # type: ignore[union-attr]
                else:
                    # The key is kept with the return; the provider is called once
                    # the return is committed (send_refunds), never before.
                    key = f"{payment.id}:refund:{sale_id}:{t.tender_no}"
                    refund = attrs.evolve(request, idempotency_key=key, reference=kept.reference)
                    uow.put_attempt(
                        key,
                        payment.id,
                        Operation.REFUND.value,
                        refund.fingerprint(),
                        None,
                        self._store.clock.now(),
                    )
                refunded = kept.refunded + amount
                status = S.REFUNDED if refunded == kept.captured else S.PARTIALLY_REFUNDED
                payment = attrs.evolve(
                    kept, refunded=refunded, status=status, updated_at=self._store.clock.now()
                )
            elif local and not refund_of_original:
                provider.settle(request, uow)  # type: ignore[union-attr]
            # A payment only this process knew (cash, a gift card...) is new to the store.
            uow.put_payment(payment, new=payment.id in self._unsaved)
            self._unsaved.discard(payment.id)
            answered = self._results.get(f"{payment.id}:sale")
            if answered is not None and not local:  # keep the provider's answer with its key
                from possdk.storage._codec import dumps

                uow.finish_attempt(f"{payment.id}:sale", dumps(answered), self._store.clock.now())

    def abandon(self, payment_ids: Sequence[uuid.UUID]) -> None:
        """Stop tracking payments of a voided sale; :meth:`recover` settles them."""
        for payment_id in payment_ids:
            self._pending.pop(payment_id, None)

    def settled(self, tenders: Sequence[Tender]) -> None:
        """After the sale's transaction committed: forget what is now kept."""
        for t in tenders:
            if t.payment_id is not None:
                self._pending.pop(t.payment_id, None)

    def _sale_completed(self, sale_id: uuid.UUID | None) -> bool:
        if sale_id is None:
            return False
        return self._store._read(lambda uow: uow.receipt_document(sale_id)) is not None

    # ---- internals ------------------------------------------------------------------

    def _write_ahead(self, payment: Payment, request: PaymentRequest) -> None:
        def work(uow: UnitOfWork) -> None:
            uow.put_payment(payment)
            self._journal_payment(uow, payment, f"Payment{request.operation.value.title()}Sent")
            uow.put_attempt(
                request.idempotency_key,
                payment.id,
                request.operation.value,
                request.fingerprint(),
                None,
                self._store.clock.now(),
            )

        self._store.backend.run(work)

    def _call(
        self, provider: PaymentProvider, payment: Payment, request: PaymentRequest
    ) -> ProviderResult:
        known = self._store._read(lambda uow: uow.attempt(request.idempotency_key))
        if known is not None:
            fingerprint, stored = known
            if fingerprint != request.fingerprint():
                raise IdempotencyError(
                    f"idempotency key {request.idempotency_key} was used with other parameters"
                )
            if stored is not None:
                from possdk.storage._codec import loads

                return loads(stored, ProviderResult)
            try:
                found = provider.status(request.idempotency_key)
            except (ProviderOfflineError, ProviderTimeoutError) as exc:
                raise PaymentUnknownError(provider.id, payment.id, str(exc)) from exc
            if found.outcome is not Outcome.NOT_FOUND:
                return found
            # Kept but never received: send it now, with the same key.
        else:
            self._write_ahead(payment, request)
        try:
            result = provider.call(request)
        except (ProviderOfflineError, ProviderTimeoutError) as exc:
            raise PaymentUnknownError(provider.id, payment.id, str(exc)) from exc
        self._results[request.idempotency_key] = result
        return result

    def _apply_result(
        self, payment: Payment, request: PaymentRequest, result: ProviderResult
    ) -> Payment:
        now = self._store.clock.now()
        self._results[request.idempotency_key] = result
        if result.outcome is Outcome.DECLINED:
            check_transition(payment.id, payment.status, S.DECLINED)
            return attrs.evolve(
                payment,
                status=S.DECLINED,
                decline_code=result.code,
                decline_message=result.message,
                card=payment.card or result.card,
                updated_at=now,
            )
        amount = result.amount or request.amount
        if amount > request.amount:
            raise PaymentError(
                f"{payment.provider} approved {amount}, more than the {request.amount} asked"
            )
        status = S.AUTHORIZED if request.operation is Operation.AUTHORIZE else S.CAPTURED
        check_transition(payment.id, payment.status, status)
        captured = amount if status is S.CAPTURED else payment.captured
        return attrs.evolve(
            payment,
            status=status,
            approved=amount,
            captured=captured,
            reference=result.reference or payment.reference,
            card=payment.card or result.card,
            updated_at=now,
        )

    def _offline(
        self,
        payment: Payment,
        request: PaymentRequest,
        tender: Tender,
        provider: PaymentProvider,
        policy: OfflinePolicy | None,
        exc: ProviderOfflineError,
    ) -> Tender:
        policy = policy or self._store.settings.offline
        queued = self.queued()
        code = tender.amount.currency
        total = sum((p.requested for p in queued), Money.zero(code))
        now = self._store.clock.now()
        stale = [p for p in queued if now - p.created_at > policy.max_age]
        reason = (
            policy.refusal(tender.kind, tender.amount, total)
            if provider.capabilities.offline
            else f"{provider.id} cannot take payments offline"
        )
        if stale and reason is None:
            reason = "payments older than the offline limit are still waiting; go online first"
        if reason is not None:
            self._save(attrs.evolve(payment, status=S.FAILED, updated_at=now))
            raise OfflineLimitError(f"{provider.id} is offline ({exc}) and {reason}")
        kept = attrs.evolve(payment, offline=True, updated_at=now)
        self._save(kept)
        return attrs.evolve(
            tender,
            payment_id=kept.id,
            provider=provider.id,
            offline=True,
            reference=f"offline {str(kept.id)[-8:]}",
        )

    def _attempt(self, key: str) -> tuple[str, str | None] | None:
        return self._store._read(lambda uow: uow.attempt(key))

    def _fresh_key(self, base: str) -> str:
        """``base``, or ``base:2``, ``:3``... after attempts the provider declined (a retry)."""
        from possdk.storage._codec import loads

        key, n = base, 1
        while True:
            known = self._results.get(key)
            if known is None:
                stored = self._attempt(key)
                if stored is None:
                    return key
                known = loads(stored[1], ProviderResult) if stored[1] is not None else None
            if known is None or known.outcome is not Outcome.DECLINED:
                return key  # unanswered or done: the same key again, never a second call
            n += 1
            key = f"{base}:{n}"

    def _journal_payment(self, uow: UnitOfWork, payment: Payment, entry: str) -> None:
        from possdk.storage._codec import dumps

        terminal = payment.terminal_id or "@store"
        self._store._journal(uow, terminal, entry, dumps(payment), 0)

    def _save(self, payment: Payment, *, result: tuple[str, ProviderResult] | None = None) -> None:
        from possdk.storage._codec import dumps

        entry = "Payment" + "".join(w.title() for w in payment.status.value.split("_"))
        if payment.exception:
            entry = "PaymentException"

        def work(uow: UnitOfWork) -> None:
            uow.put_payment(payment)
            if result is not None:
                uow.finish_attempt(result[0], dumps(result[1]), self._store.clock.now())
            self._journal_payment(uow, payment, entry)

        self._store.backend.run(work)
        self._pending[payment.id] = payment

    def describe(self) -> dict[str, Any]:
        """Providers by kind (for diagnostics)."""
        return {
            k.value: [p.id for p in self._providers.values() if k in p.kinds] for k in TenderKind
        }
