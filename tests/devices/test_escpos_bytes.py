"""ESC/POS at the byte level: a golden document, a demo receipt, drawer kicks, read back as text."""

from __future__ import annotations

import pytest

from possdk import Receipt
from possdk._demo import run_demo
from possdk.drivers import DeviceSpec, PaperState
from possdk.drivers._escpos import PrinterOptions, escpos_job, kick_command
from possdk.drivers._layout import (
    Align,
    Columns,
    Cut,
    ReceiptDocument,
    Rule,
    TextLine,
    printable,
    receipt_document,
)
from possdk.drivers._render import render_text
from possdk.drivers._sim_printer import SimDrawer, VirtualPrinter, decode_escpos
from possdk.errors import DeviceConfigError, DeviceNotReadyError, DeviceOfflineError

ESC, GS = b"\x1b", b"\x1d"
INIT = ESC + b"@"
BOLD_ON, BOLD_OFF = ESC + b"E\x01", ESC + b"E\x00"
CENTER, LEFT = ESC + b"a\x01", ESC + b"a\x00"
SIZE_NORMAL, SIZE_TALL = ESC + b"!\x00", ESC + b"!\x10"
FEED_6_AND_PARTIAL_CUT = ESC + b"d\x06" + GS + b"V\x01"

GOLDEN = ReceiptDocument(
    [
        TextLine("Зерно", Align.CENTER, bold=True),
        Columns("СУМА", "10,00\xa0₴", bold=True, double_height=True),
        Rule(),
        Cut(),
    ],
    width=24,
)


def test_golden_document_bytes_in_cp866():
    assert escpos_job(GOLDEN, PrinterOptions(codepage="CP866")) == (
        INIT
        + ESC + b"t\x11"  # code page 17: CP866 in python-escpos's default profile
        + BOLD_ON + CENTER
        + "Зерно".encode("cp866") + b"\n"
        + SIZE_NORMAL + SIZE_NORMAL + SIZE_TALL + LEFT  # the total: bold and double height
        + "СУМА".encode("cp866") + b" " * 11 + "10,00 грн".encode("cp866") + b"\n"
        + SIZE_NORMAL + SIZE_NORMAL + SIZE_NORMAL + BOLD_OFF
        + b"-" * 24 + b"\n"
        + FEED_6_AND_PARTIAL_CUT
    )  # fmt: skip


def test_cp1251_and_a_full_cut_are_per_printer_options():
    job = escpos_job(GOLDEN, PrinterOptions(codepage="CP1251", cut="full"))
    assert job.startswith(INIT + ESC + b"t\x2e")  # 46: CP1251
    assert "Зерно".encode("cp1251") in job and "грн".encode("cp1251") in job
    assert job.endswith(ESC + b"d\x06" + GS + b"V\x00")
    # another brand's profile numbers its code pages differently
    assert escpos_job(GOLDEN, PrinterOptions(profile="RP326")).startswith(INIT + ESC + b"t\x07")


def test_unknown_code_page_is_a_config_error():
    with pytest.raises(DeviceConfigError, match="no code page 'CP9999'"):
        escpos_job(GOLDEN, PrinterOptions(codepage="CP9999"))


def test_drawer_kick_bytes():
    assert kick_command(2) == ESC + b"p\x00\x32\x32"  # pin 2, 100 ms on, 100 ms off
    assert kick_command(5, 200, 50) == ESC + b"p\x01\x64\x19"
    with pytest.raises(DeviceConfigError):
        kick_command(3)


@pytest.fixture(scope="module")
def receipts() -> tuple[Receipt, ...]:
    return run_demo(out=lambda _: None).receipts()


def printer(url: str = "sim://") -> VirtualPrinter:
    return VirtualPrinter(DeviceSpec.parse("receipt_printer", url))


@pytest.mark.parametrize("codepage", ["CP866", "CP1251"])
def test_demo_receipts_decode_back_to_their_text(receipts, codepage):
    vp = printer(f"sim://?codepage={codepage}&width=32")
    expected: list[str] = []
    for receipt in receipts:
        doc = receipt_document(receipt, width=32, locale="uk_UA", number_barcode=True)
        vp.print_document(doc)
        expected += render_text(printable(doc, codepage))
    assert vp.lines() == expected
    assert vp.cuts == len(receipts)
    assert "?" not in "".join(expected)  # every character had a code page or a look-alike
    first = receipts[0]
    assert "Каса: till-1  Касир: Олена" in first.as_text(width=32, locale="uk_UA").splitlines()
    assert "Каса: till-1  Касир: Олена" in vp.lines()


def test_kicks_and_drawer_sensor_of_the_virtual_printer(receipts):
    vp = printer("sim://?pulse_on=120")
    vp.print_document(receipt_document(receipts[0]))
    vp.kick_drawer(2)
    vp.kick_drawer(5)
    assert vp.kicks == [2, 5]
    assert vp.jobs[1] == ESC + b"p\x00\x3c\x32"
    assert vp.status().drawer_open is True
    vp.close_drawer_by_hand()
    assert vp.status().drawer_open is False
    assert decode_escpos(vp.output, width=42).kicks == (2, 5)


def test_virtual_printer_refuses_jobs_as_a_real_one(receipts):
    vp = printer()
    doc = receipt_document(receipts[0])
    vp.paper = PaperState.OUT
    with pytest.raises(DeviceNotReadyError) as caught:
        vp.print_document(doc)
    assert caught.value.status.paper is PaperState.OUT
    vp.paper, vp.cover_open = PaperState.LOW, True
    with pytest.raises(DeviceNotReadyError, match="cover"):
        vp.print_document(doc)
    vp.cover_open, vp.online = False, False
    with pytest.raises(DeviceOfflineError):
        vp.print_lines(["x"])
    assert vp.output == b""
    vp.online = True
    vp.print_lines(["Привіт", "world"], cut=False)
    assert vp.lines() == ["Привiт", "world"] and vp.cuts == 0


def test_sim_drawer_sensor():
    drawer = SimDrawer(DeviceSpec.parse("cash_drawer", "sim://"))
    assert drawer.status().drawer_open is False
    drawer.open_drawer()
    assert drawer.status().drawer_open is True and drawer.opens == 1
    drawer.close_by_hand()
    assert drawer.status().drawer_open is False
