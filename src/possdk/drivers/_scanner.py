"""Barcode scanners: serial scanners read in a background thread, keyboard wedges by key timing.

Which codes are delivered (:class:`ScanValidator`): a code of digits only
whose length is a GTIN's (8, 12, 13 or 14) must pass its check digit,
whatever else is allowed, because a misread EAN is far likelier than a
Code 128 that happens to look like one. Other codes are delivered only when
the ``symbologies`` option allows them (``symbologies=gtin,code128``):

========= ============================================================
gtin      EAN-8, UPC-A, EAN-13, GTIN-14 with a correct check digit
code128   1 to 48 printable ASCII characters
code39    1 to 43 of ``0-9 A-Z space - . $ / + %``
any       1 to ``max_length`` printable ASCII characters
========= ============================================================

Everything else (noise, partial or overlong frames, wrong check digits) is
dropped with a logged warning; a scanner never raises from its reader thread.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Literal

import attrs

from possdk.core import Gtin
from possdk.drivers._base import DeviceSpec, DeviceStatus, Scan
from possdk.drivers._serial_io import (
    TERMINATORS,
    FrameReader,
    SerialLink,
    SerialSettings,
    control_bytes,
)
from possdk.errors import DeviceConfigError, DeviceError, InvalidBarcodeError

__all__ = [
    "SYMBOLOGIES",
    "KeyboardWedgeBuffer",
    "ScanValidator",
    "SerialScanner",
    "WedgeEvent",
    "frame_reader_for",
]

log = logging.getLogger(__name__)

SYMBOLOGIES = frozenset({"gtin", "code128", "code39", "any"})
"""What the ``symbologies`` option may list."""

_CODE39 = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ -.$/+%")
_GTIN_LENGTHS = frozenset({8, 12, 13, 14})


def _printable(text: str) -> bool:
    return text.isascii() and text.isprintable()


@attrs.frozen
class ScanValidator:
    """Decides which codes a scanner delivers (see the module docstring)."""

    symbologies: frozenset[str] = frozenset({"gtin"})
    """Allowed symbologies: ``gtin``, ``code128``, ``code39``, ``any``."""
    max_length: int = 64
    """The longest code accepted under ``any``."""
    device: str = ""
    """Named in warnings."""

    @classmethod
    def from_spec(cls, spec: DeviceSpec) -> ScanValidator:
        """Read ``symbologies`` and ``max_length`` from the spec's options.

        Raises:
            DeviceConfigError: an unknown symbology or a bad length.
        """
        raw = spec.options.get("symbologies", "gtin")
        names = frozenset(s.strip().lower() for s in raw.split(",") if s.strip())
        unknown = names - SYMBOLOGIES
        if unknown or not names:
            raise DeviceConfigError(
                spec.name,
                f"option symbologies={raw!r}: use a comma-separated list of "
                f"{', '.join(sorted(SYMBOLOGIES))}",
            )
        return cls(names, _max_length(spec), spec.name)

    def check(self, text: str) -> str | None:
        """The code to deliver for ``text`` (surrounding spaces trimmed), or None to drop it."""
        code = text.strip(" ")
        if not code:
            return None
        if code.isascii() and code.isdigit() and len(code) in _GTIN_LENGTHS:
            try:
                return Gtin.parse(code).code
            except InvalidBarcodeError as exc:
                self._warn(code, str(exc))
                return None
        s = self.symbologies
        if "any" in s and len(code) <= self.max_length and _printable(code):
            return code
        if "code128" in s and len(code) <= 48 and _printable(code):
            return code
        if "code39" in s and len(code) <= 43 and set(code) <= _CODE39:
            return code
        allowed = ", ".join(sorted(s))
        self._warn(code, f"not a valid code of the allowed symbologies ({allowed})")
        return None

    def check_bytes(self, frame: bytes) -> str | None:
        """Like :meth:`check`, for a frame as it came off the wire."""
        try:
            text = frame.decode("ascii")
        except UnicodeDecodeError:
            self._warn(repr(frame[:40]), "it holds bytes that are not ASCII")
            return None
        return self.check(text)

    def _warn(self, code: str, why: str) -> None:
        log.warning("%s: dropped scan %s: %s", self.device or "scanner", code[:60], why)


def _max_length(spec: DeviceSpec) -> int:
    raw = spec.options.get("max_length", "64")
    if not raw.isdigit() or not 1 <= int(raw) <= 4096:
        raise DeviceConfigError(spec.name, f"option max_length={raw!r}: use 1 to 4096")
    return int(raw)


def frame_reader_for(spec: DeviceSpec) -> FrameReader:
    """The framing a scanner spec asks for: ``terminator``, ``prefix``, ``suffix``, ``max_length``.

    ``terminator`` is CR, LF, CRLF, ETX, TAB or ANY (CR or LF; the default).
    ``prefix`` and ``suffix`` are literal text or control names (``STX``, ``ETX``).
    ``frame_timeout`` (seconds, default 0.2) drops a partial frame after a pause.

    Raises:
        DeviceConfigError: an unknown terminator or a bad number.
    """
    name = spec.options.get("terminator", "ANY").upper()
    if name not in TERMINATORS:
        raise DeviceConfigError(
            spec.name, f"option terminator={name!r}: use {', '.join(TERMINATORS)}"
        )
    raw_timeout = spec.options.get("frame_timeout", "0.2")
    try:
        frame_timeout = float(raw_timeout)
    except ValueError:
        raise DeviceConfigError(spec.name, f"option frame_timeout={raw_timeout!r}") from None
    return FrameReader(
        TERMINATORS[name],
        prefix=control_bytes(spec.options.get("prefix", "")),
        suffix=control_bytes(spec.options.get("suffix", "")),
        max_length=_max_length(spec),
        frame_timeout=frame_timeout if frame_timeout > 0 else None,
        device=spec.name,
    )


class SerialScanner:
    """A barcode scanner on a serial port (or USB in serial/CDC mode).

    ``serial:///dev/ttyACM0?terminator=CR&prefix=STX`` with driver
    ``serial-scanner``. :meth:`start` opens the port and reads in a daemon
    thread; every good scan goes to ``on_scan`` (pass ``queue.put`` to get a
    queue). A failing port is reopened with backoff; when that gives up the
    scanner goes offline (:meth:`status` says why) and the thread ends.
    Exceptions raised by ``on_scan`` are logged, never fatal to the reader.
    """

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.validator = ScanValidator.from_spec(spec)
        self._framing = frame_reader_for(spec)  # validates the options now
        self.link = SerialLink(spec.name, SerialSettings.from_spec(spec))
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._offline_reason = ""

    def open(self) -> None:
        """Open the port (idempotent). Raises DeviceOfflineError if it cannot."""
        self.link.open()
        self._offline_reason = ""

    def close(self) -> None:
        """Stop reading and close the port (idempotent)."""
        self.stop()
        self.link.close()

    def status(self) -> DeviceStatus:
        """Online while the port is open and the reader (if started) runs."""
        if self._offline_reason:
            return DeviceStatus(online=False, message=self._offline_reason)
        return DeviceStatus(online=self.link.is_open)

    @property
    def running(self) -> bool:
        """True while the reader thread runs."""
        return self._thread is not None and self._thread.is_alive()

    def start(self, on_scan: Callable[[Scan], None]) -> None:
        """Open the port and start the reader thread; ``on_scan`` gets every good scan.

        Raises:
            DeviceOfflineError: the port cannot be opened.
            DeviceError: the scanner is already reading.
        """
        if self.running:
            raise DeviceError(self.spec.name, "the scanner is already reading; stop() it first")
        self.open()
        self._stop.clear()
        reader = frame_reader_for(self.spec)
        self._thread = threading.Thread(
            target=self._run, args=(reader, on_scan), name=f"possdk-scanner-{self.spec.name}"
        )
        self._thread.daemon = True
        self._thread.start()

    def stop(self) -> None:
        """Stop the reader and wait for its thread to end (idempotent)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=self.link.settings.timeout + 5)

    def _run(self, reader: FrameReader, on_scan: Callable[[Scan], None]) -> None:
        while not self._stop.is_set():
            try:
                chunk = self.link.read_available()
            except DeviceError as exc:
                if not self._stop.is_set():
                    self._offline_reason = str(exc)
                    log.error("%s: scanner offline: %s", self.spec.name, exc)
                return
            if not chunk:
                continue
            now = time.monotonic()
            for frame in reader.feed(chunk, now):
                reader.pop()
                code = self.validator.check_bytes(frame)
                if code is not None:
                    deliver(self.spec.name, on_scan, Scan(code, now))


def deliver(device: str, on_scan: Callable[[Scan], None], scan: Scan) -> None:
    """Call ``on_scan``; an exception it raises is logged (a scanner must keep reading)."""
    try:
        on_scan(scan)
    except Exception:
        log.exception("%s: the scan handler failed on %s", device, scan.code)


# ---- keyboard wedge --------------------------------------------------------------


@attrs.frozen
class WedgeEvent:
    """What a :class:`KeyboardWedgeBuffer` makes of keys: a scan, or text a person typed."""

    kind: Literal["scan", "typed"]
    """``"scan"`` (a scanner burst) or ``"typed"`` (keys a person pressed)."""
    text: str
    """The code scanned, or the characters typed (Enter included as ``"\\n"``)."""
    at: float
    """Monotonic time of the last key."""


_ENTER = frozenset({"\r", "\n"})


@attrs.define
class KeyboardWedgeBuffer:
    r"""Tells a keyboard-wedge scanner's bursts from a person typing, by the gaps between keys.

    A wedge scanner "types" its code and presses Enter, with a few
    milliseconds between keys; a person leaves 80 ms or more. Feed every key
    with :meth:`feed` (``"\r"`` or ``"\n"`` for Enter) and its
    ``time.monotonic()``; call :meth:`flush` now and then (from a UI timer)
    so that typing that stops is handed back.

    A burst of at least ``min_length`` keys, each within ``max_gap`` seconds
    of the one before, that ends in Enter, is a scan (validated by
    ``validator``; a burst it refuses is dropped with a warning). Anything
    else is typed text, returned so the app can put it in the focused field.
    Keys arriving after ``max_length`` in one burst make the whole burst typed.

    Defaults: ``max_gap`` 0.05 s (most wedge scanners send a key every 5 to
    20 ms; fast typists seldom go under 60 ms), ``min_length`` 4,
    ``max_length`` 64.
    """

    max_gap: float = 0.05
    min_length: int = 4
    max_length: int = 64
    validator: ScanValidator = attrs.field(factory=ScanValidator)
    _keys: list[tuple[str, float]] = attrs.field(factory=list, init=False)

    def feed(self, char: str, at: float) -> list[WedgeEvent]:
        """Add one key pressed at monotonic time ``at``; the events it completes."""
        out: list[WedgeEvent] = []
        if self._keys and at - self._keys[-1][1] > self.max_gap:
            out += self._typed(len(self._keys))
        self._keys.append((char, at))
        if char in _ENTER:
            out += self._finish()
        return out

    def feed_many(self, keys: Iterable[tuple[str, float]]) -> list[WedgeEvent]:
        """Feed several keys; the events they complete, in order."""
        out: list[WedgeEvent] = []
        for char, at in keys:
            out += self.feed(char, at)
        return out

    def flush(self, now: float) -> list[WedgeEvent]:
        """Hand back keys waiting longer than ``max_gap`` as typed text."""
        if self._keys and now - self._keys[-1][1] > self.max_gap:
            return self._typed(len(self._keys))
        return []

    def _typed(self, count: int) -> list[WedgeEvent]:
        keys, self._keys = self._keys[:count], self._keys[count:]
        if not keys:
            return []
        return [
            WedgeEvent(
                "typed", "".join(c if c not in _ENTER else "\n" for c, _ in keys), keys[-1][1]
            )
        ]

    def _finish(self) -> list[WedgeEvent]:
        """Enter was pressed: the keys since the last slow gap are a scan or typing."""
        keys = self._keys
        self._keys = []
        body = keys[:-1]
        burst = len(body) >= self.min_length and len(body) <= self.max_length
        if burst and all(c not in _ENTER and len(c) == 1 for c, _ in body):
            text = "".join(c for c, _ in body)
            code = self.validator.check(text)
            if code is None:
                return []  # a scanner burst that is not a good code: dropped with a warning
            return [WedgeEvent("scan", code, keys[-1][1])]
        self._keys = keys
        return self._typed(len(keys))
