"""Serial transport for scanners, scales and displays: a port with timeouts, reconnects and framing.

pyserial is imported when a port is opened, never at ``import possdk``. A
:class:`SerialLink` opens the port a :class:`~possdk.drivers.DeviceSpec`
names (a device path, ``loop://`` for pyserial's loopback, or a TCP
serial server), bounds every read and write by a timeout, and reopens a port
that failed with exponential backoff before giving up with
:class:`~possdk.errors.DeviceOfflineError`. A :class:`FrameReader` cuts a
byte stream into frames (terminator, prefix, suffix, maximum length) and
drops what does not fit with a logged warning.

Options read from the spec (all optional):

========== ======================================================== =========
option     meaning                                                  default
========== ======================================================== =========
baudrate   bits per second                                          9600
bytesize   5, 6, 7 or 8                                             8
parity     N, E, O, M, S (or none, even, odd, mark, space)          N
stopbits   1, 1.5 or 2                                              1
timeout    seconds a read or write may take                         1
retries    reopen attempts after a failure before going offline     3
backoff    seconds before the first reopen attempt (then doubled)   0.1
========== ======================================================== =========
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import attrs

from possdk.drivers._base import DeviceSpec
from possdk.errors import DeviceConfigError, DeviceOfflineError, DeviceTimeoutError

__all__ = [
    "TERMINATORS",
    "FrameReader",
    "SerialLink",
    "SerialSettings",
    "control_bytes",
]

log = logging.getLogger(__name__)

TERMINATORS: dict[str, bytes] = {
    "CR": b"\r",
    "LF": b"\n",
    "CRLF": b"\r\n",
    "ETX": b"\x03",
    "TAB": b"\t",
    "ANY": b"",  # CR or LF: whichever the device sends (empty frames are skipped)
}
"""Frame terminators by the name an option uses (``terminator=CRLF``)."""

_PARITIES = {
    "N": "N",
    "NONE": "N",
    "E": "E",
    "EVEN": "E",
    "O": "O",
    "ODD": "O",
    "M": "M",
    "MARK": "M",
    "S": "S",
    "SPACE": "S",
}
_STOPBITS = {"1": 1.0, "1.5": 1.5, "2": 2.0}
_NAMED_BYTES = {
    "NUL": b"\x00",
    "STX": b"\x02",
    "ETX": b"\x03",
    "EOT": b"\x04",
    "TAB": b"\t",
    "LF": b"\n",
    "CR": b"\r",
    "GS": b"\x1d",
    "RS": b"\x1e",
}


try:  # a port reconfigured under a vanished device raises termios.error, not OSError
    import termios

    _PORT_ERRORS: tuple[type[Exception], ...] = (termios.error,)
except ImportError:  # pragma: no cover - Windows
    _PORT_ERRORS = ()


def control_bytes(value: str) -> bytes:
    """Read a prefix or suffix option: literal text, or ``+``-joined control names.

    ``"STX"`` is byte 0x02, ``"STX+A"`` is 0x02 then ``A``; anything that is not
    a name is taken literally (percent-encode other control bytes in the URL).
    """
    parts = value.split("+") if "+" in value else [value]
    if all(p in _NAMED_BYTES or len(p) == 1 for p in parts) and any(
        p in _NAMED_BYTES for p in parts
    ):
        return b"".join(_NAMED_BYTES.get(p, p.encode("latin-1")) for p in parts)
    return value.encode("latin-1")


@attrs.frozen
class SerialSettings:
    """How to open a serial port, read from a spec's options by :meth:`from_spec`."""

    url: str
    """What pyserial opens: a device path, ``loop://`` or ``socket://host:port``."""
    baudrate: int = 9600
    """Bits per second."""
    bytesize: int = 8
    """Data bits."""
    parity: str = "N"
    """N, E, O, M or S."""
    stopbits: float = 1.0
    """1, 1.5 or 2."""
    timeout: float = 1.0
    """Seconds a read or a write may take."""
    retries: int = 3
    """Reopen attempts after a failure before the device is offline."""
    backoff: float = 0.1
    """Seconds before the first reopen attempt; doubled each time, at most 5 s."""

    @classmethod
    def from_spec(
        cls, spec: DeviceSpec, *, baudrate: int = 9600, bytesize: int = 8, parity: str = "N"
    ) -> SerialSettings:
        """Read the spec's transport and options; the keyword arguments are the driver's defaults.

        Raises:
            DeviceConfigError: a transport that is not serial, ``loop`` or ``tcp``,
                or an option out of range.
        """
        if spec.transport == "serial":
            url = spec.address
        elif spec.transport == "loop":
            url = "loop://"
        elif spec.transport == "tcp":
            url = f"socket://{spec.address}"
        else:
            raise DeviceConfigError(
                spec.name,
                f"driver {spec.driver!r} talks over serial, loop or tcp, not {spec.transport!r}",
            )
        parity_raw = spec.options.get("parity", parity).upper()
        if parity_raw not in _PARITIES:
            raise DeviceConfigError(spec.name, f"option parity={parity_raw!r}: use N, E, O, M or S")
        stop_raw = spec.options.get("stopbits", "1")
        if stop_raw not in _STOPBITS:
            raise DeviceConfigError(spec.name, f"option stopbits={stop_raw!r}: use 1, 1.5 or 2")
        size = spec.option_number("bytesize", bytesize, low=5, high=8)
        rate = spec.option_number("baudrate", baudrate, low=50, high=4_000_000)
        retries = spec.option_number("retries", 3, low=0, high=100)
        if size != int(size) or rate != int(rate) or retries != int(retries):
            raise DeviceConfigError(spec.name, "baudrate, bytesize and retries are whole numbers")
        return cls(
            url,
            baudrate=int(rate),
            bytesize=int(size),
            parity=_PARITIES[parity_raw],
            stopbits=_STOPBITS[stop_raw],
            timeout=spec.option_number("timeout", 1.0, low=0.001, high=600),
            retries=int(retries),
            backoff=spec.option_number("backoff", 0.1, low=0, high=60),
        )


class SerialLink:
    """One serial port with timeouts and reconnects; opened lazily, closed idempotently.

    ``poll`` is the port's read timeout: :meth:`read_available` waits at most
    that long (a background reader polls, so it notices a stop request), and
    :meth:`read_frame` polls until its own deadline.
    """

    def __init__(self, device: str, settings: SerialSettings, *, poll: float = 0.05) -> None:
        self.device = device
        self.settings = settings
        self.poll = poll
        self._port: Any = None
        self._lock = threading.RLock()
        self._closing = threading.Event()

    # ---- lifecycle ---------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        """True while the port is open."""
        return self._port is not None

    @property
    def port(self) -> Any:
        """The open pyserial port (for ``loop://`` tests and advanced use).

        Raises:
            DeviceOfflineError: the port is not open.
        """
        if self._port is None:
            raise DeviceOfflineError(self.device, "the serial port is not open; open() it first")
        return self._port

    def open(self) -> None:
        """Open the port (idempotent).

        Raises:
            DeviceOfflineError: the port cannot be opened (missing, busy, refused).
        """
        with self._lock:
            if self._port is not None:
                return
            self._closing.clear()
            self._port = self._open_once()

    def _open_once(self) -> Any:
        import serial  # pyserial loads only when a port is opened

        s = self.settings
        try:
            return serial.serial_for_url(
                s.url,
                baudrate=s.baudrate,
                bytesize=s.bytesize,
                parity=s.parity,
                stopbits=s.stopbits,
                timeout=self.poll,  # reads poll; read_frame keeps the deadline
                write_timeout=s.timeout,
            )
        except (serial.SerialException, OSError, ValueError, *_PORT_ERRORS) as exc:
            raise DeviceOfflineError(self.device, f"cannot open {s.url}: {exc}") from exc

    def close(self) -> None:
        """Close the port (idempotent); a reconnect waiting in backoff gives up."""
        self._closing.set()
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except Exception:  # a port that fails to close is gone anyway
                log.warning("%s: closing the serial port failed", self.device, exc_info=True)

    def reconnect(self) -> None:
        """Reopen the port after a failure, waiting ``backoff`` seconds (doubling) between tries.

        Raises:
            DeviceOfflineError: every attempt failed, or :meth:`close` was called meanwhile.
        """
        with self._lock:
            old, self._port = self._port, None
        if old is not None:
            try:
                old.close()
            except Exception:
                log.debug("%s: closing the failed port failed", self.device, exc_info=True)
        delay = self.settings.backoff
        last: Exception | None = None
        for attempt in range(1, self.settings.retries + 1):
            if self._closing.wait(delay):
                raise DeviceOfflineError(self.device, "closed while reconnecting")
            try:
                port = self._open_once()
            except DeviceOfflineError as exc:
                last = exc
                log.warning(
                    "%s: reconnect attempt %d of %d failed: %s",
                    self.device,
                    attempt,
                    self.settings.retries,
                    exc,
                )
                delay = min(delay * 2 or 0.05, 5.0)
                continue
            with self._lock:
                if self._closing.is_set():
                    port.close()
                    raise DeviceOfflineError(self.device, "closed while reconnecting")
                self._port = port
            log.info("%s: reconnected after %d attempt(s)", self.device, attempt)
            return
        raise DeviceOfflineError(
            self.device,
            f"gave up after {self.settings.retries} reconnect attempt(s); "
            f"check the cable and the port ({self.settings.url})",
        ) from last

    # ---- I/O ---------------------------------------------------------------------

    def _io(self, action: str, call: Any) -> Any:
        import serial

        for attempt in (1, 2):
            port = self.port
            try:
                return call(port)
            except serial.SerialTimeoutException as exc:
                raise DeviceTimeoutError(
                    self.device, f"{action} took longer than {self.settings.timeout:g} s"
                ) from exc
            except (serial.SerialException, OSError, *_PORT_ERRORS) as exc:
                if self._closing.is_set():
                    raise DeviceOfflineError(self.device, "the port was closed") from exc
                if attempt == 2:
                    raise DeviceOfflineError(self.device, f"{action} failed: {exc}") from exc
                log.warning("%s: %s failed (%s); reconnecting", self.device, action, exc)
                self.reconnect()
        raise AssertionError("unreachable")  # pragma: no cover

    def write(self, data: bytes) -> None:
        """Write all of ``data`` within the timeout (reconnecting once if the port failed).

        Raises:
            DeviceTimeoutError: the device did not take the bytes in time.
            DeviceOfflineError: the port is gone and could not be reopened.
        """

        def call(port: Any) -> None:
            port.write(data)
            port.flush()

        self._io("writing", call)

    def read_available(self) -> bytes:
        """What arrives within ``poll`` seconds (possibly nothing), reconnecting if the port failed.

        Raises:
            DeviceOfflineError: the port is gone and could not be reopened.
        """

        def call(port: Any) -> bytes:
            first = port.read(1)
            if not first:
                return b""
            waiting = port.in_waiting
            return bytes(first + (port.read(waiting) if waiting else b""))

        return bytes(self._io("reading", call))

    def discard_input(self) -> None:
        """Drop whatever is waiting to be read (a stale reply)."""
        self._io("flushing", lambda port: port.reset_input_buffer())

    def read_frame(self, reader: FrameReader, timeout: float | None = None) -> bytes:
        """The next complete frame ``reader`` cuts from the port, within ``timeout`` seconds.

        Raises:
            DeviceTimeoutError: no complete frame arrived in time.
            DeviceOfflineError: the port is gone and could not be reopened.
        """
        limit = self.settings.timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        while True:
            ready = reader.pop()
            if ready is not None:
                return ready
            now = time.monotonic()
            if now >= deadline:
                raise DeviceTimeoutError(self.device, f"no answer within {limit:g} s")
            chunk = self.read_available()
            if chunk:
                reader.feed(chunk, time.monotonic())


@attrs.define
class FrameReader:
    """Cuts a byte stream into frames; pure (no I/O, no clock), so it can be fuzzed.

    A frame ends at ``terminator`` (``b""`` means CR or LF, whichever comes).
    With a ``prefix``, a frame is what follows the last prefix before the
    terminator; bytes before it are noise or a partial frame and are dropped
    with a warning, as is a terminated frame without the prefix. With a
    ``suffix``, a frame must end with it (it is stripped). Bytes piling up past
    ``max_length`` without a terminator are dropped up to the next terminator.
    With ``frame_timeout``, a partial frame older than that many seconds when
    more bytes arrive is dropped: a scan is a burst, a pause ends it.

    Feed bytes with :meth:`feed`; it returns the complete frames (also kept
    for :meth:`pop`). ``dropped`` counts what was thrown away.
    """

    terminator: bytes = b"\r"
    prefix: bytes = b""
    suffix: bytes = b""
    max_length: int = 256
    frame_timeout: float | None = None
    device: str = ""
    dropped: int = 0
    _buffer: bytearray = attrs.field(factory=bytearray, init=False)
    _skipping: bool = attrs.field(default=False, init=False)
    _skip_tail: bytes = attrs.field(default=b"", init=False)  # a skipped split terminator's start
    _last: float | None = attrs.field(default=None, init=False)
    _ready: list[bytes] = attrs.field(factory=list, init=False)

    def _drop(self, why: str, data: bytes | bytearray) -> None:
        self.dropped += 1
        shown = bytes(data[:40])
        more = "..." if len(data) > 40 else ""
        log.warning("%s: dropped %s: %r%s", self.device or "serial", why, shown, more)

    def reset(self) -> None:
        """Forget a partial frame and any frames not popped yet."""
        self._buffer.clear()
        self._skipping = False
        self._skip_tail = b""
        self._ready.clear()

    def pop(self) -> bytes | None:
        """The oldest complete frame not taken yet, or None."""
        return self._ready.pop(0) if self._ready else None

    def feed(self, data: bytes, now: float | None = None) -> list[bytes]:
        """Add bytes that arrived at monotonic time ``now``; the frames they complete."""
        if (
            self.frame_timeout is not None
            and now is not None
            and self._last is not None
            and (self._buffer or self._skipping)
            and now - self._last > self.frame_timeout
        ):
            if self._buffer:
                self._drop("a partial frame (no terminator before a pause)", self._buffer)
            self._buffer.clear()
            self._skipping = False
            self._skip_tail = b""
        if now is not None:
            self._last = now
        frames: list[bytes] = []
        for piece, ended in self._split(data):
            if self._skipping:
                at = piece.rfind(self.prefix) if self.prefix else -1
                if at >= 0:  # a new frame starts: stop skipping there
                    piece = piece[at:]
                    self._skipping = False
                    self._skip_tail = b""
                else:
                    if ended:
                        self._skipping = False
                        self._skip_tail = b""
                    elif piece:
                        self._skip_tail = (
                            piece[-(len(self.terminator) - 1) :]
                            if len(self.terminator) > 1
                            else b""
                        )
                    continue
            self._buffer += piece
            if ended:
                raw = bytes(self._buffer)
                self._buffer.clear()
                frame = self._unwrap(raw)
                if frame is not None:
                    frames.append(frame)
            elif len(self._buffer) > self.max_length + len(self.prefix) + len(self.suffix):
                at = self._buffer.rfind(self.prefix) if self.prefix else -1
                if at > 0:  # resynchronise on the last prefix: a new frame starts there
                    self._drop("noise or a partial frame before the prefix", self._buffer[:at])
                    del self._buffer[:at]
                if len(self._buffer) > self.max_length + len(self.prefix) + len(self.suffix):
                    self._drop(f"overlong input (over {self.max_length} bytes)", self._buffer)
                    keep = len(self.terminator) - 1
                    self._skip_tail = bytes(self._buffer[-keep:]) if keep > 0 else b""
                    self._buffer.clear()
                    self._skipping = True
        self._ready.extend(frames)
        return frames

    def _split(self, data: bytes) -> list[tuple[bytes, bool]]:
        """``data`` as (piece, ends_a_frame) pairs, with CRLF split across feeds handled."""
        out: list[tuple[bytes, bool]] = []
        term = self.terminator
        if term == b"":
            start = 0
            for i, byte in enumerate(data):
                if byte in (0x0D, 0x0A):
                    out.append((data[start:i], True))
                    start = i + 1
            out.append((data[start:], False))
            return out
        held = self._skip_tail if self._skipping else self._buffer
        if len(term) > 1 and held.endswith(term[:-1]) and data.startswith(term[-1:]):
            # The terminator was split across two reads: the buffer (or, while
            # skipping overlong input, what was skipped last) holds its start.
            if not self._skipping:
                del self._buffer[-(len(term) - 1) :]
            self._skip_tail = b""
            out.append((b"", True))
            data = data[1:]
        parts = data.split(term)
        for part in parts[:-1]:
            out.append((part, True))
        out.append((parts[-1], False))
        return out

    def _unwrap(self, raw: bytes) -> bytes | None:
        frame = raw
        if self.prefix:
            at = frame.rfind(self.prefix)
            if at < 0:
                if frame.strip():
                    self._drop("a frame without its prefix", frame)
                return None
            if at > 0:
                self._drop("noise or a partial frame before the prefix", frame[:at])
            frame = frame[at + len(self.prefix) :]
        if self.suffix:
            if not frame.endswith(self.suffix):
                self._drop("a frame without its suffix", frame)
                return None
            frame = frame[: -len(self.suffix)]
        if not frame:
            return None  # an empty line (a bare CR or LF) is not worth a warning
        if len(frame) > self.max_length:
            self._drop(f"an overlong frame (over {self.max_length} bytes)", frame)
            return None
        return frame
