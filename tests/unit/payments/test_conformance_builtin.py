"""The payment provider contract (possdk.testing.payments), run against the built-in
terminal simulator, and shown to fail providers that break it."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from possdk import Money
from possdk.core import TenderKind
from possdk.errors import PaymentError, RefundError
from possdk.payments import (
    Capabilities,
    CardTerminalSimulator,
    Operation,
    Outcome,
    PaymentProvider,
    PaymentRequest,
    ProviderResult,
    Step,
)
from possdk.testing.payments import PaymentProviderContract, find_card_numbers

# ---- the built-in simulator ------------------------------------------------------------


class _SimulatorBooks:
    """Reads the simulator's bank, so the contract checks money, not only answers."""

    currency: str

    def net_captured(self, provider: PaymentProvider, reference: str) -> Money | None:
        assert isinstance(provider, CardTerminalSimulator)
        return provider.captured.get(reference, Money.zero(self.currency))


class TestCardSimulatorContract(_SimulatorBooks, PaymentProviderContract):
    currency = "UAH"
    amount = "189.00"
    card = "4111 1111 1111 1111"

    @pytest.fixture
    def provider(self) -> CardTerminalSimulator:
        return CardTerminalSimulator()


class TestMobileSimulatorContract(_SimulatorBooks, PaymentProviderContract):
    currency = "EUR"
    amount = "12.34"
    kind = TenderKind.MOBILE

    @pytest.fixture
    def provider(self) -> CardTerminalSimulator:
        return CardTerminalSimulator(id="sim-mobile", kind=TenderKind.MOBILE)


# ---- a provider that keeps every rule, and broken variants of it ----------------------------


class HonestGateway:
    """A minimal in-memory gateway that keeps the contract: the reference for the broken ones."""

    capabilities = Capabilities(void=True, refund=True)

    def __init__(self) -> None:
        self.id = "honest"
        self.kinds = frozenset({TenderKind.CARD})
        self.answers: dict[str, ProviderResult] = {}
        self.held: dict[str, Money] = {}
        self.closed: set[str] = set()  # voided or refunded: no void any more
        self.voided: set[str] = set()
        self.authorized: dict[str, Money] = {}  # authorized, not captured yet

    def call(self, request: PaymentRequest) -> ProviderResult:
        known = self.answers.get(request.idempotency_key)
        if known is not None:
            return known
        result = self.handle(request)
        self.answers[request.idempotency_key] = result
        return result

    def status(self, idempotency_key: str) -> ProviderResult:
        return self.answers.get(idempotency_key) or ProviderResult(Outcome.NOT_FOUND)

    def handle(self, request: PaymentRequest) -> ProviderResult:
        op, amount = request.operation, request.amount
        if op in (Operation.SALE, Operation.AUTHORIZE):
            reference = f"honest-{'x' * (len(self.held) + 1)}"
            if op is Operation.AUTHORIZE:
                if not self.capabilities.separate_capture:
                    return self.decline(request, "authorize and capture in one SALE here")
                self.held[reference] = amount - amount
                self.authorized[reference] = amount
            else:
                self.held[reference] = amount
            return self.approve(request, amount, reference)
        reference = request.reference or ""
        held = self.held.get(reference)
        if held is None:
            return self.decline(request, "no such payment")
        if op is Operation.CAPTURE:
            limit = self.authorized.pop(reference, None)
            if limit is None or reference in self.closed or amount > limit:
                return self.decline(request, "nothing authorized to capture")
            self.held[reference] = amount
            return self.approve(request, amount, reference)
        if op is Operation.VOID:
            if reference in self.closed:
                return self.decline(request, "already voided or refunded")
            self.held[reference] = held - held
            self.authorized.pop(reference, None)
            self.closed.add(reference)
            self.voided.add(reference)
            return self.approve(request, amount, reference)
        if reference in self.voided or amount > held:
            return self.decline(request, f"only {held} can be refunded")
        self.held[reference] = held - amount
        self.closed.add(reference)
        return self.approve(request, amount, reference)

    def approve(self, request: PaymentRequest, amount: Money, reference: str) -> ProviderResult:
        card = request.card.display if request.card else None
        return ProviderResult(Outcome.APPROVED, amount, reference, "00", "approved", card)

    def decline(self, request: PaymentRequest, why: str) -> ProviderResult:
        return ProviderResult(Outcome.DECLINED, None, None, "05", why)


class TestHonestGatewayContract(PaymentProviderContract):
    currency = "EUR"
    amount = "10.00"
    card = "378282246310005"

    @pytest.fixture
    def provider(self) -> HonestGateway:
        return HonestGateway()

    def net_captured(self, provider: PaymentProvider, reference: str) -> Money | None:
        assert isinstance(provider, HonestGateway)
        return provider.held.get(reference)


class HonestAuthCaptureGateway(HonestGateway):
    """The same, authorizing first and capturing later."""

    capabilities = Capabilities(separate_capture=True, void=True, refund=True)


class TestHonestAuthCaptureGatewayContract(TestHonestGatewayContract):
    @pytest.fixture
    def provider(self) -> HonestGateway:
        return HonestAuthCaptureGateway()


class CapturesAnyAmount(HonestAuthCaptureGateway):
    def handle(self, request: PaymentRequest) -> ProviderResult:
        if request.operation is Operation.CAPTURE and request.reference in self.held:
            self.held[request.reference] = request.amount
            return self.approve(request, request.amount, request.reference)
        return super().handle(request)


class NewResultForARepeatedKey(HonestGateway):
    """Ignores the idempotency key: a repeated call is a new payment."""

    def call(self, request: PaymentRequest) -> ProviderResult:
        result = self.handle(request)
        self.answers[request.idempotency_key] = result
        return result


class ChargesAgainQuietly(HonestGateway):
    """Answers a repeated key with the first result, but takes the money again."""

    def call(self, request: PaymentRequest) -> ProviderResult:
        known = self.answers.get(request.idempotency_key)
        if known is not None and known.reference is not None:
            self.held[known.reference] = self.held[known.reference] + request.amount
        return super().call(request)


class StatusNeverFinds(HonestGateway):
    """Loses track of its keys: every look-up is NOT_FOUND."""

    def status(self, idempotency_key: str) -> ProviderResult:
        return ProviderResult(Outcome.NOT_FOUND)


class StatusAlwaysApproves(HonestGateway):
    """Claims every key it is asked about went through."""

    def status(self, idempotency_key: str) -> ProviderResult:
        return self.answers.get(idempotency_key) or ProviderResult(
            Outcome.APPROVED, None, "honest-ghost"
        )


class ApprovesMoreThanAsked(HonestGateway):
    def handle(self, request: PaymentRequest) -> ProviderResult:
        result = super().handle(request)
        if request.operation is Operation.SALE:
            return ProviderResult(Outcome.APPROVED, result.amount + result.amount, result.reference)
        return result


class ApprovesLessAsApproved(HonestGateway):
    """Approves less than asked but calls it APPROVED (and never declared partial approval)."""

    def handle(self, request: PaymentRequest) -> ProviderResult:
        result = super().handle(request)
        if request.operation is Operation.SALE and result.amount is not None:
            half = Money.from_minor(result.amount.minor // 2, result.amount.currency)
            return ProviderResult(Outcome.APPROVED, half, result.reference)
        return result


class PartialWithoutTheCapability(HonestGateway):
    """Approves in part, but never declared partial approval."""

    def handle(self, request: PaymentRequest) -> ProviderResult:
        result = super().handle(request)
        if request.operation is Operation.SALE and result.amount is not None:
            half = Money.from_minor(result.amount.minor // 2, result.amount.currency)
            return ProviderResult(Outcome.PARTIAL, half, result.reference)
        return result


class ApprovesWithoutAReference(HonestGateway):
    def handle(self, request: PaymentRequest) -> ProviderResult:
        result = super().handle(request)
        return ProviderResult(result.outcome, result.amount, None)


class AnswersNotFoundToACall(HonestGateway):
    def handle(self, request: PaymentRequest) -> ProviderResult:
        return ProviderResult(Outcome.NOT_FOUND)


class RefundsAnything(HonestGateway):
    """Approves every refund and void, whatever the payment holds (as a careless gateway)."""

    def handle(self, request: PaymentRequest) -> ProviderResult:
        if request.operation in (Operation.VOID, Operation.REFUND):
            reference = request.reference or ""
            held = self.held.get(reference, request.amount)
            self.held[reference] = held - min(held, request.amount)
            return self.approve(request, request.amount, reference)
        return super().handle(request)


class VoidsAfterARefund(HonestGateway):
    """Keeps refunds within what was captured, but voids a refunded payment."""

    def handle(self, request: PaymentRequest) -> ProviderResult:
        if request.operation is Operation.VOID and request.reference in self.held:
            self.held[request.reference] = self.held[request.reference] * 0
            return self.approve(request, request.amount, request.reference)
        return super().handle(request)


class RefundErrorOnlyForOverRefunds(HonestGateway):
    """Refuses over-refunds by raising RefundError: allowed, so it passes the refund test."""

    def handle(self, request: PaymentRequest) -> ProviderResult:
        if request.operation is Operation.REFUND:
            held = self.held.get(request.reference or "")
            if held is not None and request.amount > held:
                raise RefundError(f"only {held} can be refunded")
        return super().handle(request)


class LeaksTheCardNumber(HonestGateway):
    def approve(self, request: PaymentRequest, amount: Money, reference: str) -> ProviderResult:
        result = super().approve(request, amount, reference)
        if request.card is None:
            return result
        number = request.card.reveal()
        spaced = " ".join(number[i : i + 4] for i in range(0, len(number), 4))
        return ProviderResult(
            result.outcome, amount, reference, "00", f"approved card {spaced}", result.card
        )


class DeclinesNamingTheCardNumber(HonestGateway):
    def call(self, request: PaymentRequest) -> ProviderResult:
        if request.card is not None:
            raise PaymentError(f"card {request.card.reveal()} is blocked")
        return super().call(request)


class LogsTheCardNumber(HonestGateway):
    def call(self, request: PaymentRequest) -> ProviderResult:
        import logging

        if request.card is not None:
            logging.getLogger("honest.debug").debug("paying with %s", request.card.reveal())
        return super().call(request)


class DeclaresNoKinds(HonestGateway):
    def __init__(self) -> None:
        super().__init__()
        self.kinds = frozenset()


class ClaimsToGiveChange(HonestGateway):
    capabilities = Capabilities(void=True, refund=True, gives_change=True)


T = PaymentProviderContract
BROKEN: list[tuple[Callable[[], HonestGateway], Callable[..., None]]] = [
    (NewResultForARepeatedKey, T.test_the_same_key_returns_the_first_result_and_moves_money_once),
    (ChargesAgainQuietly, T.test_the_same_key_returns_the_first_result_and_moves_money_once),
    (StatusNeverFinds, T.test_the_same_key_returns_the_first_result_and_moves_money_once),
    (StatusNeverFinds, T.test_void_after_a_payment),
    (StatusAlwaysApproves, T.test_status_of_an_unused_key_is_not_found),
    (ApprovesMoreThanAsked, T.test_a_fresh_payment_is_answered_within_the_amount_asked),
    (CapturesAnyAmount, T.test_capture_never_exceeds_the_authorization),
    (CapturesAnyAmount, T.test_nothing_moves_after_a_void),
    (ApprovesLessAsApproved, T.test_a_fresh_payment_is_answered_within_the_amount_asked),
    (PartialWithoutTheCapability, T.test_a_fresh_payment_is_answered_within_the_amount_asked),
    (ApprovesWithoutAReference, T.test_a_fresh_payment_is_answered_within_the_amount_asked),
    (AnswersNotFoundToACall, T.test_a_fresh_payment_is_answered_within_the_amount_asked),
    (RefundsAnything, T.test_refund_never_exceeds_what_was_captured),
    (RefundsAnything, T.test_nothing_moves_after_a_void),
    (RefundsAnything, T.test_answers_only_drive_legal_status_transitions),
    (VoidsAfterARefund, T.test_answers_only_drive_legal_status_transitions),
    (LeaksTheCardNumber, T.test_no_card_number_in_anything_returned),
    (LogsTheCardNumber, T.test_no_card_number_in_anything_returned),
    (DeclinesNamingTheCardNumber, T.test_no_card_number_in_anything_returned),
    (DeclaresNoKinds, T.test_declares_id_kinds_and_capabilities),
    (ClaimsToGiveChange, T.test_declares_id_kinds_and_capabilities),
]


@pytest.mark.parametrize(
    ("make", "test"),
    [pytest.param(m, t, id=f"{m.__name__}-{t.__name__}") for m, t in BROKEN],
)
def test_a_broken_provider_fails_the_contract(
    make: Callable[[], HonestGateway], test: Callable[..., None]
) -> None:
    contract, broken = TestHonestGatewayContract(), make()
    honest = type(broken).__mro__[1]()  # the gateway it breaks, keeping every rule
    test(contract, honest)  # the same test passes for the honest gateway ...
    with pytest.raises(AssertionError):  # ... and fails for the broken one
        test(contract, broken)


def test_a_provider_may_refuse_an_over_refund_by_raising_refund_error() -> None:
    TestHonestGatewayContract().test_refund_never_exceeds_what_was_captured(
        RefundErrorOnlyForOverRefunds()
    )


def test_a_provider_that_cannot_answer_fails_with_a_hint() -> None:
    terminal = CardTerminalSimulator(script=[Step.timeout(then=None)])
    contract = TestCardSimulatorContract()
    with pytest.raises(AssertionError, match="can reach its back end"):
        contract.test_a_fresh_payment_is_answered_within_the_amount_asked(terminal)


def test_a_provider_that_declines_the_contract_amount_fails_money_tests_with_a_hint() -> None:
    terminal = CardTerminalSimulator(script=[Step.decline("51", "insufficient funds")])
    contract = TestCardSimulatorContract()
    with pytest.raises(AssertionError, match="needs the provider fixture to approve"):
        contract.test_void_after_a_payment(terminal)


@pytest.mark.parametrize(
    "test",
    [
        T.test_a_fresh_payment_is_answered_within_the_amount_asked,
        T.test_the_same_key_returns_the_first_result_and_moves_money_once,
        T.test_void_after_a_payment,
        T.test_no_card_number_in_anything_returned,
    ],
)
def test_a_partial_approval_keeps_the_contract(test: Callable[..., None]) -> None:
    # A prepaid card with less on it: the simulator approves 20.00 of the 189.00 asked.
    terminal = CardTerminalSimulator(script=[Step.partial(Money("20.00", "UAH"))])
    test(TestCardSimulatorContract(), terminal)
    answers = list(terminal.bank.values())
    assert answers[0].outcome is Outcome.PARTIAL and answers[0].amount == Money("20.00", "UAH")


def test_a_declined_fresh_payment_is_a_valid_answer() -> None:
    terminal = CardTerminalSimulator(script=[Step.decline("05", "do not honour")])
    TestCardSimulatorContract().test_a_fresh_payment_is_answered_within_the_amount_asked(terminal)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("card 4111111111111111 approved", ["4111111111111111"]),
        ("card 4111 1111 1111 1111 approved", ["4111111111111111"]),
        ("amex 3782-822463-10005", ["378282246310005"]),
        ("order 12345678901234 ref", []),  # 14 digits, not Luhn-valid
        ("ref 994111111111111111", ["4111111111111111"]),  # glued to other digits
        ("sim-card-0a1b2c3d4e5f 10.00 EUR", []),
        ("4111 1111 1111 1111 123", ["4111111111111111"]),  # followed by its CVV
        ("at 2026-11-27 07:00:49, 189.00 UAH", []),
    ],
)
def test_find_card_numbers(text: str, found: list[str]) -> None:
    assert find_card_numbers(text) == found
