"""Tender arithmetic: cash rounding, change, part payments and refunds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from possdk import Money
from possdk.core import (
    CashRounding,
    CashRoundingPolicy,
    RoundingMode,
    Tender,
    TenderKind,
    apply_tender,
)
from possdk.errors import (
    ConfigurationError,
    InvalidAmountError,
    TenderError,
    UnknownCurrencyError,
)

UAH_CASH = CashRounding("0.10")
CHF_CASH = CashRounding("0.05")
NON_CASH = [k for k in TenderKind if k is not TenderKind.CASH]
NATIONAL = CashRoundingPolicy.national()
# Currencies with and without national cash rounding, and with 0, 2 and 3 minor units.
TENDER_CURRENCIES = ("UAH", "CHF", "CAD", "NZD", "SEK", "EUR", "USD", "JPY", "KWD")


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def pay(
    kind: TenderKind,
    remaining: Money,
    offered: Money | None = None,
    rounding: CashRounding | None = None,
    tender_no: int = 1,
) -> Tender:
    return apply_tender(
        tender_no=tender_no, kind=kind, offered=offered, remaining=remaining, rounding=rounding
    )


# ---- cash rounding ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("balance", "due", "rounding"),
    [
        ("12.30", "12.30", "0.00"),
        ("12.31", "12.30", "-0.01"),
        ("12.32", "12.30", "-0.02"),
        ("12.33", "12.30", "-0.03"),
        ("12.34", "12.30", "-0.04"),
        ("12.35", "12.40", "0.05"),
        ("12.36", "12.40", "0.04"),
        ("12.37", "12.40", "0.03"),
        ("12.38", "12.40", "0.02"),
        ("12.39", "12.40", "0.01"),
    ],
)
def test_uah_cash_rounds_to_ten_kopiykas_half_up(balance, due, rounding):
    t = pay(TenderKind.CASH, uah(balance), rounding=UAH_CASH)
    assert t.amount == uah(due)
    assert t.tendered == uah(due)
    assert t.change == uah("0")
    assert t.rounding == uah(rounding)
    assert uah(balance) + t.rounding == t.amount


@pytest.mark.parametrize(
    ("balance", "due"),
    [
        ("1.00", "1.00"),
        ("1.01", "1.00"),
        ("1.02", "1.00"),
        ("1.03", "1.05"),
        ("1.04", "1.05"),
        ("1.06", "1.05"),
        ("1.07", "1.05"),
        ("1.08", "1.10"),
        ("1.09", "1.10"),
    ],
)
def test_chf_cash_rounds_to_five_rappen(balance, due):
    t = pay(TenderKind.CASH, Money(balance, "CHF"), rounding=CHF_CASH)
    assert t.amount == Money(due, "CHF")
    assert t.rounding == Money(due, "CHF") - Money(balance, "CHF")


def test_cash_rounding_with_national_policy_for_chf():
    rule = NATIONAL.for_currency("CHF")
    t = pay(TenderKind.CASH, Money("7.48", "CHF"), rounding=rule)
    assert t.amount == Money("7.50", "CHF")
    assert t.rounding == Money("0.02", "CHF")


@pytest.mark.parametrize("kind", NON_CASH)
def test_non_cash_is_never_rounded(kind):
    t = pay(kind, uah("12.34"), rounding=UAH_CASH)
    assert t.amount == uah("12.34")
    assert t.tendered == uah("12.34")
    assert t.rounding == uah("0")
    assert t.change == uah("0")
    assert t.kind is kind


def test_eur_cash_is_not_rounded_by_the_national_policy():
    rule = NATIONAL.for_currency("EUR")
    assert rule is None
    t = pay(TenderKind.CASH, Money("12.34", "EUR"), rounding=rule)
    assert t.amount == Money("12.34", "EUR")
    assert t.rounding == Money("0", "EUR")


@pytest.mark.parametrize(
    ("code", "increment"),
    [
        ("UAH", "0.10"),
        ("CHF", "0.05"),
        ("CAD", "0.05"),
        ("AUD", "0.05"),
        ("NZD", "0.10"),
        ("SEK", "1"),
    ],
)
def test_national_policy_rules(code, increment):
    rule = NATIONAL.for_currency(code)
    assert rule is not None
    assert rule.increment == Decimal(increment)
    assert rule.mode is RoundingMode.HALF_UP


@pytest.mark.parametrize("code", ["EUR", "USD", "JPY", "GBP", "KWD"])
def test_national_policy_leaves_other_currencies_alone(code):
    assert NATIONAL.for_currency(code) is None


def test_sek_cash_rounds_to_whole_kronor():
    t = pay(TenderKind.CASH, Money("99.50", "SEK"), rounding=NATIONAL.for_currency("SEK"))
    assert t.amount == Money("100", "SEK")
    assert t.rounding == Money("0.50", "SEK")
    t = pay(TenderKind.CASH, Money("99.49", "SEK"), rounding=NATIONAL.for_currency("SEK"))
    assert t.amount == Money("99", "SEK")
    assert t.rounding == Money("-0.49", "SEK")


def test_cash_rounding_mode_is_respected():
    down = CashRounding("0.10", RoundingMode.DOWN)
    t = pay(TenderKind.CASH, uah("12.39"), rounding=down)
    assert t.amount == uah("12.30")
    assert t.rounding == uah("-0.09")


def test_policy_accepts_rules_as_strings_and_decimals():
    policy = CashRoundingPolicy({"CHF": "0.05", "UAH": Decimal("0.10"), "SEK": CashRounding("1")})
    assert policy.for_currency("CHF") == CashRounding(Decimal("0.05"))
    assert policy.for_currency("UAH") == CashRounding("0.1")
    assert policy.for_currency("SEK") == CashRounding("1")
    assert policy.for_currency("EUR") is None
    assert CashRoundingPolicy().for_currency("UAH") is None


# ---- change -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", NON_CASH)
def test_non_cash_above_the_balance_is_refused_because_it_cannot_give_change(kind):
    with pytest.raises(TenderError, match="change") as excinfo:
        pay(kind, uah("12.34"), offered=uah("20.00"), rounding=UAH_CASH)
    assert "12.34" in str(excinfo.value)


@pytest.mark.parametrize("kind", NON_CASH)
def test_non_cash_of_exactly_the_balance_settles_it(kind):
    t = pay(kind, uah("12.34"), offered=uah("12.34"))
    assert t.amount == uah("12.34")
    assert t.change == uah("0")


@pytest.mark.parametrize(
    ("balance", "offered", "amount", "change", "rounding"),
    [
        ("12.34", "20.00", "12.30", "7.70", "-0.04"),
        ("12.35", "20.00", "12.40", "7.60", "0.05"),
        ("12.30", "50", "12.30", "37.70", "0"),
        ("12.34", "12.30", "12.30", "0.00", "-0.04"),  # exactly the rounded due
    ],
)
def test_cash_above_the_balance_gives_change_from_the_rounded_due(
    balance, offered, amount, change, rounding
):
    t = pay(TenderKind.CASH, uah(balance), offered=uah(offered), rounding=UAH_CASH)
    assert t.amount == uah(amount)
    assert t.tendered == uah(offered)
    assert t.change == uah(change)
    assert t.rounding == uah(rounding)
    assert t.tendered - t.change == t.amount


def test_cash_change_without_rounding():
    t = pay(TenderKind.CASH, Money("12.34", "EUR"), offered=Money("20", "EUR"))
    assert t.amount == Money("12.34", "EUR")
    assert t.change == Money("7.66", "EUR")
    assert t.rounding == Money("0", "EUR")


def test_partial_cash_is_an_unrounded_part_payment():
    t = pay(TenderKind.CASH, uah("12.34"), offered=uah("5.00"), rounding=UAH_CASH)
    assert t.amount == uah("5.00")
    assert t.tendered == uah("5.00")
    assert t.change == uah("0")
    assert t.rounding == uah("0")


def test_cash_just_below_the_rounded_due_is_a_part_payment():
    t = pay(TenderKind.CASH, uah("12.34"), offered=uah("12.29"), rounding=UAH_CASH)
    assert t.amount == uah("12.29")
    assert t.rounding == uah("0")
    assert t.change == uah("0")


def test_tender_carries_its_number_kind_and_reference():
    t = apply_tender(
        tender_no=3,
        kind=TenderKind.VOUCHER,
        offered=uah("10"),
        remaining=uah("12.34"),
        rounding=UAH_CASH,
        reference="MEAL-42",
    )
    assert (t.tender_no, t.kind, t.reference) == (3, TenderKind.VOUCHER, "MEAL-42")


def test_card_then_cash_settles_a_split_payment():
    card = pay(TenderKind.CARD, uah("100.37"), offered=uah("50.00"), rounding=UAH_CASH)
    remaining = uah("100.37") - card.amount
    cash = pay(TenderKind.CASH, remaining, offered=uah("100"), rounding=UAH_CASH, tender_no=2)
    assert cash.amount == uah("50.40")
    assert cash.change == uah("49.60")
    assert cash.rounding == uah("0.03")
    assert card.amount + cash.amount == uah("100.37") + card.rounding + cash.rounding


# ---- refunds -------------------------------------------------------------------------


def test_refund_by_card_pays_out_the_exact_balance():
    t = pay(TenderKind.CARD, uah("-12.34"), rounding=UAH_CASH)
    assert t.amount == uah("-12.34")
    assert t.rounding == uah("0")


@pytest.mark.parametrize(
    ("balance", "paid_out", "rounding"),
    [("-12.34", "-12.30", "0.04"), ("-12.35", "-12.40", "-0.05"), ("-12.30", "-12.30", "0")],
)
def test_refund_in_cash_is_rounded_too(balance, paid_out, rounding):
    t = pay(TenderKind.CASH, uah(balance), rounding=UAH_CASH)
    assert t.amount == uah(paid_out)
    assert t.tendered == uah(paid_out)
    assert t.change == uah("0")
    assert t.rounding == uah(rounding)
    assert uah(balance) + t.rounding == t.amount


def test_partial_refund_in_cash_is_unrounded():
    t = pay(TenderKind.CASH, uah("-12.34"), offered=uah("-5.00"), rounding=UAH_CASH)
    assert t.amount == uah("-5.00")
    assert t.rounding == uah("0")


@pytest.mark.parametrize("kind", list(TenderKind))
def test_positive_tender_against_a_refund_is_refused(kind):
    with pytest.raises(TenderError, match="negative"):
        pay(kind, uah("-12.34"), offered=uah("5.00"), rounding=UAH_CASH)


@pytest.mark.parametrize("kind", NON_CASH)
def test_non_cash_refund_above_the_balance_is_refused(kind):
    with pytest.raises(TenderError, match="change"):
        pay(kind, uah("-12.34"), offered=uah("-20.00"))


# ---- what cannot be tendered ------------------------------------------------------------


@pytest.mark.parametrize("kind", list(TenderKind))
def test_nothing_due_is_refused(kind):
    with pytest.raises(TenderError, match="nothing is due"):
        pay(kind, uah("0"), rounding=UAH_CASH)
    with pytest.raises(TenderError, match="nothing is due"):
        pay(kind, uah("0.00"), offered=uah("5"), rounding=UAH_CASH)


@pytest.mark.parametrize("kind", list(TenderKind))
def test_negative_tender_against_a_sale_is_refused(kind):
    with pytest.raises(TenderError, match="positive"):
        pay(kind, uah("12.34"), offered=uah("-1.00"), rounding=UAH_CASH)


@pytest.mark.parametrize("kind", NON_CASH)
def test_zero_non_cash_tender_is_refused(kind):
    with pytest.raises(TenderError):
        pay(kind, uah("12.34"), offered=uah("0"))


def test_zero_cash_tender_is_refused_when_cash_is_due():
    with pytest.raises(TenderError):
        pay(TenderKind.CASH, uah("12.34"), offered=uah("0"), rounding=UAH_CASH)


@pytest.mark.parametrize("kind", list(TenderKind))
def test_tender_in_another_currency_is_refused(kind):
    with pytest.raises(TenderError, match="EUR"):
        pay(kind, uah("12.34"), offered=Money("12.34", "EUR"))


@pytest.mark.parametrize(("balance", "rounding"), [("0.03", "-0.03"), ("-0.04", "0.04")])
def test_a_balance_that_rounds_to_nothing_is_settled_by_zero_cash(balance, rounding):
    t = pay(TenderKind.CASH, uah(balance), rounding=UAH_CASH)
    assert t.kind is TenderKind.CASH
    assert t.amount == uah("0")
    assert t.tendered == uah("0")
    assert t.change == uah("0")
    assert t.rounding == uah(rounding)
    assert uah(balance) + t.rounding == t.amount


def test_a_balance_that_rounds_to_nothing_is_settled_by_an_explicit_zero_cash_tender():
    t = pay(TenderKind.CASH, uah("0.03"), offered=uah("0"), rounding=UAH_CASH)
    assert t.amount == uah("0")
    assert t.change == uah("0")
    assert t.rounding == uah("-0.03")


def test_a_small_balance_by_card_is_paid_exactly():
    t = pay(TenderKind.CARD, uah("0.03"), rounding=UAH_CASH)
    assert t.amount == uah("0.03")
    assert t.rounding == uah("0")


# ---- configuration -----------------------------------------------------------------------


@pytest.mark.parametrize("increment", ["0", "0.00", 0, "-0.05", Decimal("-1"), -1])
def test_non_positive_cash_increment_is_a_configuration_error(increment):
    with pytest.raises(ConfigurationError, match="positive"):
        CashRounding(increment)


def test_float_cash_increment_is_refused():
    with pytest.raises(InvalidAmountError):
        CashRounding(0.05)  # type: ignore[arg-type]


@pytest.mark.parametrize("code", ["ABC", "uah", "Uah"])
def test_policy_with_unknown_currency_is_refused(code):
    with pytest.raises(UnknownCurrencyError):
        CashRoundingPolicy({code: "0.05"})


def test_policy_with_a_bad_increment_is_refused():
    with pytest.raises(ConfigurationError):
        CashRoundingPolicy({"CHF": "0"})


# ---- properties ---------------------------------------------------------------------------


@st.composite
def split_payments(draw: st.DrawFn, sign: int = 1) -> tuple[Money, list[tuple[TenderKind, Money]]]:
    """A sale total and non-cash part payments, each at most what is still due."""
    code = draw(st.sampled_from(TENDER_CURRENCIES))
    total = Money.from_minor(sign * draw(st.integers(1, 10**7)), code)
    payments = []
    remaining = total
    for _ in range(draw(st.integers(0, 4))):
        if not remaining:
            break
        kind = draw(st.sampled_from(NON_CASH))
        part = draw(st.integers(1, abs(remaining.minor)))
        amount = Money.from_minor(sign * part, code)
        payments.append((kind, amount))
        remaining -= amount
    return total, payments


def settle(
    total: Money, payments: list[tuple[TenderKind, Money]], extra_minor: int
) -> list[Tender]:
    """Apply the non-cash payments, then cash for the rest with ``extra_minor`` over."""
    rule = NATIONAL.for_currency(total.currency)
    tenders = []
    remaining = total
    for kind, amount in payments:
        tenders.append(pay(kind, remaining, amount, rule, tender_no=len(tenders) + 1))
        remaining = remaining - tenders[-1].amount
    if remaining:
        due = rule.apply(remaining.amount) if rule else remaining.amount
        sign = 1 if total.amount > 0 else -1
        offered = Money(due, total.currency) + Money.from_minor(sign * extra_minor, total.currency)
        tenders.append(pay(TenderKind.CASH, remaining, offered, rule, tender_no=len(tenders) + 1))
    return tenders


@given(case=split_payments(), extra=st.integers(0, 10**5))
def test_split_tenders_account_for_every_minor_unit(case, extra):
    total, payments = case
    tenders = settle(total, payments, extra)
    code = total.currency
    zero = Money.zero(code)
    amounts = sum((t.amount for t in tenders), zero)
    roundings = sum((t.rounding for t in tenders), zero)
    assert amounts == total + roundings
    for t in tenders:
        assert t.change >= zero
        assert t.tendered - t.change == t.amount
        if t.kind is not TenderKind.CASH:
            assert t.change == zero
            assert t.rounding == zero
            assert t.tendered == t.amount
    # Only the last tender may be cash, and only it may give change or round.
    assert all(t.kind is not TenderKind.CASH for t in tenders[:-1])


@given(case=split_payments(), extra=st.integers(0, 10**5))
def test_cash_rounding_is_at_most_half_an_increment_and_lands_on_it(case, extra):
    total, payments = case
    rule = NATIONAL.for_currency(total.currency)
    tenders = settle(total, payments, extra)
    last = tenders[-1]
    assume(last.kind is TenderKind.CASH)
    if rule is None:
        assert last.rounding == Money.zero(total.currency)
    else:
        assert abs(last.rounding.amount) <= rule.increment / 2
        assert last.amount.amount % rule.increment == 0
    assert last.change == Money.from_minor(extra, total.currency)


@given(case=split_payments(sign=-1))
def test_split_refunds_account_for_every_minor_unit(case):
    total, payments = case
    tenders = settle(total, payments, 0)
    zero = Money.zero(total.currency)
    assert sum((t.amount for t in tenders), zero) == total + sum(
        (t.rounding for t in tenders), zero
    )
    assert all(t.amount <= zero for t in tenders)
    assert all(t.change == zero for t in tenders)


@given(
    code=st.sampled_from(("UAH", "CHF", "CAD", "NZD", "SEK")),
    balance_minor=st.integers(1, 10**7),
    card_fraction=st.fractions(min_value=0, max_value=1),
)
def test_card_part_then_cash_rest_with_rounding(code, balance_minor, card_fraction):
    rule = NATIONAL.for_currency(code)
    total = Money.from_minor(balance_minor, code)
    card_minor = int(balance_minor * card_fraction)
    tenders = []
    remaining = total
    if card_minor:
        tenders.append(pay(TenderKind.CARD, remaining, Money.from_minor(card_minor, code), rule))
        remaining -= tenders[-1].amount
    if remaining:
        tenders.append(pay(TenderKind.CASH, remaining, None, rule, tender_no=len(tenders) + 1))
    zero = Money.zero(code)
    assert sum((t.amount for t in tenders), zero) == total + sum(
        (t.rounding for t in tenders), zero
    )
    if card_minor:
        assert tenders[0].amount == Money.from_minor(card_minor, code)
        assert tenders[0].rounding == zero
    if remaining:
        assert tenders[-1].amount.amount % rule.increment == 0
        assert tenders[-1].amount == Money(rule.apply(remaining.amount), code)


def test_cash_between_the_balance_and_the_rounded_due_is_refused():
    # 12.35 UAH is due; in cash that is 12.40. 12.36 can neither settle nor part-pay.
    from possdk.core import CashRounding, TenderKind, apply_tender
    from possdk.errors import TenderError

    with pytest.raises(TenderError, match="rounded to the cash increment"):
        apply_tender(
            tender_no=1,
            kind=TenderKind.CASH,
            offered=Money("12.36", "UAH"),
            remaining=Money("12.35", "UAH"),
            rounding=CashRounding("0.10"),
        )
