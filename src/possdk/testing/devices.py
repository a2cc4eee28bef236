"""The driver kit: a conformance suite per device kind that a driver plugin runs against itself.

Each contract checks what possdk relies on from a device of one kind: it is
the kind's protocol, ``open`` and ``close`` are idempotent, ``status()`` is a
typed :class:`~possdk.drivers.DeviceStatus`, every failure is a
:class:`~possdk.errors.DeviceError` naming the device, timeouts are kept, and
the kind's own promises hold (a drawer is kicked exactly once per request, a
scanner delivers a code exactly once and drops garbage, a scale says when it
is unstable or overloaded, a display cuts lines to its width).

A contract needs two fixtures: ``device``, the device under test built on a
real transport (a pseudo-terminal, ``loop://``, a socket) and not opened yet;
and ``peer``, the hardware side: an object (a subclass of this module's
``...Peer`` classes) that reads what the device sent and answers as the
hardware would::

    # tests/test_contract.py
    import pytest

    from possdk.drivers import DeviceSpec
    from possdk.testing.devices import DisplayContract

    from my_display import MyDisplay, VirtualMyDisplay


    class TestMyDisplay(DisplayContract):
        @pytest.fixture
        def peer(self):
            with VirtualMyDisplay() as hardware:  # owns a pseudo-terminal
                yield hardware

        @pytest.fixture
        def device(self, peer):
            spec = DeviceSpec.parse("display", f"mydisplay+serial://{peer.port}?timeout=1")
            device = MyDisplay(spec)
            yield device
            device.close()

A peer method left as it is here raises :class:`PeerCannot`, and the tests
that need it are skipped with a reason, so the report shows what was not
checked. Set :attr:`DeviceContract.timeout` to the timeout the fixture
built the device with.

This module imports pytest; import it only from tests.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any, ClassVar, NoReturn, TypeVar

import pytest

from possdk.drivers._base import (
    BarcodeScanner,
    CashDrawer,
    CustomerDisplay,
    Device,
    DeviceKind,
    DeviceSpec,
    DeviceStatus,
    PaperState,
    ReceiptPrinter,
    Scale,
    ScaleState,
    Scan,
    WeightReading,
)
from possdk.errors import DeviceError, DeviceOfflineError, DeviceTimeoutError

__all__ = [
    "CashDrawerContract",
    "DeviceContract",
    "DevicePeer",
    "DisplayContract",
    "DisplayPeer",
    "DrawerPeer",
    "PeerCannot",
    "PrinterPeer",
    "ReceiptPrinterContract",
    "ScaleContract",
    "ScalePeer",
    "ScannerContract",
    "ScannerPeer",
]

T = TypeVar("T")


def _fail(message: str) -> NoReturn:
    # An explicit raise, not ``assert``: the suite must hold under ``python -O`` too.
    raise AssertionError(message)


def _expect(condition: bool, message: str) -> None:
    if not condition:
        _fail(message)


class PeerCannot(Exception):
    """What a peer raises for a part of the hardware it cannot play; the tests needing it skip.

    The base peers raise it from every method; a plugin's peer overrides
    what its hardware side can do.
    """


def _peer_can(call: Callable[[], T], what: str) -> T:
    """Call a peer method; skip the test if the peer does not implement it."""
    try:
        return call()
    except PeerCannot:
        pytest.skip(f"the peer cannot {what}; implement it to run this test")


def _eventually(check: Callable[[], bool], within: float, pause: float = 0.01) -> bool:
    """Poll ``check`` until it holds or ``within`` seconds pass; the last answer."""
    deadline = time.monotonic() + within
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(pause)


@contextmanager
def _device_error(
    device: Device, doing: str, *, must_raise: bool = True
) -> Iterator[list[DeviceError]]:
    """Expect ``doing`` to raise a DeviceError that names ``device``; yields what it raised.

    With ``must_raise=False`` it may also return; anything else it raises still fails.
    """
    caught: list[DeviceError] = []
    name = device.spec.name
    try:
        yield caught
    except DeviceError as exc:
        caught.append(exc)
        _expect(
            exc.device == name,
            f"{name}: {doing} raised {type(exc).__name__} with device={exc.device!r}; "
            f"pass the spec's name ({name!r}) as the error's device",
        )
        return
    except Exception as exc:
        _fail(
            f"{name}: {doing} raised {type(exc).__module__}.{type(exc).__qualname__}: {exc}; "
            f"a driver raises "
            f"possdk.errors.DeviceError subclasses (DeviceOfflineError, DeviceTimeoutError, ...) "
            f"and wraps its transport's errors with `raise ... from`"
        )
    if must_raise:
        _fail(f"{name}: {doing} did not raise; it must raise a DeviceError")


def _check_status(device: Device, status: object) -> DeviceStatus:
    name = device.spec.name
    _expect(
        isinstance(status, DeviceStatus),
        f"{name}: status() returned {status!r}; it must return a possdk.drivers.DeviceStatus",
    )
    assert isinstance(status, DeviceStatus)  # for the type checker: _expect held
    _expect(isinstance(status.online, bool), f"{name}: status().online must be a bool")
    _expect(
        isinstance(status.paper, PaperState),
        f"{name}: status().paper must be a PaperState, got {status.paper!r}",
    )
    for field in ("cover_open", "drawer_open"):
        value = getattr(status, field)
        _expect(
            value is None or isinstance(value, bool),
            f"{name}: status().{field} must be a bool or None, got {value!r}",
        )
    _expect(
        status.scale is None or isinstance(status.scale, ScaleState),
        f"{name}: status().scale must be a ScaleState or None, got {status.scale!r}",
    )
    _expect(isinstance(status.message, str), f"{name}: status().message must be a str")
    return status


# ---- the hardware side -------------------------------------------------------------


class DevicePeer:
    """The hardware side of a device under test: what the contracts ask of it.

    Subclass the peer of your device's kind and implement what your transport
    can do; a method left as it is here skips the tests that need it.
    """

    def unplug(self) -> None:
        """Take the hardware away (close the other end of the pty, drop the socket).

        The device's next operation must raise a DeviceError, and ``status()``
        must say it is offline.
        """
        raise PeerCannot("unplug")

    def go_silent(self) -> None:
        """Stay connected but stop answering: the device must time out, not hang."""
        raise PeerCannot("go_silent")


class PrinterPeer(DevicePeer):
    """A receipt printer's hardware side."""

    def printed(self) -> list[str]:
        """Every text line printed so far, decoded as the printer would print it."""
        raise PeerCannot("printed")

    def cuts(self) -> int:
        """How many times the paper was cut."""
        raise PeerCannot("cuts")

    def kicks(self) -> list[int]:
        """The drawer pins pulsed (2 or 5), one entry per pulse, in order."""
        raise PeerCannot("kicks")

    def set_paper(self, state: PaperState) -> None:
        """Make the paper sensors report ``state``."""
        raise PeerCannot("set_paper")

    def set_cover_open(self, cover_open: bool) -> None:
        """Open or close the printer's cover."""
        raise PeerCannot("set_cover_open")


class DrawerPeer(DevicePeer):
    """A cash drawer's hardware side."""

    def kicks(self) -> int:
        """How many times the drawer was kicked open."""
        raise PeerCannot("kicks")

    def close_by_hand(self) -> None:
        """The cashier pushes the drawer shut (its sensor then says closed)."""
        raise PeerCannot("close_by_hand")


class ScannerPeer(DevicePeer):
    """A barcode scanner's hardware side."""

    def go_silent(self) -> None:
        """Stay connected and send nothing: a scanner nobody scans with."""
        raise PeerCannot("go_silent")

    def send_code(self, code: str) -> None:
        """Send one good scan of ``code``, framed as the scanner frames it."""
        raise PeerCannot("send_code")

    def send_garbage(self) -> None:
        """Send something the device must drop (line noise, a broken frame, a bad check digit)."""
        raise PeerCannot("send_garbage")


class ScalePeer(DevicePeer):
    """A scale's hardware side."""

    def place(self, kilograms: Decimal) -> None:
        """Put ``kilograms`` on the platter and let it settle (a stable gross weight)."""
        raise PeerCannot("place")

    def wobble(self) -> None:
        """Make the weight move: readings are unstable until the next :meth:`place`."""
        raise PeerCannot("wobble")

    def overload(self) -> None:
        """Put more than the capacity on the platter."""
        raise PeerCannot("overload")


class DisplayPeer(DevicePeer):
    """A customer display's hardware side."""

    def go_silent(self) -> None:
        """Stay connected but stop taking bytes (a busy display holding the host off)."""
        raise PeerCannot("go_silent")

    def shown(self) -> tuple[str, ...]:
        """What the display shows now, one string per line (trailing blanks allowed)."""
        raise PeerCannot("shown")


# ---- the contracts -----------------------------------------------------------------


class DeviceContract:
    """What every device must do, whatever its kind; subclass a kind's contract, not this.

    A subclass defines the ``device`` fixture (a fresh device, not opened,
    closed after the test) and the ``peer`` fixture (the hardware side). The
    test methods take only those two, so they can also be called directly.
    """

    kind: ClassVar[DeviceKind]
    """The kind the contract checks."""
    protocol: ClassVar[type[Any]]
    """The kind's protocol class."""
    timeout: ClassVar[float] = 1.0
    """The timeout (seconds) the device fixture builds the device with."""
    slack: ClassVar[float] = 1.0
    """How much longer than :attr:`timeout` the suite waits before calling a device hung."""

    @pytest.fixture
    def device(self) -> Device:
        """A fresh device, not opened; a subclass must override this fixture."""
        raise TypeError(
            f"{type(self).__name__} must define a `device` fixture returning a fresh device "
            f"(see possdk.testing.devices)"
        )

    @pytest.fixture
    def peer(self) -> DevicePeer:
        """The hardware side of the device; a subclass must override this fixture."""
        raise TypeError(
            f"{type(self).__name__} must define a `peer` fixture returning the hardware side "
            f"(see possdk.testing.devices)"
        )

    @property
    def bound(self) -> float:
        """The longest an operation may take when the hardware does not answer."""
        return self.timeout + self.slack

    def exercise(self, device: Any, peer: Any) -> None:
        """Do the kind's main job once (the timeout and unplug tests use it)."""
        raise PeerCannot("exercise")

    # ---- every kind ----------------------------------------------------------------

    def test_implements_the_kind_protocol(self, device: Device, peer: DevicePeer) -> None:
        """The device is a Device and its kind's protocol, built from a spec of that kind."""
        _expect(
            isinstance(device, self.protocol),
            f"{device!r} is not a {self.protocol.__name__}: see possdk.drivers for its members",
        )
        spec = getattr(device, "spec", None)
        _expect(
            isinstance(spec, DeviceSpec),
            f"{device!r}: .spec must be the DeviceSpec it was built from",
        )
        _expect(
            device.spec.kind is self.kind,
            f"{device.spec.name}: its spec's kind is {device.spec.kind.value}, "
            f"not {self.kind.value}",
        )

    def test_open_and_close_are_idempotent(self, device: Device, peer: DevicePeer) -> None:
        """``open`` twice, then ``close`` twice, raise nothing, and it opens again after."""
        device.open()
        device.open()
        _expect(
            _check_status(device, device.status()).online,
            f"{device.spec.name}: status() says offline right after open()",
        )
        device.close()
        device.close()
        device.open()
        _expect(
            _check_status(device, device.status()).online,
            f"{device.spec.name}: status() says offline after close() and open() again",
        )
        device.close()

    def test_status_is_typed(self, device: Device, peer: DevicePeer) -> None:
        """``status()`` returns a DeviceStatus whose fields have their declared types."""
        device.open()
        _check_status(device, device.status())

    def test_unplugged_device_raises_a_device_error_naming_it(
        self, device: Device, peer: DevicePeer
    ) -> None:
        """With the hardware gone: a DeviceError naming the device; status offline; close works."""
        device.open()
        _peer_can(peer.unplug, "unplug")
        with _device_error(device, f"{self.kind.value} work after the hardware was unplugged"):
            self.exercise(device, peer)
        status = _check_status(device, device.status())
        _expect(
            not status.online,
            f"{device.spec.name}: status() says online after the hardware was unplugged",
        )
        device.close()
        device.close()

    def test_a_silent_device_times_out(self, device: Device, peer: DevicePeer) -> None:
        """With the hardware silent: ``status()`` says offline within the timeout, no hang."""
        device.open()
        _peer_can(peer.go_silent, "go silent")
        started = time.monotonic()
        status = _check_status(device, device.status())
        took = time.monotonic() - started
        _expect(
            took <= self.bound,
            f"{device.spec.name}: status() took {took:.2f} s with silent hardware; "
            f"the timeout is {self.timeout} s",
        )
        _expect(
            not status.online,
            f"{device.spec.name}: status() says online though the hardware does not answer",
        )


class ReceiptPrinterContract(DeviceContract):
    """The tests every :class:`~possdk.drivers.ReceiptPrinter` must pass."""

    kind = DeviceKind.RECEIPT_PRINTER
    protocol = ReceiptPrinter
    lines: ClassVar[tuple[str, ...]] = (
        "possdk driver kit",
        "Coffee beans 250 g        189.00",
        "TOTAL                     189.00",
    )
    """What the suite prints (plain ASCII, so every code page prints it)."""

    def exercise(self, device: ReceiptPrinter, peer: PrinterPeer) -> None:
        """Print the suite's lines."""
        device.print_lines(list(self.lines))

    def _printed(self, peer: PrinterPeer, count: int) -> list[str]:
        return [line.rstrip() for line in peer.printed()[-count:]] if count else []

    def test_prints_the_lines_and_cuts_once(
        self, device: ReceiptPrinter, peer: PrinterPeer
    ) -> None:
        """``print_lines`` prints every line, in order, then cuts the paper once."""
        device.open()
        cuts = _peer_can(peer.cuts, "count cuts")
        device.print_lines(list(self.lines))
        want = [line.rstrip() for line in self.lines]
        if not _eventually(lambda: self._printed(peer, len(want)) == want, self.bound):
            _fail(
                f"{device.spec.name}: printed {peer.printed()!r}, expected it to end with {want!r}"
            )
        _expect(
            _eventually(lambda: peer.cuts() == cuts + 1, self.bound),
            f"{device.spec.name}: print_lines(cut=True) cut {peer.cuts() - cuts} times, not once",
        )

    def test_does_not_cut_when_told_not_to(self, device: ReceiptPrinter, peer: PrinterPeer) -> None:
        """``print_lines(cut=False)`` prints without cutting."""
        device.open()
        cuts = _peer_can(peer.cuts, "count cuts")
        device.print_lines(["no cut"], cut=False)
        _eventually(lambda: self._printed(peer, 1) == ["no cut"], self.bound)
        _expect(
            peer.cuts() == cuts,
            f"{device.spec.name}: print_lines(cut=False) cut the paper",
        )

    def test_kicks_the_drawer_exactly_once_per_request(
        self, device: ReceiptPrinter, peer: PrinterPeer
    ) -> None:
        """Each ``kick_drawer(pin)`` pulses that pin once: pin 2 by default, then 5 if asked."""
        device.open()
        before = list(_peer_can(peer.kicks, "count drawer kicks"))
        device.kick_drawer()
        _eventually(lambda: len(peer.kicks()) > len(before), self.bound)
        time.sleep(0.05)  # a second, wrong pulse would arrive now
        _expect(
            peer.kicks() == [*before, 2],
            f"{device.spec.name}: kick_drawer() pulsed {peer.kicks()[len(before) :]!r}, "
            f"expected pin 2 once",
        )
        device.kick_drawer(5)
        _eventually(lambda: len(peer.kicks()) > len(before) + 1, self.bound)
        time.sleep(0.05)
        _expect(
            peer.kicks() == [*before, 2, 5],
            f"{device.spec.name}: kick_drawer(5) pulsed {peer.kicks()[len(before) + 1 :]!r}, "
            f"expected pin 5 once",
        )

    def test_reports_paper_out(self, device: ReceiptPrinter, peer: PrinterPeer) -> None:
        """Paper out is ``paper=PaperState.OUT`` and not ready; paper back in is ready again."""
        device.open()
        _peer_can(lambda: peer.set_paper(PaperState.OUT), "take the paper out")
        status = _check_status(device, device.status())
        _expect(
            status.paper is PaperState.OUT and not status.ready,
            f"{device.spec.name}: with no paper, status() said {status!r}",
        )
        peer.set_paper(PaperState.OK)
        status = _check_status(device, device.status())
        _expect(
            status.paper is not PaperState.OUT and status.ready,
            f"{device.spec.name}: with paper back in, status() said {status!r}",
        )

    def test_reports_an_open_cover(self, device: ReceiptPrinter, peer: PrinterPeer) -> None:
        """An open cover is ``cover_open=True`` and not ready."""
        device.open()
        _peer_can(lambda: peer.set_cover_open(True), "open the cover")
        status = _check_status(device, device.status())
        _expect(
            status.cover_open is True and not status.ready,
            f"{device.spec.name}: with the cover open, status() said {status!r}",
        )
        peer.set_cover_open(False)
        _expect(
            _check_status(device, device.status()).cover_open is not True,
            f"{device.spec.name}: status() still says the cover is open after it was closed",
        )


class CashDrawerContract(DeviceContract):
    """The tests every :class:`~possdk.drivers.CashDrawer` must pass."""

    kind = DeviceKind.CASH_DRAWER
    protocol = CashDrawer

    def exercise(self, device: CashDrawer, peer: DrawerPeer) -> None:
        """Open the drawer."""
        device.open_drawer()

    def test_kicked_exactly_once_per_request(self, device: CashDrawer, peer: DrawerPeer) -> None:
        """Each ``open_drawer()`` kicks the drawer once, no more."""
        device.open()
        before = _peer_can(peer.kicks, "count kicks")
        device.open_drawer()
        _eventually(lambda: peer.kicks() > before, self.bound)
        time.sleep(0.05)
        _expect(
            peer.kicks() == before + 1,
            f"{device.spec.name}: open_drawer() kicked {peer.kicks() - before} times, not once",
        )
        device.open_drawer()
        _eventually(lambda: peer.kicks() > before + 1, self.bound)
        time.sleep(0.05)
        _expect(
            peer.kicks() == before + 2,
            f"{device.spec.name}: a second open_drawer() did not kick exactly once more",
        )

    def test_the_sensor_follows_the_drawer(self, device: CashDrawer, peer: DrawerPeer) -> None:
        """With a sensor: open after ``open_drawer()``, closed after it is pushed shut."""
        device.open()
        if _check_status(device, device.status()).drawer_open is None:
            pytest.skip(f"{device.spec.name} has no drawer sensor (drawer_open is None)")
        device.open_drawer()
        _expect(
            _eventually(lambda: device.status().drawer_open is True, self.bound),
            f"{device.spec.name}: status().drawer_open is not True after open_drawer()",
        )
        _peer_can(peer.close_by_hand, "close the drawer by hand")
        _expect(
            _eventually(lambda: device.status().drawer_open is False, self.bound),
            f"{device.spec.name}: status().drawer_open is not False after the drawer was shut",
        )


class ScannerContract(DeviceContract):
    """The tests every :class:`~possdk.drivers.BarcodeScanner` must pass."""

    kind = DeviceKind.SCANNER
    protocol = BarcodeScanner
    codes: ClassVar[tuple[str, ...]] = ("4006381333931", "96385074")
    """Codes the peer sends (an EAN-13 and an EAN-8, both with good check digits)."""
    settle: ClassVar[float] = 0.2
    """How long the suite waits for a duplicate that should not come."""

    def exercise(self, device: BarcodeScanner, peer: ScannerPeer) -> None:
        """Start reading, then stop."""
        device.start(lambda scan: None)
        device.stop()

    def test_unplugged_device_raises_a_device_error_naming_it(  # type: ignore[override]
        self, device: BarcodeScanner, peer: ScannerPeer
    ) -> None:
        """With the hardware gone: a DeviceError naming it, or offline within the timeout.

        ``start()`` raises the error, or the scanner's reader finds out and
        ``status()`` says offline within the timeout; ``close()`` works after.

        A scanner is never asked anything, so it may learn of a pulled cable only
        when it next reads: the failure can come through ``status()``.
        """
        device.open()
        _peer_can(peer.unplug, "unplug")
        with _device_error(device, "start() after the hardware was unplugged", must_raise=False):
            device.start(lambda scan: None)
            try:
                _eventually(lambda: not device.status().online, self.bound)
            finally:
                device.stop()
        status = _check_status(device, device.status())
        _expect(
            not status.online,
            f"{device.spec.name}: status() says online {self.bound} s after the hardware "
            f"was unplugged while it was reading",
        )
        device.close()
        device.close()

    def test_a_silent_device_times_out(  # type: ignore[override]
        self, device: BarcodeScanner, peer: ScannerPeer
    ) -> None:
        """A silent scanner is an idle one: online past the timeout, and nothing hangs.

        ``start()``, ``status()`` and ``stop()`` each return within the timeout.
        """
        device.open()
        _peer_can(peer.go_silent, "go silent")
        name = device.spec.name
        started = time.monotonic()
        device.start(lambda scan: None)
        took = {"start()": time.monotonic() - started}
        try:
            time.sleep(self.timeout + 0.05)  # a read times out now: nothing came, nothing is wrong
            started = time.monotonic()
            status = _check_status(device, device.status())
            took["status()"] = time.monotonic() - started
        finally:
            started = time.monotonic()
            device.stop()
            took["stop()"] = time.monotonic() - started
        for call, seconds in took.items():
            _expect(
                seconds <= self.bound,
                f"{name}: {call} took {seconds:.2f} s with an idle scanner; "
                f"the timeout is {self.timeout} s",
            )
        _expect(
            status.online,
            f"{name}: status() says offline after {self.timeout} s without a scan "
            f"({status.message!r}); a scanner nobody scans with is online",
        )

    def _collect(self, device: BarcodeScanner) -> tuple[list[Scan], threading.Lock]:
        got: list[Scan] = []
        lock = threading.Lock()

        def on_scan(scan: Scan) -> None:
            with lock:
                got.append(scan)

        device.start(on_scan)
        return got, lock

    def _codes(self, got: list[Scan], lock: threading.Lock) -> list[str]:
        with lock:
            bad = [s for s in got if not isinstance(s, Scan)]
            _expect(not bad, f"on_scan got {bad!r}; it must be called with possdk.drivers.Scan")
            return [s.code for s in got]

    def test_delivers_a_sent_code_exactly_once(
        self, device: BarcodeScanner, peer: ScannerPeer
    ) -> None:
        """Every code sent reaches ``on_scan`` once, as a Scan with the code, in order."""
        device.open()
        got, lock = self._collect(device)
        try:
            for n, code in enumerate(self.codes, start=1):
                _peer_can(lambda code=code: peer.send_code(code), "send a code")  # type: ignore[misc]
                _eventually(lambda n=n: len(self._codes(got, lock)) >= n, self.bound)  # type: ignore[misc]
            time.sleep(self.settle)
            codes = self._codes(got, lock)
        finally:
            device.stop()
        _expect(
            codes == list(self.codes),
            f"{device.spec.name}: sent {list(self.codes)!r}, on_scan got {codes!r}",
        )

    def test_drops_garbage_and_reads_on(self, device: BarcodeScanner, peer: ScannerPeer) -> None:
        """Garbage reaches nobody and does not spoil the next good scan."""
        device.open()
        got, lock = self._collect(device)
        try:
            _peer_can(peer.send_garbage, "send garbage")
            time.sleep(self.settle)
            early = self._codes(got, lock)
            peer.send_code(self.codes[0])
            _eventually(lambda: len(self._codes(got, lock)) > len(early), self.bound)
            time.sleep(self.settle)
            codes = self._codes(got, lock)
        finally:
            device.stop()
        _expect(not early, f"{device.spec.name}: garbage was delivered to on_scan as {early!r}")
        _expect(
            codes == [self.codes[0]],
            f"{device.spec.name}: after garbage, sent {self.codes[0]!r}, on_scan got {codes!r}",
        )

    def test_nothing_is_delivered_after_stop(
        self, device: BarcodeScanner, peer: ScannerPeer
    ) -> None:
        """``stop()`` is idempotent and, once it returns, ``on_scan`` is not called again."""
        device.open()
        got, lock = self._collect(device)
        device.stop()
        device.stop()
        _peer_can(lambda: peer.send_code(self.codes[0]), "send a code")
        time.sleep(self.settle)
        codes = self._codes(got, lock)
        _expect(not codes, f"{device.spec.name}: on_scan got {codes!r} after stop()")


class ScaleContract(DeviceContract):
    """The tests every :class:`~possdk.drivers.Scale` must pass."""

    kind = DeviceKind.SCALE
    protocol = Scale
    weight: ClassVar[Decimal] = Decimal("1.234")
    """A weight the peer puts on the platter."""
    container: ClassVar[Decimal] = Decimal("0.200")
    """A container's weight, for the tare test."""
    resolution: ClassVar[Decimal] = Decimal("0.001")
    """How far a reading may be from the weight placed (the scale's division)."""

    def exercise(self, device: Scale, peer: ScalePeer) -> None:
        """Read the weight."""
        device.read_weight()

    def _read(self, device: Scale) -> WeightReading:
        reading = device.read_weight()
        _expect(
            isinstance(reading, WeightReading)
            and isinstance(reading.kilograms, Decimal)
            and isinstance(reading.state, ScaleState),
            f"{device.spec.name}: read_weight() returned {reading!r}; it must return a "
            f"WeightReading with Decimal kilograms and a ScaleState",
        )
        return reading

    def test_reads_a_stable_weight(self, device: Scale, peer: ScalePeer) -> None:
        """A settled weight is STABLE and within the resolution of what was placed."""
        device.open()
        _peer_can(lambda: peer.place(self.weight), "place a weight")
        reading = self._read(device)
        _expect(
            reading.state is ScaleState.STABLE and reading.stable,
            f"{device.spec.name}: a settled {self.weight} kg read as {reading!r}",
        )
        _expect(
            abs(reading.kilograms - self.weight) <= self.resolution,
            f"{device.spec.name}: placed {self.weight} kg, read {reading.kilograms} kg",
        )

    def test_reports_unstable(self, device: Scale, peer: ScalePeer) -> None:
        """A moving weight is UNSTABLE, never sold as stable."""
        device.open()
        _peer_can(lambda: peer.place(self.weight), "place a weight")
        _peer_can(peer.wobble, "wobble")
        reading = self._read(device)
        _expect(
            reading.state is ScaleState.UNSTABLE and not reading.stable,
            f"{device.spec.name}: a moving weight read as {reading!r}, not UNSTABLE",
        )

    def test_reports_overload(self, device: Scale, peer: ScalePeer) -> None:
        """Over capacity is OVERLOAD, and the scale's status is then not ready."""
        device.open()
        _peer_can(peer.overload, "overload")
        reading = self._read(device)
        _expect(
            reading.state is ScaleState.OVERLOAD and not reading.stable,
            f"{device.spec.name}: an overloaded platter read as {reading!r}, not OVERLOAD",
        )
        status = _check_status(device, device.status())
        _expect(
            status.scale is ScaleState.OVERLOAD and not status.ready,
            f"{device.spec.name}: overloaded, status() said {status!r}",
        )

    def test_tare_takes_off_the_container(self, device: Scale, peer: ScalePeer) -> None:
        """After ``tare()`` with a container on, the reading is the net weight."""
        device.open()
        _peer_can(lambda: peer.place(self.container), "place a weight")
        device.tare()
        peer.place(self.container + self.weight)
        reading = self._read(device)
        _expect(
            reading.stable and abs(reading.kilograms - self.weight) <= self.resolution,
            f"{device.spec.name}: tared {self.container} kg, placed "
            f"{self.container + self.weight} kg, read {reading!r}; expected {self.weight} kg net",
        )

    def test_a_silent_scale_times_out_reading(self, device: Scale, peer: ScalePeer) -> None:
        """With the scale silent, ``read_weight`` raises DeviceTimeoutError within the timeout."""
        device.open()
        _peer_can(peer.go_silent, "go silent")
        started = time.monotonic()
        with _device_error(device, "read_weight() from a silent scale") as caught:
            device.read_weight()
        took = time.monotonic() - started
        _expect(
            isinstance(caught[0], (DeviceTimeoutError, DeviceOfflineError)),
            f"{device.spec.name}: a silent scale raised {type(caught[0]).__name__}; "
            f"raise DeviceTimeoutError",
        )
        _expect(
            took <= self.bound,
            f"{device.spec.name}: read_weight() took {took:.2f} s; the timeout is {self.timeout} s",
        )


class DisplayContract(DeviceContract):
    """The tests every :class:`~possdk.drivers.CustomerDisplay` must pass."""

    kind = DeviceKind.DISPLAY
    protocol = CustomerDisplay

    def exercise(self, device: CustomerDisplay, peer: DisplayPeer) -> None:
        """Show a line."""
        device.show("possdk")

    def test_a_silent_device_times_out(  # type: ignore[override]
        self, device: CustomerDisplay, peer: DisplayPeer
    ) -> None:
        """With the display taking no bytes: ``show()`` and ``status()`` do not hang.

        ``show()`` returns, or raises a DeviceError naming the display, within
        the timeout.

        A display never answers, so its status cannot see silence; what it must
        not do is hang the till, or raise its transport's errors.
        """
        device.open()
        _peer_can(peer.go_silent, "go silent")
        started = time.monotonic()
        with _device_error(device, "show() on a display taking no bytes", must_raise=False):
            self.exercise(device, peer)
        took = time.monotonic() - started
        _expect(
            took <= self.bound,
            f"{device.spec.name}: show() took {took:.2f} s on a display taking no bytes; "
            f"the timeout is {self.timeout} s",
        )
        started = time.monotonic()
        _check_status(device, device.status())
        took = time.monotonic() - started
        _expect(
            took <= self.bound,
            f"{device.spec.name}: status() took {took:.2f} s on a display taking no bytes; "
            f"the timeout is {self.timeout} s",
        )

    def _shown(self, peer: DisplayPeer) -> tuple[str, ...]:
        return tuple(line.rstrip() for line in peer.shown())

    def _wait_for(
        self, device: CustomerDisplay, peer: DisplayPeer, want: tuple[str, ...], doing: str
    ) -> None:
        def matches() -> bool:
            shown = self._shown(peer)
            return shown[: len(want)] == want and not any(shown[len(want) :])

        if not _eventually(matches, self.bound):
            _fail(f"{device.spec.name}: after {doing} the display shows {peer.shown()!r}")

    def test_has_a_width(self, device: CustomerDisplay, peer: DisplayPeer) -> None:
        """``width`` is a positive number of characters."""
        _expect(
            isinstance(device.width, int) and device.width > 0,
            f"{device.spec.name}: width must be a positive int, got {device.width!r}",
        )

    def test_shows_lines(self, device: CustomerDisplay, peer: DisplayPeer) -> None:
        """``show(a, b)`` shows a on the first line and b on the second."""
        device.open()
        _peer_can(peer.shown, "say what it shows")
        device.show("Coffee", "189.00")
        self._wait_for(device, peer, ("Coffee", "189.00"), "show('Coffee', '189.00')")
        device.show("TOTAL")
        self._wait_for(device, peer, ("TOTAL",), "show('TOTAL')")

    def test_cuts_lines_to_its_width(self, device: CustomerDisplay, peer: DisplayPeer) -> None:
        """A line longer than the width is cut to it, and does not spill onto the next line."""
        device.open()
        _peer_can(peer.shown, "say what it shows")
        long = "".join(chr(ord("A") + i % 26) for i in range(device.width + 7))
        device.show(long, "next")
        self._wait_for(device, peer, (long[: device.width], "next"), "show(<a long line>, 'next')")
        _expect(
            all(len(line) <= device.width for line in peer.shown()),
            f"{device.spec.name}: a line wider than {device.width} is shown: {peer.shown()!r}",
        )

    def test_clear_blanks_it(self, device: CustomerDisplay, peer: DisplayPeer) -> None:
        """``clear()`` leaves nothing on the display."""
        device.open()
        _peer_can(peer.shown, "say what it shows")
        device.show("something")
        self._wait_for(device, peer, ("something",), "show('something')")
        device.clear()
        self._wait_for(device, peer, (), "clear()")
