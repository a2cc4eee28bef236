"""ESC/POS receipt printers and cash drawers: bytes made by python-escpos, sent with timeouts.

A job is rendered to bytes with python-escpos's ``Dummy`` printer (the
printer profile decides code pages, cuts and barcodes), then written through
a small transport of ours (TCP, serial, a device file, or python-escpos's
``Usb``), so possdk knows how many bytes left and can keep its rule for
drawer kicks:

    **A kick is sent at most once per request, and exactly once when the
    printer can be reached.** It is sent again only when nothing of it left
    this computer: the connection could not be made, or the operating system
    refused the very first byte (the connection was already reset). A
    timeout, or a failure after a byte left, is reported as an error and
    never repeated: the drawer may have opened, and opening it twice is worse
    than asking the cashier to press "no sale". Before each write the
    connection is checked: one the printer closed is reopened first, so a
    kick is not written into a dead socket.

python-escpos's import-time side effects are contained: it is imported
lazily, the root logger's handlers and level are restored after the import,
its capabilities pickle goes to possdk's cache directory, and what it prints
to stdout while rendering barcodes and images is dropped.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import pickle
import platform
import re
import socket
import struct
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

import attrs

from possdk.drivers._base import DeviceKind, DeviceSpec, DeviceStatus, PaperState
from possdk.drivers._layout import Cut, ReceiptDocument, TextLine
from possdk.errors import (
    DeviceConfigError,
    DeviceError,
    DeviceNotReadyError,
    DeviceOfflineError,
    DeviceTimeoutError,
)

__all__ = [
    "EscposDrawer",
    "EscposPrinter",
    "PrinterOptions",
    "escpos_job",
    "kick_command",
    "load_escpos",
    "parse_status",
]

log = logging.getLogger(__name__)

DLE_EOT = b"\x10\x04"

# ---- importing python-escpos without its side effects ---------------------------------

_IMPORT_LOCK = threading.Lock()
_STDOUT_LOCK = threading.RLock()
_CHATTER = re.compile(
    r"^(Using .* barcode renderer|No printer's DPI info.*|The media\.width\.pixel field.*"
    r"|The center flag will have no effect\.)$"
)


@contextlib.contextmanager
def quiet_stdout() -> Iterator[None]:
    """Drop what python-escpos prints to stdout; pass anything else on afterwards.

    The swap of ``sys.stdout`` is process-wide, so text another thread prints
    meanwhile is caught too: it is written to the real stdout at the end,
    only python-escpos's own chatter is dropped.
    """
    with _STDOUT_LOCK:
        real = sys.stdout
        caught = io.StringIO()
        sys.stdout = caught
        try:
            yield
        finally:
            sys.stdout = real
            kept = [
                ln for ln in caught.getvalue().splitlines(True) if not _CHATTER.match(ln.strip())
            ]
            if kept:
                real.write("".join(kept))


def _cache_dir() -> str:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    path = Path(base) / "possdk" / "escpos"
    try:
        path.mkdir(parents=True, exist_ok=True, mode=0o700)
        return str(path)
    except OSError:  # no writable home: a private directory of this process
        return tempfile.mkdtemp(prefix="possdk-escpos-")


def _prepare_pickle(directory: str) -> None:
    # python-escpos writes its pickle in place; two processes importing at
    # once (pytest -n 2, two tills) could read a half-written one. Write it
    # ourselves first, atomically; python-escpos then only reads it.
    target = Path(directory) / f"{platform.python_version()}.capabilities.pickle"
    if target.exists():
        return
    try:
        from importlib.resources import files

        source = files("escpos") / "capabilities.json"
        data = json.loads(source.read_text(encoding="utf-8"))
        fd, tmp = tempfile.mkstemp(dir=directory, suffix=".tmp")
        with os.fdopen(fd, "wb") as out:
            pickle.dump(data, out, protocol=2)
        os.replace(tmp, target)
    except (OSError, ValueError, ModuleNotFoundError):  # python-escpos does it itself
        log.debug("could not prepare python-escpos capabilities in %s", directory, exc_info=True)


def load_escpos() -> ModuleType:
    """Import ``escpos.printer`` once, leaving root logging and stdout as they were.

    Raises:
        DeviceConfigError: python-escpos is not installed.
    """
    with _IMPORT_LOCK:
        loaded = sys.modules.get("escpos.printer")
        if loaded is not None:
            return loaded
        root = logging.getLogger()
        handlers, level = list(root.handlers), root.level
        env = "ESCPOS_CAPABILITIES_PICKLE_DIR"
        set_env = env not in os.environ
        try:
            if set_env:
                directory = _cache_dir()
                _prepare_pickle(directory)
                os.environ[env] = directory
            with quiet_stdout():
                import escpos.printer

                printer_module: ModuleType = escpos.printer
        except ImportError as exc:
            raise DeviceConfigError(
                None,
                "ESC/POS printing needs python-escpos: pip install 'possdk[escpos]'",
            ) from exc
        finally:
            if set_env:
                os.environ.pop(env, None)  # read at import only: leave the host's env alone
            for handler in list(root.handlers):
                if handler not in handlers:  # python-escpos calls logging.basicConfig()
                    root.removeHandler(handler)
            root.setLevel(level)
        return printer_module


@contextlib.contextmanager
def _root_logging_kept() -> Iterator[None]:
    # python-escpos's transports log through logging.info(), which configures
    # the root logger when it has no handlers.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
        root.setLevel(level)


# ---- options ----------------------------------------------------------------------------

_CUTS = ("partial", "full", "none")
_QR = ("auto", "native", "image")
_SENSOR = ("none", "high", "low")


def _choice(spec: DeviceSpec, key: str, allowed: tuple[str, ...], default: str) -> str:
    value = spec.options.get(key, default).lower()
    if value not in allowed:
        raise DeviceConfigError(
            spec.name, f"option {key}={value!r}: use one of {', '.join(allowed)}"
        )
    return value


@attrs.frozen
class PrinterOptions:
    """A printer's (or drawer's) options, read from its URL's query.

    Brand quirks live here, per device, never in global code paths:
    ``escpos+tcp://10.0.0.5:9100?profile=TM-T20II&codepage=CP1251&status=off``.
    """

    profile: str | None = None
    """A python-escpos printer profile (``TM-T88V``, ``RP326``); its default when None."""
    codepage: str = "CP866"
    """``CP866`` or ``CP1251`` (or any code page the profile has) for Cyrillic."""
    width: int = 42
    """Characters per line."""
    pin: int = 2
    """The drawer connector pin: 2 or 5."""
    pulse_on_ms: int = 100
    """How long the kick pulse lasts."""
    pulse_off_ms: int = 100
    """The pause after it."""
    timeout: float = 5.0
    """Seconds for each read and write."""
    connect_timeout: float = 3.0
    """Seconds to connect."""
    retries: int = 3
    """Connection attempts before the printer counts as offline."""
    backoff: float = 0.25
    """Seconds before the second attempt, doubling after each (up to 4 s)."""
    cut: str = "partial"
    """``partial``, ``full`` or ``none`` (a printer without a cutter)."""
    qr: str = "auto"
    """``native`` (the printer draws it), ``image`` or ``auto`` (as the profile says)."""
    barcode_width: int = 2
    """Barcode module width in dots (2 to 6)."""
    drawer_sensor: str = "none"
    """What pin 3 reads when the drawer is open: ``high``, ``low``, or ``none`` (no sensor)."""
    status: bool = True
    """Ask DLE EOT status before each job; ``status=off`` for printers that never answer."""
    baudrate: int = 9600
    """Serial speed."""

    @classmethod
    def from_spec(cls, spec: DeviceSpec) -> PrinterOptions:
        """Read and check the options of a spec.

        Raises:
            DeviceConfigError: an unknown value or a number out of range.
        """
        pin = int(spec.option_number("pin", 2, low=2, high=5))
        if pin not in (2, 5):
            raise DeviceConfigError(spec.name, f"option pin={pin}: the drawer pin is 2 or 5")
        timeout = spec.option_number("timeout", 5.0, low=0.01, high=600)
        return cls(
            profile=spec.options.get("profile") or None,
            codepage=spec.options.get("codepage", "CP866").upper(),
            width=int(spec.option_number("width", 42, low=24, high=80)),
            pin=pin,
            pulse_on_ms=int(spec.option_number("pulse_on", 100, low=2, high=510)),
            pulse_off_ms=int(spec.option_number("pulse_off", 100, low=2, high=510)),
            timeout=timeout,
            connect_timeout=spec.option_number(
                "connect_timeout", min(timeout, 3.0), low=0.01, high=600
            ),
            retries=int(spec.option_number("retries", 3, low=1, high=100)),
            backoff=spec.option_number("backoff", 0.25, low=0, high=60),
            cut=_choice(spec, "cut", _CUTS, "partial"),
            qr=_choice(spec, "qr", _QR, "auto"),
            barcode_width=int(spec.option_number("barcode_width", 2, low=2, high=6)),
            drawer_sensor=_choice(spec, "drawer_sensor", _SENSOR, "none"),
            status=_choice(spec, "status", ("on", "off"), "on") == "on",
            baudrate=int(spec.option_number("baudrate", 9600, low=300, high=921600)),
        )


def kick_command(pin: int = 2, pulse_on_ms: int = 100, pulse_off_ms: int = 100) -> bytes:
    """``ESC p m t1 t2``: pulse the drawer connector's pin 2 (m=0) or 5 (m=1).

    The times are in units of 2 ms, as the command counts them.
    """
    if pin not in (2, 5):
        raise DeviceConfigError(None, f"the drawer pin is 2 or 5, got {pin}")
    t1 = max(1, min(255, pulse_on_ms // 2))
    t2 = max(1, min(255, pulse_off_ms // 2))
    return b"\x1bp" + bytes([0 if pin == 2 else 1, t1, t2])


# ---- rendering jobs ------------------------------------------------------------------


def dummy_printer(options: PrinterOptions) -> Any:
    """A python-escpos ``Dummy`` printer with the options' profile."""
    module = load_escpos()
    try:
        return module.Dummy(profile=options.profile)
    except Exception as exc:  # python-escpos raises its own errors for unknown profiles
        raise DeviceConfigError(None, f"python-escpos profile {options.profile!r}: {exc}") from exc


def escpos_job(doc: ReceiptDocument, options: PrinterOptions) -> bytes:
    """A document as the bytes of one print job for a printer with these options."""
    from possdk.drivers._render import render_escpos

    printer = dummy_printer(options)
    render_escpos(
        doc,
        printer,
        codepage=options.codepage,
        cut=options.cut,
        qr=options.qr,
        barcode_width=options.barcode_width,
    )
    return bytes(printer.output)


def lines_document(lines: list[str], *, width: int, cut: bool) -> ReceiptDocument:
    """Plain lines as a document (what :meth:`ReceiptPrinter.print_lines` prints)."""
    blocks: list[TextLine | Cut] = [TextLine(line) for line in lines]
    if cut:
        blocks.append(Cut())
    return ReceiptDocument(tuple(blocks), width=width)


# ---- status --------------------------------------------------------------------------


def parse_status(
    printer: int, offline: int, paper: int, *, drawer_sensor: str = "none"
) -> DeviceStatus:
    """Read the answers to DLE EOT 1 (printer), 2 (offline cause) and 4 (paper sensor)."""
    cover_open = bool(offline & 0x04)
    if paper & 0x60 or offline & 0x20:
        paper_state = PaperState.OUT
    elif paper & 0x0C:
        paper_state = PaperState.LOW
    else:
        paper_state = PaperState.OK
    pin3_high = bool(printer & 0x04)
    drawer_open = None if drawer_sensor == "none" else pin3_high == (drawer_sensor == "high")
    is_offline = bool(printer & 0x08)
    explained = cover_open or paper_state is PaperState.OUT
    message = ""
    if offline & 0x40:
        message = "the printer reports an error (a cutter jam or overheating): check it"
    elif is_offline and not explained:
        message = "the printer says it is offline"
    return DeviceStatus(
        online=not (is_offline and not explained) and not offline & 0x40,
        paper=paper_state,
        cover_open=cover_open,
        drawer_open=drawer_open,
        message=message,
    )


# ---- transports ----------------------------------------------------------------------


class _WriteError(Exception):
    """A write failed; ``sent`` bytes had left (-1: unknown)."""

    def __init__(self, sent: int, cause: BaseException, *, timed_out: bool) -> None:
        super().__init__(str(cause))
        self.sent, self.cause, self.timed_out = sent, cause, timed_out


class _Transport(Protocol):
    can_read: bool

    def write(self, data: bytes) -> None: ...

    def read(self, size: int) -> bytes: ...

    def alive(self) -> bool: ...

    def drain(self) -> None: ...

    def close(self, *, abort: bool = False) -> None: ...


class _Tcp:
    can_read = True

    def __init__(self, address: str, options: PrinterOptions) -> None:
        host, _, port = address.rpartition(":") if ":" in address else (address, "", "9100")
        self.sock = socket.create_connection(
            (host.strip("[]"), int(port)), timeout=options.connect_timeout
        )
        if self.sock.getsockname() == self.sock.getpeername():
            # TCP self-connect: a local port tried while nothing listens on it
            self.sock.close()
            raise ConnectionRefusedError(f"nothing listens on {address}")
        self.sock.settimeout(options.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def write(self, data: bytes) -> None:
        view, sent = memoryview(data), 0
        while sent < len(data):
            try:
                sent += self.sock.send(view[sent:])
            except TimeoutError as exc:
                raise _WriteError(sent, exc, timed_out=True) from exc
            except OSError as exc:
                raise _WriteError(sent, exc, timed_out=False) from exc

    def read(self, size: int) -> bytes:
        data = self.sock.recv(size)
        if not data:
            raise ConnectionResetError("the printer closed the connection")
        return data

    def alive(self) -> bool:
        timeout = self.sock.gettimeout()
        self.sock.setblocking(False)
        try:
            return self.sock.recv(1, socket.MSG_PEEK) != b""  # b"": the printer hung up
        except BlockingIOError:
            return True  # nothing to read: still connected
        except OSError:
            return False
        finally:
            self.sock.settimeout(timeout)

    def drain(self) -> None:
        # Bytes the printer sent on its own (automatic status) would be
        # taken for the answer to the next query.
        timeout = self.sock.gettimeout()
        self.sock.setblocking(False)
        try:
            while self.sock.recv(256):
                pass
        except OSError:
            pass
        finally:
            self.sock.settimeout(timeout)

    def close(self, *, abort: bool = False) -> None:
        if abort:  # discard what was not sent yet: a torn job must not be finished later
            with contextlib.suppress(OSError):
                self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


class _Serial:
    can_read = True

    def __init__(self, address: str, options: PrinterOptions) -> None:
        try:
            import serial
        except ImportError as exc:
            raise DeviceConfigError(
                None, "a serial printer needs pyserial: pip install 'possdk[serial]'"
            ) from exc
        self.serial_errors: tuple[type[BaseException], ...] = (serial.SerialException, OSError)
        self.timeout_error: type[BaseException] = serial.SerialTimeoutException
        self.port = serial.Serial(
            address, options.baudrate, timeout=options.timeout, write_timeout=options.timeout
        )

    def write(self, data: bytes) -> None:
        try:
            self.port.write(data)
            self.port.flush()
        except self.timeout_error as exc:
            raise _WriteError(-1, exc, timed_out=True) from exc
        except self.serial_errors as exc:
            raise _WriteError(-1, exc, timed_out=False) from exc

    def read(self, size: int) -> bytes:
        data: bytes = self.port.read(size)
        if not data:
            raise TimeoutError("no answer on the serial port")
        return data

    def alive(self) -> bool:
        return bool(self.port.is_open)

    def drain(self) -> None:
        self.port.reset_input_buffer()

    def close(self, *, abort: bool = False) -> None:
        if abort:
            with contextlib.suppress(*self.serial_errors):
                self.port.reset_output_buffer()
        self.port.close()


class _File:
    can_read = False

    def __init__(self, address: str, options: PrinterOptions) -> None:
        self.file = open(address, "ab", buffering=0)  # noqa: SIM115 - closed by close()

    def write(self, data: bytes) -> None:
        try:
            self.file.write(data)
        except OSError as exc:
            raise _WriteError(-1, exc, timed_out=False) from exc

    def read(self, size: int) -> bytes:
        raise TimeoutError("a device file cannot be read")

    def alive(self) -> bool:
        return not self.file.closed

    def drain(self) -> None:
        pass

    def close(self, *, abort: bool = False) -> None:
        self.file.close()


class _Usb:
    can_read = True

    def __init__(self, address: str, options: PrinterOptions) -> None:
        vendor, _, product = address.partition(":")
        module = load_escpos()
        try:
            with _root_logging_kept():
                self.printer = module.Usb(
                    int(vendor, 16), int(product, 16), timeout=int(options.timeout * 1000)
                )
                self.printer.open()
        except ValueError as exc:
            raise DeviceConfigError(None, f"a USB address is vendor:product in hex: {exc}") from exc
        except Exception as exc:  # pyusb's and python-escpos's own errors
            raise OSError(f"USB printer {address}: {exc}") from exc

    def write(self, data: bytes) -> None:
        try:
            self.printer._raw(data)
        except Exception as exc:  # pyusb's USBError: how much left is unknown
            timed_out = "timeout" in str(exc).lower()
            raise _WriteError(-1, exc, timed_out=timed_out) from exc

    def read(self, size: int) -> bytes:
        data = bytes(self.printer._read())
        if not data:
            raise TimeoutError("no answer from the USB printer")
        return data[:size]

    def alive(self) -> bool:
        return True

    def drain(self) -> None:
        pass

    def close(self, *, abort: bool = False) -> None:
        with _root_logging_kept():
            self.printer.close()


_TRANSPORTS: dict[str, Callable[[str, PrinterOptions], _Transport]] = {
    "tcp": _Tcp,
    "serial": _Serial,
    "file": _File,
    "usb": _Usb,
}


# ---- one connection, with the rules --------------------------------------------------


class _Link:
    """A device's connection: opened with backoff, checked before use, never double-sent."""

    def __init__(self, spec: DeviceSpec, options: PrinterOptions) -> None:
        if spec.transport not in _TRANSPORTS:
            raise DeviceConfigError(
                spec.name,
                f"the escpos driver speaks over tcp, serial, usb or file, not {spec.transport!r}",
            )
        self.spec, self.options = spec, options
        self.lock = threading.RLock()
        self.transport: _Transport | None = None
        self.sleep: Callable[[float], None] = time.sleep
        self.connections = 0
        """How many times a connection was made (for logs and tests)."""

    def _connect_once(self) -> _Transport:
        transport = _TRANSPORTS[self.spec.transport](self.spec.address, self.options)
        self.connections += 1
        return transport

    def connect(self, *, attempts: int | None = None) -> _Transport:
        """The open transport, reconnecting with backoff if it was dropped."""
        with self.lock:
            if self.transport is not None:
                if self.transport.alive():
                    return self.transport
                log.info("%s: the connection was closed; reconnecting", self.spec.name)
                self.drop()
            tries = attempts or self.options.retries
            delay = self.options.backoff
            last: BaseException | None = None
            for attempt in range(tries):
                if attempt:
                    self.sleep(delay)
                    delay = min(delay * 2, 4.0)
                try:
                    self.transport = self._connect_once()
                    return self.transport
                except DeviceConfigError:
                    raise
                except OSError as exc:
                    last = exc
                    log.debug("%s: attempt %d failed: %s", self.spec.name, attempt + 1, exc)
            where = f"{self.spec.transport}://{self.spec.address}"
            if isinstance(last, TimeoutError):
                raise DeviceTimeoutError(
                    self.spec.name,
                    f"{where} did not answer within {self.options.connect_timeout} s "
                    f"({tries} attempts); is it switched on and on the network?",
                ) from last
            raise DeviceOfflineError(
                self.spec.name,
                f"cannot reach {where} after {tries} attempts: {last}; "
                "check the cable, the power and the address",
            ) from last

    def drop(self, *, abort: bool = False) -> None:
        with self.lock:
            if self.transport is not None:
                transport, self.transport = self.transport, None
                with contextlib.suppress(OSError):
                    transport.close(abort=abort)

    def send(self, data: bytes, what: str) -> None:
        """Write ``data`` once: again only if none of it left (see the module's rule)."""
        with self.lock:
            for attempt in (1, 2):
                transport = self.connect()
                try:
                    transport.write(data)
                    return
                except _WriteError as exc:
                    self.drop(abort=True)
                    if exc.sent == 0 and not exc.timed_out and attempt == 1:
                        log.info("%s: %s not sent (%s); reconnecting", self.spec.name, what, exc)
                        continue
                    self._raise(exc, what, len(data))

    def _raise(self, exc: _WriteError, what: str, size: int) -> None:
        left = "an unknown part" if exc.sent < 0 else f"{exc.sent} of {size} bytes"
        if exc.timed_out:
            raise DeviceTimeoutError(
                self.spec.name,
                f"{what}: no progress within {self.options.timeout} s, {left} sent; "
                "not sent again, so it cannot happen twice",
            ) from exc.cause
        raise DeviceOfflineError(
            self.spec.name,
            f"{what}: the connection failed after {left} was sent ({exc}); "
            "not sent again, so it cannot happen twice",
        ) from exc.cause

    def query(self, command: bytes) -> int:
        """Send a real-time status request and read its one-byte answer."""
        transport = self.connect()
        try:
            transport.write(command)
            return transport.read(1)[0]
        except _WriteError as exc:
            self.drop(abort=True)
            raise DeviceOfflineError(self.spec.name, f"status request failed: {exc}") from exc
        except TimeoutError as exc:
            self.drop(abort=True)
            raise DeviceTimeoutError(
                self.spec.name, f"no answer to a status request within {self.options.timeout} s"
            ) from exc
        except OSError as exc:
            self.drop(abort=True)
            raise DeviceOfflineError(self.spec.name, f"status request failed: {exc}") from exc

    def read_status(self, *, attempts: int | None = None) -> DeviceStatus:
        """Ask DLE EOT 1, 2 and 4; raises DeviceError when it cannot."""
        with self.lock:
            transport = self.connect(attempts=attempts)
            if not (transport.can_read and self.options.status):
                return DeviceStatus(online=True)
            transport.drain()
            answers = [self.query(DLE_EOT + bytes([n])) for n in (1, 2, 4)]
            return parse_status(*answers, drawer_sensor=self.options.drawer_sensor)

    def status(self) -> DeviceStatus:
        try:
            return self.read_status(attempts=1)
        except DeviceError as exc:
            return DeviceStatus(online=False, message=str(exc))


# ---- the devices ---------------------------------------------------------------------


class EscposPrinter:
    """An ESC/POS receipt printer: ``escpos+tcp://10.0.0.5:9100?codepage=CP1251``.

    Thread-safe: the print queue's worker and a drawer kick share one connection.
    """

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.options = PrinterOptions.from_spec(spec)
        self._link = _Link(spec, self.options)

    @property
    def width(self) -> int:
        """Characters per line."""
        return self.options.width

    def open(self) -> None:
        """Connect (with retries and backoff); idempotent."""
        self._link.connect()

    def close(self) -> None:
        """Disconnect; idempotent."""
        self._link.drop()

    def __enter__(self) -> EscposPrinter:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def status(self) -> DeviceStatus:
        """Ask the printer (DLE EOT 1, 2, 4); offline when it cannot be reached or does not answer.

        Over a device file (no way back) it is online with the paper UNKNOWN.
        """
        return self._link.status()

    def print_document(self, doc: ReceiptDocument) -> None:
        """Print a laid-out document.

        Raises:
            DeviceNotReadyError: out of paper or the cover open (nothing was sent).
            DeviceOfflineError: it cannot be reached.
            DeviceTimeoutError: it stopped taking bytes.
        """
        data = escpos_job(doc, self.options)
        with self._link.lock:
            self._check_ready()
            self._link.send(data, f"print {doc.title or 'job'}")

    def print_lines(self, lines: list[str], *, cut: bool = True) -> None:
        """Print plain lines (laid out to the width already), then cut."""
        self.print_document(lines_document(lines, width=self.width, cut=cut))

    def kick_drawer(self, pin: int = 2) -> None:
        """Pulse the drawer pin (2 or 5) once, for the ``pulse_on``/``pulse_off`` times.

        Raises:
            DeviceOfflineError, DeviceTimeoutError: see the module's rule: the
                kick was not sent, or may have been, and is not sent again.
        """
        command = kick_command(pin, self.options.pulse_on_ms, self.options.pulse_off_ms)
        self._link.send(command, f"drawer kick (pin {pin})")

    def raw(self, data: bytes) -> None:
        """Send bytes as they are (a command possdk has no method for); never sent twice."""
        self._link.send(bytes(data), "raw bytes")

    def _check_ready(self) -> None:
        status = self._link.read_status()
        if not status.online:
            raise DeviceOfflineError(self.spec.name, status.message or "the printer is offline")
        if not status.ready:
            why = "out of paper" if status.paper is PaperState.OUT else "its cover is open"
            raise DeviceNotReadyError(self.spec.name, f"the printer is {why}", status)


class EscposDrawer:
    """A cash drawer on its own port that takes ESC/POS kicks (``escpos+serial:///dev/ttyS1``).

    ``drawer_sensor=high`` (or ``low``) reads its open sensor through DLE EOT 1.
    """

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.options = PrinterOptions.from_spec(spec)
        self._link = _Link(spec, self.options)

    def open(self) -> None:
        """Connect (with retries and backoff); idempotent."""
        self._link.connect()

    def close(self) -> None:
        """Disconnect; idempotent."""
        self._link.drop()

    def status(self) -> DeviceStatus:
        """Online, and open or closed when a sensor is configured."""
        with self._link.lock:
            try:
                transport = self._link.connect(attempts=1)
            except DeviceError as exc:
                return DeviceStatus(online=False, message=str(exc))
            if self.options.drawer_sensor == "none" or not transport.can_read:
                return DeviceStatus(online=True)
            try:
                transport.drain()
                answer = self._link.query(DLE_EOT + b"\x01")
            except DeviceError as exc:
                return DeviceStatus(online=False, message=str(exc))
            return DeviceStatus(
                online=True,
                drawer_open=bool(answer & 0x04) == (self.options.drawer_sensor == "high"),
            )

    def open_drawer(self) -> None:
        """Kick it open once (see the module's rule)."""
        command = kick_command(
            self.options.pin, self.options.pulse_on_ms, self.options.pulse_off_ms
        )
        self._link.send(command, f"drawer kick (pin {self.options.pin})")


def create(spec: DeviceSpec) -> EscposPrinter | EscposDrawer:
    """The escpos driver's factory."""
    if spec.kind is DeviceKind.CASH_DRAWER:
        return EscposDrawer(spec)
    return EscposPrinter(spec)
