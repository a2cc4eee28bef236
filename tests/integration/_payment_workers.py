"""Child processes for the store-and-forward kill test: tills that queue offline card payments,
and tills that forward the queue, each killed with SIGKILL at a random moment.

Run from the repository root as ``python -m tests.integration._payment_workers server URL BANK``.
The server imports possdk and warms up once (``warm``), then for each command on
stdin forks a till and says ``pid <pid>``; at the next line (``kill``) it kills the
till with SIGKILL, reaps it and says ``exit <pid> <code>``. So a restart costs a
fork and opening the store, not starting Python. Commands:

- ``queue SEED COUNT``: with the card terminal offline, sell COUNT sales paid by
  card (queued under the store's offline policy). Says ``queued <payment_id>
  <sale_id> <minor>`` when a payment is queued and ``ack <payment_id> <sale_id>``
  when its sale's ``complete()`` returned;
- ``forward``: with the terminal back online, ``store.payments.forward()``; says
  ``forwarded <n>``.

Every till says ``ready`` once its store is open, and ``done`` when its work is
over (it then waits to be killed). Each line goes out in one ``write(2)``, so a
kill never cuts one. The simulated bank keeps its books in the BANK file, which
outlives every till.
"""

from __future__ import annotations

import os
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

if __package__ in (None, ""):  # run by path: make ``tests`` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from possdk import Store
from possdk.payments import CardTerminalSimulator
from tests.integration._workers import say

ROOT = Path(__file__).resolve().parents[2]
REGISTER = "till-1"
ITEMS = ("COFFEE", "BREAD", "MILK", "GUM", "BOOK", "CIGS")


def open_till(url: str, bank: str, *, online: bool) -> tuple[Store, CardTerminalSimulator]:
    sim = CardTerminalSimulator(bank_path=bank)
    sim.online = online
    store = Store.open(url, plugins=[sim], load_entry_points=False)
    return store, sim


def wait_to_be_killed(parent: int) -> None:
    while os.getppid() == parent:  # an orphan (the server is gone) stops waiting
        time.sleep(0.05)


def queue_payments(url: str, bank: str, seed: int, count: int) -> None:
    rng = random.Random(seed)
    store, _ = open_till(url, bank, online=False)
    register = store.register(REGISTER)
    session = register.session or register.open_session(operator="cashier", opening_float="100")
    say("ready")
    for _ in range(count):
        sale = session.new_sale()
        for _ in range(rng.randint(1, 3)):
            sale.add(rng.choice(ITEMS), rng.randint(1, 2))
        tender = sale.pay("card")
        say("queued", tender.payment_id, sale.id, tender.amount.minor)
        receipt = sale.complete()
        say("ack", tender.payment_id, receipt.sale_id)


def forward_payments(url: str, bank: str) -> None:
    store, _ = open_till(url, bank, online=True)
    say("ready")
    sent = store.payments.forward()
    say("forwarded", len(sent))


def server(url: str, bank: str) -> None:
    from possdk import Settings

    Store.open("sqlite://", settings=Settings(currency="UAH"), load_entry_points=False).close()
    say("warm")
    while command := sys.stdin.readline():
        words = command.split()
        sys.stdout.flush()
        sys.stderr.flush()
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the till works, then waits to be killed; never back in this loop
            code = 0
            try:
                if words[0] == "queue":
                    queue_payments(url, bank, int(words[1]), int(words[2]))
                else:
                    assert words == ["forward"], words
                    forward_payments(url, bank)
                say("done")
                wait_to_be_killed(parent)
            except BaseException:
                import traceback

                traceback.print_exc()
                sys.stderr.flush()
                say("failed")
                code = 1
            os._exit(code)
        say("pid", pid)
        sys.stdin.readline()  # "kill" (or the end of stdin: the test is over)
        os.kill(pid, signal.SIGKILL)  # not reaped yet, so the pid is surely the till's
        _, status = os.waitpid(pid, 0)
        say("exit", pid, os.waitstatus_to_exitcode(status))


# ---- the parent side ------------------------------------------------------------


class Tills:
    """The fork server seen from the test: start a till, let it work a while, kill it."""

    def __init__(self, url: str, bank: Path, stderr: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.stderr_path = stderr
        self._stderr = stderr.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tests.integration._payment_workers", "server", url, str(bank)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            if self._line() != "warm":
                raise self.trouble("did not warm up")
        except BaseException:
            self.close()
            raise

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                self._lines.put(line)
        finally:
            self._lines.put(None)

    def trouble(self, what: str) -> AssertionError:
        self._stderr.flush()
        return AssertionError(f"payment till server: {what}\n{self.stderr_path.read_text()}")

    def line(self, timeout: float | None = None) -> str | None:
        """The next line (without the newline); None if ``timeout`` s pass without one."""
        try:
            line = self._lines.get(timeout=self.timeout if timeout is None else timeout)
        except queue.Empty:
            if timeout is not None:
                return None
            raise self.trouble(f"silent for {self.timeout} s (a deadlock?)") from None
        if line is None:
            self._lines.put(None)
            raise self.trouble("the server ended")
        if not line.endswith("\n"):
            raise self.trouble(f"half a line: {line!r}")
        if line == "failed\n":
            raise self.trouble("a till failed")
        return line[:-1]

    def _line(self) -> str:
        line = self.line()
        assert line is not None
        return line

    def _send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def run(self, command: str, delay: float) -> list[str]:
        """Start a till with ``command``, kill it ``delay`` s after it is ready; what it said."""
        self._send(command)
        said: list[str] = []
        pid = None
        while pid is None or "ready" not in said:
            line = self._line()
            if line.startswith("pid "):
                pid = int(line.split()[1])
            else:
                said.append(line)
        deadline = time.monotonic() + delay
        while "done" not in said and (left := deadline - time.monotonic()) > 0:
            if (line := self.line(timeout=left)) is not None:
                said.append(line)
        self._send("kill")
        while not (line := self._line()).startswith(f"exit {pid} "):
            said.append(line)
        if line != f"exit {pid} {-signal.SIGKILL}":
            raise self.trouble(f"the till ended by itself: {line}")
        return said

    def close(self) -> None:
        """Let the server end (at the end of its stdin) and reap it."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


if __name__ == "__main__":
    command, *args = sys.argv[1:]
    assert command == "server", command
    server(*args)
