"""Simulated printers and drawers: real ESC/POS bytes recorded, decoded back to text for tests.

:class:`VirtualPrinter` renders through python-escpos's ``Dummy`` exactly as a
real printer is sent its jobs, keeps every byte, and reads them back
(:func:`decode_escpos`) into the lines a customer would see. Its status is
programmable (paper out, cover open, offline), so the print queue can be
tested without hardware. :class:`SimDrawer` is a drawer with an open sensor.
"""

from __future__ import annotations

import codecs
import threading

import attrs

from possdk.drivers._base import DeviceSpec, DeviceStatus, PaperState
from possdk.drivers._escpos import (
    PrinterOptions,
    dummy_printer,
    kick_command,
    lines_document,
)
from possdk.drivers._layout import ReceiptDocument
from possdk.errors import DeviceNotReadyError, DeviceOfflineError

__all__ = ["Decoded", "SimDrawer", "VirtualPrinter", "decode_escpos"]

ESC, GS, DLE, FS, LF = 0x1B, 0x1D, 0x10, 0x1C, 0x0A


@attrs.frozen
class Decoded:
    """What an ESC/POS byte stream says: its text lines, cuts and drawer kicks."""

    lines: tuple[str, ...]
    """Printed lines (alignment applied as spaces, trailing spaces removed)."""
    cuts: int
    """Paper cuts."""
    kicks: tuple[int, ...]
    """The drawer pin (2 or 5) of each kick, in order."""


def _codec(name: str) -> str:
    try:
        return codecs.lookup(name.lower().replace("_", "-")).name
    except LookupError:
        return "cp437"


def decode_escpos(
    data: bytes, *, width: int = 42, code_pages: dict[int, str] | None = None
) -> Decoded:
    """Read an ESC/POS stream back into text lines, skipping control sequences.

    ``code_pages`` maps ``ESC t n`` numbers to code page names (a
    python-escpos profile's); CP437 until one is selected. A barcode shows as
    its text, centred (as the printer prints it under the bars); images, QR
    codes and feeds show nothing.
    """
    pages = code_pages or {0: "CP437", 17: "CP866", 46: "CP1251"}
    codec = "cp437"
    align = 0
    lines: list[str] = []
    buffer = bytearray()
    cuts = 0
    kicks: list[int] = []

    def place(text: str, how: int) -> str:
        if how == 1:
            return text[:width].center(width).rstrip()
        if how == 2:
            return text[:width].rjust(width)
        return text.rstrip()

    i, n = 0, len(data)
    while i < n:
        b = data[i]
        if b == LF:
            lines.append(place(buffer.decode(codec, errors="replace"), align))
            buffer.clear()
            i += 1
        elif b == ESC and i + 1 < n:
            cmd = data[i + 1]
            if cmd == ord("@"):
                align, codec = 0, "cp437"
                i += 2
            elif cmd == ord("t"):
                codec = _codec(pages.get(data[i + 2], "CP437"))
                i += 3
            elif cmd == ord("a"):
                align = data[i + 2] % 48 if data[i + 2] >= 48 else data[i + 2]
                i += 3
            elif cmd == ord("p"):
                kicks.append(2 if data[i + 2] in (0, 48) else 5)
                i += 5
            elif cmd == ord("*"):  # bit image: m nL nH data
                m, count = data[i + 2], data[i + 3] + 256 * data[i + 4]
                i += 5 + count * (3 if m in (32, 33) else 1)
            elif cmd in b"2<":
                i += 2
            else:  # ESC x n: style, font, feed, spacing ...
                i += 3
        elif b == GS and i + 1 < n:
            cmd = data[i + 1]
            if cmd == ord("V"):
                cuts += 1
                i += 4 if data[i + 2] in (65, 66, 97, 98, 103, 104) else 3
            elif cmd == ord("k"):
                m = data[i + 2]
                if m <= 6:
                    end = data.index(0, i + 3)
                    code, i = data[i + 3 : end], end + 1
                else:
                    size = data[i + 3]
                    code, i = data[i + 4 : i + 4 + size], i + 4 + size
                text = code.decode("ascii", errors="replace")
                if text[:1] == "{" and len(text) > 1:
                    text = text[2:]  # Code 128's code set
                lines.append(place(text, 1))
            elif cmd == ord("(") and i + 4 < n:  # GS ( k / GS ( L: pL pH, then the data
                i += 5 + data[i + 3] + 256 * data[i + 4]
            elif cmd == ord("v") and i + 7 < n:  # GS v 0 m xL xH yL yH, then the raster
                columns = data[i + 4] + 256 * data[i + 5]
                rows = data[i + 6] + 256 * data[i + 7]
                i += 8 + columns * rows
            else:  # GS x n: barcode height, width, HRI, font, size ...
                i += 3
        elif b == DLE and i + 1 < n:
            i += 5 if data[i + 1] == 0x14 else 3  # DLE DC4 (pulse) / DLE EOT n, DLE ENQ n
        elif b == FS:
            i += 2
        elif b < 0x20:
            i += 1
        else:
            buffer.append(b)
            i += 1
    if buffer:
        lines.append(place(buffer.decode(codec, errors="replace"), align))
    return Decoded(tuple(lines), cuts, tuple(kicks))


class VirtualPrinter:
    """A receipt printer that keeps every byte it is sent (``sim://`` receipt printers).

    Status is programmable: set :attr:`paper`, :attr:`cover_open` or
    :attr:`online` and jobs are refused as a real printer refuses them
    (:class:`~possdk.errors.DeviceNotReadyError`, or
    :class:`~possdk.errors.DeviceOfflineError`), with nothing recorded. A
    drawer wired to it opens on a kick (:attr:`drawer_open`) and is shut by
    :meth:`close_drawer_by_hand`.
    """

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.options = PrinterOptions.from_spec(spec)
        self.paper = PaperState.OK
        self.cover_open = False
        self.online = True
        self.drawer_open = False
        self.opened = False
        self._output = bytearray()
        self._jobs: list[bytes] = []
        self._lock = threading.Lock()
        self._printer = dummy_printer(self.options)

    @property
    def width(self) -> int:
        """Characters per line (``width`` option, 42 by default)."""
        return self.options.width

    # ---- Device --------------------------------------------------------------------

    def open(self) -> None:
        """Connect; refused when :attr:`online` is False."""
        if not self.online:
            raise DeviceOfflineError(self.spec.name, "the simulated printer is offline")
        self.opened = True

    def close(self) -> None:
        """Disconnect."""
        self.opened = False

    def status(self) -> DeviceStatus:
        """The programmed status, and the drawer's sensor."""
        if not self.online:
            return DeviceStatus(online=False, message="the simulated printer is offline")
        return DeviceStatus(
            online=True, paper=self.paper, cover_open=self.cover_open, drawer_open=self.drawer_open
        )

    # ---- ReceiptPrinter --------------------------------------------------------------

    def print_document(self, doc: ReceiptDocument) -> None:
        """Render the document to ESC/POS bytes and keep them.

        Raises:
            DeviceOfflineError: :attr:`online` is False.
            DeviceNotReadyError: out of paper or the cover open.
        """
        from possdk.drivers._render import render_escpos

        self._check()
        with self._lock:
            self._printer.clear()
            render_escpos(
                doc,
                self._printer,
                codepage=self.options.codepage,
                cut=self.options.cut,
                qr=self.options.qr,
                barcode_width=self.options.barcode_width,
            )
            self._write(bytes(self._printer.output))

    def print_lines(self, lines: list[str], *, cut: bool = True) -> None:
        """Print plain lines, then cut."""
        self.print_document(lines_document(lines, width=self.width, cut=cut))

    def kick_drawer(self, pin: int = 2) -> None:
        """Pulse the drawer pin; the drawer wired to it opens."""
        if not self.online:
            raise DeviceOfflineError(self.spec.name, "the simulated printer is offline")
        command = kick_command(pin, self.options.pulse_on_ms, self.options.pulse_off_ms)
        with self._lock:
            self._write(command)
            self.drawer_open = True

    def _check(self) -> None:
        status = self.status()
        if not status.online:
            raise DeviceOfflineError(self.spec.name, status.message)
        if not status.ready:
            why = "out of paper" if status.paper is PaperState.OUT else "its cover is open"
            raise DeviceNotReadyError(self.spec.name, f"the printer is {why}", status)

    def _write(self, data: bytes) -> None:
        self._output += data
        self._jobs.append(data)

    # ---- what tests ask ----------------------------------------------------------------

    def close_drawer_by_hand(self) -> None:
        """The cashier pushes the drawer shut."""
        self.drawer_open = False

    @property
    def output(self) -> bytes:
        """Every byte sent so far."""
        with self._lock:
            return bytes(self._output)

    @property
    def jobs(self) -> list[bytes]:
        """The bytes of each job (a document or a kick), in order."""
        with self._lock:
            return list(self._jobs)

    def decoded(self) -> Decoded:
        """Every byte so far, read back."""
        pages = {int(v): k for k, v in self._printer.profile.get_code_pages().items()}
        return decode_escpos(self.output, width=self.width, code_pages=pages)

    def lines(self) -> list[str]:
        """The text printed so far, line by line."""
        return list(self.decoded().lines)

    @property
    def kicks(self) -> list[int]:
        """The pin of each drawer kick sent."""
        return list(self.decoded().kicks)

    @property
    def cuts(self) -> int:
        """How many times the paper was cut."""
        return self.decoded().cuts

    def clear(self) -> None:
        """Forget what was printed."""
        with self._lock:
            self._output.clear()
            self._jobs.clear()


class SimDrawer:
    """A cash drawer with a sensor: a kick opens it, :meth:`close_by_hand` shuts it."""

    def __init__(self, spec: DeviceSpec) -> None:
        self.spec = spec
        self.is_open = False
        self.opens = 0
        """How many times it was kicked open."""
        self.online = True
        self._lock = threading.Lock()

    def open(self) -> None:
        """Connect; refused when :attr:`online` is False."""
        if not self.online:
            raise DeviceOfflineError(self.spec.name, "the simulated drawer is offline")

    def close(self) -> None:
        """Disconnect."""

    def status(self) -> DeviceStatus:
        """Online, and whether the sensor sees it open."""
        if not self.online:
            return DeviceStatus(online=False, message="the simulated drawer is offline")
        return DeviceStatus(online=True, drawer_open=self.is_open)

    def open_drawer(self) -> None:
        """Kick it open (once)."""
        self.open()
        with self._lock:
            self.opens += 1
            self.is_open = True

    def close_by_hand(self) -> None:
        """The cashier pushes it shut."""
        self.is_open = False
