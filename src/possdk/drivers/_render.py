"""Drawing a :class:`ReceiptDocument`: as text lines, as an HTML e-mail, as ESC/POS commands."""

from __future__ import annotations

import html
import logging
from typing import Any

from possdk.core._text import Row, RowKind, RowRole, row_text
from possdk.drivers._layout import (
    Align,
    Barcode,
    Columns,
    Cut,
    Logo,
    QrCode,
    ReceiptDocument,
    Rule,
    Symbology,
    TextLine,
    printable,
)
from possdk.errors import DeviceConfigError

__all__ = ["render_escpos", "render_html", "render_text"]

log = logging.getLogger(__name__)


def _pair(left: str, right: str, width: int) -> list[str]:
    return row_text(Row(RowKind.PAIR, RowRole.INFO, left, right), width).split("\n")


def _aligned(text: str, align: Align, width: int) -> str:
    if align is Align.CENTER:
        return row_text(Row(RowKind.CENTER, RowRole.INFO, text), width)
    if align is Align.RIGHT:
        return text[:width].rjust(width)
    return text[:width]


def render_text(doc: ReceiptDocument) -> list[str]:
    """The document as lines of text, ``doc.width`` characters at most.

    For a receipt this is ``receipt.as_text()`` split into lines. A barcode
    shows as its text, centred; QR codes, logos and cuts do not show.
    """
    out: list[str] = []
    for block in doc.blocks:
        if isinstance(block, TextLine):
            out.append(_aligned(block.text, block.align, doc.width))
        elif isinstance(block, Columns):
            out.extend(_pair(block.left, block.right, doc.width))
        elif isinstance(block, Rule):
            out.append(block.char * doc.width)
        elif isinstance(block, Barcode):
            out.append(_aligned(block.data, Align.CENTER, doc.width))
    return out


# ---- HTML ----------------------------------------------------------------------------

_CSS = (
    "body{margin:0;padding:16px;background:#f4f4f4}"
    "table.receipt{margin:0 auto;background:#fff;border-collapse:collapse;"
    "font-family:'DejaVu Sans Mono',Menlo,Consolas,monospace;font-size:14px;"
    "white-space:pre;padding:12px}"
    "td{padding:0 8px}td.r{text-align:right}td.c{text-align:center}"
    ".b{font-weight:bold}.t{font-size:150%}hr{border:0;border-top:1px dashed #999}"
)


def _cell(text: str, css: str, *, colspan: int = 1) -> str:
    span = f' colspan="{colspan}"' if colspan > 1 else ""
    cls = f' class="{css}"' if css else ""
    return f"<td{cls}{span}>{html.escape(text)}</td>"


def _style(bold: bool, tall: bool) -> str:
    return " ".join(c for c, on in (("b", bold), ("t", tall)) if on)


def render_html(doc: ReceiptDocument) -> str:
    """The document as a self-contained HTML page for an e-mailed receipt.

    One monospace table, styles inline in the page, every text escaped; a QR
    code shows as its text (a link when it is a web address).
    """
    rows: list[str] = []
    for block in doc.blocks:
        if isinstance(block, TextLine):
            align = {Align.LEFT: "", Align.CENTER: "c", Align.RIGHT: "r"}[block.align]
            css = " ".join(filter(None, (align, _style(block.bold, block.double_height))))
            rows.append(_cell(block.text, css, colspan=2))
        elif isinstance(block, Columns):
            style = _style(block.bold, block.double_height)
            rows.append(
                _cell(block.left, style) + _cell(block.right, " ".join(filter(None, ("r", style))))
            )
        elif isinstance(block, Rule):
            rows.append('<td colspan="2"><hr></td>')
        elif isinstance(block, Barcode):
            rows.append(_cell(block.data, "c", colspan=2))
        elif isinstance(block, QrCode):
            text = html.escape(block.data)
            if block.data.startswith(("https://", "http://")):
                text = f'<a href="{html.escape(block.data, quote=True)}">{text}</a>'
            rows.append(f'<td class="c" colspan="2">{text}</td>')
    body = "\n".join(f"<tr>{r}</tr>" for r in rows)
    lang = html.escape(doc.locale.split("_")[0], quote=True)
    title = html.escape(doc.title or "Receipt")
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        f'<table class="receipt" role="presentation">\n{body}\n</table>\n</body>\n</html>\n'
    )


# ---- ESC/POS -------------------------------------------------------------------------


class _Style:
    """What the printer is set to, so only changes are sent."""

    def __init__(self, printer: Any) -> None:
        self.printer = printer
        self.align, self.bold, self.tall = "left", False, False

    def __call__(self, align: str, bold: bool = False, tall: bool = False) -> None:
        changes: dict[str, Any] = {}
        if tall != self.tall:
            changes["double_height" if tall else "normal_textsize"] = True
        if bold != self.bold:
            changes["bold"] = bold
        if align != self.align:
            changes["align"] = align
        if changes:
            self.printer.set(**changes)
        self.align, self.bold, self.tall = align, bold, tall


def render_escpos(
    doc: ReceiptDocument,
    printer: Any,
    *,
    codepage: str = "CP866",
    cut: str = "partial",
    qr: str = "auto",
    barcode_width: int = 2,
) -> None:
    """Draw the document on a python-escpos printer (``Dummy``, ``Network``, ``Serial``, ...).

    The printer is reset (ESC @), the code page selected (ESC t), and the text
    written in it: ``₴`` as ``грн``, characters the code page lacks as
    look-alikes or ``?``. Styles are sent only when they change; the total is
    bold and double height. Barcodes and QR codes are centred; a QR code is
    drawn by the printer (``qr="native"``), sent as an image (``"image"``), or
    as the printer's profile says (``"auto"``).

    Args:
        doc: the document.
        printer: a python-escpos printer object.
        codepage: ``"CP866"``, ``"CP1251"`` or another code page of the profile.
        cut: ``"partial"``, ``"full"`` or ``"none"``.
        qr: ``"auto"``, ``"native"`` or ``"image"``.
        barcode_width: barcode module width in dots (2 to 6).

    Raises:
        DeviceConfigError: the printer's profile has no such code page.
    """
    from possdk.drivers._escpos import quiet_stdout

    doc = printable(doc, codepage)
    printer.hw("INIT")
    pages = printer.profile.get_code_pages()
    if codepage.upper() not in pages:
        known = ", ".join(sorted(p for p in pages if p.startswith("CP")))
        raise DeviceConfigError(
            None,
            f"printer profile {printer.profile.profile_data.get('name')!r} has no code page "
            f"{codepage!r}; use one of {known}",
        )
    printer.magic.encoding = None  # ESC @ reset the printer's code page: select it again
    printer.charcode(codepage.upper())
    style = _Style(printer)
    for block in doc.blocks:
        if isinstance(block, TextLine):
            style(block.align.value, block.bold, block.double_height)
            printer.textln(block.text)
        elif isinstance(block, Columns):
            style("left", block.bold, block.double_height)
            for line in _pair(block.left, block.right, doc.width):
                printer.textln(line)
        elif isinstance(block, Rule):
            style("left")
            printer.textln(block.char * doc.width)
        elif isinstance(block, Barcode):
            style("center")
            _barcode(printer, block, barcode_width)
        elif isinstance(block, QrCode):
            style("center")
            native = qr == "native" or (qr == "auto" and printer.profile.supports("qrCode"))
            with quiet_stdout():
                printer.qr(block.data, native=native, size=block.size)
            printer.print_and_feed(1)
        elif isinstance(block, Logo):
            style("center")
            with quiet_stdout():
                printer.image(block.path)
        elif isinstance(block, Cut) and cut != "none":
            style("left")
            printer.cut(mode="PART" if block.partial and cut == "partial" else "FULL")
    style("left")


def _barcode(printer: Any, block: Barcode, module_width: int) -> None:
    from possdk.drivers._escpos import quiet_stdout

    try:
        with quiet_stdout():
            if block.symbology is Symbology.CODE128:
                printer.barcode(
                    "{B" + block.data,
                    "CODE128",
                    function_type="B",
                    width=module_width,
                    align_ct=False,
                )
            else:
                printer.barcode(block.data, "EAN13", width=module_width, align_ct=False)
    except Exception as exc:  # python-escpos refuses codes its checks dislike
        log.warning("barcode %r not printable (%s); printed as text", block.data, exc)
        printer.textln(block.data)
