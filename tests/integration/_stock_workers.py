"""Child processes for the stock concurrency test: tills that race for the last units of an item.

Run from the repository root as ``python -m tests.integration._stock_workers
sellers URL START_FILE SPEC ...``. The process imports and warms up once
(``warm``), then forks one seller per SPEC (so 16 sellers cost one Python
start, not 16; each is still a process of its own with its own connections).
A SPEC is ``REGISTER=LINES`` with LINES the quantities of ``GUM`` on each
line (``till-3=1``, ``till-4=2``, ``till-5=1+1``: two lines of one), and a
trailing ``!`` to pay before the start (``till-6=1!``).

Each seller opens a session on its own register, rings its lines up, takes the
cash (only a ``!`` seller, so its sale can be stopped by nothing but the
store's check inside the completing transaction), says ``ready REGISTER`` and
waits for START_FILE. Then it pays (if it has not) and completes, and says one
line, each in one write:

- ``ack REGISTER NUMBER QUANTITY SALE_ID``: completed; the receipt's number,
  the units it sold and its sale id;
- ``refused REGISTER pay|complete``: InsufficientStockError at that call (the
  sale is then voided, giving the cash back).

When every seller has ended the process says ``exit REGISTER CODE`` for each
(``failed REGISTER`` first, with a traceback on stderr, for one that broke)
and then ``done``.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
from collections.abc import Sequence
from decimal import Decimal

if __package__ in (None, ""):  # run by path: make ``tests`` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from possdk import Store
from possdk.errors import InsufficientStockError
from tests.integration._workers import Worker, say, warm_up

ITEM = "GUM"
START_WAIT_S = 120.0  # a seller whose test is gone stops waiting and ends


def parse_spec(spec: str) -> tuple[str, list[Decimal], bool]:
    """``"till-5=1+1!"`` -> ``("till-5", [1, 1], True)``."""
    register, _, lines = spec.partition("=")
    prepaid = lines.endswith("!")
    return register, [Decimal(q) for q in lines.rstrip("!").split("+")], prepaid


def seller(url: str, spec: str, start_file: str) -> None:
    register, lines, prepaid = parse_spec(spec)
    with Store.open(url, load_entry_points=False) as store:
        session = store.register(register).open_session(operator="cashier", opening_float="0")
        sale = session.new_sale()
        for qty in lines:
            sale.add(ITEM, qty)
        if prepaid:  # nothing is sold yet: the check before the first tender passes
            sale.pay("cash")
        say("ready", register)
        deadline = time.monotonic() + START_WAIT_S
        while not os.path.exists(start_file):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{start_file} did not appear within {START_WAIT_S} s")
            time.sleep(0.001)
        stage = "pay"
        try:
            if not prepaid:
                sale.pay("cash")
            stage = "complete"
            receipt = sale.complete()
        except InsufficientStockError:
            sale.void(reason="out of stock", approved_by="super")
            say("refused", register, stage)
        else:
            say("ack", register, receipt.number, sum(lines), receipt.sale_id)


def sellers(url: str, start_file: str, specs: Sequence[str]) -> None:
    """Fork a seller per spec, wait for them all, say how each ended."""
    warm_up(url)
    say("warm")
    children: dict[int, str] = {}
    for spec in specs:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the seller; it never returns into this loop
            code = 0
            try:
                seller(url, spec, start_file)
            except BaseException:
                traceback.print_exc()
                say("failed", spec)
                code = 1
            finally:
                sys.stderr.flush()
            os._exit(code)
        children[pid] = parse_spec(spec)[0]
    while children:
        pid, status = os.wait()
        say("exit", children.pop(pid), os.waitstatus_to_exitcode(status))
    say("done")


class Sellers(Worker):
    """The ``sellers`` process seen from the test (a :class:`Worker` of this module)."""

    module = "tests.integration._stock_workers"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 4 or args[0] != "sellers":
        raise SystemExit(
            "usage: python -m tests.integration._stock_workers sellers URL START_FILE SPEC ..."
        )
    sellers(args[1], args[2], args[3:])


if __name__ == "__main__":
    main()
