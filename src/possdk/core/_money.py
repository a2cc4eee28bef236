"""Exact money: a Decimal amount in one ISO 4217 currency, and fair allocation."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from decimal import Decimal, InvalidOperation, localcontext
from typing import Any, cast

import attrs

from possdk.core._decimal import EXACT, EXACT_ROUNDING, ZERO, RoundingMode, quantize
from possdk.errors import (
    AllocationError,
    CurrencyMismatchError,
    InvalidAmountError,
    MoneyError,
    UnknownCurrencyError,
)

__all__ = [
    "Currency",
    "Money",
    "allocate",
    "currency",
    "format_money",
    "sum_money",
    "to_decimal",
]


@attrs.frozen
class Currency:
    """What possdk knows about a currency: its code and minor units (from CLDR)."""

    code: str
    """The ISO 4217 code, e.g. ``"UAH"``."""
    minor_units: int
    """Digits after the decimal point: 2 for UAH and EUR, 0 for JPY, 3 for KWD."""

    @property
    def quantum(self) -> Decimal:
        """The smallest amount, as a Decimal exponent: ``Decimal("0.01")`` for UAH."""
        return _QUANTA[self.minor_units]


_QUANTA = {n: Decimal(1).scaleb(-n) for n in range(9)}


@functools.cache
def _known_codes() -> frozenset[str]:
    from babel.numbers import list_currencies

    return frozenset(list_currencies())


@functools.lru_cache(maxsize=512)
def currency(code: str) -> Currency:
    """Return the :class:`Currency` for an ISO 4217 code.

    Raises:
        UnknownCurrencyError: ``code`` is not a currency CLDR knows.
    """
    if not isinstance(code, str) or code not in _known_codes():
        raise UnknownCurrencyError(code)
    from babel.numbers import get_currency_precision

    return Currency(code, get_currency_precision(code))


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Convert ``value`` to a finite Decimal; refuse floats and anything inexact.

    Accepts ``str``, ``int`` and ``Decimal``. A ``bool`` and a ``float`` are
    refused: ``0.1`` as a float is not one tenth, and guessing would put
    wrong cents on a receipt.
    """
    if type(value) is Decimal:
        result = value
    elif isinstance(value, bool):
        raise InvalidAmountError(value, f"{what} must be str, int or Decimal, got bool {value!r}")
    elif isinstance(value, (int, Decimal)):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace("_", ""))
        except InvalidOperation:
            result = Decimal("NaN")  # the ambient context traps it; ours does not matter
        if result.is_nan() and value.strip().lower().lstrip("+-s") != "nan":
            raise InvalidAmountError(
                value, f"{what} {value!r} is not a number; write it like '12.50'"
            )
    elif isinstance(value, float):
        raise InvalidAmountError(
            value,
            f"{what} must be str, int or Decimal, got float {value!r}; "
            f'use Decimal("{value!r}") or the string "{value!r}" so no binary rounding creeps in',
        )
    else:
        raise InvalidAmountError(
            value, f"{what} must be str, int or Decimal, got {type(value).__name__}"
        )
    if not result.is_finite():
        raise InvalidAmountError(value, f"{what} must be a finite number, got {value!r}")
    return result


def _check_currency(instance: Money, attribute: attrs.Attribute[str], value: str) -> None:
    if value not in _SEEN_CODES:  # a set look-up is cheaper than the cached call
        currency(value)
        _SEEN_CODES.add(value)


# Codes already validated against CLDR; only ever grows with valid ISO codes.
_SEEN_CODES: set[str] = set()


@attrs.frozen(order=False, repr=False)
class Money:
    """An exact amount in one currency.

    ``Money("12.50", "UAH")``. The amount is a :class:`~decimal.Decimal`; it
    may carry more digits than the currency's minor unit (a unit price of
    0.125 per gram, a tax before rounding), and is rounded only where you say
    so, with :meth:`round`. Money of different currencies never mix:
    arithmetic or comparison across currencies raises
    :class:`~possdk.errors.CurrencyMismatchError`.
    """

    amount: Decimal = attrs.field(converter=to_decimal)
    """The amount, exact."""
    currency: str = attrs.field(validator=_check_currency)
    """The ISO 4217 currency code."""

    # ---- constructors ----------------------------------------------------

    @classmethod
    def zero(cls, currency_code: str) -> Money:
        """Zero in ``currency_code``."""
        return cls(ZERO, currency_code)

    @classmethod
    def from_minor(cls, minor: int, currency_code: str) -> Money:
        """Build from integer minor units: ``Money.from_minor(1999, "UAH")`` is 19.99 UAH."""
        if isinstance(minor, bool) or not isinstance(minor, int):
            raise InvalidAmountError(
                minor, f"minor units must be an int, got {type(minor).__name__} {minor!r}"
            )
        return cls(
            Decimal(minor).scaleb(-currency(currency_code).minor_units, context=EXACT),
            currency_code,
        )

    @classmethod
    def _make(cls, amount: Decimal, currency_code: str) -> Money:
        # Hot-path constructor for values possdk computed itself from already
        # validated Money: skips conversion and validation.
        self = object.__new__(cls)
        object.__setattr__(self, "amount", amount)
        object.__setattr__(self, "currency", currency_code)
        return self

    # ---- views -----------------------------------------------------------

    @property
    def minor(self) -> int:
        """The amount in integer minor units (1999 for 19.99 UAH).

        Raises:
            MoneyError: the amount has digits below the minor unit; round it first.
        """
        info = currency(self.currency)
        scaled = self.amount.scaleb(info.minor_units, context=EXACT)
        if scaled != scaled.to_integral_value(context=EXACT):
            raise MoneyError(
                f"{self.amount} {self.currency} has digits below the minor unit "
                f"({info.quantum}); call .round(mode=...) first"
            )
        return int(scaled)

    @property
    def is_rounded(self) -> bool:
        """True if the amount is a whole number of minor units."""
        q = currency(self.currency).quantum
        return self.amount == self.amount.quantize(q, context=EXACT_ROUNDING)

    def round(self, *, mode: RoundingMode, quantum: Decimal | str | None = None) -> Money:
        """Round to ``quantum`` (default: the currency's minor unit) with ``mode``.

        ``quantum`` may be any positive step: ``"0.05"`` rounds to five cents.
        """
        q = currency(self.currency).quantum if quantum is None else to_decimal(quantum, "quantum")
        if q <= 0:
            raise MoneyError(f"quantum must be positive, got {q}")
        return Money._make(quantize(self.amount, q, mode), self.currency)

    # ---- arithmetic ------------------------------------------------------

    def _other(self, other: object, operation: str) -> Decimal:
        if not isinstance(other, Money):
            raise TypeError(
                f"cannot {operation} Money and {type(other).__name__}; "
                f"wrap the amount: Money({other!r}, {self.currency!r})"
            )
        if other.currency != self.currency:
            raise CurrencyMismatchError(self.currency, other.currency, operation)
        return other.amount

    def __add__(self, other: Money) -> Money:
        return Money._make(EXACT.add(self.amount, self._other(other, "add")), self.currency)

    def __radd__(self, other: object) -> Money:
        # sum() starts from int 0
        if isinstance(other, int) and not isinstance(other, bool) and other == 0:
            return self
        return self.__add__(cast(Money, other))

    def __sub__(self, other: Money) -> Money:
        return Money._make(
            EXACT.subtract(self.amount, self._other(other, "subtract")), self.currency
        )

    def __neg__(self) -> Money:
        return Money._make(EXACT.minus(self.amount), self.currency)

    def __pos__(self) -> Money:
        return self

    def __abs__(self) -> Money:
        return Money._make(EXACT.abs(self.amount), self.currency)

    def __mul__(self, factor: Decimal | int | str) -> Money:
        return Money._make(EXACT.multiply(self.amount, to_decimal(factor, "factor")), self.currency)

    __rmul__ = __mul__

    def __bool__(self) -> bool:
        return not self.amount.is_zero()

    # ---- comparison ------------------------------------------------------

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._other(other, "compare")

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._other(other, "compare")

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._other(other, "compare")

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._other(other, "compare")

    # ---- display ---------------------------------------------------------

    def __repr__(self) -> str:
        return f"Money('{self.amount}', '{self.currency}')"

    def __str__(self) -> str:
        # Locale-free on purpose: use format_money() for anything a customer sees.
        return f"{format(self.amount, 'f')} {self.currency}"

    def __format__(self, spec: str) -> str:
        return str(self) if not spec else format(self.amount, spec)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Money, (str(self.amount), self.currency))


def allocate(total: Money, weights: Sequence[Decimal | int | str]) -> list[Money]:
    """Split ``total`` into parts proportional to ``weights``, in whole minor units.

    The parts always sum to ``total`` exactly. Each part is the floor of its
    exact share plus at most one minor unit; the leftover units go to the
    parts with the largest remainders, ties to the earlier part, so the
    result is deterministic. A negative total is split like its absolute
    value and negated.

    Args:
        total: the amount to split; must be a whole number of minor units.
        weights: non-negative weights (at least one positive), such as line totals.

    Raises:
        AllocationError: no weights, a negative weight, all weights zero, or a
            total with digits below the minor unit.
    """
    if not weights:
        raise AllocationError("allocate() needs at least one weight")
    ws = [to_decimal(w, "weight") for w in weights]
    if any(w < 0 for w in ws):
        raise AllocationError(f"weights must not be negative, got {[str(w) for w in ws]}")
    weight_sum = _sum(ws)
    if weight_sum == 0:
        raise AllocationError("at least one weight must be positive")
    try:
        minor = total.minor
    except MoneyError:
        raise AllocationError(
            f"cannot allocate {total}: it has digits below the minor unit; round it first"
        ) from None
    sign = -1 if minor < 0 else 1
    # Scale the weights to integers with a common exponent so the division is exact.
    exponent = min(w.as_tuple().exponent for w in ws)
    assert isinstance(exponent, int)
    parts = allocate_units(abs(minor), [int(w.scaleb(-exponent, context=EXACT)) for w in ws])
    code = total.currency
    return [Money.from_minor(sign * p, code) for p in parts]


def allocate_units(units: int, weights: Sequence[int]) -> list[int]:
    """Split ``units`` (a non-negative integer) proportionally to integer ``weights``.

    The largest-remainder method: floors first, then one unit each to the
    largest remainders, ties to the earlier index. Weights must be
    non-negative with a positive sum (the caller checks). The parts sum to
    ``units`` exactly.
    """
    total_weight = sum(weights)
    shares = [divmod(units * w, total_weight) for w in weights]
    parts = [q for q, _ in shares]
    leftover = units - sum(parts)
    if leftover:
        remainders = [r for _, r in shares]
        # sorted() is stable with reverse=True: equal remainders keep index order.
        for i in sorted(range(len(parts)), key=remainders.__getitem__, reverse=True)[:leftover]:
            parts[i] += 1
    return parts


def _sum(values: Iterable[Decimal]) -> Decimal:
    result = ZERO
    for v in values:
        result = EXACT.add(result, v)
    return result


def sum_money(values: Iterable[Money], currency_code: str) -> Money:
    """Sum amounts of one currency; an empty iterable gives zero in ``currency_code``."""
    result = Money.zero(currency_code)
    for v in values:
        result = result + v
    return result


def format_money(money: Money, *, locale: str, rounded: bool = True) -> str:
    """Format ``money`` for people, in an explicit ``locale``, through babel (CLDR).

    ``format_money(Money("1234.50", "UAH"), locale="uk_UA")`` gives
    ``"1 234,50 ₴"`` (with non-breaking spaces). The amount is rounded half-up
    to the currency's minor unit first, because babel would round half-even;
    pass ``rounded=False`` to show every digit instead.
    """
    from babel.numbers import format_currency

    info = currency(money.currency)
    amount = money.amount
    with localcontext(EXACT_ROUNDING):  # babel computes in the ambient context
        if rounded:
            amount = quantize(amount, info.quantum, RoundingMode.HALF_UP)
            return str(format_currency(amount, money.currency, locale=locale))
        return str(
            format_currency(amount, money.currency, locale=locale, decimal_quantization=False)
        )
