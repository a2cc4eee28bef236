"""What a receipt says on paper: a layout of blocks, apart from how any printer draws it.

:func:`receipt_document` turns a completed :class:`~possdk.core.Receipt` into a
:class:`ReceiptDocument`; the renderers in ``_render`` draw it as text, HTML or
ESC/POS. Its text is :meth:`Receipt.as_text <possdk.core.Receipt.as_text>`
line for line: both come from the same rows.
"""

from __future__ import annotations

import codecs
import enum
import re
from collections.abc import Iterable

import attrs

from possdk.core._receipt import Receipt
from possdk.core._text import Row, RowKind, RowRole, receipt_rows
from possdk.errors import ConfigurationError

__all__ = [
    "Align",
    "Barcode",
    "Block",
    "Columns",
    "Cut",
    "Logo",
    "QrCode",
    "ReceiptDocument",
    "Rule",
    "Symbology",
    "TextLine",
    "printable",
    "receipt_document",
]


class Align(enum.Enum):
    """Where a line of text sits."""

    LEFT = "left"
    CENTER = "center"
    RIGHT = "right"


class Symbology(enum.Enum):
    """The barcodes a receipt prints."""

    EAN13 = "EAN13"
    """12 or 13 digits (a product's GTIN)."""
    CODE128 = "CODE128"
    """Any ASCII text (a receipt number, for returns)."""


@attrs.frozen
class TextLine:
    """A line of text (cut to the document's width by whoever made it)."""

    text: str
    align: Align = Align.LEFT
    bold: bool = False
    double_height: bool = False
    """Twice as tall, as wide as usual (so the columns stay)."""


@attrs.frozen
class Columns:
    """A label on the left and an amount on the right; two lines when too long for one."""

    left: str
    right: str
    bold: bool = False
    double_height: bool = False


@attrs.frozen
class Rule:
    """A line of dashes across the paper."""

    char: str = "-"


@attrs.frozen
class Barcode:
    """A 1-D barcode; its text is printed under it."""

    data: str
    symbology: Symbology = Symbology.CODE128


@attrs.frozen
class QrCode:
    """A QR code (a fiscal check URL, a feedback link), centred."""

    data: str
    size: int = attrs.field(default=4, validator=attrs.validators.in_(range(1, 17)))
    """Module size in dots, 1 to 16."""


@attrs.frozen
class Logo:
    """An image file printed at the top (a PNG or BMP no wider than the paper's dots)."""

    path: str


@attrs.frozen
class Cut:
    """Feed and cut the paper here."""

    partial: bool = True


Block = TextLine | Columns | Rule | Barcode | QrCode | Logo | Cut


def _positive_width(_: object, __: attrs.Attribute[int], value: int) -> None:
    if value < 24:
        raise ConfigurationError(f"a receipt needs at least 24 columns, got {value}")


def _blocks(value: Iterable[Block]) -> tuple[Block, ...]:
    return tuple(value)


@attrs.frozen
class ReceiptDocument:
    """A receipt laid out for paper: blocks, ``width`` characters wide."""

    blocks: tuple[Block, ...] = attrs.field(converter=_blocks)
    width: int = attrs.field(default=42, validator=_positive_width)
    """Characters per line: 32 (58 mm paper), 42 or 48 (80 mm)."""
    locale: str = "en_US"
    """The locale the text was written in."""
    title: str = ""
    """What the document is, for logs and e-mail subjects (``"Receipt till-1/000042"``)."""
    copy: bool = False
    """A reprint."""


# ---- from a receipt ------------------------------------------------------------------

_BOLD = frozenset({RowRole.HEADER, RowRole.COPY, RowRole.RETURN, RowRole.TOTAL})
_TALL = frozenset({RowRole.TOTAL, RowRole.COPY})
_ALIGN = {RowKind.CENTER: Align.CENTER, RowKind.TEXT: Align.LEFT}


def _block(row: Row) -> Block:
    bold, tall = row.role in _BOLD, row.role in _TALL
    if row.kind is RowKind.PAIR:
        return Columns(row.left, row.right, bold=bold, double_height=tall)
    if row.kind is RowKind.RULE:
        return Rule()
    return TextLine(row.left, _ALIGN[row.kind], bold=bold, double_height=tall)


def receipt_document(
    receipt: Receipt,
    *,
    width: int = 42,
    locale: str = "uk_UA",
    qr: str | None = None,
    number_barcode: bool = False,
    logo: str | None = None,
    cut: bool = True,
) -> ReceiptDocument:
    """Lay a completed receipt out for paper.

    The header, a copy's mark and the total are bold (the total and the copy
    mark double height); extra lines from ``possdk_receipt_extra_lines``
    plugins are centred at the bottom.

    Args:
        receipt: the receipt (``receipt.as_copy()`` for a reprint).
        width: characters per line: 32, 42 or 48.
        locale: labels, numbers and dates, e.g. ``"uk_UA"`` or ``"en_US"``.
        qr: data for a QR code under the receipt (a fiscal check URL), if any.
        number_barcode: print the receipt number as a Code 128 barcode, for
            finding the sale again at a return.
        logo: an image file printed above the header (ESC/POS only).
        cut: end with a cut.
    """
    blocks: list[Block] = []
    if logo is not None:
        blocks.append(Logo(logo))
    blocks.extend(_block(r) for r in receipt_rows(receipt, width=width, locale=locale))
    if number_barcode:
        blocks.append(Barcode(receipt.number, Symbology.CODE128))
    if qr:
        blocks.append(QrCode(qr))
    if cut:
        blocks.append(Cut())
    return ReceiptDocument(
        tuple(blocks),
        width=width,
        locale=locale,
        title=f"{'Return' if receipt.is_return else 'Receipt'} {receipt.number}",
        copy=receipt.copy,
    )


# ---- what a printer can print --------------------------------------------------------

_SUBSTITUTES = {
    "₴": "грн",  # no ESC/POS code page has the hryvnia sign
    "\xa0": " ",  # babel's no-break spaces: plain spaces on paper
    "\u202f": " ",
    "\u2009": " ",
    "\u2212": "-",  # babel's minus sign in some locales
}
_SUBSTITUTE = re.compile("|".join(map(re.escape, _SUBSTITUTES)))


_FALLBACKS = {
    "і": "i",  # Ukrainian і and Latin i look alike; CP866 has no і
    "І": "I",
    "ґ": "г",
    "Ґ": "Г",
    "’": "'",
    "‘": "'",
    "ʼ": "'",
    "“": '"',
    "”": '"',
    "«": '"',
    "»": '"',
    "–": "-",
    "—": "-",
    "…": "...",
}


def _codec(codepage: str | None) -> str | None:
    if not codepage:
        return None
    try:
        return codecs.lookup(codepage.lower().replace("_", "-")).name
    except LookupError:
        return None


def _fits(char: str, codec: str) -> bool:
    try:
        char.encode(codec)
    except UnicodeEncodeError:
        return False
    return True


def _sub(text: str, codec: str | None) -> str:
    text = _SUBSTITUTE.sub(lambda m: _SUBSTITUTES[m.group()], text)
    if codec is None:
        return text
    return "".join(_char(c, codec) for c in text)


def _char(char: str, codec: str) -> str:
    if _fits(char, codec):
        return char
    alike = _FALLBACKS.get(char, "?")
    return alike if _fits(alike, codec) else "?"


def printable(doc: ReceiptDocument, codepage: str | None = None) -> ReceiptDocument:
    """The document as a code-page printer prints it: ``₴`` as ``грн``, plain spaces.

    With a ``codepage`` (``"CP866"``), characters it lacks become look-alikes
    (Ukrainian ``і`` as Latin ``i``) or ``?``. A pair whose amount grows
    (``1 234,50 грн``) is laid out again to the width, so text and paper agree.
    """
    codec = _codec(codepage)
    blocks: list[Block] = []
    for b in doc.blocks:
        if isinstance(b, TextLine):
            blocks.append(attrs.evolve(b, text=_sub(b.text, codec)[: doc.width]))
        elif isinstance(b, Columns):
            blocks.append(attrs.evolve(b, left=_sub(b.left, codec), right=_sub(b.right, codec)))
        else:  # barcodes and QR codes: their data is sent as it is
            blocks.append(b)
    return attrs.evolve(doc, blocks=tuple(blocks))
