"""Payment values: status transitions, card numbers (Luhn, masking, CardInput), the
offline policy at its limits, and request fingerprints."""

from __future__ import annotations

import copy
import pickle
import uuid
from datetime import timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from possdk import Money
from possdk.core import CardDisplay, TenderKind
from possdk.errors import ConfigurationError, PaymentError
from possdk.payments import (
    TRANSITIONS,
    CardInput,
    OfflinePolicy,
    Operation,
    PaymentRequest,
    PaymentStatus,
    luhn_valid,
    mask_pans,
)
from possdk.testing.payments import find_card_numbers

S = PaymentStatus
FINAL = {S.DECLINED, S.VOIDED, S.REFUNDED, S.FAILED}
VISA = "4111111111111111"
MASTERCARD = "5500005555555559"
AMEX = "378282246310005"
TEST_CARDS = [
    VISA,
    MASTERCARD,
    AMEX,
    "4242424242424242",
    "6011111111111117",  # Discover
    "2221000000000009",  # Mastercard 2-series
    "4000056655665556",  # Visa debit
    "3530111333300000",  # JCB
    "4222222222222",  # 13-digit Visa
    "6304000000000000000",  # 19-digit Maestro
]


# ---- statuses and transitions -------------------------------------------------------------


def test_every_status_has_its_transitions():
    assert set(TRANSITIONS) == set(PaymentStatus)
    for old, new in TRANSITIONS.items():
        assert isinstance(new, frozenset) and new <= set(PaymentStatus), old


@pytest.mark.parametrize("status", sorted(FINAL, key=lambda s: s.value))
def test_final_statuses_go_nowhere(status):
    assert TRANSITIONS[status] == frozenset()
    assert status.is_final


@pytest.mark.parametrize("status", sorted(set(PaymentStatus) - FINAL, key=lambda s: s.value))
def test_other_statuses_can_still_change(status):
    assert TRANSITIONS[status]
    assert not status.is_final


def test_nothing_goes_back_to_pending():
    assert not any(S.PENDING in targets for targets in TRANSITIONS.values())


def test_every_status_is_reachable_from_pending():
    seen, todo = {S.PENDING}, [S.PENDING]
    while todo:
        for new in TRANSITIONS[todo.pop()] - seen:
            seen.add(new)
            todo.append(new)
    assert seen == set(PaymentStatus)


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.PENDING, S.CAPTURED),
        (S.PENDING, S.UNKNOWN),
        (S.UNKNOWN, S.UNKNOWN),  # looked up again, still no answer
        (S.UNKNOWN, S.FAILED),  # the provider never saw the key
        (S.AUTHORIZED, S.CAPTURED),
        (S.AUTHORIZED, S.VOIDED),
        (S.CAPTURED, S.VOIDED),
        (S.CAPTURED, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_REFUNDED, S.PARTIALLY_REFUNDED),
        (S.PARTIALLY_REFUNDED, S.REFUNDED),
    ],
)
def test_legal_transitions(old, new):
    assert new in TRANSITIONS[old]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        (S.DECLINED, S.CAPTURED),  # a declined payment never takes money later
        (S.CAPTURED, S.AUTHORIZED),
        (S.CAPTURED, S.CAPTURED),  # captured once
        (S.PARTIALLY_REFUNDED, S.VOIDED),  # part of it was given back: refund the rest
        (S.REFUNDED, S.PARTIALLY_REFUNDED),
        (S.VOIDED, S.REFUNDED),
        (S.PENDING, S.REFUNDED),
        (S.AUTHORIZED, S.REFUNDED),  # nothing captured to refund
    ],
)
def test_illegal_transitions(old, new):
    assert new not in TRANSITIONS[old]


@pytest.mark.parametrize("status", list(PaymentStatus))
def test_only_captured_and_partly_refunded_payments_hold_money(status):
    assert status.holds_money is (status in (S.CAPTURED, S.PARTIALLY_REFUNDED))


# ---- Luhn ----------------------------------------------------------------------------


@pytest.mark.parametrize("number", TEST_CARDS)
def test_known_test_cards_pass_luhn(number):
    assert luhn_valid(number)


@pytest.mark.parametrize(
    "number",
    [
        "4111111111111112",  # last digit off by one
        "4111111111111121",  # two digits swapped
        "5500005555555558",
        "378282246310006",
        "411111111111",  # 12 digits: too short to be a card
        "00000000000000000000",  # 20 digits: too long
        "000000000000",  # Luhn-valid but 12 digits
        "4111 1111 1111 1111",  # separators are not digits
        "4111-1111-1111-1111",
        "４１１１１１１１１１１１１１１１",  # full-width digits
        "",
        "abcdefghijklmnop",
    ],
)
def test_near_misses_fail_luhn(number):
    assert not luhn_valid(number)


@given(st.text("0123456789", min_size=12, max_size=18))
def test_exactly_one_check_digit_completes_a_number(body):
    assert sum(luhn_valid(body + d) for d in "0123456789") == 1


# ---- masking free text -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        (f"card {VISA} approved", "card ************1111 approved"),
        ("card 4111 1111 1111 1111 approved", "card ************1111 approved"),
        ("card 4111-1111-1111-1111.", "card ************1111."),
        ("amex 3782 822463 10005", "amex ***********0005"),
        (f"{MASTERCARD}", "************5559"),
        (f"two: {VISA}, {AMEX}", "two: ************1111, ***********0005"),
        (f"ref:{VISA}x", "ref:************1111x"),  # letters around it do not hide it
        (f"{VISA} 12/26", "************1111 12/26"),
    ],
)
def test_mask_pans_masks_card_numbers_in_free_text(text, masked):
    assert mask_pans(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567890123 shipped",  # 13 digits, not Luhn-valid
        "4111111111111112",  # a near miss
        "phone +380 44 123 4567",
        "total 189.00 UAH, 2 items, receipt till-1/000042",
        "ean 4820000000017",  # a barcode that fails Luhn
        "411111111111",  # 12 digits
        "",
    ],
)
def test_mask_pans_leaves_other_numbers_alone(text):
    assert mask_pans(text) == text


def test_mask_pans_masks_a_card_number_followed_by_its_cvv():
    # A keyed card number with the CVV typed after it, as a cashier might note it.
    text = "card 4111 1111 1111 1111 123"
    assert VISA not in mask_pans(text).replace(" ", "")
    assert mask_pans(text) == "card ************1111 123"


@given(
    st.lists(
        st.one_of(
            st.sampled_from(TEST_CARDS),
            st.sampled_from([" ", ", ", " ref ", "; ", "x"]),
            st.text("abc .,:/", max_size=5),
        ),
        max_size=8,
    )
)
def test_masked_text_keeps_no_test_card(parts):
    masked = mask_pans("|".join(parts))
    for card in TEST_CARDS:
        assert card not in masked


# ---- a keyed card --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "display"),
    [
        (VISA, CardDisplay("VISA", "1111", "411111")),
        ("5500 0055 5555 5559", CardDisplay("MASTERCARD", "5559", "550000")),
        ("3782-822463-10005", CardDisplay("AMEX", "0005", "378282")),
        ("6011111111111117", CardDisplay("DISCOVER", "1117", "601111")),
        ("2221000000000009", CardDisplay("MASTERCARD", "0009", "222100")),
        ("3530111333300000", CardDisplay("CARD", "0000", "353011")),
    ],
)
def test_card_input_keeps_only_brand_first_six_and_last_four(number, display):
    card = CardInput(number)
    assert card.display == display
    assert card.reveal() == number.replace(" ", "").replace("-", "")


@pytest.mark.parametrize("number", [VISA, "5500 0055 5555 5559", AMEX])
def test_card_input_never_shows_the_number(number):
    card = CardInput(number)
    digits = number.replace(" ", "")
    for text in (repr(card), str(card), f"{card}", f"{card!r}", repr([card])):
        assert digits not in text.replace(" ", "")
        assert not find_card_numbers(text)
    assert not hasattr(card, "__dict__")


def test_card_input_refuses_to_be_pickled_or_copied():
    card = CardInput(VISA)
    with pytest.raises(TypeError, match="never pickled"):
        pickle.dumps(card)
    with pytest.raises(TypeError):
        copy.deepcopy(card)


@pytest.mark.parametrize("number", ["4111111111111112", "1234", "", "4111 1111 1111 111x"])
def test_card_input_refuses_what_is_not_a_card_number(number):
    with pytest.raises(PaymentError, match="not a valid card number"):
        CardInput(number)


def test_a_refused_card_number_is_not_repeated_in_the_error():
    with pytest.raises(PaymentError) as caught:
        CardInput("4111111111111112")
    assert "4111111111111112" not in str(caught.value)


# ---- the offline policy ------------------------------------------------------------------


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


POLICY = OfflinePolicy(accept=True, max_amount=eur("100.00"), max_total=eur("250.00"))


def test_offline_payment_exactly_at_the_limit_is_accepted():
    assert POLICY.refusal(TenderKind.CARD, eur("100.00"), eur("0")) is None


def test_offline_payment_one_minor_unit_over_the_limit_is_refused():
    reason = POLICY.refusal(TenderKind.CARD, eur("100.01"), eur("0"))
    assert reason is not None and "100.00" in reason


def test_offline_queue_may_fill_exactly_to_its_total():
    assert POLICY.refusal(TenderKind.CARD, eur("50.00"), eur("200.00")) is None
    assert POLICY.refusal(TenderKind.CARD, eur("100.00"), eur("150.00")) is None


def test_offline_queue_one_minor_unit_over_its_total_is_refused():
    reason = POLICY.refusal(TenderKind.CARD, eur("50.01"), eur("200.00"))
    assert reason is not None and "250.00" in reason
    assert POLICY.refusal(TenderKind.CARD, eur("0.01"), eur("250.00")) is not None


def test_offline_limits_work_in_currencies_without_minor_units():
    policy = OfflinePolicy(accept=True, max_amount=Money("5000", "JPY"))
    assert policy.refusal(TenderKind.CARD, Money("5000", "JPY"), Money("0", "JPY")) is None
    assert policy.refusal(TenderKind.CARD, Money("5001", "JPY"), Money("0", "JPY")) is not None


def test_offline_policy_refuses_by_default_and_for_kinds_not_listed():
    assert OfflinePolicy.refuse() == OfflinePolicy()
    assert OfflinePolicy().refusal(TenderKind.CARD, eur("0.01"), eur("0")) is not None
    assert POLICY.refusal(TenderKind.MOBILE, eur("1.00"), eur("0")) is not None
    mobile = OfflinePolicy(accept=True, kinds=[TenderKind.CARD, TenderKind.MOBILE])
    assert mobile.kinds == frozenset({TenderKind.CARD, TenderKind.MOBILE})
    assert mobile.refusal(TenderKind.MOBILE, eur("1000000.00"), eur("0")) is None


@pytest.mark.parametrize("limit", ["0", "-1.00"])
def test_offline_limits_must_be_positive(limit):
    with pytest.raises(ConfigurationError):
        OfflinePolicy(accept=True, max_amount=eur(limit))
    with pytest.raises(ConfigurationError):
        OfflinePolicy(accept=True, max_total=eur(limit))


def test_offline_payments_wait_a_day_by_default():
    assert OfflinePolicy().max_age == timedelta(hours=24)


@given(limit=st.integers(1, 10**6), amount=st.integers(1, 10**6), queued=st.integers(0, 10**6))
def test_offline_refusal_is_exactly_the_limits(limit, amount, queued):
    m = lambda minor: Money.from_minor(minor, "EUR")  # noqa: E731
    policy = OfflinePolicy(accept=True, max_amount=m(limit), max_total=m(limit * 2))
    refused = policy.refusal(TenderKind.CARD, m(amount), m(queued)) is not None
    assert refused == (amount > limit or queued + amount > limit * 2)


# ---- requests ----------------------------------------------------------------------------


def request(**changes: object) -> PaymentRequest:
    fields: dict[str, object] = {
        "idempotency_key": "k-1",
        "operation": Operation.SALE,
        "amount": eur("10.00"),
        "payment_id": uuid.UUID("01a21bce-04ab-7cde-8fab-cdefabcdef01"),
        "kind": TenderKind.CARD,
        "reference": None,
    }
    fields.update(changes)
    return PaymentRequest(**fields)  # type: ignore[arg-type]


def test_fingerprint_ignores_the_card():
    plain = request()
    keyed = request(card=CardInput(VISA))
    other = request(card=CardInput(MASTERCARD))
    assert plain.fingerprint() == keyed.fingerprint() == other.fingerprint()
    assert plain == keyed  # the card is no part of what a request is compared by
    for r in (keyed, other):
        assert not find_card_numbers(r.fingerprint())
        assert not find_card_numbers(repr(r))


@pytest.mark.parametrize(
    "change",
    [
        {"operation": Operation.REFUND},
        {"amount": eur("10.01")},
        {"amount": Money("10.00", "USD")},
        {"payment_id": uuid.UUID("01a21bce-04ab-7cde-8fab-cdefabcdef02")},
        {"kind": TenderKind.MOBILE},
        {"reference": "ref-1"},
    ],
)
def test_fingerprint_changes_with_what_the_call_does(change):
    assert request(**change).fingerprint() != request().fingerprint()


def test_fingerprint_ignores_where_and_when_it_was_asked():
    assert request(sale_id=uuid.uuid4(), terminal_id="till-9").fingerprint() == (
        request().fingerprint()
    )


def test_equal_amounts_give_the_same_fingerprint():
    # 10.0 EUR and 10.00 EUR are the same money (and the requests compare equal); a
    # payment typed as "10.0" and kept in minor units comes back as 10.00 after a restart.
    a, b = request(amount=eur("10.0")), request(amount=eur("10.00"))
    assert a == b
    assert a.fingerprint() == b.fingerprint()
