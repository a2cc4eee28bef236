"""The print queue: a sale completes whatever the printer's state; receipts print when it can.

:class:`PrintQueue` keeps jobs in order per printer and prints them from a
background thread, retrying with backoff while a printer is out of paper,
has its cover open or cannot be reached; a printer that is stuck does not
hold up the others. Jobs are kept in memory only: after a crash, receipts
that were not printed are printed again on demand with
:func:`reprint_receipt` (the receipts themselves are in the store).

:func:`enable_auto_print` prints every completed sale's and return's receipt
on its register's printer.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import attrs

from possdk._hooks import hookimpl
from possdk.core._receipt import Receipt
from possdk.drivers._base import DeviceKind, ReceiptPrinter
from possdk.drivers._layout import ReceiptDocument, receipt_document
from possdk.drivers._render import render_text
from possdk.errors import DeviceError

if TYPE_CHECKING:
    from possdk._store import Store

__all__ = [
    "AutoPrint",
    "PrintJob",
    "PrintQueue",
    "enable_auto_print",
    "print_receipt",
    "reprint_receipt",
]

log = logging.getLogger(__name__)


@attrs.frozen
class PrintJob:
    """A document to print, some number of times, on one printer."""

    id: int
    """Its number in this queue, from 1."""
    document: ReceiptDocument
    """What to print."""
    printer: ReceiptPrinter = attrs.field(eq=False, repr=False)
    """Where."""
    copies: int = 1
    """How many times."""

    @property
    def printer_name(self) -> str:
        """The printer's device name."""
        return self.printer.spec.name


def _print(printer: ReceiptPrinter, doc: ReceiptDocument) -> None:
    method: Callable[[ReceiptDocument], None] | None = getattr(printer, "print_document", None)
    if method is not None:
        method(doc)
    else:  # a printer of another plugin that only takes lines
        printer.print_lines(render_text(doc), cut=True)


class PrintQueue:
    """Print jobs in order per printer, from a background thread; :meth:`submit` never blocks.

    A job that fails with a :class:`~possdk.errors.DeviceError` (no paper,
    cover open, offline, a timeout) stays at the head of its printer's line
    and is tried again after ``backoff`` seconds, doubling up to
    ``max_backoff``; :meth:`retry` tries at once (the cashier loaded paper).
    Copies already printed are not printed again. Jobs live in memory.
    """

    def __init__(
        self,
        printer: ReceiptPrinter | None = None,
        *,
        backoff: float = 0.5,
        max_backoff: float = 30.0,
    ) -> None:
        self.printer = printer
        self.backoff, self.max_backoff = backoff, max_backoff
        self._jobs: list[PrintJob] = []
        self._done_copies: dict[int, int] = {}
        self._errors: dict[str, str] = {}
        self._delay: dict[str, float] = {}
        self._not_before: dict[str, float] = {}
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._closed = False
        self.printed: list[PrintJob] = []
        """Jobs printed, in the order they finished (the last 100)."""
        self.failed: list[tuple[PrintJob, str]] = []
        """Jobs dropped because printing them raised a programming error (not a device error)."""

    # ---- what the till does ------------------------------------------------------------

    def submit(
        self, document: ReceiptDocument, *, copies: int = 1, printer: ReceiptPrinter | None = None
    ) -> PrintJob:
        """Queue a document; returns at once, whatever the printer's state.

        Raises:
            ValueError: no printer given (here or to the queue), or copies < 1.
        """
        target = printer or self.printer
        if target is None:
            raise ValueError("say which printer: PrintQueue(printer) or submit(..., printer=)")
        if copies < 1:
            raise ValueError(f"copies must be at least 1, got {copies}")
        with self._cond:
            if self._closed:
                raise ValueError("the print queue is closed")
            job = PrintJob(next(self._ids), document, target, copies)
            self._jobs.append(job)
            self._start()
            self._cond.notify_all()
        return job

    def pending(self) -> tuple[PrintJob, ...]:
        """Jobs not printed yet, in the order they were submitted."""
        with self._cond:
            return tuple(self._jobs)

    def errors(self) -> dict[str, str]:
        """Why each stuck printer is stuck, by printer name (empty when all print)."""
        with self._cond:
            return dict(self._errors)

    def retry(self) -> None:
        """Try the waiting jobs now instead of after their backoff."""
        with self._cond:
            self._not_before.clear()
            self._delay.clear()
            self._cond.notify_all()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until every job is printed; False if ``timeout`` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._cond:
            while self._jobs:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self, timeout: float | None = 5.0) -> None:
        """Stop the worker (jobs not printed stay in :meth:`pending`)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
            thread = self._thread
        if thread is not None:
            thread.join(timeout)

    def __enter__(self) -> PrintQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the worker --------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._run, name="possdk-print", daemon=True)
            self._thread.start()

    def _next(self) -> PrintJob | None:
        # The head job of the first printer whose backoff is over; None: wait.
        now = time.monotonic()
        seen: set[str] = set()
        for job in self._jobs:
            name = job.printer_name
            if name in seen:
                continue
            seen.add(name)
            if self._not_before.get(name, 0.0) <= now:
                return job
        return None

    def _wait_time(self) -> float | None:
        names = {job.printer_name for job in self._jobs}
        times = [self._not_before[n] for n in names if n in self._not_before]
        if not times:
            return None
        return max(0.0, min(times) - time.monotonic())

    def _run(self) -> None:
        while True:
            with self._cond:
                job = None
                while not self._closed:
                    job = self._next()
                    if job is not None:
                        break
                    self._cond.wait(self._wait_time())
                if self._closed:
                    return
                assert job is not None
                done = self._done_copies.get(job.id, 0)
            outcome = self._attempt(job, done)
            with self._cond:
                self._settle(job, outcome)
                self._cond.notify_all()

    def _attempt(self, job: PrintJob, done: int) -> Any:
        try:
            while done < job.copies:
                _print(job.printer, job.document)
                done += 1
                with self._cond:
                    self._done_copies[job.id] = done
        except DeviceError as exc:
            return exc
        except Exception as exc:  # a bug, not a printer state: do not retry forever
            log.exception("printing %s failed", job.document.title or f"job {job.id}")
            return ("failed", exc)
        return None

    def _settle(self, job: PrintJob, outcome: Any) -> None:
        name = job.printer_name
        if isinstance(outcome, DeviceError):
            delay = self._delay.get(name, self.backoff)
            self._errors[name] = str(outcome)
            self._not_before[name] = time.monotonic() + delay
            self._delay[name] = min(delay * 2, self.max_backoff)
            log.warning("%s not printed yet (%s); trying again in %.1f s", name, outcome, delay)
            return
        self._jobs.remove(job)
        self._done_copies.pop(job.id, None)
        for table in (self._errors, self._delay, self._not_before):
            table.pop(name, None)
        if outcome is None:
            self.printed.append(job)
            del self.printed[:-100]
        else:
            self.failed.append((job, str(outcome[1])))


# ---- receipts ------------------------------------------------------------------------


def _printer_for(store: Store, register_id: str) -> ReceiptPrinter | None:
    device = store.devices.find(DeviceKind.RECEIPT_PRINTER, register_id)
    return device if isinstance(device, ReceiptPrinter) else None


def print_receipt(
    store: Store,
    receipt: Receipt,
    queue: PrintQueue,
    *,
    width: int | None = None,
    locale: str | None = None,
    copies: int = 1,
) -> PrintJob | None:
    """Queue a receipt on its register's printer; None when the register has none.

    The width is the printer's ``width`` option, else the store's
    ``receipt_width``; the locale is the store's unless given.
    """
    printer = _printer_for(store, receipt.register_id)
    if printer is None:
        return None
    columns = width or int(printer.spec.options.get("width", 0) or store.settings.receipt_width)
    options = printer.spec.options
    doc = receipt_document(
        receipt,
        width=columns,
        locale=locale or store.settings.locale,
        qr=None,
        number_barcode=options.get("number_barcode", "off").lower() == "on",
        logo=options.get("logo") or None,
    )
    return queue.submit(doc, copies=copies, printer=printer)


def reprint_receipt(
    store: Store,
    number_or_id: str | uuid.UUID,
    queue: PrintQueue,
    *,
    width: int | None = None,
    locale: str | None = None,
) -> PrintJob | None:
    """Print a receipt again, marked as a copy (``store.reprint`` journals it)."""
    return print_receipt(store, store.reprint(number_or_id), queue, width=width, locale=locale)


class AutoPrint:
    """A store's plugin that prints each completed sale's and return's receipt.

    A printer with the option ``auto_print=off`` is left alone.
    """

    def __init__(
        self, store: Store, queue: PrintQueue, *, width: int | None, locale: str | None
    ) -> None:
        self.store, self.queue = store, queue
        self.width, self.locale = width, locale

    def _print(self, receipt: Receipt) -> None:
        printer = _printer_for(self.store, receipt.register_id)
        if printer is None or printer.spec.options.get("auto_print", "on").lower() == "off":
            return
        print_receipt(self.store, receipt, self.queue, width=self.width, locale=self.locale)

    @hookimpl
    def possdk_sale_completed(self, receipt: Receipt) -> None:
        """Queue the sale's receipt."""
        self._print(receipt)

    @hookimpl
    def possdk_sale_returned(self, receipt: Receipt) -> None:
        """Queue the return's receipt."""
        self._print(receipt)


AUTO_PRINT_PLUGIN = "possdk-auto-print"


def enable_auto_print(
    store: Store, *, width: int | None = None, locale: str | None = None
) -> PrintQueue:
    """Print every receipt on its register's printer, through a :class:`PrintQueue`.

    Returns the queue (the same one when called again). Sales complete
    whatever the printer's state: receipts wait in the queue until it prints.
    """
    existing = store.plugins.get_plugin(AUTO_PRINT_PLUGIN)
    if isinstance(existing, AutoPrint):
        return existing.queue
    queue = PrintQueue()
    store.plugins.register(
        AutoPrint(store, queue, width=width, locale=locale), name=AUTO_PRINT_PLUGIN
    )
    return queue
