"""Tax rates, tax categories, and the tax out of (or on top of) one amount."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from decimal import Decimal

import attrs

from possdk.core._decimal import DIV, EXACT, HUNDRED, ONE, ZERO, RoundingMode, quantize
from possdk.core._money import to_decimal
from possdk.errors import TaxError

__all__ = ["TaxCategory", "TaxMode", "TaxPolicy", "TaxRate", "TaxRounding"]


class TaxMode(enum.Enum):
    """Whether catalog prices include tax."""

    INCLUSIVE = "inclusive"
    """Prices are gross (tax included), as on shelves in Ukraine and the EU."""
    EXCLUSIVE = "exclusive"
    """Prices are net; tax is added at the till, as in most of the US."""


class TaxRounding(enum.Enum):
    """Where tax is rounded to the minor unit."""

    PER_LINE = "per_line"
    """Each line's tax is rounded, and the document's tax is the sum of the lines'."""
    PER_DOCUMENT = "per_document"
    """Tax is summed exactly per rate over the document and rounded once per rate;
    the rounded tax is then allocated back to lines so each line knows its share."""


def _percent(value: object) -> Decimal:
    return to_decimal(value, "tax percent")


def _check_percent(instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if value < 0 or value > 1000:
        raise TaxError(f"tax percent must be between 0 and 1000, got {value}")


def _check_code(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip():
        raise TaxError(f"{attribute.name} must be a non-empty string, got {value!r}")


@attrs.frozen
class TaxRate:
    """One tax: ``TaxRate("VAT20", "20", name="ПДВ")``.

    A compound rate is charged on the net amount plus every tax listed
    before it in its category (as Quebec's QST once was); a plain rate is
    charged on the net amount only.
    """

    code: str = attrs.field(validator=_check_code)
    """A short, unique code, e.g. ``"VAT20"``; used in reports and the tax breakdown."""
    percent: Decimal = attrs.field(converter=_percent, validator=_check_percent)
    """The rate in percent: ``Decimal("20")`` for 20 %."""
    name: str = ""
    """How the receipt names it, e.g. ``"ПДВ"`` or ``"VAT"``; defaults to the code."""
    compound: bool = False
    """Charged on net plus the taxes before it in the category."""

    @property
    def label(self) -> str:
        """The display name and percent: ``"ПДВ 20%"``."""
        return f"{self.name or self.code} {format(self.percent.normalize(EXACT), 'f')}%"


def _rates(value: Iterable[TaxRate]) -> tuple[TaxRate, ...]:
    return tuple(value)


def _check_rates(
    instance: TaxCategory,
    attribute: attrs.Attribute[tuple[TaxRate, ...]],
    value: tuple[TaxRate, ...],
) -> None:
    codes = [r.code for r in value]
    if len(set(codes)) != len(codes):
        raise TaxError(f"tax category {instance.code!r} lists a rate twice: {codes}")
    for r in value:
        if not isinstance(r, TaxRate):
            raise TaxError(f"tax category {instance.code!r}: expected TaxRate, got {r!r}")


@attrs.frozen
class TaxCategory:
    """What a product is taxed as: zero, one or several rates.

    ``TaxCategory("standard", [vat20])``; tobacco in Ukraine might be
    ``TaxCategory("excise", [vat20, excise5])``. A category with no rates is
    tax free.
    """

    code: str = attrs.field(validator=_check_code)
    """A unique code, referenced by products."""
    rates: tuple[TaxRate, ...] = attrs.field(converter=_rates, validator=_check_rates)
    """The rates charged, in order (order matters for compound rates)."""
    name: str = ""
    """A display name."""
    # Tax on net, per rate, as an exact factor of net; and 1 + their sum.
    _factors: tuple[Decimal, ...] = attrs.field(init=False, repr=False, eq=False)
    _gross_factor: Decimal = attrs.field(init=False, repr=False, eq=False)

    def __attrs_post_init__(self) -> None:
        factors: list[Decimal] = []
        plain = ZERO
        compound_base = ONE  # net plus the taxes a compound rate is charged on
        for rate in self.rates:
            share = DIV.divide(rate.percent, HUNDRED)  # exact: percent has few digits
            if rate.compound:
                f = EXACT.multiply(EXACT.add(compound_base, plain), share)
                compound_base = EXACT.add(compound_base, f)
            else:
                f = share
                plain = EXACT.add(plain, f)
            factors.append(f)
        object.__setattr__(self, "_factors", tuple(factors))
        gross = ONE
        for f in factors:
            gross = EXACT.add(gross, f)
        object.__setattr__(self, "_gross_factor", gross)

    def tax_on_net(self, net: Decimal) -> tuple[Decimal, ...]:
        """Exact (unrounded) tax per rate on a net amount."""
        return tuple(EXACT.multiply(net, f) for f in self._factors)

    def tax_in_gross(self, gross: Decimal) -> tuple[Decimal, ...]:
        """Unrounded tax per rate contained in a gross amount (40 significant digits)."""
        g = self._gross_factor
        return tuple(DIV.divide(EXACT.multiply(gross, f), g) for f in self._factors)


@attrs.frozen
class TaxPolicy:
    """The merchant's tax settings: price mode, where to round, and how."""

    mode: TaxMode = TaxMode.INCLUSIVE
    """Whether prices include tax."""
    rounding: TaxRounding = TaxRounding.PER_LINE
    """Round each line's tax, or the document's tax per rate once."""
    rounding_mode: RoundingMode = RoundingMode.HALF_UP
    """How tax is rounded to the minor unit."""

    def round_tax(self, value: Decimal, quantum: Decimal) -> Decimal:
        """Round a tax amount to ``quantum`` with this policy's mode."""
        return quantize(value, quantum, self.rounding_mode)
