"""Child processes for the loyalty concurrency test: tills that race for one card and one coupon.

Run from the repository root as ``python -m tests.integration._loyalty_workers
sellers URL START_FILE CARD COUPON REGISTER ...``. The process imports and
warms up once (``warm``), then forks one seller per REGISTER (16 sellers cost
one Python start; each is still a process with its own connections).

Each seller opens a session on its register and rings up two sales of a
book: sale ``A`` enters the single-use COUPON, sale ``B`` does not. Each pays
``SPEND`` from the gift card CARD and the rest in cash before the start, so
every check before the first tender has passed (the card held enough and the
coupon was unused) and only the store's checks inside the completing
transaction can stop a sale. It says ``ready REGISTER``, waits for START_FILE,
completes ``A`` and then ``B``, and says for each, in one write:

- ``ack REGISTER A|B NUMBER SALE_ID``: completed;
- ``refused REGISTER A|B coupon|card SALE_ID``: CouponError or AccountError
  at ``complete()`` (the sale is then voided, giving the tenders back).

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

if __package__ in (None, ""):  # run by path: make ``tests`` importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))

from possdk import Store
from possdk.errors import AccountError
from possdk.loyalty._coupons import CouponError
from tests.integration._workers import Worker, say, warm_up

ITEM = "BOOK"
SPEND = "9.00"
START_WAIT_S = 120.0  # a seller whose test is gone stops waiting and ends


def seller(url: str, register: str, start_file: str, card: str, coupon: str) -> None:
    with Store.open(url, load_entry_points=False) as store:
        session = store.register(register).open_session(operator="cashier", opening_float="0")
        sales = {}
        for name in ("A", "B"):
            sale = session.new_sale()
            sale.add(ITEM)
            if name == "A":
                store.loyalty.coupons.apply(sale, coupon)
            sale.pay("gift_card", SPEND, reference=card)
            sale.pay("cash")
            sales[name] = sale
        say("ready", register)
        deadline = time.monotonic() + START_WAIT_S
        while not os.path.exists(start_file):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{start_file} did not appear within {START_WAIT_S} s")
            time.sleep(0.001)
        for name, sale in sales.items():
            try:
                receipt = sale.complete()
            except CouponError:
                sale.void(reason="coupon used", approved_by="super")
                say("refused", register, name, "coupon", sale.id)
            except AccountError:
                sale.void(reason="card spent", approved_by="super")
                say("refused", register, name, "card", sale.id)
            else:
                say("ack", register, name, receipt.number, receipt.sale_id)


def sellers(url: str, start_file: str, card: str, coupon: str, registers: Sequence[str]) -> None:
    """Fork a seller per register, wait for them all, say how each ended."""
    warm_up(url)
    say("warm")
    children: dict[int, str] = {}
    for register in registers:
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:  # the seller; it never returns into this loop
            code = 0
            try:
                seller(url, register, start_file, card, coupon)
            except BaseException:
                traceback.print_exc()
                say("failed", register)
                code = 1
            finally:
                sys.stderr.flush()
            os._exit(code)
        children[pid] = register
    while children:
        pid, status = os.wait()
        say("exit", children.pop(pid), os.waitstatus_to_exitcode(status))
    say("done")


class Sellers(Worker):
    """The ``sellers`` process seen from the test (a :class:`Worker` of this module)."""

    module = "tests.integration._loyalty_workers"


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    if len(args) < 6 or args[0] != "sellers":
        raise SystemExit(
            "usage: python -m tests.integration._loyalty_workers sellers URL START_FILE CARD "
            "COUPON REGISTER ..."
        )
    sellers(args[1], args[2], args[3], args[4], args[5:])


if __name__ == "__main__":
    main()
