"""GTIN barcodes (GTIN-8, UPC-A, EAN-13, GTIN-14) and GS1 variable-measure codes."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from decimal import Decimal

import attrs

from possdk.core._decimal import EXACT
from possdk.core._money import to_decimal
from possdk.errors import ConfigurationError, InvalidBarcodeError

__all__ = [
    "BarcodeLayouts",
    "Gtin",
    "GtinKind",
    "MeasureKind",
    "VariableMeasure",
    "VariableMeasureLayout",
    "gtin_check_digit",
]

_DIGITS = frozenset("0123456789")


class GtinKind(enum.Enum):
    """The GTIN family member a code was scanned as, by its length."""

    GTIN_8 = 8
    """EAN-8 / GTIN-8."""
    UPC_A = 12
    """UPC-A / GTIN-12."""
    EAN_13 = 13
    """EAN-13 / GTIN-13."""
    GTIN_14 = 14
    """GTIN-14 (ITF-14 on cases)."""


_KIND_BY_LENGTH = {kind.value: kind for kind in GtinKind}


def gtin_check_digit(body: str) -> int:
    """Return the GS1 mod-10 check digit for ``body`` (the code without its check digit).

    Weights alternate 3, 1, ... starting from the rightmost digit of the body.

    Raises:
        InvalidBarcodeError: ``body`` is empty or not all digits.
    """
    if not (isinstance(body, str) and body.isascii() and body.isdigit()):
        raise InvalidBarcodeError(body, "a GTIN body must be digits only")
    # Sum the ASCII codes in C and take the '0' offsets back out: the rightmost
    # digit and every second one leftwards weigh 3, the others 1.
    raw = body.encode("ascii")
    n = len(raw)
    threes = sum(raw[-1::-2]) - 48 * ((n + 1) // 2)
    ones = sum(raw[-2::-2]) - 48 * (n // 2)
    return (10 - (3 * threes + ones) % 10) % 10


def luhn_digit(body: str) -> str:
    """Return the Luhn (mod 10) check digit for ``body``, as card numbers end in.

    Used for loyalty and gift card numbers. Every second digit from the
    right of the body, starting with the rightmost, is doubled (less 9 when
    over 9).

    Raises:
        ValueError: ``body`` is empty or not all digits.
    """
    if not (isinstance(body, str) and body.isascii() and body.isdigit()):
        raise ValueError(f"a Luhn check digit is computed over digits, got {body!r}")
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = ord(ch) - 48
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


@attrs.frozen
class Gtin:
    """A valid Global Trade Item Number, kept as its 14-digit form.

    Build one with :meth:`parse` (validates) or :meth:`from_body` (computes
    the check digit). UPC-A ``036000291452`` and EAN-13 ``0036000291452``
    are the same item and have the same :attr:`gtin14`, so look-ups work
    whichever form the scanner sends.
    """

    gtin14: str
    """The code left-padded with zeros to 14 digits: the look-up key."""
    kind: GtinKind
    """The form it was scanned or written in."""

    @classmethod
    def parse(cls, code: str) -> Gtin:
        """Validate a scanned or typed code and return it as a :class:`Gtin`.

        Surrounding whitespace is ignored; anything else that is not a digit,
        a length other than 8, 12, 13 or 14, or a wrong check digit raises
        :class:`~possdk.errors.InvalidBarcodeError`.
        """
        if not isinstance(code, str):
            raise InvalidBarcodeError(repr(code), f"expected a string, got {type(code).__name__}")
        text = code.strip()
        if not text:
            raise InvalidBarcodeError(code, "it is empty")
        if not (text.isascii() and text.isdigit()):
            bad = next(ch for ch in text if ch not in _DIGITS)
            raise InvalidBarcodeError(code, f"GTINs are digits only, found {bad!r}")
        kind = _KIND_BY_LENGTH.get(len(text))
        if kind is None:
            raise InvalidBarcodeError(
                code, f"a GTIN has 8, 12, 13 or 14 digits, this one has {len(text)}"
            )
        expected = gtin_check_digit(text[:-1])
        if int(text[-1]) != expected:
            raise InvalidBarcodeError(
                code, f"check digit is {text[-1]} but should be {expected}; rescan or retype it"
            )
        return cls(text.zfill(14), kind)

    @classmethod
    def from_body(cls, body: str) -> Gtin:
        """Append the check digit to ``body`` (7, 11, 12 or 13 digits) and return the GTIN."""
        check = gtin_check_digit(body)
        return cls.parse(body + str(check))

    @property
    def code(self) -> str:
        """The code in the form it was scanned (8, 12, 13 or 14 digits)."""
        return self.gtin14[14 - self.kind.value :]

    def __str__(self) -> str:
        return self.code


class MeasureKind(enum.Enum):
    """What the value digits of a variable-measure barcode carry."""

    PRICE = "price"
    """The price of the item, in the sale currency."""
    WEIGHT = "weight"
    """The weight (or volume) in the product's unit of sale, e.g. kilograms."""


@attrs.frozen
class VariableMeasure:
    """What a variable-measure barcode says: which item, and its price or weight."""

    gtin: Gtin
    """The whole scanned code."""
    item_code: str
    """The in-store item code (PLU) the product is found by."""
    measure: MeasureKind
    """Price or weight."""
    value: Decimal
    """The embedded price or weight, with the layout's decimals applied."""


def _check_prefix(instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not (
        isinstance(value, str)
        and len(value) == 2
        and value.isascii()
        and value.isdigit()
        and (value[0] == "2" or value == "02")
    ):
        raise ConfigurationError(
            f"variable-measure prefix must be '20' to '29' (or '02'), got {value!r}"
        )


@attrs.frozen
class VariableMeasureLayout:
    """Where a GS1 in-store (prefix 20-29) EAN-13 carries its item code and value.

    Positions are 0-based indexes into the 13 digits. The common layout
    ``2P IIIII VVVVV C`` is ``VariableMeasureLayout.standard("21", MeasureKind.WEIGHT, 3)``:
    item code at 2-6, value at 7-11 (kilograms with 3 decimals), check digit at 12.
    """

    prefix: str = attrs.field(validator=_check_prefix)
    """The two-digit prefix this layout applies to."""
    measure: MeasureKind
    """Whether the value is a price or a weight."""
    item_start: int
    """Index of the first item-code digit."""
    item_length: int
    """Number of item-code digits."""
    value_start: int
    """Index of the first value digit."""
    value_length: int
    """Number of value digits."""
    decimals: int
    """Implied decimals of the value: 2 for a price in UAH, 3 for kilograms."""

    def __attrs_post_init__(self) -> None:
        item = range(self.item_start, self.item_start + self.item_length)
        value = range(self.value_start, self.value_start + self.value_length)
        where = f"layout for prefix {self.prefix}"
        if self.item_length < 1 or self.value_length < 1:
            raise ConfigurationError(f"{where}: item code and value need at least one digit")
        if item.start < 2 or value.start < 2 or item.stop > 12 or value.stop > 12:
            raise ConfigurationError(
                f"{where}: item code and value must sit between the prefix (0-1) "
                f"and the check digit (12)"
            )
        if set(item) & set(value):
            raise ConfigurationError(f"{where}: item code and value overlap")
        if not 0 <= self.decimals <= 6:
            raise ConfigurationError(f"{where}: decimals must be 0 to 6, got {self.decimals}")

    @classmethod
    def standard(cls, prefix: str, measure: MeasureKind, decimals: int) -> VariableMeasureLayout:
        """The common ``2P IIIII VVVVV C`` layout: 5-digit item code, 5-digit value."""
        return cls(prefix, measure, 2, 5, 7, 5, decimals)

    def encode(self, item_code: str, value: Decimal | int | str) -> Gtin:
        """Make the EAN-13 a label printer or scale would print for this item and value.

        ``layout.encode("00123", "1.347")`` for 1.347 kg of item 00123.

        Raises:
            InvalidBarcodeError: the item code has the wrong number of digits, or
                the value is negative, has too many decimals or does not fit.
        """
        if not (item_code.isascii() and item_code.isdigit()) or len(item_code) != self.item_length:
            raise InvalidBarcodeError(
                item_code, f"item code must be {self.item_length} digits for prefix {self.prefix}"
            )
        amount = to_decimal(value, "value")
        scaled = amount.scaleb(self.decimals, context=EXACT)
        if (
            amount < 0
            or scaled != scaled.to_integral_value(context=EXACT)
            or len(str(int(scaled))) > self.value_length
        ):
            raise InvalidBarcodeError(
                str(value),
                f"value must be 0 or more with at most {self.decimals} decimals and "
                f"{self.value_length} digits in all",
            )
        digits = ["0"] * 12
        digits[0:2] = self.prefix
        digits[self.item_start : self.item_start + self.item_length] = item_code
        digits[self.value_start : self.value_start + self.value_length] = str(int(scaled)).zfill(
            self.value_length
        )
        return Gtin.from_body("".join(digits))

    def decode(self, gtin: Gtin) -> VariableMeasure:
        """Read the item code and value out of a code with this layout's prefix."""
        digits = gtin.gtin14[1:]
        item = digits[self.item_start : self.item_start + self.item_length]
        raw = digits[self.value_start : self.value_start + self.value_length]
        value = Decimal(int(raw)).scaleb(-self.decimals, context=EXACT)
        return VariableMeasure(gtin, item, self.measure, value)


def _layouts(
    value: Mapping[str, VariableMeasureLayout] | Iterable[VariableMeasureLayout],
) -> dict[str, VariableMeasureLayout]:
    items = list(value.values()) if isinstance(value, Mapping) else list(value)
    result: dict[str, VariableMeasureLayout] = {}
    for layout in items:
        if layout.prefix in result:
            raise ConfigurationError(f"two variable-measure layouts for prefix {layout.prefix}")
        result[layout.prefix] = layout
    return result


@attrs.frozen
class BarcodeLayouts:
    """The merchant's variable-measure layouts, one per prefix."""

    by_prefix: dict[str, VariableMeasureLayout] = attrs.field(factory=dict, converter=_layouts)
    """Layouts keyed by their two-digit prefix."""

    def layout_for(self, gtin: Gtin) -> VariableMeasureLayout | None:
        """The layout for an in-store EAN-13 (or UPC-A) code, or None for any other code."""
        if gtin.kind is GtinKind.EAN_13 or gtin.kind is GtinKind.UPC_A:
            return self.by_prefix.get(gtin.gtin14[1:3])
        return None

    @staticmethod
    def is_in_store(gtin: Gtin) -> bool:
        """True for GS1 restricted-circulation codes (EAN-13 prefix 02 or 20-29)."""
        if gtin.kind is not GtinKind.EAN_13 and gtin.kind is not GtinKind.UPC_A:
            return False
        prefix = gtin.gtin14[1:3]
        return prefix[0] == "2" or prefix == "02"
