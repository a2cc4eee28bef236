"""A receipt laid out for paper reads exactly like ``receipt.as_text()``; HTML for e-mail."""

from __future__ import annotations

from html.parser import HTMLParser

import attrs
import pytest

from possdk import Receipt
from possdk._demo import run_demo
from possdk.drivers._layout import (
    Align,
    Barcode,
    Columns,
    Cut,
    QrCode,
    TextLine,
    printable,
    receipt_document,
)
from possdk.drivers._render import render_html, render_text


@pytest.fixture(scope="module")
def demo_receipts() -> dict[str, tuple[Receipt, ...]]:
    return {
        locale: run_demo(out=lambda _: None, locale=locale).receipts()
        for locale in ("uk_UA", "en_US")
    }


@pytest.mark.parametrize("width", [32, 42, 48])
@pytest.mark.parametrize("locale", ["uk_UA", "en_US"])
def test_text_of_every_demo_receipt_is_as_text(demo_receipts, locale, width):
    receipts = demo_receipts[locale]
    assert len(receipts) >= 5
    for receipt in (*receipts, receipts[0].as_copy()):
        doc = receipt_document(receipt, width=width, locale=locale)
        assert render_text(doc) == receipt.as_text(width=width, locale=locale).splitlines()
        assert all(len(line) <= width for line in render_text(doc))


def test_total_and_copy_mark_are_bold_and_tall(demo_receipts):
    copy = demo_receipts["uk_UA"][0].as_copy()
    doc = receipt_document(copy, width=42, locale="uk_UA", qr="https://tax.example/check/1")
    mark = next(b for b in doc.blocks if isinstance(b, TextLine) and "КОПІЯ" in b.text)
    assert mark.align is Align.CENTER and mark.bold and mark.double_height
    total = next(b for b in doc.blocks if isinstance(b, Columns) and b.left == "СУМА")
    assert total.bold and total.double_height and total.right.endswith("₴")
    assert doc.copy and doc.title.startswith("Receipt till-1/")
    assert isinstance(doc.blocks[-2], QrCode) and isinstance(doc.blocks[-1], Cut)


def test_number_barcode_shows_as_its_text(demo_receipts):
    receipt = demo_receipts["en_US"][0]
    doc = receipt_document(receipt, width=32, locale="en_US", number_barcode=True)
    assert Barcode(receipt.number) in doc.blocks
    assert render_text(doc)[-1] == receipt.number.center(32).rstrip()


def test_printable_writes_hryvnia_as_grn_and_keeps_the_width(demo_receipts):
    doc = printable(receipt_document(demo_receipts["uk_UA"][0], width=32), "CP866")
    lines = render_text(doc)
    assert not any("₴" in line or "\xa0" in line for line in lines)
    assert any(line.startswith("СУМА") and line.endswith(" грн") for line in lines)
    assert all(len(line) <= 32 for line in lines)
    # CP866 has no Ukrainian і: the Latin look-alike is printed instead
    assert "Хлiб житнiй" in lines and "Хліб житній" not in lines
    assert "Хліб житній" in render_text(
        printable(receipt_document(demo_receipts["uk_UA"][0]), "CP1251")
    )


class _Cells(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.title = ""
        self._in_title = self._in_cell = False
        self.lang = ""

    def handle_starttag(self, tag, attrs_):
        if tag == "tr":
            self.rows.append([])
        elif tag == "td":
            self.rows[-1].append("")
            self._in_cell = True
        elif tag == "title":
            self._in_title = True
        elif tag == "html":
            self.lang = dict(attrs_).get("lang", "")

    def handle_endtag(self, tag):
        if tag == "td":
            self._in_cell = False
        if tag == "title":
            self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        elif self._in_cell:
            self.rows[-1][-1] += data


def test_html_receipt_has_every_row_escaped(demo_receipts):
    receipt = attrs.evolve(demo_receipts["uk_UA"][0], header=("<Зерно & Co>",))
    doc = receipt_document(receipt, width=42, locale="uk_UA", qr="https://tax.example/?id=1&x=2")
    page = render_html(doc)
    assert "<Зерно" not in page and "&lt;Зерно &amp; Co&gt;" in page
    parsed = _Cells()
    parsed.feed(page)
    assert parsed.title == f"Receipt {receipt.number}" and parsed.lang == "uk"
    cells = parsed.rows
    assert cells[0] == ["<Зерно & Co>"]
    pairs = [[b.left, b.right] for b in doc.blocks if isinstance(b, Columns)]
    assert [row for row in cells if len(row) == 2] == pairs
    assert cells[-1] == ["https://tax.example/?id=1&x=2"]
    assert 'href="https://tax.example/?id=1&amp;x=2"' in page
