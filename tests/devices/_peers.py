"""The hardware side of possdk's own drivers for the driver kit: a printer (or a drawer) on TCP,
and a scanner, a Toledo scale and a CD5220 pole display on the master side of a pseudo-terminal."""

from __future__ import annotations

import os
import select
import termios
import threading
from decimal import Decimal
from types import TracebackType

from possdk.drivers import PaperState, decode_escpos
from possdk.testing.devices import DisplayPeer, DrawerPeer, PrinterPeer, ScalePeer, ScannerPeer

from ._serial_helpers import FakeToledo
from ._tcp_printer import OK, TcpPrinter

# ---- ESC/POS on TCP ------------------------------------------------------------------------

PAPER_OUT = 0x60  # DLE EOT 4: the paper end sensor
PAPER_LOW = 0x0C  # DLE EOT 4: the paper near-end sensor
PAPER_STOP = 0x20  # DLE EOT 2: printing stopped for want of paper
COVER_OPEN = 0x04  # DLE EOT 2
OFFLINE = 0x08  # DLE EOT 1
PIN_3 = 0x04  # DLE EOT 1: the drawer connector's sensor pin is high


class TcpPrinterPeer(PrinterPeer):
    """A printer on 127.0.0.1: what it printed is decoded from the bytes the stand-in received."""

    def __init__(self, server: TcpPrinter) -> None:
        self.server = server
        self.paper = PaperState.OK
        self.cover_open = False

    def printed(self) -> list[str]:
        return list(decode_escpos(self.server.received).lines)

    def cuts(self) -> int:
        return decode_escpos(self.server.received).cuts

    def kicks(self) -> list[int]:
        return list(decode_escpos(self.server.received).kicks)

    def set_paper(self, state: PaperState) -> None:
        if state is PaperState.UNKNOWN:
            raise ValueError("a printer's paper sensors say OK, LOW or OUT")
        self.paper = state
        self._program()

    def set_cover_open(self, cover_open: bool) -> None:
        self.cover_open = cover_open
        self._program()

    def _program(self) -> None:
        # As a real printer does, it goes offline (DLE EOT 1) and says why (DLE EOT 2).
        out = self.paper is PaperState.OUT
        sensor = PAPER_OUT if out else PAPER_LOW if self.paper is PaperState.LOW else 0
        cause = (PAPER_STOP if out else 0) | (COVER_OPEN if self.cover_open else 0)
        self.server.status = {1: OK | (OFFLINE if cause else 0), 2: OK | cause, 4: OK | sensor}

    def unplug(self) -> None:
        self.server.close()

    def go_silent(self) -> None:
        self.server.silent = True


class DrawerTcpPrinter(TcpPrinter):
    """The stand-in with a drawer wired to it: a kick opens it, and pin 3 reads high while open."""

    def __init__(self) -> None:
        super().__init__()
        self.kicks_when_shut = 0

    def answer(self, n: int) -> int:
        value = super().answer(n)
        if n == 1 and self.kicks() > self.kicks_when_shut:
            value |= PIN_3
        return value


class TcpDrawerPeer(DrawerPeer):
    """A cash drawer behind a printer's port on 127.0.0.1, with an open sensor."""

    def __init__(self, server: DrawerTcpPrinter) -> None:
        self.server = server

    def kicks(self) -> int:
        return len(decode_escpos(self.server.received).kicks)

    def close_by_hand(self) -> None:
        self.server.kicks_when_shut = self.server.kicks()

    def unplug(self) -> None:
        self.server.close()

    def go_silent(self) -> None:
        self.server.silent = True


# ---- serial hardware on a pseudo-terminal ----------------------------------------------------


class PtyHardware:
    """The master side of a pseudo-terminal; the driver opens :attr:`port`.

    The slave is kept open too, so the line stays up between the driver's
    opens, as a real port does. Use as a context manager; :meth:`unplug`
    takes the port away (the driver's next read or write fails).
    """

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.port = os.ttyname(self.slave)
        self._plugged = True

    def __enter__(self) -> PtyHardware:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.unplug()
        os.close(self.slave)

    def stop(self) -> None:
        """Stop what runs on the hardware side (before its end is closed)."""

    def unplug(self) -> None:
        """Close the master: the port's path goes away and the driver's port fails.

        The slave stays open until the context ends, so the pseudo-terminal's
        number is not given to another one that the driver would reopen.
        """
        if self._plugged:
            self._plugged = False
            self.stop()
            os.close(self.master)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)


class PtyScannerPeer(PtyHardware, ScannerPeer):
    """A serial scanner sending each code followed by CR LF."""

    def send_code(self, code: str) -> None:
        self.send(f"{code}\r\n".encode("ascii"))

    def send_garbage(self) -> None:
        # Line noise, and an EAN-13 with a wrong check digit.
        self.send(b"\x07\x00\xfe\xff\r\n4006381333932\r\n")

    def go_silent(self) -> None:
        """Nothing to do: it sends only when something is scanned."""


CAPACITY = Decimal(15)
MOTION, OVER_CAPACITY = 0x61, 0x62  # Toledo status bytes (bits 5 and 6 always set)


class ToledoPeer(PtyHardware, ScalePeer):
    """A Toledo 8217 scale: answers ``W`` with its gross weight, or a status record."""

    def __init__(self) -> None:
        super().__init__()
        self.gross = Decimal(0)
        self.moving = False
        self.silent = False
        self.fake = FakeToledo(self.master, self.answer).__enter__()

    def stop(self) -> None:
        self.fake.__exit__()

    def answer(self, command: bytes) -> bytes | None:
        if self.silent or command != b"W":
            return None
        if self.gross > CAPACITY:
            return b"\x02?" + bytes([OVER_CAPACITY]) + b"\r"
        if self.moving:
            return b"\x02?" + bytes([MOTION]) + b"\r"
        return b"\x02" + f"{self.gross:06.3f}".encode("ascii") + b"\r"

    def place(self, kilograms: Decimal) -> None:
        self.gross, self.moving = kilograms, False

    def wobble(self) -> None:
        self.moving = True

    def overload(self) -> None:
        self.gross, self.moving = CAPACITY + 1, False

    def go_silent(self) -> None:
        self.silent = True


ESC, CLEAR, HOME, CR, LF = 0x1B, 0x0C, 0x0B, 0x0D, 0x0A


class Cd5220Screen:
    """What a 2x20 CD5220 display shows after the bytes fed to it (a partial command waits)."""

    def __init__(self, width: int = 20, rows: int = 2) -> None:
        self.width, self.rows = width, rows
        self.lines = [""] * rows
        self._row, self._column = 0, 0
        self._pending = bytearray()

    def feed(self, data: bytes) -> None:
        self._pending += data
        while self._pending and self._step():
            pass

    def _step(self) -> bool:
        """Run the command at the head of the pending bytes; False if it is not complete."""
        data = self._pending
        b = data[0]
        used = 1
        if b == ESC:
            if len(data) < 2:
                return False
            if data[1] == ord("@"):
                self._clear()
                used = 2
            elif data[1] == ord("t"):
                used = 3
            elif data[1] == ord("Q"):
                end = data.find(CR, 3)
                if len(data) < 3 or end < 0:
                    return False
                row = {ord("A"): 0, ord("B"): 1}.get(data[2])
                if row is not None:  # string mode: the whole line, as sent (a wide one shows)
                    self.lines[row] = data[3:end].decode("latin-1")
                used = end + 1
            else:
                used = 2
            if len(data) < used:
                return False
        elif b == CLEAR:
            self._clear()
        elif b == HOME:
            self._row, self._column = 0, 0
        elif b == CR:
            self._column = 0
        elif b == LF:
            self._row = (self._row + 1) % self.rows
        elif b >= 0x20:
            self._put(chr(b))
        del data[:used]
        return True

    def _clear(self) -> None:
        self.lines = [""] * self.rows
        self._row, self._column = 0, 0

    def _put(self, char: str) -> None:
        # Overwrite mode: the cursor runs on to the next line at the end of one.
        line = self.lines[self._row].ljust(self.width)
        self.lines[self._row] = line[: self._column] + char + line[self._column + 1 :]
        self._column += 1
        if self._column == self.width:
            self._row, self._column = (self._row + 1) % self.rows, 0


class PoleDisplayPeer(PtyHardware, DisplayPeer):
    """A CD5220 pole display reading its port in a thread."""

    def __init__(self) -> None:
        super().__init__()
        self.screen = Cd5220Screen()
        self._lock = threading.Lock()
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="pole-display", daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self._running:
            if not select.select([self.master], [], [], 0.02)[0]:
                continue
            try:
                data = os.read(self.master, 1024)
            except OSError:
                return
            with self._lock:
                self.screen.feed(data)

    def stop(self) -> None:
        self._running = False
        self._thread.join()

    def shown(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self.screen.lines)

    def go_silent(self) -> None:
        """Hold the host off, as a busy display does with flow control: its writes block."""
        termios.tcflow(self.slave, termios.TCOOFF)
