"""The driver kit passes on the built-in simulators, each driven by a peer playing its hardware."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from possdk.drivers import DeviceKind, DeviceSpec, PaperState, ScaleState
from possdk.drivers._sim import SimDriver
from possdk.errors import DeviceNotReadyError
from possdk.testing.devices import (
    CashDrawerContract,
    DisplayContract,
    DisplayPeer,
    DrawerPeer,
    PrinterPeer,
    ReceiptPrinterContract,
    ScaleContract,
    ScalePeer,
    ScannerContract,
    ScannerPeer,
)


def sim(kind: DeviceKind, name: str) -> Iterator[Any]:
    device = SimDriver().create(DeviceSpec.parse(kind, "sim://", name=name))
    yield device
    device.close()


class _Unplug:
    device: Any

    def __init__(self, device: Any) -> None:
        self.device = device

    def unplug(self) -> None:
        self.device.online = False


class SimPrinterPeer(_Unplug, PrinterPeer):
    def printed(self) -> list[str]:
        return list(self.device.lines())

    def cuts(self) -> int:
        return int(self.device.cuts)

    def kicks(self) -> list[int]:
        return list(self.device.kicks)

    def set_paper(self, state: PaperState) -> None:
        self.device.paper = state

    def set_cover_open(self, cover_open: bool) -> None:
        self.device.cover_open = cover_open


class SimDrawerPeer(_Unplug, DrawerPeer):
    def kicks(self) -> int:
        return int(self.device.opens)

    def close_by_hand(self) -> None:
        self.device.close_by_hand()


class SimScannerPeer(_Unplug, ScannerPeer):
    def send_code(self, code: str) -> None:
        with contextlib.suppress(DeviceNotReadyError):  # nobody listens: lost, as on a wire
            self.device.feed(f"{code}\r\n".encode())

    def send_garbage(self) -> None:
        # Line noise, and an EAN-13 with a wrong check digit.
        self.device.feed(b"\x07\x00\xfe\xff\r\n4006381333932\r\n")

    def go_silent(self) -> None:
        """Nothing to do: a simulated scanner reads only what it is fed."""


class SimScalePeer(_Unplug, ScalePeer):
    def place(self, kilograms: Decimal) -> None:
        self.device.set_weight(kilograms)

    def wobble(self) -> None:
        self.device.set_weight(Decimal("0.5"), ScaleState.UNSTABLE)

    def overload(self) -> None:
        self.device.set_weight(Decimal(99), ScaleState.OVERLOAD)


class SimDisplayPeer(_Unplug, DisplayPeer):
    def shown(self) -> tuple[str, ...]:
        return tuple(self.device.current)


class TestVirtualPrinter(ReceiptPrinterContract):
    @pytest.fixture
    def device(self) -> Iterator[Any]:
        yield from sim(DeviceKind.RECEIPT_PRINTER, "printer-1")

    @pytest.fixture
    def peer(self, device: Any) -> SimPrinterPeer:
        return SimPrinterPeer(device)


class TestSimDrawer(CashDrawerContract):
    @pytest.fixture
    def device(self) -> Iterator[Any]:
        yield from sim(DeviceKind.CASH_DRAWER, "drawer-1")

    @pytest.fixture
    def peer(self, device: Any) -> SimDrawerPeer:
        return SimDrawerPeer(device)


class TestSimScanner(ScannerContract):
    settle = 0.02  # the simulator delivers at once, on the caller's thread

    @pytest.fixture
    def device(self) -> Iterator[Any]:
        yield from sim(DeviceKind.SCANNER, "scanner-1")

    @pytest.fixture
    def peer(self, device: Any) -> SimScannerPeer:
        return SimScannerPeer(device)


class TestSimScale(ScaleContract):
    @pytest.fixture
    def device(self) -> Iterator[Any]:
        yield from sim(DeviceKind.SCALE, "scale-1")

    @pytest.fixture
    def peer(self, device: Any) -> SimScalePeer:
        return SimScalePeer(device)


class TestSimDisplay(DisplayContract):
    @pytest.fixture
    def device(self) -> Iterator[Any]:
        yield from sim(DeviceKind.DISPLAY, "display-1")

    @pytest.fixture
    def peer(self, device: Any) -> SimDisplayPeer:
        return SimDisplayPeer(device)
