"""Explicit decimal contexts: possdk never reads the ambient ``decimal`` context.

A host app may set ``decimal.getcontext().prec = 3`` or trap ``Inexact`` for its
own reasons; possdk's arithmetic must not change because of it. Every
operation on amounts therefore goes through one of these contexts.
"""

from __future__ import annotations

import enum
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Context,
    Decimal,
    DivisionByZero,
    Inexact,
    InvalidOperation,
    Overflow,
)

__all__ = ["DIV", "EXACT", "EXACT_ROUNDING", "HUNDRED", "ONE", "ZERO", "RoundingMode", "quantize"]

# Sums and products of amounts must be exact: a result that would need more
# than 60 significant digits raises instead of being rounded silently.
EXACT = Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow, Inexact],
)

# Quotients (tax out of a gross price, proportions) are rarely exact; they are
# computed to 40 digits here and then rounded at a named point by quantize().
DIV = Context(
    prec=40,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

# quantize() itself signals Inexact when it drops digits; that is the point of
# rounding, so it runs under a context that does not trap Inexact.
EXACT_ROUNDING = Context(
    prec=60,
    rounding=ROUND_HALF_EVEN,
    Emax=999_999,
    Emin=-999_999,
    traps=[InvalidOperation, DivisionByZero, Overflow],
)

ZERO = Decimal(0)
ONE = Decimal(1)
HUNDRED = Decimal(100)


class RoundingMode(enum.Enum):
    """How an amount is rounded to a quantum; always passed explicitly.

    The values are the :mod:`decimal` rounding constants.
    """

    HALF_UP = ROUND_HALF_UP
    """Round to nearest; ties away from zero (0.125 -> 0.13). Common for tax and prices."""
    HALF_EVEN = ROUND_HALF_EVEN
    """Round to nearest; ties to the even digit (banker's rounding)."""
    HALF_DOWN = ROUND_HALF_DOWN
    """Round to nearest; ties towards zero."""
    DOWN = ROUND_DOWN
    """Towards zero (truncate)."""
    UP = ROUND_UP
    """Away from zero."""
    FLOOR = ROUND_FLOOR
    """Towards negative infinity."""
    CEILING = ROUND_CEILING
    """Towards positive infinity."""


def quantize(value: Decimal, quantum: Decimal, mode: RoundingMode) -> Decimal:
    """Round ``value`` to a multiple of ``quantum`` (a power of ten or not).

    ``quantum`` may be a power of ten (``0.01``) or any positive step such as
    ``0.05`` or ``0.10`` (cash rounding).
    """
    if quantum.as_tuple().digits == (1,):  # a power of ten: quantize directly
        return value.quantize(quantum, rounding=mode.value, context=EXACT_ROUNDING)
    # value / quantum is computed with enough digits for the integer part to be exact.
    digits = len(value.as_tuple().digits) + len(quantum.as_tuple().digits) + 10
    ctx = DIV
    if digits > DIV.prec:
        ctx = DIV.copy()
        ctx.prec = digits
    steps = ctx.divide(value, quantum).quantize(ONE, rounding=mode.value, context=ctx)
    return EXACT.multiply(steps, quantum)
