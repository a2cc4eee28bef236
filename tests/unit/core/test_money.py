"""Money: construction, minor units, arithmetic, rounding, formatting and allocation."""

from __future__ import annotations

import math
import pickle
from decimal import ROUND_FLOOR, Context, Decimal, Inexact, localcontext
from fractions import Fraction

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from possdk import Money
from possdk.core import RoundingMode, allocate, currency, format_money, sum_money
from possdk.errors import (
    AllocationError,
    CurrencyMismatchError,
    InvalidAmountError,
    MoneyError,
    UnknownCurrencyError,
)
from tests.strategies import MINOR, currencies, minor_amounts, money, weights

# A host application's context that would wreck any arithmetic that read it:
# three significant digits, rounding towards minus infinity, Inexact trapped.
HOSTILE = Context(prec=3, rounding=ROUND_FLOOR, traps=[Inexact])

QUANTA = ("0.01", "0.05", "0.10", "0.25", "0.5", "1", "10", "0.001")


@st.composite
def fine_money(draw: st.DrawFn, currency_code: str | None = None) -> Money:
    """An amount with up to four digits below the unit, finer than most minor units."""
    code = currency_code or draw(currencies())
    return Money(Decimal(draw(st.integers(-(10**11), 10**11))).scaleb(-4), code)


@st.composite
def allocation_weights(draw: st.DrawFn, max_size: int = 12) -> list[Decimal]:
    """Non-negative weights, at least one positive."""
    ws = draw(st.lists(weights(), min_size=1, max_size=max_size))
    assume(sum(ws) > 0)
    return ws


def reference_round(amount: Decimal, quantum: Decimal, mode: RoundingMode) -> Fraction:
    """Round exactly with fractions, independently of possdk and of the decimal module."""
    f = Fraction(amount) / Fraction(quantum)
    n = math.floor(f)
    r = f - n
    half = Fraction(1, 2)
    if mode is RoundingMode.FLOOR:
        steps = n
    elif mode is RoundingMode.CEILING:
        steps = n + (r != 0)
    elif mode is RoundingMode.DOWN:
        steps = n + (r != 0 and f < 0)
    elif mode is RoundingMode.UP:
        steps = n + (r != 0 and f > 0)
    elif r != half:
        steps = n + (r > half)
    elif mode is RoundingMode.HALF_UP:
        steps = n + (f > 0)
    elif mode is RoundingMode.HALF_DOWN:
        steps = n + (f < 0)
    else:  # HALF_EVEN
        steps = n + (n % 2)
    return steps * Fraction(quantum)


# ---- construction ------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("12.50", Decimal("12.50")),
        (" 12.50 ", Decimal("12.50")),
        ("1_000.5", Decimal("1000.5")),
        ("-0.01", Decimal("-0.01")),
        (12, Decimal(12)),
        (-3, Decimal(-3)),
        (Decimal("0.125"), Decimal("0.125")),
    ],
)
def test_money_is_built_from_str_int_and_decimal_exactly(value, expected):
    m = Money(value, "UAH")
    assert m.amount == expected
    assert type(m.amount) is Decimal
    assert m.currency == "UAH"


def test_string_amount_keeps_its_digits():
    assert str(Money("12.50", "UAH")) == "12.50 UAH"
    assert repr(Money("0.125", "USD")) == "Money('0.125', 'USD')"


def test_float_is_refused_with_a_hint_to_use_decimal():
    with pytest.raises(InvalidAmountError) as excinfo:
        Money(0.1, "UAH")  # type: ignore[arg-type]
    message = str(excinfo.value)
    assert "float" in message
    assert 'Decimal("0.1")' in message
    assert excinfo.value.value == 0.1
    # InvalidAmountError is also a TypeError: code catching TypeError still works.
    assert isinstance(excinfo.value, TypeError)


@pytest.mark.parametrize("value", [True, False])
def test_bool_is_refused(value):
    with pytest.raises(InvalidAmountError, match="bool"):
        Money(value, "UAH")


@pytest.mark.parametrize(
    "value",
    ["NaN", "-nan", "sNaN", "Infinity", "-Infinity", "inf", Decimal("NaN"), Decimal("-Infinity")],
)
def test_nan_and_infinity_are_refused(value):
    with pytest.raises(InvalidAmountError, match="finite"):
        Money(value, "UAH")


@pytest.mark.parametrize("value", ["abc", "", "12,50", "1.2.3", "12.50 UAH", "$5"])
def test_garbage_strings_are_refused_with_a_clear_message(value):
    with pytest.raises(InvalidAmountError) as excinfo:
        Money(value, "UAH")
    message = str(excinfo.value)
    assert repr(value) in message
    assert "not a number" in message
    assert "12.50" in message  # shows how to write it


@pytest.mark.parametrize("value", [None, [1], object(), 1 + 2j])
def test_other_types_are_refused_naming_the_type(value):
    with pytest.raises(InvalidAmountError, match=type(value).__name__):
        Money(value, "UAH")


@pytest.mark.parametrize("code", ["ABC", "uah", "Uah", "UAHX", "", "  UAH"])
def test_unknown_currency_is_refused(code):
    with pytest.raises(UnknownCurrencyError) as excinfo:
        Money("1", code)
    assert excinfo.value.code == code
    assert "ISO 4217" in str(excinfo.value)


def test_currency_must_be_a_string():
    with pytest.raises(UnknownCurrencyError):
        Money("1", 980)  # type: ignore[arg-type]


def test_money_is_frozen():
    m = Money("1", "UAH")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        m.amount = Decimal(2)  # type: ignore[misc]


# ---- currencies and minor units ------------------------------------------------


@pytest.mark.parametrize(
    ("code", "minor_units", "quantum"),
    [("UAH", 2, "0.01"), ("EUR", 2, "0.01"), ("JPY", 0, "1"), ("KWD", 3, "0.001")],
)
def test_minor_units_come_from_cldr(code, minor_units, quantum):
    info = currency(code)
    assert info.code == code
    assert info.minor_units == minor_units
    assert info.quantum == Decimal(quantum)


def test_unknown_currency_lookup_raises():
    with pytest.raises(UnknownCurrencyError):
        currency("uah")


@pytest.mark.parametrize(
    ("minor", "code", "expected"),
    [
        (1999, "UAH", "19.99"),
        (-1999, "UAH", "-19.99"),
        (1999, "JPY", "1999"),
        (1999, "KWD", "1.999"),
        (0, "EUR", "0"),
        (5, "USD", "0.05"),
    ],
)
def test_from_minor(minor, code, expected):
    assert Money.from_minor(minor, code) == Money(expected, code)


def test_from_minor_matches_the_documented_example():
    assert Money.from_minor(1999, "UAH") == Money("19.99", "UAH")
    assert str(Money.from_minor(1999, "UAH")) == "19.99 UAH"


@pytest.mark.parametrize("minor", [19.99, "1999", Decimal(1999), True])
def test_from_minor_needs_an_int(minor):
    with pytest.raises(InvalidAmountError):
        Money.from_minor(minor, "UAH")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "code", "minor"),
    [
        ("19.99", "UAH", 1999),
        ("19.9", "UAH", 1990),
        ("19.990000", "UAH", 1999),
        ("-0.01", "EUR", -1),
        ("1999", "JPY", 1999),
        ("1.999", "KWD", 1999),
        ("0", "UAH", 0),
    ],
)
def test_minor_view(amount, code, minor):
    assert Money(amount, code).minor == minor


@pytest.mark.parametrize(
    ("amount", "code"), [("19.995", "UAH"), ("0.001", "EUR"), ("1.5", "JPY"), ("1.9991", "KWD")]
)
def test_minor_view_refuses_sub_minor_digits(amount, code):
    with pytest.raises(MoneyError, match="round"):
        _ = Money(amount, code).minor


@given(minor=minor_amounts(), code=currencies())
def test_from_minor_and_minor_round_trip(minor, code):
    m = Money.from_minor(minor, code)
    assert m.minor == minor
    assert m.is_rounded
    assert m.amount == Fraction(minor, 10 ** MINOR[code])


# ---- arithmetic ------------------------------------------------------------------


def test_add_subtract_negate_abs():
    a, b = Money("12.50", "UAH"), Money("0.75", "UAH")
    assert a + b == Money("13.25", "UAH")
    assert a - b == Money("11.75", "UAH")
    assert b - a == Money("-11.75", "UAH")
    assert -a == Money("-12.50", "UAH")
    assert +a == a
    assert abs(Money("-3.10", "UAH")) == Money("3.10", "UAH")
    assert abs(Money("3.10", "UAH")) == Money("3.10", "UAH")


def test_arithmetic_is_exact_below_the_minor_unit():
    # No rounding happens until you ask for it.
    assert Money("0.125", "UAH") + Money("0.0001", "UAH") == Money("0.1251", "UAH")
    assert Money("0.1", "USD") + Money("0.2", "USD") == Money("0.3", "USD")


@pytest.mark.parametrize(
    ("factor", "expected"),
    [
        (3, "37.50"),
        (0, "0"),
        (-2, "-25.00"),
        (Decimal("0.125"), "1.5625"),
        ("2.5", "31.25"),
        ("0.001", "0.0125"),
    ],
)
def test_multiply_by_a_quantity(factor, expected):
    m = Money("12.50", "UAH")
    assert m * factor == Money(expected, "UAH")
    assert factor * m == Money(expected, "UAH")


@pytest.mark.parametrize("factor", [0.5, True, Money("2", "UAH"), None])
def test_multiply_refuses_floats_bools_and_money(factor):
    with pytest.raises(InvalidAmountError):
        Money("12.50", "UAH") * factor


def test_sum_over_money_starts_from_zero():
    items = [Money("1.10", "UAH"), Money("2.20", "UAH"), Money("-0.30", "UAH")]
    assert sum(items) == Money("3.00", "UAH")
    assert sum(items[:1]) == Money("1.10", "UAH")
    assert sum_money(items, "UAH") == Money("3.00", "UAH")
    assert sum_money([], "JPY") == Money.zero("JPY")


def test_sum_over_mixed_currencies_raises():
    with pytest.raises(CurrencyMismatchError):
        sum([Money("1", "UAH"), Money("1", "EUR")])


@pytest.mark.parametrize("number", [1, Decimal(1), "1", 0.0, False])
def test_adding_a_plain_number_is_a_type_error(number):
    m = Money("1", "UAH")
    with pytest.raises(TypeError, match="Money"):
        m + number
    with pytest.raises(TypeError):
        number + m
    with pytest.raises(TypeError):
        m - number


def test_comparisons():
    small, big = Money("9.99", "UAH"), Money("10.00", "UAH")
    assert small < big
    assert small <= big
    assert big > small
    assert big >= small
    assert small <= Money("9.990", "UAH")
    assert small >= Money("9.99", "UAH")
    assert not big < small
    assert not small > big
    assert Money("-1", "UAH") < Money.zero("UAH")
    assert sorted([big, small, -big]) == [-big, small, big]
    assert max([small, big]) == big


@pytest.mark.parametrize(
    ("operation", "word"),
    [
        (lambda a, b: a + b, "add"),
        (lambda a, b: a - b, "subtract"),
        (lambda a, b: a < b, "compare"),
        (lambda a, b: a <= b, "compare"),
        (lambda a, b: a > b, "compare"),
        (lambda a, b: a >= b, "compare"),
    ],
)
def test_mixing_currencies_raises(operation, word):
    with pytest.raises(CurrencyMismatchError) as excinfo:
        operation(Money("1", "UAH"), Money("1", "EUR"))
    err = excinfo.value
    assert (err.left, err.right, err.operation) == ("UAH", "EUR", word)
    assert "UAH" in str(err)
    assert "EUR" in str(err)


@pytest.mark.parametrize("other", [1, Decimal(1), "1"])
def test_comparing_with_a_plain_number_is_a_type_error(other):
    with pytest.raises(TypeError):
        Money("1", "UAH") < other  # noqa: B015


def test_zero_is_falsy():
    assert not Money.zero("UAH")
    assert not Money("0.00", "UAH")
    assert Money("0.01", "UAH")


@given(a=money(currency="EUR"), b=money(currency="EUR"), c=money(currency="EUR"))
def test_addition_is_exact_associative_and_subtraction_undoes_it(a, b, c):
    assert (a + b) + c == a + (b + c)
    assert a + b == b + a
    assert (a + b) - b == a
    assert a + (-a) == Money.zero("EUR")
    assert (a + b).amount == a.amount + b.amount
    assert abs(a) >= Money.zero("EUR")


# ---- rounding --------------------------------------------------------------------

R = RoundingMode


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        ("0.125", R.HALF_UP, "0.13"),
        ("-0.125", R.HALF_UP, "-0.13"),
        ("0.125", R.HALF_EVEN, "0.12"),
        ("0.135", R.HALF_EVEN, "0.14"),
        ("-0.125", R.HALF_EVEN, "-0.12"),
        ("0.125", R.HALF_DOWN, "0.12"),
        ("0.1251", R.HALF_DOWN, "0.13"),
        ("-0.125", R.HALF_DOWN, "-0.12"),
        ("0.129", R.DOWN, "0.12"),
        ("-0.129", R.DOWN, "-0.12"),
        ("0.121", R.UP, "0.13"),
        ("-0.121", R.UP, "-0.13"),
        ("0.129", R.FLOOR, "0.12"),
        ("-0.121", R.FLOOR, "-0.13"),
        ("0.121", R.CEILING, "0.13"),
        ("-0.129", R.CEILING, "-0.12"),
        ("0.12", R.UP, "0.12"),
        ("-0.12", R.FLOOR, "-0.12"),
    ],
)
def test_round_to_the_minor_unit_in_every_mode(amount, mode, expected):
    result = Money(amount, "UAH").round(mode=mode)
    assert result == Money(expected, "UAH")
    assert result.currency == "UAH"
    assert result.is_rounded


@pytest.mark.parametrize(
    ("amount", "mode", "quantum", "expected"),
    [
        ("1.02", R.HALF_UP, "0.05", "1.00"),
        ("1.025", R.HALF_UP, "0.05", "1.05"),
        ("1.03", R.HALF_UP, "0.05", "1.05"),
        ("1.075", R.HALF_EVEN, "0.05", "1.10"),  # 21.5 steps -> 22
        ("1.025", R.HALF_EVEN, "0.05", "1.00"),  # 20.5 steps -> 20
        ("1.025", R.HALF_DOWN, "0.05", "1.00"),
        ("1.04", R.DOWN, "0.05", "1.00"),
        ("1.01", R.UP, "0.05", "1.05"),
        ("1.04", R.FLOOR, "0.05", "1.00"),
        ("1.01", R.CEILING, "0.05", "1.05"),
        ("-1.02", R.HALF_UP, "0.05", "-1.00"),
        ("-1.025", R.HALF_UP, "0.05", "-1.05"),
        ("-1.03", R.HALF_UP, "0.05", "-1.05"),
        ("-1.025", R.HALF_DOWN, "0.05", "-1.00"),
        ("-1.025", R.HALF_EVEN, "0.05", "-1.00"),
        ("-1.04", R.DOWN, "0.05", "-1.00"),
        ("-1.01", R.UP, "0.05", "-1.05"),
        ("-1.01", R.FLOOR, "0.05", "-1.05"),
        ("-1.04", R.CEILING, "0.05", "-1.00"),
        ("12.34", R.HALF_UP, "0.10", "12.30"),
        ("12.35", R.HALF_UP, "0.10", "12.40"),
        ("12.35", R.HALF_EVEN, "0.10", "12.40"),
        ("12.45", R.HALF_EVEN, "0.10", "12.40"),
        ("12.35", R.HALF_DOWN, "0.10", "12.30"),
        ("12.39", R.DOWN, "0.10", "12.30"),
        ("12.31", R.UP, "0.10", "12.40"),
        ("12.39", R.FLOOR, "0.10", "12.30"),
        ("12.31", R.CEILING, "0.10", "12.40"),
        ("-12.35", R.HALF_UP, "0.10", "-12.40"),
        ("-12.34", R.HALF_UP, "0.10", "-12.30"),
        ("-12.31", R.FLOOR, "0.10", "-12.40"),
        ("-12.39", R.CEILING, "0.10", "-12.30"),
        ("0.03", R.HALF_UP, "0.10", "0"),
        ("149", R.HALF_UP, "100", "100"),
        ("150", R.HALF_UP, "100", "200"),
        ("2.5", R.HALF_UP, "1", "3"),
    ],
)
def test_round_to_any_quantum(amount, mode, quantum, expected):
    assert Money(amount, "UAH").round(mode=mode, quantum=quantum) == Money(expected, "UAH")
    assert Money(amount, "UAH").round(mode=mode, quantum=Decimal(quantum)) == Money(expected, "UAH")


@pytest.mark.parametrize(
    ("amount", "code", "mode", "expected"),
    [
        ("2.5", "JPY", R.HALF_EVEN, "2"),
        ("2.5", "JPY", R.HALF_UP, "3"),
        ("1.2345", "KWD", R.HALF_UP, "1.235"),
        ("1.2345", "KWD", R.HALF_EVEN, "1.234"),
        ("1.2345", "EUR", R.HALF_UP, "1.23"),
    ],
)
def test_default_quantum_is_the_minor_unit(amount, code, mode, expected):
    assert Money(amount, code).round(mode=mode) == Money(expected, code)


def test_round_needs_an_explicit_mode():
    m = Money("0.125", "UAH")
    with pytest.raises(TypeError):
        m.round()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        m.round(RoundingMode.HALF_UP)  # type: ignore[misc]


@pytest.mark.parametrize("quantum", ["0", "-0.05", Decimal("-1")])
def test_round_refuses_a_non_positive_quantum(quantum):
    with pytest.raises(MoneyError, match="positive"):
        Money("1.23", "UAH").round(mode=R.HALF_UP, quantum=quantum)


def test_round_refuses_a_float_quantum():
    with pytest.raises(InvalidAmountError):
        Money("1.23", "UAH").round(mode=R.HALF_UP, quantum=0.05)  # type: ignore[arg-type]


@given(
    m=fine_money(),
    mode=st.sampled_from(RoundingMode),
    quantum=st.sampled_from(QUANTA),
)
def test_round_matches_exact_rational_rounding(m, mode, quantum):
    result = m.round(mode=mode, quantum=quantum)
    assert result.currency == m.currency
    assert Fraction(result.amount) == reference_round(m.amount, Decimal(quantum), mode)
    assert abs(result.amount - m.amount) < Decimal(quantum)
    assert result.amount % Decimal(quantum) == 0


@given(m=fine_money(), mode=st.sampled_from(RoundingMode))
def test_round_without_quantum_rounds_to_the_minor_unit(m, mode):
    result = m.round(mode=mode)
    assert result.is_rounded
    assert result == m.round(mode=mode, quantum=currency(m.currency).quantum)
    assert Fraction(result.amount) == reference_round(m.amount, currency(m.currency).quantum, mode)


@pytest.mark.parametrize(
    ("amount", "mode", "expected"),
    [
        # 10**38 + 0.025 is exactly 20.5 steps of 0.05 past 10**38: a tie, away from zero.
        ("1" + "0" * 38 + ".025", R.HALF_UP, "1" + "0" * 38 + ".05"),
        ("-" + "1" * 39 + ".01", R.FLOOR, "-" + "1" * 39 + ".05"),
        ("1" * 44 + ".03", R.HALF_UP, "1" * 44 + ".05"),
    ],
)
def test_round_to_a_cash_step_is_exact_for_amounts_with_many_digits(amount, mode, expected):
    # Money adds and multiplies exactly up to 60 digits; rounding to a
    # non-power-of-ten step must be just as exact, not rounded twice.
    assert Money(amount, "UAH").round(mode=mode, quantum="0.05") == Money(expected, "UAH")


# ---- formatting --------------------------------------------------------------------


def test_format_uah_in_ukrainian():
    assert format_money(Money("1234.50", "UAH"), locale="uk_UA") == "1\xa0234,50\xa0₴"


def test_format_usd_in_us_english():
    assert format_money(Money("1234.50", "USD"), locale="en_US") == "$1,234.50"
    assert format_money(Money("-1234.5", "USD"), locale="en_US") == "-$1,234.50"


def test_format_shows_the_currency_minor_units():
    assert format_money(Money("1234", "JPY"), locale="en_US") == "¥1,234"
    assert format_money(Money("1234.5", "EUR"), locale="de_DE") == "1.234,50\xa0€"
    assert format_money(Money("1.5", "KWD"), locale="en_US") == "KWD1.500"


@pytest.mark.parametrize(
    ("m", "expected"),
    [
        # babel alone would round these half-even: $0.12, ¥2, ¥1,234.
        (Money("0.125", "USD"), "$0.13"),
        (Money("-0.125", "USD"), "-$0.13"),
        (Money("2.5", "JPY"), "¥3"),
        (Money("1234.5", "JPY"), "¥1,235"),
        (Money("0.0125", "KWD"), "KWD0.013"),
    ],
)
def test_format_rounds_half_up_first(m, expected):
    assert format_money(m, locale="en_US") == expected


def test_format_unrounded_shows_every_digit():
    # The docstring: "pass rounded=False to show every digit instead".
    assert format_money(Money("0.125", "USD"), locale="en_US", rounded=False) == "$0.125"
    assert format_money(Money("12.3456", "UAH"), locale="uk_UA", rounded=False) == "12,3456\xa0₴"


def test_format_needs_an_explicit_locale():
    with pytest.raises(TypeError):
        format_money(Money("1", "UAH"))  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        format_money(Money("1", "UAH"), "uk_UA")  # type: ignore[misc]


def test_str_is_locale_free():
    assert str(Money("1234.50", "UAH")) == "1234.50 UAH"
    assert str(Money("-0.5", "JPY")) == "-0.5 JPY"
    assert f"{Money('1234.5', 'UAH')}" == "1234.5 UAH"
    assert f"{Money('1234.5', 'UAH'):.2f}" == "1234.50"


# ---- equality, hashing and pickling -----------------------------------------------


def test_equal_amounts_with_different_exponents_are_equal_with_the_same_hash():
    a, b = Money("1.0", "UAH"), Money("1.00", "UAH")
    assert a == b
    assert hash(a) == hash(b)
    assert len({a, b, Money(1, "UAH")}) == 1
    assert {a: "x"}[b] == "x"


def test_same_amount_in_other_currency_is_not_equal():
    assert Money("1", "UAH") != Money("1", "EUR")
    assert len({Money("1", "UAH"), Money("1", "EUR")}) == 2


def test_money_is_not_equal_to_a_plain_number():
    assert Money("1", "UAH") != 1
    assert Money("1", "UAH") != Decimal(1)
    assert Money("0", "UAH") != 0


@pytest.mark.parametrize(
    "m",
    [Money("12.50", "UAH"), Money("-0.001", "KWD"), Money("1E+3", "JPY"), Money("0", "EUR")],
)
def test_pickle_round_trip_keeps_amount_and_digits(m):
    restored = pickle.loads(pickle.dumps(m))
    assert restored == m
    assert hash(restored) == hash(m)
    assert str(restored) == str(m)
    assert type(restored) is Money


@given(m=money())
def test_pickle_round_trip_property(m):
    restored = pickle.loads(pickle.dumps(m))
    assert restored == m
    assert repr(restored) == repr(m)


# ---- allocation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "weights_", "expected"),
    [
        ("1.00", [1, 1, 1], ["0.34", "0.33", "0.33"]),
        ("-1.00", [1, 1, 1], ["-0.34", "-0.33", "-0.33"]),
        ("0.01", [1, 1], ["0.01", "0"]),  # ties go to the earlier part
        ("0.01", [1, 2], ["0", "0.01"]),
        ("100.00", ["1", "2", "3"], ["16.67", "33.33", "50.00"]),
        ("10.00", [Decimal("0.5"), 0, Decimal("1.5")], ["2.50", "0", "7.50"]),
        ("0", [1, 2], ["0", "0"]),
        ("5.00", [7], ["5.00"]),
    ],
)
def test_allocate_examples(total, weights_, expected):
    parts = allocate(Money(total, "UAH"), weights_)
    assert parts == [Money(e, "UAH") for e in expected]


def test_allocate_in_a_zero_decimal_currency():
    assert allocate(Money("10", "JPY"), [1, 1, 1]) == [
        Money("4", "JPY"),
        Money("3", "JPY"),
        Money("3", "JPY"),
    ]


@given(total=money(), ws=allocation_weights())
def test_allocation_parts_sum_to_total(total, ws):
    parts = allocate(total, ws)
    assert len(parts) == len(ws)
    assert all(p.currency == total.currency for p in parts)
    assert all(p.is_rounded for p in parts)
    assert sum(parts, Money.zero(total.currency)) == total


@given(total=money(), ws=allocation_weights())
def test_allocation_parts_are_within_one_minor_unit_of_the_exact_share(total, ws):
    parts = allocate(total, ws)
    unit = Fraction(currency(total.currency).quantum)
    weight_sum = sum(Fraction(w) for w in ws)
    for part, w in zip(parts, ws, strict=True):
        exact_share = Fraction(total.amount) * Fraction(w) / weight_sum
        assert abs(Fraction(part.amount) - exact_share) < unit


@given(total=money(), ws=allocation_weights())
def test_allocation_gives_zero_to_zero_weights(total, ws):
    parts = allocate(total, ws)
    for part, w in zip(parts, ws, strict=True):
        if w == 0:
            assert part == Money.zero(total.currency)


@given(total=money(), ws=allocation_weights())
def test_allocation_parts_have_the_sign_of_the_total(total, ws):
    for part in allocate(total, ws):
        assert part.amount * total.amount >= 0


@st.composite
def discount_over_lines(draw: st.DrawFn) -> tuple[Money, list[Decimal]]:
    """Line totals in minor units and a discount of at most their sum, either sign."""
    code = draw(currencies())
    lines = draw(st.lists(st.integers(0, 10**7), min_size=1, max_size=15))
    assume(sum(lines) > 0)
    discount = draw(st.integers(0, sum(lines))) * draw(st.sampled_from([1, -1]))
    weights_ = [Money.from_minor(m, code).amount for m in lines]
    return Money.from_minor(discount, code), weights_


@given(case=discount_over_lines())
def test_allocated_discount_never_exceeds_a_line(case):
    total, line_totals = case
    parts = allocate(total, line_totals)
    for part, line_total in zip(parts, line_totals, strict=True):
        assert abs(part.amount) <= line_total


@given(total=money(), ws=allocation_weights())
def test_allocation_is_deterministic(total, ws):
    first = allocate(total, ws)
    assert allocate(total, list(ws)) == first
    assert allocate(total, tuple(ws)) == first
    # Weights given as strings mean the same thing.
    assert allocate(total, [str(w) for w in ws]) == first


@given(total=money(), ws=allocation_weights(), k=st.integers(1, 1000))
def test_allocation_depends_only_on_weight_ratios(total, ws, k):
    assert allocate(total, [w * k for w in ws]) == allocate(total, ws)


@pytest.mark.parametrize(
    ("total", "weights_", "match"),
    [
        (Money("1.00", "UAH"), [], "at least one weight"),
        (Money("1.00", "UAH"), [1, -1], "negative"),
        (Money("1.00", "UAH"), [Decimal("-0.01")], "negative"),
        (Money("1.00", "UAH"), [0, 0, 0], "positive"),
        (Money("1.00", "UAH"), ["0", "0.00"], "positive"),
        (Money("1.005", "UAH"), [1, 1], "minor unit"),
        (Money("1.5", "JPY"), [1], "minor unit"),
    ],
)
def test_allocation_errors(total, weights_, match):
    with pytest.raises(AllocationError, match=match):
        allocate(total, weights_)


# ---- the ambient decimal context ---------------------------------------------------


@given(total=money(), ws=allocation_weights())
def test_allocate_ignores_the_ambient_decimal_context(total, ws):
    expected = allocate(total, ws)
    with localcontext(HOSTILE):
        got = allocate(total, ws)
    assert [repr(p) for p in got] == [repr(p) for p in expected]


@given(minor=minor_amounts(), code=currencies())
def test_from_minor_ignores_the_ambient_decimal_context(minor, code):
    expected = Money.from_minor(minor, code)
    with localcontext(HOSTILE):
        got = Money.from_minor(minor, code)
    assert repr(got) == repr(expected)


def test_from_minor_is_not_silently_rounded_by_a_low_precision_context():
    # Without Inexact trapped, reading the ambient context would turn 19.99 into 20.0.
    with localcontext(Context(prec=3)):
        assert Money.from_minor(1999, "UAH") == Money("19.99", "UAH")
        assert allocate(Money("100.00", "UAH"), [1, 1, 1]) == [
            Money("33.34", "UAH"),
            Money("33.33", "UAH"),
            Money("33.33", "UAH"),
        ]


@given(
    m=fine_money(),
    mode=st.sampled_from(RoundingMode),
    quantum=st.sampled_from((None, *QUANTA)),
)
def test_round_ignores_the_ambient_decimal_context(m, mode, quantum):
    expected = m.round(mode=mode, quantum=quantum)
    with localcontext(HOSTILE):
        got = m.round(mode=mode, quantum=quantum)
    assert repr(got) == repr(expected)


@given(
    a=fine_money("UAH"),
    b=fine_money("UAH"),
    factor=st.decimals(
        min_value=-1000, max_value=1000, places=3, allow_nan=False, allow_infinity=False
    ),
)
def test_arithmetic_ignores_the_ambient_decimal_context(a, b, factor):
    def compute() -> list[str]:
        results = [a + b, a - b, -a, abs(b), a * factor, a * str(factor), sum([a, b, a])]
        comparisons = [a < b, a <= b, a > b, a >= b, a == b]
        return [repr(r) for r in results] + [repr(c) for c in comparisons] + [str(a.is_rounded)]

    expected = compute()
    with localcontext(HOSTILE):
        got = compute()
    assert got == expected


def test_format_money_ignores_the_ambient_decimal_context():
    m = Money("1234.50", "UAH")
    with localcontext(HOSTILE):
        assert format_money(m, locale="uk_UA") == "1\xa0234,50\xa0₴"
    with localcontext(Context(prec=3)):
        assert format_money(m, locale="uk_UA") == "1\xa0234,50\xa0₴"


def test_garbage_message_does_not_depend_on_the_ambient_decimal_context():
    # A context that does not trap InvalidOperation must not change what the user is told.
    with localcontext(HOSTILE), pytest.raises(InvalidAmountError, match="not a number"):
        Money("abc", "UAH")
