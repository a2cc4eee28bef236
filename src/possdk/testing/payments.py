"""A conformance suite for payment providers: subclass it, hand it your provider, run pytest.

:class:`PaymentProviderContract` checks what possdk relies on from a
:class:`~possdk.payments.PaymentProvider` (a provider that talks to an outside
party: a card terminal, a wallet, a gateway): it declares what it takes and
can do, answers every call within the amount asked, honours idempotency keys
(the same key again returns the first result and moves no money twice, and
``status(key)`` tells the truth), never refunds more than it captured, voids,
only answers in ways that keep possdk's payment statuses on their legal
transitions, and never hands a card number back.

Write a test module in your plugin's test suite::

    # tests/test_contract.py
    import pytest

    from possdk.testing.payments import PaymentProviderContract

    from my_gateway import GatewayProvider


    class TestGatewayContract(PaymentProviderContract):
        currency = "EUR"
        amount = "10.00"  # an amount your sandbox approves in full
        card = "4111 1111 1111 1111"  # only if your provider takes keyed cards

        @pytest.fixture
        def provider(self):
            return GatewayProvider(api_key="sandbox-key", timeout=5)

        # Optional: let the suite read your back end's books (a Money), so that it
        # checks that money moved exactly once, not only that the answers agree.
        def net_captured(self, provider, reference):
            return provider.sandbox_balance(reference)

and run ``pytest tests/test_contract.py``. Every test gets a fresh provider
from the ``provider`` fixture; it must be able to reach its back end (a
sandbox) and approve :attr:`~PaymentProviderContract.amount` in
:attr:`~PaymentProviderContract.currency`. Where your back end legitimately
cannot do something the suite asks (for example, refunds only after
settlement), override that one test and skip it with the reason, so the
report says so.

The suite builds requests itself, as possdk does: every call has a fresh
idempotency key, and refusals are accepted either as an
:attr:`~possdk.payments.Outcome.DECLINED` answer or as the matching possdk
error (:class:`~possdk.errors.RefundError` for refunds,
:class:`~possdk.errors.PaymentError` for captures and voids). A provider that
raises :class:`~possdk.errors.ProviderOfflineError` or
:class:`~possdk.errors.ProviderTimeoutError` fails the test with a hint: the
suite needs a provider that answers.

:func:`find_card_numbers` is the scanner the card-number test uses; use it on
anything else your plugin writes (its logs, its files).

This module imports pytest; import it only from tests.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import ClassVar, NoReturn

import attrs
import pytest

from possdk.core import Money, TenderKind
from possdk.errors import (
    PaymentError,
    ProviderOfflineError,
    ProviderTimeoutError,
    RefundError,
)
from possdk.payments import (
    TRANSITIONS,
    Capabilities,
    CardInput,
    Operation,
    Outcome,
    PaymentProvider,
    PaymentRequest,
    PaymentStatus,
    ProviderResult,
    luhn_valid,
)

__all__ = ["PaymentProviderContract", "find_card_numbers"]

S = PaymentStatus

TEST_CARD = "4111111111111111"
"""The Luhn-valid test card keyed in when the contract sets no :attr:`card` of its own."""

# Keys and ids without long digit runs, so nothing the suite sends can look
# like a card number when a provider echoes it back.
_NO_DIGITS = str.maketrans("0123456789", "ghijklmnop")
_DIGIT_RUN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,}(?!\d)")
_APPROVED = (Outcome.APPROVED, Outcome.PARTIAL)


def find_card_numbers(text: str) -> list[str]:
    """Every 13-19 digit Luhn-valid sequence in ``text`` (spaces or dashes between digits allowed).

    A sequence is reported with its separators removed. Every window of a
    longer run of digits is checked too (longest first), so a card number
    followed by its expiry or CVV, or glued to other digits, is still found.
    """
    found: list[str] = []
    for match in _DIGIT_RUN.finditer(text):
        digits = re.sub(r"[ -]", "", match.group(0))
        for length in range(19, 12, -1):
            hits = [
                digits[i : i + length]
                for i in range(len(digits) - length + 1)
                if luhn_valid(digits[i : i + length])
            ]
            if hits:
                found.extend(hits)
                break
    return found


def _fresh_key(purpose: str) -> str:
    return f"possdk-contract-{purpose}-{uuid.uuid4().hex.translate(_NO_DIGITS)}"


def _fresh_payment_id() -> uuid.UUID:
    while True:
        candidate = uuid.uuid4()
        if not re.search(r"\d{8}", candidate.hex):
            return candidate


def _fail(message: str) -> NoReturn:
    # An explicit raise, not ``assert``: the suite must hold under ``python -O`` too.
    raise AssertionError(message)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        _fail(message)


@attrs.frozen
class _Taken:
    """A payment the suite took: what was captured, under which reference."""

    payment_id: uuid.UUID
    outcome: Outcome
    captured: Money
    reference: str | None
    answers: tuple[ProviderResult, ...]


class _Captured(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        if record.exc_info and record.exc_info[1] is not None:
            self.messages.append(str(record.exc_info[1]))


@contextmanager
def _logged() -> Iterator[_Captured]:
    root = logging.getLogger()
    handler = _Captured()
    level = root.level
    root.addHandler(handler)
    root.setLevel(min(level or logging.DEBUG, logging.DEBUG))
    try:
        yield handler
    finally:
        root.setLevel(level)
        root.removeHandler(handler)


class PaymentProviderContract:
    """The tests every :class:`~possdk.payments.PaymentProvider` must pass.

    Subclass it in a test module (name the subclass ``Test...`` so pytest
    collects it) and define a ``provider`` fixture returning a fresh provider.
    Set the class attributes to suit your back end. The test methods take
    only the provider, so they can also be called directly:
    ``MyContract().test_status_of_an_unused_key_is_not_found(provider)``.
    """

    currency: ClassVar[str] = "EUR"
    """The currency of every request."""
    amount: ClassVar[str] = "10.00"
    """The amount asked for; the provider must approve it (in full or in part)."""
    card: ClassVar[str | None] = None
    """A Luhn-valid test card number keyed in with every payment, for providers that take
    manual entry; None sends no card (the card-number test keys in a test card anyway)."""
    kind: ClassVar[TenderKind | None] = None
    """The tender kind to pay with; None takes the first of the provider's kinds."""

    @pytest.fixture
    def provider(self) -> PaymentProvider:
        """A fresh provider for one test; a subclass must override this fixture."""
        raise TypeError(
            f"{type(self).__name__} must define a `provider` fixture returning a fresh "
            f"PaymentProvider (see possdk.testing.payments)"
        )

    def net_captured(self, provider: PaymentProvider, reference: str) -> Money | None:
        """What the provider's back end holds under ``reference``: captures less voids and refunds.

        Return None (the default) when the suite cannot read the back end's
        books; the money checks then rest on the provider's answers alone.
        """
        return None

    # ---- the contract ------------------------------------------------------------

    def test_declares_id_kinds_and_capabilities(self, provider: PaymentProvider) -> None:
        """The provider has an id, the tender kinds it takes and its capabilities."""
        _expect(
            isinstance(provider, PaymentProvider),
            f"{provider!r} is not a PaymentProvider: it needs id, kinds, capabilities, "
            f"call(request) and status(key)",
        )
        _expect(
            not getattr(provider, "local", False),
            f"{provider.id!r} is a LocalProvider (settled in the store's transaction); "
            f"this suite is for providers that call an outside party",
        )
        _expect(
            isinstance(provider.id, str) and provider.id.strip() == provider.id != "",
            f"provider id must be a non-empty string without surrounding spaces, "
            f"got {provider.id!r}",
        )
        kinds = provider.kinds
        _expect(
            isinstance(kinds, frozenset)
            and bool(kinds)
            and all(isinstance(k, TenderKind) for k in kinds),
            f"{provider.id}: kinds must be a non-empty frozenset of TenderKind, got {kinds!r}",
        )
        _expect(
            isinstance(provider.capabilities, Capabilities),
            f"{provider.id}: capabilities must be a possdk.payments.Capabilities, "
            f"got {provider.capabilities!r}",
        )
        _expect(
            not provider.capabilities.gives_change,
            f"{provider.id}: only cash gives change; an outside provider must not claim to",
        )
        if self.kind is not None:
            _expect(
                self.kind in kinds,
                f"{provider.id}: the contract pays with {self.kind.value}, "
                f"which the provider does not take ({sorted(k.value for k in kinds)})",
            )

    def test_a_fresh_payment_is_answered_within_the_amount_asked(
        self, provider: PaymentProvider
    ) -> None:
        """A SALE (or AUTHORIZE then CAPTURE) with a fresh key: approved, partial or declined.

        An approval is for the whole amount, a partial approval for less (and
        only from a provider declaring ``partial_approval``); neither is ever
        for more than asked, and an approval names the provider's reference.
        """
        self._take(provider)

    def test_capture_never_exceeds_the_authorization(self, provider: PaymentProvider) -> None:
        """(Separate capture only) capturing more than was authorized is refused."""
        if not provider.capabilities.separate_capture:
            pytest.skip(f"{provider.id} takes payments in one SALE step")
        request, auth = self._call(provider, Operation.AUTHORIZE, self._money())
        if auth.outcome is Outcome.DECLINED:
            self._need_approval(provider, auth)
        authorized = self._approved_amount(request, auth)
        self._refused(
            provider,
            Operation.CAPTURE,
            authorized + self._minor_unit(),
            request.payment_id,
            auth.reference,
            (PaymentError,),
            f"a capture of more than the {authorized} authorized",
        )

    def test_the_same_key_returns_the_first_result_and_moves_money_once(
        self, provider: PaymentProvider
    ) -> None:
        """A call repeated with its key returns the first result; ``status(key)`` reports it."""
        request = self._request(
            provider,
            self._first_operation(provider),
            self._money(),
            _fresh_payment_id(),
            card=self.card,
        )
        first = self._send(provider, request)
        self._check_payment_answer(provider, request, first)
        held = self._held(provider, first)
        again = self._send(provider, request)
        _expect(
            again == first,
            f"{provider.id}: the same idempotency key gave a different result the second time "
            f"(first {first!r}, then {again!r}); a repeated key must return the first result",
        )
        _expect(
            self._held(provider, first) == held,
            f"{provider.id}: repeating key {request.idempotency_key} moved money: the back end "
            f"held {held} under {first.reference!r}, then {self._held(provider, first)}",
        )
        looked_up = self._status(provider, request.idempotency_key)
        _expect(
            looked_up == first,
            f"{provider.id}: status({request.idempotency_key!r}) returned {looked_up!r}, "
            f"not the first result {first!r}",
        )
        if first.outcome in _APPROVED and provider.capabilities.separate_capture:
            capture = self._request(
                provider,
                Operation.CAPTURE,
                self._approved_amount(request, first),
                request.payment_id,
                reference=first.reference,
            )
            captured = self._send(provider, capture)
            self._check_follow_up(provider, capture, captured)
            held = self._held(provider, first)
            _expect(
                self._send(provider, capture) == captured,
                f"{provider.id}: a repeated CAPTURE key gave a different result",
            )
            _expect(
                self._held(provider, first) == held,
                f"{provider.id}: a repeated CAPTURE key captured again "
                f"({held}, then {self._held(provider, first)})",
            )

    def test_status_of_an_unused_key_is_not_found(self, provider: PaymentProvider) -> None:
        """A key the provider never saw is NOT_FOUND: possdk then knows that nothing moved."""
        key = _fresh_key("unused")
        result = self._status(provider, key)
        _expect(
            result.outcome is Outcome.NOT_FOUND,
            f"{provider.id}: status of a key never used ({key}) must be NOT_FOUND, got {result!r}",
        )

    def test_refund_never_exceeds_what_was_captured(self, provider: PaymentProvider) -> None:
        """Refunds add up to at most what was captured; beyond that they are refused.

        A provider without the ``refund`` capability refuses every refund.
        """
        taken = self._take_approved(provider)
        self._refused(
            provider,
            Operation.REFUND,
            taken.captured + self._minor_unit(),
            taken.payment_id,
            taken.reference,
            (RefundError,),
            f"a refund of more than the {taken.captured} captured",
        )
        if not provider.capabilities.refund:
            self._refused(
                provider,
                Operation.REFUND,
                taken.captured,
                taken.payment_id,
                taken.reference,
                (RefundError,),
                "a refund from a provider without the refund capability",
            )
            return
        request, result = self._call(
            provider,
            Operation.REFUND,
            taken.captured,
            payment_id=taken.payment_id,
            reference=taken.reference,
        )
        self._check_follow_up(provider, request, result)
        self._expect_held(provider, taken, Money.zero(self.currency), "after a full refund")
        self._refused(
            provider,
            Operation.REFUND,
            self._minor_unit(),
            taken.payment_id,
            taken.reference,
            (RefundError,),
            f"a refund after all {taken.captured} captured was refunded",
        )
        self._expect_held(provider, taken, Money.zero(self.currency), "after a refused refund")

    def test_void_after_a_payment(self, provider: PaymentProvider) -> None:
        """A payment can be voided (if the provider voids at all); the void is idempotent too."""
        taken = self._take_approved(provider)
        if not provider.capabilities.void:
            self._refused(
                provider,
                Operation.VOID,
                taken.captured,
                taken.payment_id,
                taken.reference,
                (PaymentError,),
                "a void from a provider without the void capability",
            )
            return
        request, result = self._call(
            provider,
            Operation.VOID,
            taken.captured,
            payment_id=taken.payment_id,
            reference=taken.reference,
        )
        self._check_follow_up(provider, request, result)
        self._expect_held(provider, taken, Money.zero(self.currency), "after a void")
        _expect(
            self._send(provider, request) == result,
            f"{provider.id}: a repeated VOID key gave a different result",
        )
        looked_up = self._status(provider, request.idempotency_key)
        _expect(
            looked_up == result,
            f"{provider.id}: status of the void's key returned {looked_up!r}, not {result!r}",
        )

    def test_nothing_moves_after_a_void(self, provider: PaymentProvider) -> None:
        """After a void, a refund (or a capture) of that payment is refused: nothing is left."""
        if not provider.capabilities.void:
            pytest.skip(f"{provider.id} does not void")
        taken = self._take_approved(provider)
        request, result = self._call(
            provider,
            Operation.VOID,
            taken.captured,
            payment_id=taken.payment_id,
            reference=taken.reference,
        )
        self._check_follow_up(provider, request, result)
        self._refused(
            provider,
            Operation.REFUND,
            self._minor_unit(),
            taken.payment_id,
            taken.reference,
            (RefundError,),
            "a refund of a voided payment",
        )
        if provider.capabilities.separate_capture:
            self._refused(
                provider,
                Operation.CAPTURE,
                taken.captured,
                taken.payment_id,
                taken.reference,
                (PaymentError,),
                "a capture of a voided payment",
            )
        self._expect_held(provider, taken, Money.zero(self.currency), "after a void")

    def test_answers_only_drive_legal_status_transitions(self, provider: PaymentProvider) -> None:
        """The provider's answers move possdk's statuses only along TRANSITIONS.

        Two lives of a payment are played: taken, partly refunded, refunded,
        then a void and another refund are asked (a correct provider refuses
        both); and taken, voided, then a refund, a capture and a second void
        are asked (refused too). Each answer moves the status the way possdk
        would; an answer that needs an illegal move fails the test.
        """
        # Taken, partly refunded, refunded; then nothing more may be approved.
        life = _Life(self, provider)
        life.take()
        if life.status is S.DECLINED:
            self._need_approval(provider, life.answers[-1])
        if provider.capabilities.refund:
            first = self._half(life.captured)
            if first.amount > 0:
                life.ask(Operation.REFUND, first)
            life.ask(Operation.REFUND, life.captured - life.refunded)
            life.ask(Operation.VOID, life.captured)
            life.ask(Operation.REFUND, self._minor_unit())
        # Taken and voided; then nothing more may be approved.
        if provider.capabilities.void:
            life = _Life(self, provider)
            life.take()
            if life.status is S.DECLINED:
                self._need_approval(provider, life.answers[-1])
            life.ask(Operation.VOID, life.captured)
            life.ask(Operation.REFUND, self._minor_unit())
            if provider.capabilities.separate_capture:
                life.ask(Operation.CAPTURE, life.captured)
            life.ask(Operation.VOID, life.captured)

    def test_no_card_number_in_anything_returned(self, provider: PaymentProvider) -> None:
        """No answer, error or log line shows a card number, even with one keyed in.

        A card number is any 13-19 digit Luhn-valid sequence.
        """
        number = self.card or TEST_CARD
        _expect(
            luhn_valid(re.sub(r"[ -]", "", number)),
            f"the contract's card {number!r} is not a Luhn-valid card number; use a test card",
        )
        texts: list[str] = []
        with _logged() as log:
            request = self._request(
                provider,
                self._first_operation(provider),
                self._money(),
                _fresh_payment_id(),
                card=number,
            )
            results: list[ProviderResult] = []
            try:
                results.append(self._send(provider, request, texts))
                results.append(self._send(provider, request, texts))
            except PaymentError as exc:  # a refusal may not show the number either
                texts.append(f"{exc!s} {exc!r}")
            results.append(self._status(provider, request.idempotency_key, texts))
            first = results[0]
            if first.outcome in _APPROVED and first.reference:
                amount = self._approved_amount(request, first)
                follow = [Operation.REFUND, Operation.VOID]
                if provider.capabilities.separate_capture:
                    follow.insert(0, Operation.CAPTURE)
                for operation in follow:
                    extra = self._request(
                        provider,
                        operation,
                        amount,
                        request.payment_id,
                        reference=first.reference,
                        card=number,
                    )
                    try:
                        results.append(self._send(provider, extra, texts))
                    except PaymentError as exc:
                        texts.append(f"{exc!s} {exc!r}")
        for result in results:
            texts.extend((repr(result), str(result), result.message, result.reference or ""))
        texts.extend(log.messages)
        leaks = [(text, find_card_numbers(text)) for text in texts if find_card_numbers(text)]
        _expect(
            not leaks,
            f"{provider.id} handed back a card number: "
            + "; ".join(f"{found} in {text[:200]!r}" for text, found in leaks),
        )

    # ---- helpers ----------------------------------------------------------------

    def _money(self) -> Money:
        return Money(self.amount, self.currency)

    def _minor_unit(self) -> Money:
        return Money.from_minor(1, self.currency)

    def _half(self, amount: Money) -> Money:
        return Money.from_minor(amount.minor // 2, amount.currency)

    def _kind(self, provider: PaymentProvider) -> TenderKind:
        if self.kind is not None:
            return self.kind
        return next(k for k in TenderKind if k in provider.kinds)

    @staticmethod
    def _first_operation(provider: PaymentProvider) -> Operation:
        return Operation.AUTHORIZE if provider.capabilities.separate_capture else Operation.SALE

    def _request(
        self,
        provider: PaymentProvider,
        operation: Operation,
        amount: Money,
        payment_id: uuid.UUID,
        *,
        reference: str | None = None,
        card: str | None = None,
    ) -> PaymentRequest:
        return PaymentRequest(
            idempotency_key=_fresh_key(operation.value),
            operation=operation,
            amount=amount,
            payment_id=payment_id,
            kind=self._kind(provider),
            reference=reference,
            sale_id=_fresh_payment_id(),
            terminal_id="contract-till",
            card=CardInput(card) if card else None,
        )

    def _send(
        self,
        provider: PaymentProvider,
        request: PaymentRequest,
        texts: list[str] | None = None,
    ) -> ProviderResult:
        try:
            result = provider.call(request)
        except (ProviderOfflineError, ProviderTimeoutError) as exc:
            if texts is not None:
                texts.append(str(exc))
            _fail(
                f"{provider.id} did not answer a {request.operation.value} ({exc}); the contract "
                f"needs a provider that can reach its back end (a sandbox)"
            )
        _expect(
            isinstance(result, ProviderResult),
            f"{provider.id}: call() must return a ProviderResult, got {result!r}",
        )
        _expect(
            result.outcome is not Outcome.NOT_FOUND,
            f"{provider.id}: call() answered NOT_FOUND to a {request.operation.value}; "
            f"NOT_FOUND is only for status look-ups",
        )
        if result.amount is not None:
            _expect(
                result.amount.currency == request.amount.currency,
                f"{provider.id}: asked {request.amount}, answered in {result.amount.currency}",
            )
        return result

    def _status(
        self, provider: PaymentProvider, key: str, texts: list[str] | None = None
    ) -> ProviderResult:
        try:
            result = provider.status(key)
        except (ProviderOfflineError, ProviderTimeoutError) as exc:
            if texts is not None:
                texts.append(str(exc))
            _fail(f"{provider.id} did not answer a status look-up ({exc})")
        _expect(
            isinstance(result, ProviderResult),
            f"{provider.id}: status() must return a ProviderResult, got {result!r}",
        )
        return result

    def _call(
        self,
        provider: PaymentProvider,
        operation: Operation,
        amount: Money,
        *,
        payment_id: uuid.UUID | None = None,
        reference: str | None = None,
    ) -> tuple[PaymentRequest, ProviderResult]:
        request = self._request(
            provider,
            operation,
            amount,
            payment_id or _fresh_payment_id(),
            reference=reference,
            card=self.card if operation in (Operation.SALE, Operation.AUTHORIZE) else None,
        )
        return request, self._send(provider, request)

    def _approved_amount(self, request: PaymentRequest, result: ProviderResult) -> Money:
        return result.amount if result.amount is not None else request.amount

    def _check_payment_answer(
        self, provider: PaymentProvider, request: PaymentRequest, result: ProviderResult
    ) -> None:
        what = f"{provider.id}: a {request.operation.value} of {request.amount}"
        _expect(
            result.outcome in (Outcome.APPROVED, Outcome.PARTIAL, Outcome.DECLINED),
            f"{what} was answered {result.outcome.value}; expected approved, partial or declined",
        )
        if result.outcome is Outcome.DECLINED:
            return
        amount = self._approved_amount(request, result)
        _expect(amount.amount > 0, f"{what} was approved for {amount}; an approval moves money")
        _expect(amount <= request.amount, f"{what} was approved for {amount}, more than asked")
        if result.outcome is Outcome.APPROVED:
            _expect(
                amount == request.amount,
                f"{what} was APPROVED for only {amount}; less than asked is PARTIAL",
            )
        else:
            _expect(
                provider.capabilities.partial_approval,
                f"{what} was approved in part ({amount}) but the provider does not declare "
                f"the partial_approval capability",
            )
        _expect(
            bool(result.reference),
            f"{what} was approved without a reference; possdk needs it to capture, void "
            f"or refund the payment later",
        )

    def _check_follow_up(
        self, provider: PaymentProvider, request: PaymentRequest, result: ProviderResult
    ) -> None:
        what = f"{provider.id}: a {request.operation.value} of {request.amount}"
        _expect(
            result.outcome is Outcome.APPROVED,
            f"{what} (of {request.reference!r}) was answered {result.outcome.value} "
            f"{result.code or ''} {result.message}; the provider declares it can do it",
        )
        amount = self._approved_amount(request, result)
        _expect(amount == request.amount, f"{what} was approved for {amount}, not what was asked")

    def _take(self, provider: PaymentProvider) -> _Taken:
        payment_id = _fresh_payment_id()
        request, result = self._call(
            provider, self._first_operation(provider), self._money(), payment_id=payment_id
        )
        self._check_payment_answer(provider, request, result)
        answers = [result]
        if result.outcome is Outcome.DECLINED:
            return _Taken(
                payment_id, result.outcome, Money.zero(self.currency), None, tuple(answers)
            )
        amount = self._approved_amount(request, result)
        reference = result.reference
        if request.operation is Operation.AUTHORIZE:
            capture, captured = self._call(
                provider, Operation.CAPTURE, amount, payment_id=payment_id, reference=reference
            )
            self._check_follow_up(provider, capture, captured)
            answers.append(captured)
            reference = captured.reference or reference
        return _Taken(payment_id, result.outcome, amount, reference, tuple(answers))

    def _take_approved(self, provider: PaymentProvider) -> _Taken:
        taken = self._take(provider)
        if taken.outcome is Outcome.DECLINED:
            self._need_approval(provider, taken.answers[-1])
        return taken

    def _need_approval(self, provider: PaymentProvider, result: ProviderResult) -> NoReturn:
        _fail(
            f"{provider.id} declined {self._money()} ({result.code} {result.message}); the "
            f"contract needs the provider fixture to approve it (a sandbox card or amount "
            f"that approves)"
        )

    def _refused(
        self,
        provider: PaymentProvider,
        operation: Operation,
        amount: Money,
        payment_id: uuid.UUID,
        reference: str | None,
        errors: tuple[type[PaymentError], ...],
        what: str,
    ) -> None:
        try:
            request, result = self._call(
                provider, operation, amount, payment_id=payment_id, reference=reference
            )
        except errors:
            return
        _expect(
            result.outcome is Outcome.DECLINED,
            f"{provider.id} approved {what} ({request.operation.value} {amount} of "
            f"{reference!r}: {result!r}); it must answer DECLINED or raise "
            f"{' or '.join(e.__name__ for e in errors)}",
        )

    def _held(self, provider: PaymentProvider, result: ProviderResult) -> Money | None:
        if result.outcome not in _APPROVED or not result.reference:
            return None
        return self.net_captured(provider, result.reference)

    def _expect_held(
        self, provider: PaymentProvider, taken: _Taken, expected: Money, when: str
    ) -> None:
        if taken.reference is None:
            return
        held = self.net_captured(provider, taken.reference)
        if held is not None:
            _expect(
                held == expected,
                f"{provider.id}: the back end holds {held} under {taken.reference!r} {when}, "
                f"not {expected}",
            )


class _Life:
    """One payment's statuses, moved by a provider's answers as possdk would move them."""

    def __init__(self, contract: PaymentProviderContract, provider: PaymentProvider) -> None:
        self.contract = contract
        self.provider = provider
        self.payment_id = _fresh_payment_id()
        self.status = S.PENDING
        self.history: list[str] = [S.PENDING.value]
        self.answers: list[ProviderResult] = []
        self.reference: str | None = None
        self.captured = Money.zero(contract.currency)
        self.refunded = Money.zero(contract.currency)
        self.authorized = Money.zero(contract.currency)

    def take(self) -> None:
        operation = PaymentProviderContract._first_operation(self.provider)
        self.ask(operation, self.contract._money())
        if self.status is S.AUTHORIZED:
            self.ask(Operation.CAPTURE, self.authorized)

    def ask(self, operation: Operation, amount: Money) -> None:
        try:
            request, result = self.contract._call(
                self.provider,
                operation,
                amount,
                payment_id=self.payment_id,
                reference=self.reference,
            )
        except PaymentError as exc:
            self.history.append(f"({operation.value} {amount} refused: {exc})")
            return
        self.answers.append(result)
        self.move(request, result)

    def move(self, request: PaymentRequest, result: ProviderResult) -> None:
        operation = request.operation
        approved = result.outcome in _APPROVED
        amount = result.amount if result.amount is not None else request.amount
        if not approved:
            if operation in (Operation.SALE, Operation.AUTHORIZE):
                self._go(S.DECLINED, operation, result)
            else:
                self.history.append(f"({operation.value} {request.amount} declined)")
            return
        self.reference = result.reference or self.reference
        if operation is Operation.AUTHORIZE:
            self.authorized = amount
            self._go(S.AUTHORIZED, operation, result)
        elif operation in (Operation.SALE, Operation.CAPTURE):
            self.captured = amount
            self._go(S.CAPTURED, operation, result)
        elif operation is Operation.VOID:
            self._go(S.VOIDED, operation, result)
        else:
            refunded = self.refunded + amount
            _expect(
                refunded <= self.captured,
                f"{self.provider.id} approved refunds of {refunded} in all, more than the "
                f"{self.captured} captured ({self._story()})",
            )
            self.refunded = refunded
            self._go(
                S.REFUNDED if refunded == self.captured else S.PARTIALLY_REFUNDED,
                operation,
                result,
            )

    def _go(self, new: PaymentStatus, operation: Operation, result: ProviderResult) -> None:
        _expect(
            new in TRANSITIONS[self.status],
            f"{self.provider.id} answered {result.outcome.value} to a {operation.value} of a "
            f"{self.status.value} payment, which would move it to {new.value}: not a legal "
            f"transition ({self._story()}); refuse it with DECLINED",
        )
        self.status = new
        self.history.append(f"{operation.value} -> {new.value}")

    def _story(self) -> str:
        return ", ".join(self.history)
