"""possdk_acme_scale: Acme S1 shop scales on a serial port, as a possdk device driver plugin.

The ``possdk`` entry point registers this module; its ``possdk_devices`` hook
contributes the ``"acme"`` driver, which builds an :class:`AcmeScale` for
``acme+serial:///dev/ttyUSB0?baudrate=9600&timeout=1``.

The Acme S1 protocol: the host sends ``Q`` CR LF and the scale answers with its
net weight, ``ST,+0001.234kg`` CR LF (``ST`` stable, ``US`` unstable, ``OL``
overload); the host sends ``T`` CR LF and the scale takes the weight on the
platter as the tare and answers ``TA`` CR LF.
"""

from __future__ import annotations

import contextlib
import re
import threading
from decimal import Decimal
from typing import Any

import possdk
from possdk.drivers import (
    DeviceDriver,
    DeviceKind,
    DeviceSpec,
    DeviceStatus,
    ScaleState,
    WeightReading,
)
from possdk.errors import (
    DeviceConfigError,
    DeviceError,
    DeviceOfflineError,
    DeviceTimeoutError,
)

__all__ = ["AcmeDriver", "AcmeScale", "parse_answer", "possdk_devices"]

try:  # on POSIX a vanished port can also fail in termios, which is not an OSError
    from termios import error as _TermiosError
except ImportError:  # pragma: no cover - Windows
    _TermiosError = OSError  # type: ignore[misc,assignment]

EOL = b"\r\n"
ANSWER = re.compile(rb"(ST|US|OL),([+-]\d{4}\.\d{3})kg")
STATES = {b"ST": ScaleState.STABLE, b"US": ScaleState.UNSTABLE, b"OL": ScaleState.OVERLOAD}


def parse_answer(line: bytes) -> WeightReading | None:
    """A weight answer as a reading; None if the line is not one."""
    match = ANSWER.fullmatch(line.strip())
    if match is None:
        return None
    kilograms = Decimal(match[2].decode())
    state = STATES[match[1]]
    if state is ScaleState.STABLE and kilograms < 0:
        state = ScaleState.UNDER_ZERO
    return WeightReading(kilograms, state)


class AcmeScale:
    """An Acme S1 scale: :class:`possdk.drivers.Scale` over a serial port.

    URL options: ``baudrate`` (9600) and ``timeout`` (seconds to wait for an
    answer, 1).
    """

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self._port: Any = None
        self._lock = threading.Lock()
        self._last: ScaleState | None = None
        try:
            self._baudrate = int(spec.options.get("baudrate", "9600"))
            self._timeout = float(spec.options.get("timeout", "1"))
        except ValueError as exc:
            raise DeviceConfigError(
                spec.name, f"baudrate and timeout must be numbers: {exc}"
            ) from None

    # ---- Device ----------------------------------------------------------------------

    def open(self) -> None:
        """Open the serial port (nothing if it is open already)."""
        import serial  # loaded when a scale is opened, not when possdk loads the plugin

        with self._lock:
            if self._port is not None:
                return
            try:
                self._port = serial.serial_for_url(
                    self.spec.address,
                    baudrate=self._baudrate,
                    timeout=self._timeout,
                    write_timeout=self._timeout,
                )
            except (serial.SerialException, OSError) as exc:
                raise DeviceOfflineError(
                    self.spec.name, f"cannot open {self.spec.address}: {exc}"
                ) from exc

    def close(self) -> None:
        """Close the port (nothing if it is closed already)."""
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            with contextlib.suppress(OSError):  # the cable is out: nothing left to release
                port.close()

    def status(self) -> DeviceStatus:
        """Ask for the weight: online with its state, or offline with the reason."""
        try:
            reading = self.read_weight()
        except DeviceError as exc:
            return DeviceStatus(online=False, message=str(exc))
        return DeviceStatus(online=True, scale=reading.state)

    # ---- Scale -----------------------------------------------------------------------

    def read_weight(self) -> WeightReading:
        """The net weight now."""
        line = self._ask(b"Q")
        reading = parse_answer(line)
        if reading is None:
            raise DeviceError(self.spec.name, f"the scale answered {line!r}, not a weight")
        self._last = reading.state
        return reading

    def tare(self) -> None:
        """Take the weight on the platter as the tare."""
        line = self._ask(b"T")
        if line.strip() != b"TA":
            raise DeviceError(self.spec.name, f"the scale answered {line!r} to a tare")

    def _ask(self, command: bytes) -> bytes:
        import serial

        with self._lock:
            if self._port is None:
                raise DeviceOfflineError(self.spec.name, "not open: call open() first")
            try:
                self._port.reset_input_buffer()  # a late answer to an earlier question
                self._port.write(command + EOL)
                line: bytes = self._port.read_until(EOL)
            except (serial.SerialException, OSError, _TermiosError) as exc:
                raise DeviceOfflineError(self.spec.name, f"serial port failed: {exc}") from exc
        if not line.endswith(EOL):
            raise DeviceTimeoutError(
                self.spec.name, f"no answer to {command.decode()} within {self._timeout} s"
            )
        return line


class AcmeDriver:
    """The ``"acme"`` driver: scales on serial ports."""

    name = "acme"
    kinds = frozenset({DeviceKind.SCALE})

    def create(self, spec: DeviceSpec) -> AcmeScale:
        """A scale for the spec (not opened yet)."""
        if spec.transport != "serial":
            raise DeviceConfigError(
                spec.name, f"Acme scales are on serial ports; got {spec.transport}://"
            )
        return AcmeScale(spec)


@possdk.hookimpl
def possdk_devices() -> list[DeviceDriver]:
    """The acme driver."""
    return [AcmeDriver()]
