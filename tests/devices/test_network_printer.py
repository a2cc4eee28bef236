"""An ESC/POS printer on the network: real sockets to a local stand-in that records bytes."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest

from possdk import Receipt
from possdk.drivers import DeviceSpec, PaperState
from possdk.drivers._escpos import EscposDrawer, EscposPrinter
from possdk.drivers._layout import receipt_document
from possdk.errors import (
    DeviceNotReadyError,
    DeviceOfflineError,
    DeviceTimeoutError,
)
from tests.devices._receipts import demo_receipts
from tests.devices._tcp_printer import TcpPrinter

KICK = b"\x1bp\x00\x32\x32"
FAST = "timeout=0.3&connect_timeout=0.3&retries=3&backoff=0.02"


@pytest.fixture
def receipt() -> Receipt:
    return demo_receipts()[0]


@pytest.fixture
def server() -> Iterator[TcpPrinter]:
    srv = TcpPrinter()
    yield srv
    srv.close()


@pytest.fixture
def printer(server: TcpPrinter) -> Iterator[EscposPrinter]:
    p = EscposPrinter(DeviceSpec.parse("receipt_printer", f"{server.url}?{FAST}"))
    yield p
    p.close()


def test_prints_a_receipt_and_reads_status(server, printer, receipt):
    printer.print_document(receipt_document(receipt, width=42))
    server.wait_for(b"\x1dV")  # the cut: the whole job arrived
    assert printer.status().ready and printer.status().paper is PaperState.OK
    assert "грн".encode("cp866") in server.received


def test_paper_out_refuses_the_job_before_sending_it(server, printer, receipt):
    server.status[4] = 0x72  # paper end sensor
    with pytest.raises(DeviceNotReadyError, match="out of paper") as caught:
        printer.print_document(receipt_document(receipt))
    assert caught.value.status.paper is PaperState.OUT
    assert b"\x1b@" not in server.received  # only status requests went out
    server.status[4] = 0x12
    server.status[2] = 0x16  # cover open
    assert printer.status().cover_open is True and not printer.status().ready


def test_a_silent_printer_times_out(server, printer, receipt):
    server.silent = True
    status = printer.status()
    assert not status.online and "no answer" in status.message
    with pytest.raises(DeviceTimeoutError):
        printer.print_document(receipt_document(receipt))


def test_status_off_for_printers_that_never_answer(server, receipt):
    server.silent = True
    p = EscposPrinter(DeviceSpec.parse("receipt_printer", f"{server.url}?{FAST}&status=off"))
    with p:
        p.print_document(receipt_document(receipt))
        assert p.status().online and p.status().paper is PaperState.UNKNOWN
    server.wait_for(b"\x1dV")


def test_each_kick_once_when_the_printer_dropped_the_connection(server, printer):
    printer.kick_drawer(2)
    server.wait_for(KICK)
    server.drop()  # the printer restarted between two sales
    printer.kick_drawer(2)
    server.wait_for(KICK, 2)
    assert server.kicks() == 2
    assert [bytes(c).count(b"\x1bp") for c in server.connections] == [1, 1]


def test_a_kick_waits_for_the_printer_to_come_back_and_is_sent_once():
    server = TcpPrinter(listening=False)  # refuses connections: switched off
    p = EscposPrinter(
        DeviceSpec.parse(
            "receipt_printer",
            f"{server.url}?timeout=0.3&connect_timeout=0.3&retries=8&backoff=0.05",
        )
    )
    switched_on = threading.Timer(0.15, server.listen)
    switched_on.start()
    try:
        with p:
            p.kick_drawer(2)
        server.wait_for(KICK)
        assert server.kicks() == 1 and p._link.connections == 1
    finally:
        switched_on.join()
        server.close()


def test_a_kick_after_a_timed_out_job_goes_once_on_a_fresh_connection(server, printer):
    printer.open()
    server.stall.set()  # the printer stops taking bytes (a paper jam, a busy buffer)
    with pytest.raises(DeviceTimeoutError, match="not sent again"):
        printer.raw(b"\x00" * 64_000_000)
    printer.kick_drawer(2)  # must not be spliced into the torn job, nor sent twice
    server.stall.clear()
    server.wait_for(KICK)
    assert server.kicks() == 1
    assert b"\x1bp" not in bytes(server.connections[0])
    assert len(server.connections) == 2


def test_unreachable_printer_is_offline_after_retries():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # nothing listens here once closed
    p = EscposPrinter(
        DeviceSpec.parse("receipt_printer", f"escpos+tcp://127.0.0.1:{port}?retries=2&backoff=0")
    )
    with pytest.raises(DeviceOfflineError, match="after 2 attempts"):
        p.kick_drawer(2)
    assert not p.status().online


def test_drawer_on_its_own_port_with_a_sensor(server):
    drawer = EscposDrawer(
        DeviceSpec.parse("cash_drawer", f"{server.url}?{FAST}&drawer_sensor=high&pin=5")
    )
    with drawer._link.lock:
        drawer.open_drawer()
    server.wait_for(b"\x1bp\x01")
    assert drawer.status().drawer_open is False  # pin 3 low
    server.status[1] = 0x16  # pin 3 high: open
    assert drawer.status().drawer_open is True
    drawer.close()
