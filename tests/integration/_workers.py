"""Child processes for the crash and concurrency tests: tills that sell until told to stop.

Run from the repository root as ``python -m tests.integration._workers <command> ...``
(or by path). A worker says each line in one write, so the parent sees a receipt
number the moment ``complete()`` has returned it, and a kill never cuts a line:

- ``ready``: the store is open and the register session attached;
- ``completing <sale_id>``: about to call ``complete()`` (a kill after this and
  before the ``ack`` landed inside it);
- ``ack <number> <kind> <total_minor> <sale_id>``: a completed sale or return;
- ``refused <message>``: a return the store turned down (ReturnError).

Commands:

- ``tills URL``: a fork server for the crash test. It imports and warms up once
  (``warm``), then for each ``start SEED first|again [NUMBER ...]`` line on stdin
  forks a till and says ``pid <pid>``; at the next line (``kill``) it kills the
  till with SIGKILL, reaps it and says ``exit <pid> <code>``. So a restart costs a
  fork and opening the store, not starting Python; the till is still a process of
  its own, and its pid cannot be anyone else's before it is reaped.
- ``till URL SEED [--first] [NUMBER ...]``: one such till without the fork server.
  It opens the store (with the test shop's settings, catalog and operators when
  ``--first``), attaches to the register's open session or opens one, finishes
  any sale a killed predecessor left parked, and sells forever: sales of a few
  lines by cash or card, now and then a return of an earlier sale (the NUMBERs,
  then its own) or a sale parked and resumed.
- ``concurrent URL REGISTER open|attach SEED SALES START_FILE RETURN_OF``: open the
  register's session (``open``) or wait for the one another worker opens
  (``attach``), prepare a return of one unit of line 1 of receipt ``RETURN_OF``,
  report ready, wait for START_FILE to appear, complete the return (or report it
  refused), then complete SALES sales and exit.
- ``open-race URL ROUNDS START_PREFIX``: for each round r, wait for the file
  ``START_PREFIX-r``, then open a session on register ``race-r``: ``opened
  <session_id>``, or ``refused`` when the store says one is open already.

The parent side lives here too: :class:`Worker` starts a worker and reads its
lines as they come, and :func:`audit` reads the tables back with a plain
SQLAlchemy connection (not through possdk) and lists what a crash or a race
could have broken.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import queue
import random
import select
import signal
import subprocess
import sys
import threading
import time
import traceback
import uuid
from collections import Counter, defaultdict
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

if __package__ in (None, ""):  # run by path: make ``tests`` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from possdk import Money, Receipt, RegisterSession, Sale, Store
from possdk.errors import RegisterError, ReturnError

ROOT = Path(__file__).resolve().parents[2]

CRASH_REGISTER = "till-1"
PIECES = ("COFFEE", "BREAD", "MILK", "GUM", "BOOK", "CIGS")
WEIGHED = ("BANANA", "CHEESE")
WEIGHTS = ("0.25", "0.5", "1.125")


def say(*words: object) -> None:
    """Say one protocol line in one ``write(2)``: a kill cannot cut it in half.

    (``print`` writes word by word when stdout is unbuffered, as under PYTHONUNBUFFERED=1.)
    A pipe write under PIPE_BUF bytes is atomic, and a till and its fork server
    share the pipe.
    """
    line = (" ".join(str(w) for w in words) + "\n").encode()
    assert len(line) < select.PIPE_BUF, line
    sys.stdout.flush()
    os.write(sys.stdout.fileno(), line)


def ack(receipt: Receipt) -> None:
    say("ack", receipt.number, receipt.kind.value, receipt.total.minor, receipt.sale_id)


def ring_up(sale: Sale, rng: random.Random, lines: int | None = None) -> None:
    """Add a few lines: pieces, and now and then something weighed."""
    for _ in range(lines or rng.randint(1, 4)):
        if rng.random() < 0.2:
            sale.add(rng.choice(WEIGHED), rng.choice(WEIGHTS))
        else:
            sale.add(rng.choice(PIECES), rng.randint(1, 3))


def settle(sale: Sale, rng: random.Random) -> Receipt:
    """Pay by card, exact cash, or cash with change (refund the same ways), and complete."""
    choice = rng.random()
    if choice < 0.45 and sale.is_return:
        sale.refund()  # back to the tenders that paid the original sale
    elif choice < 0.45:
        sale.pay("card", reference=f"auth-{rng.randrange(10**6):06d}")
    elif choice < 0.7 or sale.is_return:
        sale.pay("cash")
    else:
        sale.pay("cash", "5000")  # more than any basket here: the drawer gives change
    say("completing", sale.id)
    return sale.complete()


def sell_one(session: RegisterSession, rng: random.Random) -> Receipt:
    sale = session.new_sale()
    ring_up(sale, rng)
    return settle(sale, rng)


def park_and_resume(session: RegisterSession, rng: random.Random) -> Receipt:
    sale = session.new_sale()
    ring_up(sale, rng, rng.randint(1, 2))
    sale.suspend()
    resumed = session.resume(sale.id)
    ring_up(resumed, rng, 1)
    return settle(resumed, rng)


def return_some(
    store: Store, session: RegisterSession, sold: list[Receipt], rng: random.Random
) -> Receipt | None:
    """Return what is left of one line of an earlier sale, if anything is."""
    original = rng.choice(sold)
    returned = store.returned_quantities(original.sale_id)
    left = {
        p.line.line_no: p.line.quantity - returned.get(p.line.line_no, Decimal(0))
        for p in original.lines
    }
    left = {line_no: qty for line_no, qty in left.items() if qty > 0}
    if not left:
        sold.remove(original)
        return None
    ret = session.new_return(original, approved_by="super")
    line_no = rng.choice(sorted(left))
    one = left[line_no] >= 1 and rng.random() < 0.5
    ret.return_line(line_no, 1 if one else None)  # one piece, or all that is left
    return settle(ret, rng)


def open_store(url: str, *, first: bool) -> Store:
    if not first:
        return Store.open(url, load_entry_points=False)
    from possdk import Settings
    from tests.conftest import CASHIER, SUPERVISOR, make_catalog

    return Store.open(
        url,
        settings=Settings(currency="UAH", locale="uk_UA"),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        load_entry_points=False,
    )


def warm_up(url: str) -> None:
    """Import and exercise the storage code in a throwaway store, before the till is needed."""
    from possdk import Settings

    if url.startswith("postgresql"):
        import psycopg  # noqa: F401
        import sqlalchemy.dialects.postgresql  # noqa: F401
    Store.open("sqlite://", settings=Settings(currency="UAH"), load_entry_points=False).close()


def till(url: str, seed: int, first: bool, earlier: Sequence[str]) -> None:
    """Sell until killed, or orphaned (see ``till`` in the module docstring)."""
    rng = random.Random(seed)
    parent = os.getppid()
    store = open_store(url, first=first)
    register = store.register(CRASH_REGISTER)
    session = register.session or register.open_session(operator="cashier", opening_float="500")
    for parked in store.suspended_sales():  # left by a till killed between park and resume
        sale = session.resume(parked.sale_id)
        ack(settle(sale, rng))
    sold = [store.receipt(number) for number in earlier]
    say("ready")
    while os.getppid() == parent:  # an orphan (the test is gone) stops selling
        roll = rng.random()
        if roll < 0.15 and sold:
            receipt = return_some(store, session, sold, rng)
            if receipt is None:
                continue
        elif roll < 0.3:
            receipt = park_and_resume(session, rng)
        else:
            receipt = sell_one(session, rng)
        ack(receipt)
        if not receipt.is_return:
            sold.append(receipt)


def tills(url: str) -> None:
    """Fork a till for each ``start`` line; SIGKILL it at the next line, reap it, say so."""
    warm_up(url)
    say("warm")
    while command := sys.stdin.readline():
        word, seed, first, *earlier = command.split()
        assert word == "start", command
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the till sells until killed, and never returns into this loop
            try:
                till(url, int(seed), first == "first", earlier)
            except BaseException:
                traceback.print_exc()
                sys.stderr.flush()
                say("failed")
            os._exit(1)
        say("pid", pid)
        sys.stdin.readline()  # "kill" (or the end of stdin: the test is over)
        # Killed by its parent, which has not reaped it yet: the pid is surely the till's.
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        say("exit", pid, os.waitstatus_to_exitcode(status))


def concurrent(
    url: str, register_id: str, role: str, seed: int, sales: int, start_file: str, return_of: str
) -> None:
    rng = random.Random(seed)
    with Store.open(url, load_entry_points=False) as store:
        register = store.register(register_id)
        if role == "open":
            session = register.open_session(operator="cashier", opening_float="100")
        else:
            deadline = time.monotonic() + 60
            while (found := register.session) is None:
                if time.monotonic() > deadline:
                    raise TimeoutError(f"no session opened on {register_id} within 60 s")
                time.sleep(0.01)
            session = found
        # Built before the start: every worker sees nothing returned yet, so only
        # the store's own check inside the transaction can stop the extra ones.
        ret = session.new_return(store.receipt(return_of), approved_by="super")
        ret.return_line(1, 1)
        ret.refund("card")
        say("ready")
        while not os.path.exists(start_file):
            time.sleep(0.002)
        try:
            ack(ret.complete())
        except ReturnError as exc:
            say("refused", str(exc).replace("\n", " "))
        for _ in range(sales):
            ack(sell_one(session, rng))


def open_race(url: str, rounds: int, start_prefix: str) -> None:
    with Store.open(url, load_entry_points=False) as store:
        say("ready")
        for round_ in range(1, rounds + 1):
            while not os.path.exists(f"{start_prefix}-{round_}"):
                time.sleep(0.001)
            try:
                session = store.register(f"race-{round_}").open_session(operator="cashier")
            except RegisterError:
                say("refused")
            else:
                say("opened", session.id)


# ---- the parent side ------------------------------------------------------------


class Ack(NamedTuple):
    """A receipt a worker was handed back by ``complete()`` and reported."""

    number: str
    kind: str
    total_minor: int
    sale_id: uuid.UUID


def parse_ack(line: str) -> Ack:
    word, number, kind, total, sale_id = line.split()
    assert word == "ack", line
    return Ack(number, kind, int(total), uuid.UUID(sale_id))


class Worker:
    """A worker process seen from the test: it reads the worker's lines as they come.

    Subclasses name their own worker module in ``module``.
    """

    module = "tests.integration._workers"

    def __init__(self, args: Sequence[str], stderr: Path) -> None:
        self.args = list(args)
        self.stderr_path = stderr
        self._stderr = stderr.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", self.module, *self.args],
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
        self._closed = False

    def _read(self) -> None:
        assert self.proc.stdout is not None
        try:
            for line in self.proc.stdout:
                self._lines.put(line)
        finally:
            self._lines.put(None)

    def trouble(self, what: str) -> AssertionError:
        """An error saying what went wrong, with the worker's stderr."""
        self._stderr.flush()
        return AssertionError(
            f"worker {' '.join(self.args)}: {what}\n{self.stderr_path.read_text()}"
        )

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def line(self, timeout: float) -> str:
        """The next line it says (without the newline)."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise self.trouble(f"silent for {timeout} s (a deadlock?)") from None
        if line is None:
            self._lines.put(None)  # still at the end next time
            self.proc.wait()
            raise self.trouble(f"exited with {self.proc.returncode}")
        if not line.endswith("\n"):  # cut short: only whole lines are said
            raise self.trouble(f"said half a line: {line!r}")
        return line[:-1]

    def until(self, word: str, timeout: float) -> list[str]:
        """The lines said before a line that starts with ``word`` (which it drops)."""
        said = []
        deadline = time.monotonic() + timeout
        while not (line := self.line(max(0.0, deadline - time.monotonic()))).startswith(word):
            said.append(line)
        return said

    def finish(self, timeout: float) -> list[str]:
        """Wait for it to exit by itself (successfully) and return what it said."""
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise self.trouble(f"still running after {timeout} s (a deadlock?)") from None
        if self.proc.returncode != 0:
            raise self.trouble(f"exited with {self.proc.returncode}")
        self._reader.join(timeout=30)
        said = []
        while (line := self._lines.get_nowait()) is not None:
            said.append(line.rstrip("\n"))
        return said

    def close(self, grace: float = 0.0) -> None:
        """Close its stdin, give it ``grace`` seconds to end, kill it if it has not, reap it."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(OSError):
            if self.proc.stdin is not None:
                self.proc.stdin.close()
        try:
            self.proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self._reader.join(timeout=30)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._stderr.close()


class Tills:
    """The ``tills`` fork server seen from the test: start a till, kill it, start the next."""

    def __init__(self, url: str, stderr: Path, timeout: float = 60.0) -> None:
        self.timeout = timeout
        self.server = Worker(["tills", url], stderr)
        self.pid: int | None = None
        self.server.until("warm", timeout)

    def _line(self, deadline: float) -> str:
        line = self.server.line(max(0.0, deadline - time.monotonic()))
        if line == "failed":
            raise self.server.trouble("the till failed")
        return line

    def start(self, seed: int, *, first: bool, earlier: Sequence[str]) -> list[str]:
        """Start a till and return what it said before ``ready`` (receipts of parked sales)."""
        assert self.pid is None
        self.server.send(" ".join(["start", str(seed), "first" if first else "again", *earlier]))
        said = []
        ready = False
        deadline = time.monotonic() + self.timeout
        while self.pid is None or not ready:  # the till may say ready before the server says pid
            line = self._line(deadline)
            if line.startswith("pid "):
                self.pid = int(line.split()[1])
            elif line == "ready":
                ready = True
            else:
                said.append(line)
        return said

    def kill(self) -> list[str]:
        """SIGKILL the till now; return what it said since ``ready``."""
        assert self.pid is not None
        pid, self.pid = self.pid, None
        self.server.send("kill")
        said = []
        deadline = time.monotonic() + self.timeout
        while not (line := self._line(deadline)).startswith(f"exit {pid} "):
            said.append(line)
        if line != f"exit {pid} {-signal.SIGKILL}":
            raise self.server.trouble(f"the till ended by itself: {line}")
        return said

    def close(self) -> None:
        """Kill a till still running, then let the server end."""
        try:
            if self.pid is not None:
                self.kill()
        finally:
            self.server.close(grace=10)  # at the end of stdin it kills its till, if any, and ends


class StoredSale(NamedTuple):
    """A sales row, as read back from the table."""

    sale_id: uuid.UUID
    kind: str
    register_id: str
    session_id: uuid.UUID
    total_minor: int


def _uuid(value: object) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _minor(money: dict[str, str]) -> int:
    return Money(money["amount"], money["currency"]).minor


class Audit(NamedTuple):
    """What :func:`audit` read back and found."""

    sales: dict[str, StoredSale]
    """Every sales row by receipt number."""
    journal: Counter[tuple[str, str]]
    """Journal entries per (terminal, type)."""
    problems: list[str]
    """Everything found wrong; empty when all is well."""


def audit(url: str) -> Audit:
    """Read the tables back and list every sale that is half there, every gap and every mismatch.

    What must hold: each sales row has its lines, taxes and tenders as its receipt
    lists them and exactly one SaleCompleted/ReturnCompleted journal entry that names
    it (and no such entry lacks its sale); each session's kept totals equal the sums
    over its sales rows; each register has at most one open session, and its receipt
    numbers are 1..k without gaps or repeats with its counter at k; each terminal's
    journal sequence is 1..n with its head at n; every sale still parked was parked
    once and not resumed.
    """
    import sqlalchemy as sa
    from sqlalchemy.pool import NullPool

    scheme, rest = url.split("://", 1)
    if scheme == "postgresql":
        scheme = "postgresql+psycopg"
    engine = sa.create_engine(f"{scheme}://{rest}", poolclass=NullPool)
    try:
        with engine.connect() as conn:

            def q(sql: str) -> list[Any]:
                return list(conn.execute(sa.text(sql)).all())

            sales_rows = q(
                "SELECT id, number, kind, register_id, session_id, total_minor, receipt FROM sales"
            )
            lines = Counter(_uuid(r[0]) for r in q("SELECT sale_id FROM sale_lines"))
            taxes = Counter(_uuid(r[0]) for r in q("SELECT sale_id FROM sale_taxes"))
            tenders = Counter(_uuid(r[0]) for r in q("SELECT sale_id FROM tenders"))
            journal = q("SELECT terminal_id, seq, type, payload FROM journal")
            heads: dict[str, int] = dict(
                q("SELECT terminal_id, seq FROM journal_heads WHERE seq > 0")
            )
            sessions = q("SELECT id, register_id, totals, closed_at FROM register_sessions")
            counters: dict[str, int] = dict(q("SELECT id, receipt_count FROM registers"))
            parked = q("SELECT count(*) FROM suspended_sales")[0][0]
    finally:
        engine.dispose()

    problems: list[str] = []
    sales: dict[str, StoredSale] = {}
    for sale_id, number, kind, register_id, session_id, total_minor, document in sales_rows:
        sale_id = _uuid(sale_id)
        doc = json.loads(document)
        sales[number] = StoredSale(sale_id, kind, register_id, _uuid(session_id), total_minor)
        expected = {
            "lines": len(doc["totals"]["lines"]) + len(doc["voided_lines"]),
            "taxes": len(doc["totals"]["breakdown"]),
            "tenders": len(doc["tenders"]),
        }
        found = {"lines": lines[sale_id], "taxes": taxes[sale_id], "tenders": tenders[sale_id]}
        if found != expected or not found["lines"] or not found["tenders"]:
            problems.append(f"sale {number} is half there: {found}, its receipt lists {expected}")
        if (doc["number"], _uuid(doc["sale_id"]), _minor(doc["totals"]["total"])) != (
            number,
            sale_id,
            total_minor,
        ):
            problems.append(f"sale {number}: its row and its receipt document disagree")

    entries: dict[str, list[tuple[str, uuid.UUID]]] = defaultdict(list)
    seqs: dict[str, list[int]] = defaultdict(list)
    types: Counter[str] = Counter()
    kinds: Counter[tuple[str, str]] = Counter()
    for terminal, seq, type_, payload in journal:
        seqs[terminal].append(int(seq))
        types[type_] += 1
        kinds[terminal, type_] += 1
        if type_ in ("SaleCompleted", "ReturnCompleted"):
            receipt = json.loads(payload)["receipt"]
            entries[receipt["number"]].append((type_, _uuid(receipt["sale_id"])))
    for number, sale in sales.items():
        want = [("SaleCompleted" if sale.kind == "sale" else "ReturnCompleted", sale.sale_id)]
        if entries.get(number) != want:
            problems.append(f"sale {number}: journal entries {entries.get(number)}, not {want}")
    problems += [f"journal entry for {n} but no sale" for n in entries if n not in sales]
    for terminal, numbers in seqs.items():
        if sorted(numbers) != list(range(1, len(numbers) + 1)):
            problems.append(f"journal of {terminal}: sequence numbers are not 1..{len(numbers)}")
        if int(heads.get(terminal, 0)) != len(numbers):
            problems.append(
                f"journal head of {terminal} at {heads.get(terminal)}, not {len(numbers)}"
            )
    if types["SaleSuspended"] != types["SaleResumed"] + parked:
        problems.append(
            f"{types['SaleSuspended']} sales parked, {types['SaleResumed']} resumed, "
            f"but {parked} still parked"
        )

    by_session: dict[uuid.UUID, list[StoredSale]] = defaultdict(list)
    by_register: dict[str, list[str]] = defaultdict(list)
    for number, sale in sales.items():
        by_session[sale.session_id].append(sale)
        by_register[sale.register_id].append(number)
    still_open = Counter(register_id for _, register_id, _, closed in sessions if closed is None)
    problems += [
        f"{register_id} has {n} open sessions at once"
        for register_id, n in sorted(still_open.items())
        if n > 1
    ]
    for session_id, register_id, totals_json, _ in sessions:
        totals = json.loads(totals_json)
        rows = by_session.get(_uuid(session_id), [])
        kept = (
            totals["sale_count"],
            totals["return_count"],
            _minor(totals["sales"]),
            _minor(totals["returns"]),
        )
        summed = (
            sum(1 for s in rows if s.kind == "sale"),
            sum(1 for s in rows if s.kind == "return"),
            sum(s.total_minor for s in rows if s.kind == "sale"),
            -sum(s.total_minor for s in rows if s.kind == "return"),
        )
        if kept != summed:
            problems.append(
                f"session {session_id} on {register_id} keeps (sales, returns, sold, refunded) "
                f"{kept}, its sales rows add up to {summed}"
            )
    for register_id, kept_numbers in by_register.items():
        k = len(kept_numbers)
        if sorted(kept_numbers) != [f"{register_id}/{i:06d}" for i in range(1, k + 1)]:
            problems.append(f"receipt numbers of {register_id} are not 1..{k} without gaps")
        if counters.get(register_id) != k:
            problems.append(f"{register_id} counted {counters.get(register_id)} receipts, kept {k}")
    problems += [
        f"{register_id} counted {count} receipts, kept none"
        for register_id, count in counters.items()
        if count and register_id not in by_register
    ]
    return Audit(sales, kinds, problems)


def sqlite_integrity(path: Path) -> str:
    """``PRAGMA integrity_check`` of a SQLite file, through its own connection."""
    import sqlite3

    with contextlib.closing(sqlite3.connect(path)) as conn:
        return "\n".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.integration._workers")
    commands = parser.add_subparsers(dest="command", required=True)
    f = commands.add_parser("tills")
    f.add_argument("url")
    c = commands.add_parser("till")
    c.add_argument("url")
    c.add_argument("seed", type=int)
    c.add_argument("--first", action="store_true")
    c.add_argument("earlier", nargs="*")
    k = commands.add_parser("concurrent")
    k.add_argument("url")
    k.add_argument("register")
    k.add_argument("role", choices=("open", "attach"))
    k.add_argument("seed", type=int)
    k.add_argument("sales", type=int)
    k.add_argument("start_file")
    k.add_argument("return_of")
    o = commands.add_parser("open-race")
    o.add_argument("url")
    o.add_argument("rounds", type=int)
    o.add_argument("start_prefix")
    args = parser.parse_args(argv)
    if args.command == "open-race":
        open_race(args.url, args.rounds, args.start_prefix)
    elif args.command == "tills":
        tills(args.url)
    elif args.command == "till":
        till(args.url, args.seed, args.first, args.earlier)
    else:
        concurrent(
            args.url,
            args.register,
            args.role,
            args.seed,
            args.sales,
            args.start_file,
            args.return_of,
        )


if __name__ == "__main__":
    main()
