"""The driver kit can fail: deliberately broken devices each fail the contract of their kind.

Each kind has a small, correct in-memory device with its peer; it passes its
contract (so a failure below is the breakage's, not the fakes'). Each broken
variant differs from it in one way and must fail the test that checks that way.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest

from possdk.drivers import (
    DeviceKind,
    DeviceSpec,
    DeviceStatus,
    PaperState,
    ScaleState,
    Scan,
    WeightReading,
)
from possdk.errors import DeviceOfflineError, DeviceTimeoutError
from possdk.testing.devices import (
    CashDrawerContract,
    DeviceContract,
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


class _Hardware:
    """Shared state of a fake device and its peer."""

    def __init__(self) -> None:
        self.unplugged = False
        self.silent = False


class _Fake:
    kind: DeviceKind

    def __init__(self, name: str = "fake-1") -> None:
        self.spec = DeviceSpec.parse(self.kind, "sim://", name=name)
        self.hw = _Hardware()
        self.is_open = False

    def open(self) -> None:
        self.is_open = True

    def close(self) -> None:
        self.is_open = False

    def _check(self) -> None:
        if self.hw.unplugged:
            raise DeviceOfflineError(self.spec.name, "unplugged")
        if self.hw.silent:
            raise DeviceTimeoutError(self.spec.name, "no answer")

    def _extra(self) -> dict[str, Any]:
        return {}

    def status(self) -> DeviceStatus:
        if self.hw.unplugged or self.hw.silent:
            return DeviceStatus(online=False)
        return DeviceStatus(online=self.is_open, **self._extra())


class _Peer:
    def __init__(self, device: Any) -> None:
        self.device = device

    def unplug(self) -> None:
        self.device.hw.unplugged = True

    def go_silent(self) -> None:
        self.device.hw.silent = True


# ---- printers -------------------------------------------------------------------------


class GoodPrinter(_Fake):
    kind = DeviceKind.RECEIPT_PRINTER

    def __init__(self) -> None:
        super().__init__()
        self.printed: list[str] = []
        self.cuts = 0
        self.kicks: list[int] = []
        self.paper = PaperState.OK
        self.cover = False

    def _extra(self) -> dict[str, Any]:
        return {"paper": self.paper, "cover_open": self.cover}

    def print_lines(self, lines: list[str], *, cut: bool = True) -> None:
        self._check()
        self.printed.extend(lines)
        if cut:
            self.cuts += 1

    def kick_drawer(self, pin: int = 2) -> None:
        self._check()
        self.kicks.append(pin)


class GoodPrinterPeer(_Peer, PrinterPeer):
    device: GoodPrinter

    def printed(self) -> list[str]:
        return list(self.device.printed)

    def cuts(self) -> int:
        return self.device.cuts

    def kicks(self) -> list[int]:
        return list(self.device.kicks)

    def set_paper(self, state: PaperState) -> None:
        self.device.paper = state

    def set_cover_open(self, cover_open: bool) -> None:
        self.device.cover = cover_open


class DoubleKickPrinter(GoodPrinter):
    def kick_drawer(self, pin: int = 2) -> None:
        super().kick_drawer(pin)
        super().kick_drawer(pin)  # a retry that is not needed: the drawer bangs twice


class AlwaysPin2Printer(GoodPrinter):
    def kick_drawer(self, pin: int = 2) -> None:
        super().kick_drawer(2)


class RawErrorPrinter(GoodPrinter):
    def print_lines(self, lines: list[str], *, cut: bool = True) -> None:
        if self.hw.unplugged:
            raise OSError(5, "Input/output error")  # the transport's error, not wrapped
        super().print_lines(lines, cut=cut)


class PaperBlindPrinter(GoodPrinter):
    def _extra(self) -> dict[str, Any]:
        return {"paper": PaperState.OK, "cover_open": self.cover}


class AnonymousErrorPrinter(GoodPrinter):
    def _check(self) -> None:
        if self.hw.unplugged:
            raise DeviceOfflineError(None, "unplugged")  # the device is not named


class NotIdempotentPrinter(GoodPrinter):
    def close(self) -> None:
        if not self.is_open:
            raise RuntimeError("already closed")
        super().close()


class DictStatusPrinter(GoodPrinter):
    def status(self) -> Any:
        return {"online": True}


# ---- drawers --------------------------------------------------------------------------


class GoodDrawer(_Fake):
    kind = DeviceKind.CASH_DRAWER

    def __init__(self) -> None:
        super().__init__()
        self.kicks = 0
        self.drawer_open = False

    def _extra(self) -> dict[str, Any]:
        return {"drawer_open": self.drawer_open}

    def open_drawer(self) -> None:
        self._check()
        self.kicks += 1
        self.drawer_open = True


class GoodDrawerPeer(_Peer, DrawerPeer):
    device: GoodDrawer

    def kicks(self) -> int:
        return self.device.kicks

    def close_by_hand(self) -> None:
        self.device.drawer_open = False


class StuckSensorDrawer(GoodDrawer):
    def _extra(self) -> dict[str, Any]:
        return {"drawer_open": bool(self.kicks)}  # once opened, always "open"


class SilentlyFailingDrawer(GoodDrawer):
    def open_drawer(self) -> None:
        if self.hw.unplugged:
            return  # swallows the failure: the cashier waits for a drawer that never opens
        super().open_drawer()


# ---- scanners -------------------------------------------------------------------------


class GoodScanner(_Fake):
    kind = DeviceKind.SCANNER

    def __init__(self) -> None:
        super().__init__()
        self.on_scan: Callable[[Scan], None] | None = None

    def start(self, on_scan: Callable[[Scan], None]) -> None:
        self._check()
        self.on_scan = on_scan

    def stop(self) -> None:
        self.on_scan = None

    def receive(self, data: str) -> None:
        if self.on_scan is not None and data.isdigit():
            self.on_scan(Scan(data))


class GoodScannerPeer(_Peer, ScannerPeer):
    device: GoodScanner

    def send_code(self, code: str) -> None:
        self.device.receive(code)

    def send_garbage(self) -> None:
        self.device.receive("\x00\xff#garbage")

    def go_silent(self) -> None:
        """Nothing to do: a scanner nobody scans with sends nothing."""


class EchoingScanner(GoodScanner):
    def receive(self, data: str) -> None:
        super().receive(data)
        super().receive(data)  # an echo read back: every code twice


class GarbageScanner(GoodScanner):
    def receive(self, data: str) -> None:
        if self.on_scan is not None:
            self.on_scan(Scan(data))


class UnstoppableScanner(GoodScanner):
    def start(self, on_scan: Callable[[Scan], None]) -> None:
        super().start(on_scan)
        self.kept = on_scan

    def receive(self, data: str) -> None:
        if data.isdigit():
            self.kept(Scan(data))


class IdleOfflineScanner(GoodScanner):
    def start(self, on_scan: Callable[[Scan], None]) -> None:
        super().start(on_scan)
        self.started = time.monotonic()

    def status(self) -> DeviceStatus:
        if self.on_scan is not None and time.monotonic() - self.started > 0.1:
            return DeviceStatus(online=False)  # a read that timed out taken for a dead scanner
        return super().status()


class DeafScanner(GoodScanner):
    def start(self, on_scan: Callable[[Scan], None]) -> None:
        self.on_scan = on_scan  # never notices the hardware is gone

    def status(self) -> DeviceStatus:
        return DeviceStatus(online=self.is_open)


# ---- scales ---------------------------------------------------------------------------


class GoodScale(_Fake):
    kind = DeviceKind.SCALE

    def __init__(self) -> None:
        super().__init__()
        self.gross = Decimal(0)
        self.tare_weight = Decimal(0)
        self.state = ScaleState.STABLE

    def _extra(self) -> dict[str, Any]:
        return {"scale": self.state}

    def read_weight(self) -> WeightReading:
        self._check()
        return WeightReading(self.gross - self.tare_weight, self.state)

    def tare(self) -> None:
        self._check()
        self.tare_weight = self.gross


class GoodScalePeer(_Peer, ScalePeer):
    device: GoodScale

    def place(self, kilograms: Decimal) -> None:
        self.device.gross, self.device.state = kilograms, ScaleState.STABLE

    def wobble(self) -> None:
        self.device.state = ScaleState.UNSTABLE

    def overload(self) -> None:
        self.device.gross, self.device.state = Decimal(99), ScaleState.OVERLOAD


class OverloadAsStableScale(GoodScale):
    def read_weight(self) -> WeightReading:
        reading = super().read_weight()
        return WeightReading(reading.kilograms, ScaleState.STABLE)


class NoTareScale(GoodScale):
    def tare(self) -> None:
        self._check()


class HangingScale(GoodScale):
    def read_weight(self) -> WeightReading:
        if self.hw.silent:
            import time

            time.sleep(0.4)  # waits past its 0.1 s timeout before giving up
            raise DeviceTimeoutError(self.spec.name, "no answer")
        return super().read_weight()


class FloatScale(GoodScale):
    def read_weight(self) -> WeightReading:
        reading = super().read_weight()
        return WeightReading(float(reading.kilograms), reading.state)  # type: ignore[arg-type]


# ---- displays -------------------------------------------------------------------------


class GoodDisplay(_Fake):
    kind = DeviceKind.DISPLAY
    width = 20

    def __init__(self) -> None:
        super().__init__()
        self.frame: tuple[str, ...] = ()

    def show(self, *lines: str) -> None:
        self._check()
        self.frame = tuple(line[: self.width] for line in lines[:2])

    def clear(self) -> None:
        self._check()
        self.frame = ()


class GoodDisplayPeer(_Peer, DisplayPeer):
    device: GoodDisplay

    def shown(self) -> tuple[str, ...]:
        return self.device.frame


class UncutDisplay(GoodDisplay):
    def show(self, *lines: str) -> None:
        self._check()
        self.frame = lines


class WrappingDisplay(GoodDisplay):
    def show(self, *lines: str) -> None:
        self._check()
        text = "".join(line.ljust(self.width) for line in lines)  # long lines spill over
        self.frame = tuple(text[i : i + self.width] for i in range(0, 2 * self.width, self.width))


class RawTimeoutDisplay(GoodDisplay):
    def show(self, *lines: str) -> None:
        if self.hw.silent:
            raise TimeoutError("write timeout")  # the transport's error, not wrapped
        super().show(*lines)


class NoClearDisplay(GoodDisplay):
    def clear(self) -> None:
        self._check()


# ---- running the kit ------------------------------------------------------------------

KITS: dict[DeviceKind, tuple[type[DeviceContract], type[_Peer], float]] = {
    DeviceKind.RECEIPT_PRINTER: (ReceiptPrinterContract, GoodPrinterPeer, 0.1),
    DeviceKind.CASH_DRAWER: (CashDrawerContract, GoodDrawerPeer, 0.1),
    DeviceKind.SCANNER: (ScannerContract, GoodScannerPeer, 0.1),
    DeviceKind.SCALE: (ScaleContract, GoodScalePeer, 0.1),
    DeviceKind.DISPLAY: (DisplayContract, GoodDisplayPeer, 0.1),
}


def kit_failures(device_class: type[_Fake]) -> dict[str, str]:
    """Run every test of the kind's contract on fresh devices; the failures, by test name."""
    contract_class, peer_class, timeout = KITS[device_class.kind]

    class Contract(contract_class):  # type: ignore[valid-type,misc]
        pass

    Contract.timeout = timeout
    Contract.slack = 0.1
    Contract.settle = 0.02
    contract = Contract()
    failures: dict[str, str] = {}
    for name in sorted(n for n in dir(contract) if n.startswith("test_")):
        device = device_class()
        try:
            getattr(contract, name)(device, peer_class(device))
        except AssertionError as exc:
            failures[name] = str(exc)
        except pytest.skip.Exception:
            pass
        except Exception as exc:  # an error the kit did not turn into a failure: still caught
            failures[name] = f"{type(exc).__name__}: {exc}"
    return failures


@pytest.mark.parametrize(
    "device_class", [GoodPrinter, GoodDrawer, GoodScanner, GoodScale, GoodDisplay]
)
def test_the_correct_fakes_pass_their_kit(device_class: type[_Fake]) -> None:
    assert kit_failures(device_class) == {}


@pytest.mark.parametrize(
    ("device_class", "fails", "says"),
    [
        (DoubleKickPrinter, "test_kicks_the_drawer_exactly_once_per_request", "pin 2 once"),
        (AlwaysPin2Printer, "test_kicks_the_drawer_exactly_once_per_request", "pin 5 once"),
        (RawErrorPrinter, "test_unplugged_device_raises_a_device_error_naming_it", "OSError"),
        (AnonymousErrorPrinter, "test_unplugged_device_raises_a_device_error_naming_it", "None"),
        (PaperBlindPrinter, "test_reports_paper_out", "with no paper"),
        (NotIdempotentPrinter, "test_open_and_close_are_idempotent", "already closed"),
        (DictStatusPrinter, "test_status_is_typed", "must return a possdk.drivers.DeviceStatus"),
        (StuckSensorDrawer, "test_the_sensor_follows_the_drawer", "drawer_open is not False"),
        (SilentlyFailingDrawer, "test_unplugged_device_raises_a_device_error_naming_it", "raise"),
        (EchoingScanner, "test_delivers_a_sent_code_exactly_once", "on_scan got"),
        (GarbageScanner, "test_drops_garbage_and_reads_on", "garbage was delivered"),
        (UnstoppableScanner, "test_nothing_is_delivered_after_stop", "after stop()"),
        (IdleOfflineScanner, "test_a_silent_device_times_out", "nobody scans with is online"),
        (DeafScanner, "test_unplugged_device_raises_a_device_error_naming_it", "says online"),
        (OverloadAsStableScale, "test_reports_overload", "not OVERLOAD"),
        (OverloadAsStableScale, "test_reports_unstable", "not UNSTABLE"),
        (NoTareScale, "test_tare_takes_off_the_container", "net"),
        (HangingScale, "test_a_silent_scale_times_out_reading", "the timeout is 0.1 s"),
        (FloatScale, "test_reads_a_stable_weight", "Decimal kilograms"),
        (UncutDisplay, "test_cuts_lines_to_its_width", "the display shows"),
        (WrappingDisplay, "test_cuts_lines_to_its_width", "the display shows"),
        (NoClearDisplay, "test_clear_blanks_it", "after clear()"),
        (RawTimeoutDisplay, "test_a_silent_device_times_out", "TimeoutError"),
    ],
    ids=lambda v: v.__name__ if isinstance(v, type) else None,
)
def test_a_broken_device_fails_the_kit(device_class: type[_Fake], fails: str, says: str) -> None:
    failures = kit_failures(device_class)
    assert fails in failures, f"{device_class.__name__} passed {fails}; failures: {failures}"
    assert says in failures[fails]
