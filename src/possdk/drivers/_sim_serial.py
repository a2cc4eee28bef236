"""Simulated scanners, scales and displays: the real drivers' rules, with no hardware.

They behave as the serial devices do where it matters to an app: a
:class:`SimScanner` validates codes (and raw bytes) exactly as a
:class:`~possdk.drivers.SerialScanner` does, a :class:`SimScale` refuses to
tare an unstable weight and reports net weights, a :class:`SimDisplay` lays
out and transliterates text as a :class:`~possdk.drivers.PoleDisplay` does
and records every frame. Set ``online = False`` to simulate an unplugged
device: its operations then raise :class:`~possdk.errors.DeviceOfflineError`.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from decimal import Decimal

from possdk.core._money import to_decimal
from possdk.drivers._base import DeviceSpec, DeviceStatus, ScaleState, Scan, WeightReading
from possdk.drivers._display import DisplayLayout, fit_line
from possdk.drivers._scale import stable_weight
from possdk.drivers._scanner import ScanValidator, deliver, frame_reader_for
from possdk.errors import (
    DeviceConfigError,
    DeviceError,
    DeviceNotReadyError,
    DeviceOfflineError,
    PossdkError,
)

__all__ = ["SimDisplay", "SimScale", "SimScanner"]


class _SimDevice:
    """Open, close, status and an ``online`` switch, shared by the simulators."""

    spec: DeviceSpec

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.online = True
        """False simulates an unplugged device."""
        self.is_open = False

    def open(self) -> None:
        """Connect (idempotent). Raises DeviceOfflineError while ``online`` is False."""
        self._check_online()
        self.is_open = True

    def close(self) -> None:
        """Disconnect (idempotent)."""
        self.is_open = False

    def status(self) -> DeviceStatus:
        """Online unless switched off."""
        return DeviceStatus(online=self.online)

    def _check_online(self) -> None:
        if not self.online:
            raise DeviceOfflineError(self.spec.name, "the simulated device is unplugged")


class SimScanner(_SimDevice):
    """A scripted scanner: :meth:`scan` a code (or :meth:`feed` raw bytes) as if it were read.

    Options: ``codes`` (comma-separated codes that :meth:`play` delivers),
    and the serial scanner's ``symbologies``, ``terminator``, ``prefix``,
    ``suffix`` and ``max_length``, which validate and frame the same way.
    """

    def __init__(self, spec: DeviceSpec) -> None:
        super().__init__(spec)
        self.validator = ScanValidator.from_spec(spec)
        self._reader = frame_reader_for(spec)
        self.script: deque[str] = deque(
            c for c in spec.options.get("codes", "").split(",") if c.strip()
        )
        """Codes :meth:`play` will deliver, in order."""
        self._on_scan: Callable[[Scan], None] | None = None
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        """True between :meth:`start` and :meth:`stop`."""
        return self._on_scan is not None

    def start(self, on_scan: Callable[[Scan], None]) -> None:
        """Start delivering scans to ``on_scan``."""
        self.open()
        self._on_scan = on_scan

    def stop(self) -> None:
        """Stop delivering (idempotent)."""
        self._on_scan = None

    def close(self) -> None:
        """Stop and disconnect."""
        self.stop()
        super().close()

    def scan(self, code: str) -> bool:
        """Read ``code`` as the serial scanner would; True if it was delivered.

        A code the validator refuses is dropped with a logged warning (False).

        Raises:
            DeviceNotReadyError: :meth:`start` was not called.
            DeviceOfflineError: ``online`` is False.
        """
        on_scan = self._listener()
        checked = self.validator.check(code)
        if checked is None:
            return False
        deliver(self.spec.name, on_scan, Scan(checked, time.monotonic()))
        return True

    def feed(self, data: bytes) -> list[str]:
        """Raw bytes as they would come off the wire, framed and validated; the codes delivered."""
        on_scan = self._listener()
        delivered: list[str] = []
        with self._lock:
            frames = self._reader.feed(data, time.monotonic())
            while self._reader.pop() is not None:
                pass
        for frame in frames:
            code = self.validator.check_bytes(frame)
            if code is not None:
                deliver(self.spec.name, on_scan, Scan(code, time.monotonic()))
                delivered.append(code)
        return delivered

    def play(self, count: int | None = None) -> list[str]:
        """Deliver the next ``count`` scripted codes (all by default); the codes delivered."""
        delivered: list[str] = []
        n = len(self.script) if count is None else min(count, len(self.script))
        for _ in range(n):
            code = self.script.popleft()
            if self.scan(code):
                delivered.append(code)
        return delivered

    def _listener(self) -> Callable[[Scan], None]:
        self._check_online()
        if self._on_scan is None:
            raise DeviceNotReadyError(
                self.spec.name,
                "the scanner is not reading: start(on_scan) it first",
                self.status(),
            )
        return self._on_scan


def _reading(value: WeightReading | Decimal | int | str) -> WeightReading:
    if isinstance(value, WeightReading):
        return value
    return WeightReading(to_decimal(value, "weight"), ScaleState.STABLE)


class SimScale(_SimDevice):
    """A scale with programmable readings.

    :meth:`set_weight` puts goods on the platter; :meth:`queue` scripts the
    next readings (``WeightReading`` or stable kilograms), each returned once
    and then kept as the current weight, so "unstable, unstable, 1.234 kg"
    plays like a settling scale. Weights are exact Decimals; floats are
    refused. Option ``weight`` sets the starting weight (kilograms).
    """

    def __init__(self, spec: DeviceSpec) -> None:
        super().__init__(spec)
        try:
            self._current = _reading(spec.options.get("weight", "0"))
        except PossdkError as exc:
            raise DeviceConfigError(spec.name, f"option weight: {exc}") from exc
        self._queue: deque[WeightReading] = deque()
        self.tare_kilograms = Decimal(0)
        """The tare subtracted from every reading."""
        self.requests = 0
        """How many times the weight was asked for."""

    def set_weight(
        self, kilograms: Decimal | int | str, state: ScaleState = ScaleState.STABLE
    ) -> None:
        """What the platter holds now (gross, before tare), and how settled it is."""
        self._current = WeightReading(to_decimal(kilograms, "weight"), state)
        self._queue.clear()

    def queue(self, *readings: WeightReading | Decimal | int | str) -> None:
        """Script the next readings, in order."""
        self._queue.extend(_reading(r) for r in readings)

    def _gross(self) -> WeightReading:
        self.open()
        self.requests += 1
        if self._queue:
            self._current = self._queue.popleft()
        return self._current

    def read_weight(self) -> WeightReading:
        """The next reading: net of the tare; negative net is under zero."""
        gross = self._gross()
        if gross.state is not ScaleState.STABLE:
            return WeightReading(Decimal(0), gross.state)
        net = gross.kilograms - self.tare_kilograms
        return WeightReading(net, ScaleState.UNDER_ZERO if net < 0 else ScaleState.STABLE)

    def tare(self) -> None:
        """Take the current gross weight as the tare.

        Raises:
            DeviceNotReadyError: the weight is not stable.
        """
        gross = self._gross()
        self.tare_kilograms = stable_weight(gross, self.spec.name)

    def clear_tare(self) -> None:
        """Forget the tare."""
        self.tare_kilograms = Decimal(0)

    def status(self) -> DeviceStatus:
        """Online, with the current reading's state."""
        return DeviceStatus(online=self.online, scale=self._current.state)


class SimDisplay(_SimDevice, DisplayLayout):
    """A customer display that records what it shows.

    :attr:`frames` holds every frame as a list of lines, as the customer
    would read them (cut to the width, transliterated, trailing spaces
    dropped); an empty list is a cleared display. Options: ``width`` (20),
    ``rows`` (2), ``encoding`` (as the pole display's).
    """

    def __init__(self, spec: DeviceSpec) -> None:
        super().__init__(spec)
        try:
            self.width = int(spec.options.get("width", "20"))
            self.rows = int(spec.options.get("rows", "2"))
        except ValueError:
            raise DeviceConfigError(spec.name, "options width and rows are whole numbers") from None
        self.encoding = spec.options.get("encoding", "ascii").lower()
        self.frames: list[list[str]] = []
        """Every frame shown, oldest first."""

    @property
    def current(self) -> list[str]:
        """What is shown now (an empty list when blank)."""
        return self.frames[-1] if self.frames else []

    def show(self, *lines: str) -> None:
        """Show and record up to ``rows`` lines.

        Raises:
            DeviceError: more lines than the display has.
        """
        if len(lines) > self.rows:
            raise DeviceError(
                self.spec.name, f"a {self.rows}-line display shows at most {self.rows} lines"
            )
        self.open()
        self.frames.append([fit_line(line, self.width, self.encoding).rstrip() for line in lines])

    def clear(self) -> None:
        """Blank the display (recorded as an empty frame)."""
        self.open()
        self.frames.append([])

    def shown(self) -> str:
        """The current frame's lines joined with newlines, handy in doctests and logs."""
        return "\n".join(self.current)
