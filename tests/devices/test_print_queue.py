"""Sales complete whatever the printer's state; receipts print in order when it can."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from possdk import (
    Catalog,
    FixedClock,
    Money,
    Operator,
    Product,
    Role,
    Settings,
    Store,
    TaxCategory,
    TaxRate,
)
from possdk.drivers import DeviceKind, PaperState
from possdk.drivers._layout import printable, receipt_document
from possdk.drivers._printing import PrintQueue, enable_auto_print, reprint_receipt
from possdk.drivers._render import render_text
from possdk.drivers._sim_printer import VirtualPrinter


@pytest.fixture
def store():
    catalog = Catalog(
        [TaxCategory("std", [TaxRate("VAT20", "20", name="ПДВ")])],
        [Product("TEA", "Чай зелений", Money("85.00", "UAH"), "std")],
    )
    s = Store.create(
        Settings(currency="UAH", locale="uk_UA", receipt_width=32),
        catalog=catalog,
        operators=[Operator("olena", "Олена", Role.cashier())],
        clock=FixedClock(datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc)),
    )
    yield s
    s.close()


def sell(session, tender="cash"):
    sale = session.new_sale()
    sale.add("TEA")
    sale.pay(tender, "100" if tender == "cash" else None)
    return sale.complete()


def printed_text(store, receipt):
    doc = receipt_document(receipt, width=32, locale="uk_UA")
    return render_text(printable(doc, "CP866"))


def test_sale_completes_with_the_printer_out_of_paper_and_prints_when_paper_returns(store):
    queue = enable_auto_print(store)
    assert enable_auto_print(store) is queue
    printer = store.devices.add("sim://?width=32", kind="receipt_printer", register_id="till-1")
    assert isinstance(printer, VirtualPrinter)
    queue.backoff = 0.01
    printer.paper = PaperState.OUT
    session = store.register("till-1").open_session(operator="olena")
    receipts = [sell(session), sell(session, "card"), sell(session)]
    assert [r.number for r in receipts] == ["till-1/000001", "till-1/000002", "till-1/000003"]
    assert not queue.wait_idle(0.1)
    assert len(queue.pending()) == 3 and "out of paper" in queue.errors()["receipt_printer-1"]
    assert printer.lines() == [] and printer.kicks == [2, 2]  # the drawer opens without paper
    printer.paper = PaperState.OK  # paper loaded
    queue.retry()
    assert queue.wait_idle(5)
    expected = [line for r in receipts for line in printed_text(store, r)]
    assert printer.lines() == expected  # all three, in the order they were sold
    assert printer.cuts == 3 and queue.errors() == {}
    queue.close()


def test_reprint_is_marked_copy_and_journaled(store):
    printer = store.devices.add("sim://?width=32", kind="receipt_printer")
    session = store.register("till-1").open_session(operator="olena")
    receipt = sell(session, "card")
    with PrintQueue() as queue:
        job = reprint_receipt(store, receipt.number, queue)
        assert job is not None and job.document.copy
        assert queue.wait_idle(5)
    assert "*** КОПIЯ ***".center(32).rstrip() in printer.lines()  # CP866: Latin I
    entries = store.backend.run(lambda uow: list(uow.journal_entries()))
    reprints = [e for e in entries if e.type == "ReceiptReprinted"]
    assert len(reprints) == 1 and reprints[0].terminal_id == "till-1"
    assert receipt.number in reprints[0].payload
    assert store.verify_journal().ok


def test_a_stuck_printer_does_not_hold_up_another(store):
    stuck = store.devices.add("sim://?width=32", kind="receipt_printer", name="p1")
    fine = store.devices.add("sim://?width=32", kind="receipt_printer", name="p2")
    assert isinstance(stuck, VirtualPrinter) and isinstance(fine, VirtualPrinter)
    stuck.cover_open = True
    doc = receipt_document(sell(store.register("till-1").open_session(operator="olena"), "card"))
    with PrintQueue(stuck, backoff=0.01) as queue:
        queue.submit(doc)
        queue.submit(doc, printer=fine, copies=2)
        queue.submit(doc)
        assert not queue.wait_idle(0.2)
        assert fine.cuts == 2 and [j.printer for j in queue.pending()] == [stuck, stuck]
        stuck.cover_open = False
        assert queue.wait_idle(5)
    assert stuck.cuts == 2


def test_auto_print_off_for_a_printer(store):
    queue = enable_auto_print(store)
    printer = store.devices.add("sim://?auto_print=off", kind=DeviceKind.RECEIPT_PRINTER)
    sell(store.register("till-1").open_session(operator="olena"), "card")
    assert queue.pending() == () and printer.output == b""
    queue.close()
