"""Real serial ports without hardware: pseudo-terminals and a fake Toledo scale answering on one."""

from __future__ import annotations

import os
import select
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

from possdk.drivers import DeviceKind, DeviceSpec


@contextmanager
def pty_pair() -> Iterator[tuple[int, str]]:
    """A pseudo-terminal: the master fd (the "device" side) and the slave's path (the port)."""
    master, slave = os.openpty()
    try:
        yield master, os.ttyname(slave)
    finally:
        for fd in (master, slave):
            with suppress(OSError):
                os.close(fd)


def read_master(master: int, want: int, timeout: float = 2.0) -> bytes:
    """Up to ``want`` bytes the port wrote, waiting at most ``timeout`` seconds."""
    data = b""
    deadline = time.monotonic() + timeout
    while len(data) < want and time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.02)
        if ready:
            data += os.read(master, want - len(data))
    return data


def spec(kind: DeviceKind | str, url: str, driver: str) -> DeviceSpec:
    return DeviceSpec.parse(kind, url, driver=driver)


class FakeToledo:
    """A scale on the master side of a pty: answers W and T as ``answer`` says.

    ``answer(command)`` returns the bytes to send back (or None for silence).
    """

    def __init__(self, master: int, answer: Callable[[bytes], bytes | None]) -> None:
        self.master = master
        self.answer = answer
        self.commands: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> FakeToledo:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(2)

    def _run(self) -> None:
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.02)
            if not ready:
                continue
            try:
                data = os.read(self.master, 64)
            except OSError:
                return
            for byte in data:
                command = bytes([byte])
                if command == b"\r":
                    continue
                self.commands.append(command)
                reply = self.answer(command)
                if reply:
                    os.write(self.master, reply)
