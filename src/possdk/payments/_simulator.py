"""A card terminal simulator that behaves like real terminals, for tests and demos.

It approves, declines with reason codes, approves partially, times out with
an unknown outcome, loses the connection after sending, reports a card
removed early, or is offline; scripted step by step or randomised with a
seed. Its "bank" remembers every idempotency key, so a repeated call returns
the first result and a status look-up tells the truth, as a real gateway does.
"""

from __future__ import annotations

import enum
import json
import os
import random
import threading
from collections.abc import Iterable
from pathlib import Path

import attrs

from possdk._hooks import hookimpl
from possdk.core import CardDisplay, Money, TenderKind
from possdk.errors import ProviderOfflineError, ProviderTimeoutError
from possdk.payments._model import Capabilities, Operation, Outcome, PaymentRequest, ProviderResult

__all__ = ["Behaviour", "CardTerminalSimulator", "Step"]


class Behaviour(enum.Enum):
    """What the simulated terminal does with one request."""

    APPROVE = "approve"
    """Approved in full."""
    DECLINE = "decline"
    """Declined with a reason code."""
    PARTIAL = "partial"
    """Approved for less (e.g. a prepaid card with less on it)."""
    TIMEOUT = "timeout"
    """Sent; no answer. The bank may or may not have done it (``then``)."""
    NETWORK_ERROR = "network_error"
    """The connection broke after the request was sent (``then`` says what the bank did)."""
    CARD_REMOVED = "card_removed"
    """The card was pulled out early: declined, nothing moved."""
    OFFLINE = "offline"
    """The terminal cannot reach the bank; nothing was sent."""


@attrs.frozen
class Step:
    """One scripted behaviour."""

    behaviour: Behaviour
    """What happens."""
    code: str = "05"
    """Decline code (``"05"`` do not honour, ``"51"`` insufficient funds)."""
    message: str = "do not honour"
    """Decline reason."""
    amount: Money | None = None
    """For PARTIAL: the amount approved."""
    then: Outcome | None = None
    """For TIMEOUT and NETWORK_ERROR: what the bank did (APPROVED, DECLINED or None: nothing)."""

    @classmethod
    def approve(cls) -> Step:
        """Approve."""
        return cls(Behaviour.APPROVE)

    @classmethod
    def decline(cls, code: str = "05", message: str = "do not honour") -> Step:
        """Decline with a code."""
        return cls(Behaviour.DECLINE, code, message)

    @classmethod
    def partial(cls, amount: Money) -> Step:
        """Approve only ``amount``."""
        return cls(Behaviour.PARTIAL, amount=amount)

    @classmethod
    def timeout(cls, then: Outcome | None = Outcome.APPROVED) -> Step:
        """No answer; the bank did ``then``."""
        return cls(Behaviour.TIMEOUT, then=then)

    @classmethod
    def network_error(cls, then: Outcome | None = Outcome.APPROVED) -> Step:
        """Connection lost after sending; the bank did ``then``."""
        return cls(Behaviour.NETWORK_ERROR, then=then)

    @classmethod
    def card_removed(cls) -> Step:
        """The card came out too early."""
        return cls(Behaviour.CARD_REMOVED, "CR", "card removed too early")

    @classmethod
    def offline(cls) -> Step:
        """No connection to the bank."""
        return cls(Behaviour.OFFLINE)


class CardTerminalSimulator:
    """A pretend integrated card terminal (a plugin: pass it to ``Store.open(plugins=[...])``).

    ``CardTerminalSimulator(script=[Step.decline("51", "insufficient funds"), Step.approve()])``
    plays the steps in order, then approves. With ``seed=`` and ``weights=`` it
    picks behaviours at random, repeatably. ``kind=TenderKind.MOBILE`` makes it a
    wallet. ``online = False`` makes every call fail as offline until set back.
    """

    capabilities = Capabilities(
        separate_capture=True, void=True, refund=True, partial_approval=True, offline=True
    )

    def __init__(
        self,
        *,
        id: str = "sim-card",
        kind: TenderKind = TenderKind.CARD,
        script: Iterable[Step] = (),
        seed: int | None = None,
        weights: dict[Behaviour, float] | None = None,
        card: CardDisplay | None = None,
        bank_path: str | os.PathLike[str] | None = None,
    ) -> None:
        self.id = id
        self.kinds = frozenset({kind})
        self._script = list(script)
        self._random = random.Random(seed) if seed is not None else None
        self._weights = weights or {Behaviour.APPROVE: 1.0}
        self._card = card or CardDisplay("VISA", "4242", "424242")
        self._lock = threading.Lock()
        self.online = True
        """False: every call raises ProviderOfflineError (the terminal lost the bank)."""
        self.bank: dict[str, ProviderResult] = {}
        """What the bank did, per idempotency key (the truth status look-ups report)."""
        self.calls: list[PaymentRequest] = []
        """Every request received, in order (for tests)."""
        self.captured: dict[str, Money] = {}
        """Net money moved per provider reference (captures minus voids and refunds)."""
        self._authorized: dict[str, Money] = {}
        self._voided: set[str] = set()
        self._bank_path = Path(bank_path) if bank_path is not None else None
        if self._bank_path is not None and self._bank_path.exists():
            self._load_bank()

    # ---- plugin ---------------------------------------------------------------

    @hookimpl
    def possdk_payment_providers(self, store: object) -> list[object]:
        """Contribute this simulator as a provider."""
        return [self]

    def add(self, *steps: Step) -> None:
        """Script more steps."""
        self._script.extend(steps)

    # ---- provider -------------------------------------------------------------

    def call(self, request: PaymentRequest) -> ProviderResult:
        """Handle one request the way the script (or the dice) says."""
        with self._lock:
            self.calls.append(request)
            known = self.bank.get(request.idempotency_key)
            if known is not None:
                return known  # the same key again: the first result, no money moves
            if not self.online:
                raise ProviderOfflineError(f"{self.id}: no connection to the bank")
            step = self._next()
            if step.behaviour is Behaviour.OFFLINE:
                raise ProviderOfflineError(f"{self.id}: no connection to the bank")
            if step.behaviour in (Behaviour.TIMEOUT, Behaviour.NETWORK_ERROR):
                if step.then is not None:
                    self._record(request, self._result(request, step.then, step))
                what = "no answer" if step.behaviour is Behaviour.TIMEOUT else "connection lost"
                raise ProviderTimeoutError(f"{self.id}: {what} after the request was sent")
            if step.behaviour is Behaviour.APPROVE:
                return self._record(request, self._result(request, Outcome.APPROVED, step))
            if step.behaviour is Behaviour.PARTIAL:
                return self._record(request, self._result(request, Outcome.PARTIAL, step))
            return self._record(request, self._result(request, Outcome.DECLINED, step))

    def status(self, idempotency_key: str) -> ProviderResult:
        """What the bank did with a key."""
        with self._lock:
            if not self.online:
                raise ProviderOfflineError(f"{self.id}: no connection to the bank")
            return self.bank.get(idempotency_key) or ProviderResult(Outcome.NOT_FOUND)

    # ---- internals --------------------------------------------------------------

    def _next(self) -> Step:
        if self._script:
            return self._script.pop(0)
        if self._random is None:
            return Step.approve()
        behaviours = list(self._weights)
        choice = self._random.choices(behaviours, [self._weights[b] for b in behaviours])[0]
        if choice is Behaviour.DECLINE:
            return Step.decline(
                *self._random.choice(
                    [("05", "do not honour"), ("51", "insufficient funds"), ("54", "expired card")]
                )
            )
        if choice in (Behaviour.TIMEOUT, Behaviour.NETWORK_ERROR):
            then = self._random.choice([Outcome.APPROVED, Outcome.DECLINED, None])
            return Step(choice, then=then)
        if choice is Behaviour.PARTIAL:
            return Step(Behaviour.PARTIAL)
        return Step(choice)

    def _refusal(self, request: PaymentRequest) -> str | None:
        """Why the bank's books refuse a follow-up operation, like a real acquirer's."""
        op = request.operation
        if op in (Operation.SALE, Operation.AUTHORIZE):
            return None
        ref = request.reference or ""
        zero = Money.zero(request.amount.currency)
        if ref in self._voided:
            return "already voided"
        if op is Operation.CAPTURE:
            held = self._authorized.get(ref, zero)
            return None if request.amount <= held else "capture over the authorization"
        moved = self.captured.get(ref, zero)
        if op is Operation.REFUND:
            return None if request.amount <= moved else "refund over what was captured"
        # VOID: of an authorization, or of a capture not refunded yet
        if moved.amount == 0 and ref not in self._authorized:
            return "nothing to void"
        return None

    def _result(self, request: PaymentRequest, outcome: Outcome, step: Step) -> ProviderResult:
        card = request.card.display if request.card else self._card
        refusal = self._refusal(request)
        if refusal is not None and outcome is not Outcome.DECLINED:
            return ProviderResult(
                Outcome.DECLINED, None, request.reference, "12", refusal, card, request.operation
            )
        if outcome is Outcome.DECLINED:
            code = step.code if step.behaviour is not Behaviour.TIMEOUT else "05"
            return ProviderResult(
                Outcome.DECLINED, None, None, code, step.message, card, request.operation
            )
        amount = request.amount
        if outcome is Outcome.PARTIAL:
            if request.operation not in (Operation.SALE, Operation.AUTHORIZE):
                outcome = Outcome.APPROVED
            else:
                half = Money.from_minor(max(1, amount.minor // 2), amount.currency)
                amount = step.amount if step.amount is not None and step.amount < amount else half
        reference = request.reference
        if request.operation in (Operation.SALE, Operation.AUTHORIZE):
            reference = f"{self.id}-{request.payment_id.hex[-12:]}"
        return ProviderResult(outcome, amount, reference, "00", "approved", card, request.operation)

    def _load_bank(self) -> None:
        from possdk.storage._codec import structure

        assert self._bank_path is not None
        for line in self._bank_path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            try:
                key, operation, data = json.loads(line)
            except ValueError:
                continue  # a line torn by a crash was never acknowledged
            result = structure(data, ProviderResult)
            self.bank[key] = result
            self._count_money(Operation(operation), result)

    def _record(self, request: PaymentRequest, result: ProviderResult) -> ProviderResult:
        if self._bank_path is not None:
            # The bank keeps its books on disk before it answers, like a real one:
            # a restarted till asking about a key gets the truth.
            from possdk.storage._codec import unstructure

            line = (
                json.dumps([request.idempotency_key, request.operation.value, unstructure(result)])
                + "\n"
            )
            with open(self._bank_path, "a", encoding="utf-8") as fh:
                fh.write(line)
                fh.flush()
                os.fsync(fh.fileno())
        self.bank[request.idempotency_key] = result
        self._count_money(request.operation, result)
        return result

    def _count_money(self, operation: Operation, result: ProviderResult) -> None:
        if result.outcome in (Outcome.APPROVED, Outcome.PARTIAL) and result.amount is not None:
            ref = result.reference or ""
            zero = Money.zero(result.amount.currency)
            moved = self.captured.get(ref, zero)
            if operation is Operation.AUTHORIZE:
                self._authorized[ref] = result.amount
            elif operation in (Operation.SALE, Operation.CAPTURE):
                self.captured[ref] = moved + result.amount
                if operation is Operation.CAPTURE:
                    left = self._authorized.get(ref, zero) - result.amount
                    if left.amount > 0:
                        self._authorized[ref] = left
                    else:  # fully captured: nothing is held any more
                        self._authorized.pop(ref, None)
            elif operation is Operation.REFUND:
                self.captured[ref] = moved - min(moved, result.amount)
            elif operation is Operation.VOID:
                self.captured[ref] = zero
                self._authorized.pop(ref, None)
                self._voided.add(ref)
