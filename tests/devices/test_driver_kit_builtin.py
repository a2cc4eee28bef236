"""The driver kit passes on possdk's own drivers, each on a real transport with a peer playing
its hardware: ESC/POS over TCP, and serial devices over pseudo-terminals."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from possdk.drivers import DeviceSpec
from possdk.drivers._display import PoleDisplay
from possdk.drivers._escpos import EscposDrawer, EscposPrinter
from possdk.drivers._scale import ToledoScale
from possdk.drivers._scanner import SerialScanner
from possdk.testing.devices import (
    CashDrawerContract,
    DisplayContract,
    ReceiptPrinterContract,
    ScaleContract,
    ScannerContract,
)

from ._peers import (
    DrawerTcpPrinter,
    PoleDisplayPeer,
    PtyScannerPeer,
    TcpDrawerPeer,
    TcpPrinterPeer,
    ToledoPeer,
)
from ._tcp_printer import TcpPrinter

TIMEOUT = 0.3
TCP = f"timeout={TIMEOUT}&connect_timeout={TIMEOUT}&retries=2&backoff=0.02"
SERIAL = f"timeout={TIMEOUT}&retries=1&backoff=0.01"


class TestEscposPrinter(ReceiptPrinterContract):
    timeout = TIMEOUT

    @pytest.fixture
    def peer(self) -> Iterator[TcpPrinterPeer]:
        server = TcpPrinter()
        yield TcpPrinterPeer(server)
        server.close()

    @pytest.fixture
    def device(self, peer: TcpPrinterPeer) -> Iterator[EscposPrinter]:
        spec = DeviceSpec.parse("receipt_printer", f"{peer.server.url}?{TCP}", name="printer-1")
        printer = EscposPrinter(spec)
        yield printer
        printer.close()


class TestEscposDrawer(CashDrawerContract):
    timeout = TIMEOUT

    @pytest.fixture
    def peer(self) -> Iterator[TcpDrawerPeer]:
        server = DrawerTcpPrinter()
        yield TcpDrawerPeer(server)
        server.close()

    @pytest.fixture
    def device(self, peer: TcpDrawerPeer) -> Iterator[EscposDrawer]:
        url = f"{peer.server.url}?{TCP}&drawer_sensor=high"
        drawer = EscposDrawer(DeviceSpec.parse("cash_drawer", url, name="drawer-1"))
        yield drawer
        drawer.close()


class TestSerialScanner(ScannerContract):
    timeout = TIMEOUT

    @pytest.fixture
    def peer(self) -> Iterator[PtyScannerPeer]:
        with PtyScannerPeer() as hardware:
            yield hardware

    @pytest.fixture
    def device(self, peer: PtyScannerPeer) -> Iterator[SerialScanner]:
        url = f"serial-scanner+serial://{peer.port}?{SERIAL}"
        scanner = SerialScanner(DeviceSpec.parse("scanner", url, name="scanner-1"))
        yield scanner
        scanner.close()


class TestToledoScale(ScaleContract):
    timeout = 0.4
    slack = 0.5  # so a scale asking again after a timeout overruns it

    @pytest.fixture
    def peer(self) -> Iterator[ToledoPeer]:
        with ToledoPeer() as hardware:
            yield hardware

    @pytest.fixture
    def device(self, peer: ToledoPeer) -> Iterator[ToledoScale]:
        # 8N1, not the driver's 7E1: a pseudo-terminal keeps only 8N1, and this kernel
        # refuses to set 7E1 on one again, so the scale could not be opened a second time.
        options = f"timeout={self.timeout}&retries=1&backoff=0.01&bytesize=8&parity=N"
        url = f"toledo+serial://{peer.port}?{options}"
        scale = ToledoScale(DeviceSpec.parse("scale", url, name="scale-1"))
        yield scale
        scale.close()


class TestPoleDisplay(DisplayContract):
    timeout = TIMEOUT

    @pytest.fixture
    def peer(self) -> Iterator[PoleDisplayPeer]:
        with PoleDisplayPeer() as hardware:
            yield hardware

    @pytest.fixture
    def device(self, peer: PoleDisplayPeer) -> Iterator[PoleDisplay]:
        url = f"cd5220+serial://{peer.port}?{SERIAL}"
        display = PoleDisplay(DeviceSpec.parse("display", url, name="display-1"))
        yield display
        display.close()
