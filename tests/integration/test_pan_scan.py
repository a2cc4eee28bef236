"""The PAN scan: card payments made with full test card numbers leave no card number behind.

Sales are paid with Luhn-valid test cards handed to ``sale.pay(card=...)``:
approved, declined, partly approved, timed out and looked up, voided, taken on
a stand-alone terminal, queued offline and forwarded, and refunded. Then the
SQLite file and its WAL (or every PostgreSQL table), the logs captured at
DEBUG, every event the ``possdk_event`` hook saw and every receipt's text are
scanned for a 13-19 digit Luhn-valid sequence: there must be none, while the
brand and last four digits must be on the receipts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from sqlalchemy.pool import NullPool

from possdk import Money, Store, hookimpl
from possdk.errors import PaymentDeclinedError, PaymentUnknownError
from possdk.payments import CardTerminalSimulator, OfflinePolicy, Outcome, Step, luhn_valid
from tests.conftest import make_catalog
from tests.integration.conftest import OpenStore, shop_settings, sqlite_file_url

VISA = "4111 1111 1111 1111"
MASTERCARD = "5500005555555559"
MASTERCARD_DASHED = "5500-0055-5555-5559"
AMEX = "378282246310005"
TEST_CARDS = (VISA, MASTERCARD, AMEX)
SHOWN = {"VISA *1111", "MASTERCARD *5559", "AMEX *0005"}

RUN = re.compile(r"\d(?:[ -]?\d)*")  # digits, single spaces or dashes allowed between them
HEX = re.compile(r"[0-9a-fA-F-]{32,}")  # UUIDs and hashes: hex, not card numbers
# A timestamp's date. SQLite packs a row's columns back to back, so a payment's
# card_first6 and card_last4 ("550000", "5559") run straight into its created_at
# ("2026-11-27T07:..."): "55000055592026-11-27" is 18 Luhn-valid digits, none a card's.
ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}(?=[T ]\d{2}:\d{2})")
# The test shop's barcodes (GTIN-13 and GTIN-14): product codes, some Luhn-valid by chance.
BARCODES = frozenset(
    code for p in make_catalog() for g in p.barcodes for code in (g.code, g.gtin14)
)


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group(0))


def card_numbers(text: str) -> list[str]:
    """Every 13-19 digit Luhn-valid sequence in ``text``, and every test card's digits."""
    found = []
    for run in RUN.finditer(ISO_DATE.sub(_blank, HEX.sub(_blank, text))):
        digits = re.sub(r"[ -]", "", run.group(0))
        if 13 <= len(digits) <= 19 and luhn_valid(digits) and digits not in BARCODES:
            found.append(run.group(0))
    # Belt and braces: a test card's digits anywhere, even glued to other characters.
    squeezed = re.sub(r"(?<=\d)[ -](?=\d)", "", text)
    found += [card for card in TEST_CARDS if re.sub(r"[ -]", "", card) in squeezed]
    return found


def test_the_scan_finds_card_numbers_however_they_are_written() -> None:
    """The scan can fail: each way of writing a test card is found."""
    for written in (VISA, MASTERCARD, MASTERCARD_DASHED, AMEX, "4111111111111111"):
        assert card_numbers(f'{{"note": "paid with {written}"}}'), written
    assert card_numbers("x" + MASTERCARD + "y")
    assert card_numbers(MASTERCARD + "2026-11-27T07:00:00+00:00")  # glued to a timestamp
    assert card_numbers("VISA *1111, 411111, 2026-11-27T07:00:00+00:00, 189.00") == []
    assert card_numbers("55000055592026-11-27T07:00:00") == []  # BIN, last four, a date


class EventLog:
    """Keeps the repr of every domain event the hook is given."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    @hookimpl
    def possdk_event(self, event: Any) -> None:
        self.seen.append(repr(event))


def uah(amount: str) -> Money:
    return Money(amount, "UAH")


def pay_with_test_cards(store: Store, sim: CardTerminalSimulator) -> list[str]:
    """Card payments of every kind with full card numbers; returns the errors' messages."""
    said: list[str] = []
    session = store.register("till-1").open_session(operator="cashier", opening_float="500")

    split = session.new_sale()
    split.add("COFFEE")
    split.add("BOOK")  # 439.00
    sim.add(Step.decline("51", "insufficient funds"), Step.partial(uah("200.00")))
    with pytest.raises(PaymentDeclinedError) as declined:
        split.pay("card", card=VISA)
    said.append(str(declined.value))
    split.pay("card", card=MASTERCARD)  # approves 200.00 of 439.00
    split.pay("card", card=AMEX)
    sold = split.complete()

    timed_out = session.new_sale()
    timed_out.add("MILK")
    sim.add(Step.timeout(then=Outcome.APPROVED))
    with pytest.raises(PaymentUnknownError) as unknown:
        timed_out.pay("card", card=MASTERCARD_DASHED)
    said.append(str(unknown.value))
    timed_out.check_payments()
    timed_out.complete()

    removed = session.new_sale()
    removed.add("GUM")
    sim.add(Step.card_removed())
    with pytest.raises(PaymentDeclinedError) as card_removed:
        removed.pay("card", card=AMEX)
    said.append(str(card_removed.value))
    removed.pay("card", card=VISA)
    removed.complete()

    voided = session.new_sale()
    voided.add("CIGS")
    voided.pay("card", card=MASTERCARD)
    voided.void(reason="changed their mind", approved_by="super")

    stand_alone = session.new_sale()
    stand_alone.add("BREAD")
    stand_alone.pay("card", provider="manual-terminal", card=VISA)
    stand_alone.complete()

    offline = session.new_sale()
    offline.add("BREAD")
    sim.online = False
    offline.pay("card", card=AMEX)
    offline.complete()
    sim.online = True
    store.payments.forward()

    ret = session.new_return(sold, approved_by="super")
    ret.return_line(1)
    ret.return_line(2)
    ret.refund()  # back to the AMEX (239.00), then the Mastercard (200.00)
    ret.complete()
    return said


def scan(where: str, texts: Iterable[str]) -> list[str]:
    return [f"{where}: {hit!r}" for text in texts for hit in card_numbers(text)]


def receipts_text(store: Store) -> list[str]:
    return [r.as_text(width=42) for r in store.receipts()]


def run_and_scan(
    store: Store,
    sim: CardTerminalSimulator,
    events: EventLog,
    caplog: pytest.LogCaptureFixture,
    read_database: Any,
) -> list[str]:
    said = pay_with_test_cards(store, sim)
    receipts = receipts_text(store)
    shown = " ".join(receipts)
    for display in SHOWN:  # what may be shown is shown, so the scan is not vacuous
        assert display in shown, display
    assert "(offline)" in shown
    hits = scan("database", read_database())
    hits += scan("log", [caplog.text, *(r.getMessage() for r in caplog.records)])
    hits += scan("event", events.seen)
    hits += scan("receipt", receipts)
    hits += scan("error", said)
    hits += scan("payment", [repr(p) for p in store.payments.all_payments()])
    assert len(events.seen) > 20 and caplog.records  # there was something to scan
    return hits


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its loggers at WARNING unless told: let it log every statement
    # and its parameters, the place a card number would show first.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    return caplog


def accepting_settings() -> Any:
    return attrs.evolve(shop_settings(), offline=OfflinePolicy(accept=True))


def test_no_card_number_in_the_sqlite_file_its_wal_the_logs_events_or_receipts(
    open_store: OpenStore, tmp_path: Path, debug_logs: pytest.LogCaptureFixture
) -> None:
    url = sqlite_file_url(tmp_path)
    db = tmp_path / "shop.db"
    wal = tmp_path / "shop.db-wal"
    sim, events = CardTerminalSimulator(), EventLog()
    store = open_store(url, settings=accepting_settings(), plugins=[sim, events])
    seen_wal: list[bool] = []

    def read_database() -> list[str]:
        seen_wal.append(wal.exists() and wal.stat().st_size > 0)
        return [p.read_bytes().decode("latin-1") for p in (db, wal) if p.exists()]

    hits = run_and_scan(store, sim, events, debug_logs, read_database)
    assert seen_wal == [True]  # the WAL was there, with the newest pages, and was scanned
    store.close()
    hits += scan("database after closing", [db.read_bytes().decode("latin-1")])

    assert hits == []


def test_no_card_number_in_any_postgresql_table_the_logs_events_or_receipts(
    open_store: OpenStore, postgresql_url: str, debug_logs: pytest.LogCaptureFixture
) -> None:
    sim, events = CardTerminalSimulator(), EventLog()
    store = open_store(postgresql_url, settings=accepting_settings(), plugins=[sim, events])
    tables: list[str] = []

    def read_database() -> list[str]:
        url = postgresql_url.replace("postgresql://", "postgresql+psycopg://", 1)
        engine = sa.create_engine(url, poolclass=NullPool)
        try:
            with engine.connect() as conn:
                tables.extend(
                    conn.execute(
                        sa.text(
                            "SELECT table_name FROM information_schema.tables "
                            "WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
                        )
                    ).scalars()
                )
                # Each row as PostgreSQL prints it: every column, whatever its type.
                return [
                    row
                    for table in tables
                    for row in conn.execute(sa.text(f'SELECT t::text FROM "{table}" t')).scalars()
                ]
        finally:
            engine.dispose()

    hits = run_and_scan(store, sim, events, debug_logs, read_database)

    assert {"payments", "payment_attempts", "sales", "tenders", "journal"} <= set(tables)
    assert hits == []


def test_a_card_number_typed_as_a_tender_reference_is_not_kept(
    open_store: OpenStore, tmp_path: Path
) -> None:
    """A cashier keys the card number into the reference of a stand-alone terminal payment.

    possdk is handed a card number there too, and "code that is handed one masks it at
    once" (``possdk.payments.mask_pans``): only the last four may be kept and printed.
    """
    store = open_store(sqlite_file_url(tmp_path))
    session = store.register("till-1").open_session(operator="cashier", opening_float="500")
    sale = session.new_sale()
    sale.add("BREAD")

    tender = sale.pay("card", provider="manual-terminal", reference=VISA)
    receipt = sale.complete()

    hits = scan("tender", [repr(tender)])
    hits += scan("receipt", [receipt.as_text()])
    hits += scan("payment", [repr(p) for p in store.payments.all_payments()])
    store.close()
    hits += scan("database", [(tmp_path / "shop.db").read_bytes().decode("latin-1")])
    assert "1111" in receipt.as_text()
    assert hits == []
