"""A virtual Acme S1 scale on a pseudo-terminal: the hardware side, for tests and demos.

The driver opens :attr:`VirtualAcmeScale.port` as it would a real serial port;
a thread at the other end answers as the scale does. It is the driver kit's
``peer`` for :class:`~possdk_acme_scale.AcmeScale`.
"""

from __future__ import annotations

import os
import select
import threading
from decimal import Decimal
from types import TracebackType

from possdk.testing.devices import ScalePeer

__all__ = ["VirtualAcmeScale"]

CAPACITY = Decimal("15")


class VirtualAcmeScale(ScalePeer):
    """An Acme S1 scale at the far end of a pseudo-terminal (POSIX only)."""

    def __init__(self) -> None:
        self._master, slave = os.openpty()
        self.port = os.ttyname(slave)
        """The device path the driver opens (``/dev/pts/N``)."""
        self._slave = slave  # kept open so the line stays up between the driver's opens
        self.gross = Decimal(0)
        self.tare_weight = Decimal(0)
        self.moving = False
        self.silent = False
        self._running = True
        self._thread = threading.Thread(target=self._serve, name="virtual-acme", daemon=True)
        self._thread.start()

    def __enter__(self) -> VirtualAcmeScale:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.unplug()

    # ---- what the kit (or a test) does to the scale ---------------------------------

    def place(self, kilograms: Decimal) -> None:
        """Put ``kilograms`` on the platter; it settles at once."""
        self.gross, self.moving = kilograms, False

    def wobble(self) -> None:
        """The weight moves until the next place()."""
        self.moving = True

    def overload(self) -> None:
        """More than the 15 kg capacity."""
        self.gross, self.moving = CAPACITY + 1, False

    def go_silent(self) -> None:
        """Stop answering (the scale hangs)."""
        self.silent = True

    def unplug(self) -> None:
        """Pull the cable: the pseudo-terminal goes away."""
        if self._running:
            self._running = False
            self._thread.join()
            os.close(self._master)
            os.close(self._slave)

    # ---- the scale's firmware ------------------------------------------------------

    def answer(self, command: bytes) -> bytes | None:
        """The scale's answer to one command line (None: no answer)."""
        if self.silent:
            return None
        if command == b"T":
            self.tare_weight = self.gross
            return b"TA\r\n"
        if command == b"Q":
            net = self.gross - self.tare_weight
            state = "OL" if self.gross > CAPACITY else "US" if self.moving else "ST"
            return f"{state},{'+' if net >= 0 else '-'}{abs(net):08.3f}kg\r\n".encode()
        return b"??\r\n"

    def _serve(self) -> None:
        pending = b""
        while self._running:
            if not select.select([self._master], [], [], 0.02)[0]:
                continue
            try:
                pending += os.read(self._master, 1024)
            except OSError:
                return
            while b"\r\n" in pending:
                line, pending = pending.split(b"\r\n", 1)
                reply = self.answer(line.strip())
                if reply is not None:
                    os.write(self._master, reply)
