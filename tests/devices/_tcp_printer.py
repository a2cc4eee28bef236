"""A network printer stand-in on 127.0.0.1: records bytes per connection, answers DLE EOT,
and can stall (stop reading), stay silent, drop its connections or start listening late."""

from __future__ import annotations

import contextlib
import socket
import threading
import time

OK = 0x12  # DLE EOT 1, 2 and 4 with only their fixed bits: online, cover shut, paper in


class TcpPrinter:
    def __init__(self, *, listening: bool = True) -> None:
        self.connections: list[bytearray] = []
        self.status = {1: OK, 2: OK, 4: OK}
        self.silent = False
        self.stall = threading.Event()
        self._conns: list[socket.socket] = []
        self._threads: list[threading.Thread] = []
        self._lock = threading.Lock()
        self._stopped = False
        # Bound from the start, so no other process can take the port while
        # it is not listening yet (connections are refused until listen()).
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # stalls fill up quickly
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(0.05)
        self.port = sock.getsockname()[1]
        self._server = sock
        if listening:
            self.listen()

    def listen(self) -> None:
        """Start taking connections."""
        sock = self._server
        sock.listen(8)
        thread = threading.Thread(target=self._accept, args=(sock,), daemon=True)
        thread.start()
        self._threads.append(thread)

    @property
    def url(self) -> str:
        return f"escpos+tcp://127.0.0.1:{self.port}"

    def _accept(self, server: socket.socket) -> None:
        while True:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                return  # stopped listening
            conn.settimeout(0.05)  # before drop() can see it: it may close it at once
            data = bytearray()
            with self._lock:
                self.connections.append(data)
                self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn, data), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, conn: socket.socket, data: bytearray) -> None:
        with conn:
            while not self._stopped:
                if self.stall.is_set():
                    time.sleep(0.01)
                    continue
                try:
                    chunk = conn.recv(65536)
                except TimeoutError:
                    continue
                except OSError:
                    return
                if not chunk:
                    return
                with self._lock:
                    data += chunk
                for n in (1, 2, 4):
                    if b"\x10\x04" + bytes([n]) in chunk and not self.silent:
                        try:
                            conn.sendall(bytes([self.answer(n)]))
                        except OSError:
                            return

    def answer(self, n: int) -> int:
        """The printer's answer to DLE EOT ``n`` (a subclass may model more than ``status``)."""
        return self.status[n]

    # ---- what tests do -----------------------------------------------------------------

    @property
    def received(self) -> bytes:
        with self._lock:
            return b"".join(self.connections)

    def kicks(self) -> int:
        return self.received.count(b"\x1bp")

    def wait_for(self, needle: bytes, count: int = 1, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while self.received.count(needle) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} x{count} not received: {self.received[-200:]!r}")
            time.sleep(0.005)

    def drop(self) -> None:
        """Close every open connection, as a printer that restarts does."""
        with self._lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def close(self) -> None:
        self._stopped = True
        self._server.close()
        self.drop()
        for thread in self._threads:
            thread.join(1)
