"""The journal on real SQLite files and a real PostgreSQL: one entry per committed operation,
hash chains that name the first tampered entry, the signing hook, and grand totals that add up.
"""

from __future__ import annotations

import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import attrs
import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
from hypothesis import given, settings
from hypothesis import strategies as st

from possdk import FixedClock, Money, Settings, Store, TenderKind, hookimpl
from possdk.cli import main
from possdk.core import IdGenerator, SaleState
from possdk.storage import GENESIS, JournalEntry, ProblemKind, entry_hash, verify_journal
from possdk.storage._schema import journal as JOURNAL
from possdk.storage._schema import journal_heads as HEADS
from possdk.storage._schema import sales as SALES
from tests.conftest import CASHIER, START, SUPERVISOR, make_catalog, make_store

STORE_TYPES = [
    "SettingsChanged",
    "TaxCategorySaved",
    "TaxCategorySaved",
    "TaxCategorySaved",
    "TaxCategorySaved",
    "CatalogChanged",
    "BarcodeLayoutsChanged",
    "OperatorSaved",
    "OperatorSaved",
]
TILL1_TYPES = [
    "RegisterSessionOpened",  # 1
    "SaleCompleted",  # 2  coffee and two breads, cash
    "ReturnCompleted",  # 3  one bread back
    "SaleVoided",  # 4
    "CashMoved",  # 5  paid out
    "SaleSuspended",  # 6  parked here, resumed on till-2
    "SaleCompleted",  # 7  served while the other sale is parked
    "RegisterSessionClosed",  # 8
]
TILL2_TYPES = [
    "RegisterSessionOpened",
    "SaleCompleted",
    "SaleResumed",
    "SaleCompleted",
    "CashMoved",  # paid in
    "SaleCompleted",
    "RegisterSessionClosed",
]
SALE_TYPES = {"SaleCompleted"}
RETURN_TYPES = {"ReturnCompleted"}


# ---- databases -----------------------------------------------------------------------


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_db(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """An empty database: a SQLite file, or a fresh database on the test PostgreSQL server."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'shop.db'}"
    url: str = request.getfixturevalue("postgresql_url")
    return url


@contextmanager
def raw_db(url: str) -> Iterator[sa.Engine]:
    """An engine of our own, beside possdk: what an attacker with database access has."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.split("://", 1)[1]
    engine = sa.create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


class Peer:
    """A second plain driver connection (sqlite3 or psycopg), outside any possdk transaction."""

    def __init__(self, url: str) -> None:
        self._sqlite = url.startswith("sqlite")
        if self._sqlite:
            self._conn: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
        else:
            import psycopg

            self._conn = psycopg.connect(url, autocommit=True)

    def count(self, table: str, row_id: uuid.UUID | None = None) -> int:
        """Rows of ``table`` it sees (only the one with ``row_id`` when given)."""
        if row_id is None:
            sql, args = f"SELECT count(*) FROM {table}", ()
        elif self._sqlite:  # SQLAlchemy keeps UUIDs as 32 hex digits on SQLite
            sql, args = f"SELECT count(*) FROM {table} WHERE id = ?", (row_id.hex,)
        else:
            sql, args = f"SELECT count(*) FROM {table} WHERE id = %s", (row_id,)
        cursor = self._conn.execute(sql, args)
        try:
            rows = cursor.fetchall()  # fetch all: an open sqlite3 cursor pins an old snapshot
        finally:
            cursor.close()
        return int(rows[0][0])

    def close(self) -> None:
        self._conn.close()


def open_shop(url: str, *, plugins: tuple[object, ...] = ()) -> Store:
    return Store.open(
        url,
        settings=Settings(currency="UAH", locale="uk_UA"),
        catalog=make_catalog(),
        operators=[CASHIER, SUPERVISOR],
        clock=FixedClock(START, step=timedelta(seconds=1)),
        plugins=plugins,
        load_entry_points=False,
    )


def sell(session: Any, lines: list[tuple[str, Any]], kind: TenderKind, given: Any = None) -> Any:
    sale = session.new_sale()
    for sku, qty in lines:
        sale.add(sku, qty)
    sale.pay(kind, given)
    return sale.complete()


def trade_a_day(url: str, *, plugins: tuple[object, ...] = ()) -> None:
    """Two tills, one day: sales, a return, a void, cash moves, a parked sale, both closed."""
    with open_shop(url, plugins=plugins) as store:
        till1 = store.register("till-1").open_session(operator="cashier", opening_float="500")
        till2 = store.register("till-2").open_session(operator="super", opening_float="300")
        first = sell(till1, [("COFFEE", 1), ("BREAD", 2)], TenderKind.CASH, "300")
        sell(till2, [("MILK", 1)], TenderKind.CARD)
        ret = till1.new_return(first, approved_by="super")
        ret.return_line(2, 1)
        ret.refund(TenderKind.CASH)
        ret.complete()
        voided = till1.new_sale()
        voided.add("CIGS")
        voided.void(reason="customer changed their mind", approved_by="super")
        till1.x_report()  # a look at the totals is not an operation: no entry
        till1.paid_out("50.00", reason="window cleaner")
        parked = till1.new_sale()
        parked.add("GUM", 3)
        till1.suspend(parked)
        sell(till1, [("BANANA", "1.347"), ("CIGS", 2)], TenderKind.CASH)
        resumed = till2.resume(parked.id)
        resumed.pay(TenderKind.CARD)
        resumed.complete()
        till2.paid_in("20.00", reason="change from the bank")
        sell(till2, [("BOOK", 1), ("CHEESE", "0.250")], TenderKind.CASH, "400")
        till1.close(counted_cash=till1.expected_cash())
        till2.close(counted_cash="0")


def read_journal(conn: sa.Connection, terminal: str | None = None) -> list[JournalEntry]:
    query = sa.select(JOURNAL).order_by(JOURNAL.c.terminal_id, JOURNAL.c.seq)
    if terminal is not None:
        query = query.where(JOURNAL.c.terminal_id == terminal)
    return [JournalEntry(**row._asdict()) for row in conn.execute(query)]


def by_terminal(entries: list[JournalEntry]) -> dict[str, list[JournalEntry]]:
    chains: dict[str, list[JournalEntry]] = {}
    for e in entries:
        chains.setdefault(e.terminal_id, []).append(e)
    return chains


def recomputed_hash(e: JournalEntry) -> str:
    fields = attrs.asdict(e, recurse=False)
    del fields["hash"], fields["signature"]
    return entry_hash(**fields)


def sealed(e: JournalEntry, **changes: Any) -> JournalEntry:
    """``e`` with ``changes`` and a hash that matches them, as a careful attacker makes it."""
    changed = attrs.evolve(e, **changes)
    return attrs.evolve(changed, hash=recomputed_hash(changed))


def cli_verify(url: str) -> Result:
    return CliRunner().invoke(main, ["journal", "verify", "--db", url])


def uuid7_ms(value: uuid.UUID) -> int:
    return value.int >> 80


# ---- a day's journal ---------------------------------------------------------------


def test_a_day_writes_one_chained_entry_per_committed_operation(journal_db: str) -> None:
    trade_a_day(journal_db)

    with raw_db(journal_db) as engine, engine.connect() as conn:
        entries = read_journal(conn)
        heads = {r.terminal_id: r for r in conn.execute(sa.select(HEADS))}
        sales = conn.execute(sa.select(SALES.c.register_id, SALES.c.kind, SALES.c.total_minor))
        sales = sales.all()
    chains = by_terminal(entries)

    assert {t: [e.type for e in chain] for t, chain in chains.items()} == {
        "@store": STORE_TYPES,
        "till-1": TILL1_TYPES,
        "till-2": TILL2_TYPES,
    }
    for terminal, chain in chains.items():
        assert [e.seq for e in chain] == list(range(1, len(chain) + 1)), terminal
        prev = GENESIS
        gt_sales = gt_returns = 0
        for e in chain:
            assert e.prev_hash == prev, (terminal, e.seq)
            assert e.hash == recomputed_hash(e), (terminal, e.seq)
            assert e.signature is None  # no signer plugged in
            if e.type in SALE_TYPES:
                gt_sales += e.amount_minor
            elif e.type in RETURN_TYPES:
                gt_returns += e.amount_minor
            else:
                assert e.amount_minor == 0, (terminal, e.seq, e.type)
            assert (e.gt_sales_minor, e.gt_returns_minor) == (gt_sales, gt_returns)
            prev = e.hash
        last = chain[-1]
        head = heads[terminal]
        assert (head.seq, head.hash, head.gt_sales_minor, head.gt_returns_minor) == (
            last.seq,
            last.hash,
            last.gt_sales_minor,
            last.gt_returns_minor,
        )
        # The perpetual totals are the sales and returns kept in the sales table.
        assert last.gt_sales_minor == sum(
            s.total_minor for s in sales if s.register_id == terminal and s.kind == "sale"
        )
        assert last.gt_returns_minor == -sum(
            s.total_minor for s in sales if s.register_id == terminal and s.kind == "return"
        )
    assert chains["till-1"][-1].gt_returns_minor == 3250  # one rye bread back
    assert chains["till-2"][-1].gt_sales_minor > 0

    # UUIDv7 ids carrying the entry's time: sorting by id is sorting by time.
    assert len({e.id for e in entries}) == len(entries)
    for e in entries:
        assert (e.id.version, e.id.variant) == (7, uuid.RFC_4122)
        assert uuid7_ms(e.id) == int(e.at.timestamp() * 1000)
    by_time = sorted(entries, key=lambda e: e.at)
    assert len({e.at for e in entries}) == len(entries)
    assert sorted(entries, key=lambda e: e.id) == by_time

    report = verify_journal(journal_db)
    assert report.ok, report.as_text()
    assert report.entries == len(entries) == 9 + 8 + 7
    assert set(report.terminals) == {"@store", "till-1", "till-2"}
    result = cli_verify(journal_db)
    assert result.exit_code == 0, result.output
    assert "journal OK: 24 entries on 3 terminal(s)" in result.output

    # Verifying, and opening the same shop again with nothing changed, write nothing.
    with open_shop(journal_db) as store:
        assert store.verify_journal().ok
    with raw_db(journal_db) as engine, engine.connect() as conn:
        assert read_journal(conn) == entries


# ---- tampering -----------------------------------------------------------------------
# Each function changes till-1's chain (TILL1_TYPES) with plain SQL and hashes nothing
# unless it says so.

Tamper = Callable[[sa.Connection, list[JournalEntry]], None]


def _set(conn: sa.Connection, e: JournalEntry, **values: Any) -> None:
    done = conn.execute(sa.update(JOURNAL).where(JOURNAL.c.id == e.id).values(**values))
    assert done.rowcount == 1


def _replace(conn: sa.Connection, e: JournalEntry, new: JournalEntry) -> None:
    assert new.id == e.id
    _set(conn, e, **attrs.asdict(new, recurse=False))


def _set_head(conn: sa.Connection, terminal: str, **values: Any) -> None:
    conn.execute(sa.update(HEADS).where(HEADS.c.terminal_id == terminal).values(**values))


def _renumber(conn: sa.Connection, from_seq: int, by: int) -> None:
    # Through negative numbers: the (terminal, seq) unique key is checked row by row.
    in_till1 = JOURNAL.c.terminal_id == "till-1"
    conn.execute(
        sa.update(JOURNAL)
        .where(in_till1, JOURNAL.c.seq >= from_seq)
        .values(seq=-(JOURNAL.c.seq + by))
    )
    conn.execute(sa.update(JOURNAL).where(in_till1, JOURNAL.c.seq < 0).values(seq=-JOURNAL.c.seq))


def _rechain(conn: sa.Connection, chain: list[JournalEntry], edited: JournalEntry) -> None:
    """Write ``edited`` (already re-hashed) and re-hash every later entry and the head."""
    _replace(conn, chain[edited.seq - 1], edited)
    prev = edited
    for e in chain[edited.seq :]:
        new = sealed(e, prev_hash=prev.hash)
        _replace(conn, e, new)
        prev = new
    _set_head(conn, "till-1", hash=prev.hash)


def edit_payload(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    void = chain[3]
    payload = void.payload.replace("customer changed their mind", "price check")
    assert payload != void.payload
    _set(conn, void, payload=payload)


def edit_amount(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    _set(conn, chain[1], amount_minor=chain[1].amount_minor - 10000)


def edit_type(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    _set(conn, chain[2], type="SaleVoided")  # the return passed off as a void


def delete_middle(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    conn.execute(sa.delete(JOURNAL).where(JOURNAL.c.id == chain[4].id))


def delete_and_renumber(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    conn.execute(sa.delete(JOURNAL).where(JOURNAL.c.id == chain[4].id))
    _renumber(conn, 6, -1)
    _set_head(conn, "till-1", seq=len(chain) - 1)


def _forge(after: JournalEntry, seq: int) -> JournalEntry:
    """A made-up paid-out that hashes and links right, as if it followed ``after``."""
    at = after.at + timedelta(milliseconds=500)
    payload = json.dumps({"kind": "paid_out", "amount": {"amount": "900.00", "currency": "UAH"}})
    return sealed(
        attrs.evolve(
            after,
            id=IdGenerator(FixedClock(at)).new(at),
            seq=seq,
            at=at,
            type="CashMoved",
            amount_minor=0,
            payload=payload,
            prev_hash=after.hash,
        )
    )


def insert_middle(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    _renumber(conn, 4, +1)
    forged = _forge(chain[2], 4)
    conn.execute(sa.insert(JOURNAL).values(**attrs.asdict(forged, recurse=False)))


def insert_two(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    _renumber(conn, 4, +2)
    first = _forge(chain[2], 4)
    second = _forge(first, 5)
    for forged in (first, second):
        conn.execute(sa.insert(JOURNAL).values(**attrs.asdict(forged, recurse=False)))


def delete_two_and_renumber(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    gone = [chain[3].id, chain[4].id]
    assert conn.execute(sa.delete(JOURNAL).where(JOURNAL.c.id.in_(gone))).rowcount == 2
    _renumber(conn, 6, -2)
    _set_head(conn, "till-1", seq=len(chain) - 2)


def swap_adjacent(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    _set(conn, chain[4], seq=-5)
    _set(conn, chain[5], seq=5)
    _set(conn, chain[4], seq=6)


def swap_apart(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    _set(conn, chain[4], seq=-5)
    _set(conn, chain[6], seq=5)
    _set(conn, chain[4], seq=7)


def truncate_tail(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    gone = [chain[-1].id, chain[-2].id]
    assert conn.execute(sa.delete(JOURNAL).where(JOURNAL.c.id.in_(gone))).rowcount == 2


def totals_rechained(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    sale = chain[1]
    _rechain(conn, chain, sealed(sale, gt_sales_minor=sale.gt_sales_minor - 10000))


def receipt_total_rechained(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    sale = chain[6]
    data = json.loads(sale.payload)
    data["receipt"]["totals"]["total"]["amount"] = "1.00"
    _rechain(conn, chain, sealed(sale, payload=json.dumps(data)))


def totals_rehashed_alone(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    sale = chain[1]
    _replace(conn, sale, sealed(sale, gt_sales_minor=sale.gt_sales_minor - 10000))


def payload_rehashed_alone(conn: sa.Connection, chain: list[JournalEntry]) -> None:
    paid_out = chain[4]
    payload = paid_out.payload.replace('"50.00"', '"5.00"')
    assert payload != paid_out.payload
    _replace(conn, paid_out, sealed(paid_out, payload=payload))


TAMPERING: list[Any] = [
    pytest.param(edit_payload, 4, ProblemKind.EDITED, id="edit-payload"),
    pytest.param(edit_amount, 2, ProblemKind.EDITED, id="edit-amount"),
    pytest.param(edit_type, 3, ProblemKind.EDITED, id="edit-type"),
    pytest.param(delete_middle, 5, ProblemKind.DELETED, id="delete"),
    pytest.param(delete_and_renumber, 5, ProblemKind.DELETED, id="delete-renumber"),
    # The forged entry itself hashes and chains right; the renumbered entry after it
    # hashes right only under its old number, so verify names the forged one, 4.
    pytest.param(insert_middle, 4, ProblemKind.INSERTED, id="insert"),
    pytest.param(swap_adjacent, 5, ProblemKind.REORDERED, id="swap"),
    pytest.param(truncate_tail, 7, ProblemKind.TRUNCATED, id="truncate"),
    pytest.param(totals_rechained, 2, ProblemKind.TOTALS, id="totals-rechained"),
    pytest.param(receipt_total_rechained, 7, ProblemKind.TOTALS, id="receipt-total-rechained"),
    # Re-hashing only the edited entry: its own totals are checked before the next
    # entry's link, so a grand-total edit is named as TOTALS at that entry ...
    pytest.param(totals_rehashed_alone, 2, ProblemKind.TOTALS, id="totals-rehashed-alone"),
    # ... while any other edit shows at the next entry, whose link no longer matches;
    # verify names the entry it links to (5) as the edited one.
    pytest.param(payload_rehashed_alone, 5, ProblemKind.EDITED, id="payload-rehashed-alone"),
    # "Swap two", "insert", "delete" of the issue, not only the one-step cases: the first
    # bad entry and what happened to it should still be named.
    pytest.param(swap_apart, 5, ProblemKind.REORDERED, id="swap-apart"),
    pytest.param(insert_two, 4, ProblemKind.INSERTED, id="insert-two"),
    pytest.param(delete_two_and_renumber, 4, ProblemKind.DELETED, id="delete-two-renumber"),
]


@pytest.mark.parametrize(("tamper", "seq", "kind"), TAMPERING)
def test_verify_names_the_first_tampered_entry(
    journal_db: str, tamper: Tamper, seq: int, kind: ProblemKind
) -> None:
    trade_a_day(journal_db)
    with raw_db(journal_db) as engine:
        with engine.connect() as conn:
            chain = read_journal(conn, "till-1")
        assert [e.type for e in chain] == TILL1_TYPES
        with engine.begin() as conn:
            tamper(conn, chain)

    report = verify_journal(journal_db)
    assert not report.ok
    assert [(p.terminal_id, p.seq, p.kind) for p in report.problems] == [("till-1", seq, kind)], (
        report.as_text()
    )
    if tamper is payload_rehashed_alone:
        assert "next entry no longer follows it" in report.problems[0].message
    result = cli_verify(journal_db)
    assert result.exit_code == 1, result.output
    assert "journal BROKEN: 1 terminal(s) with problems" in result.output
    assert f"till-1 #{seq}: {kind.value}: " in result.output


# ---- the signing hook ----------------------------------------------------------------


class Signer:
    """A fiscal signer stand-in: signs every entry, can look at the database, can fail."""

    def __init__(self) -> None:
        self.peer: Peer | None = None
        self.seen: list[tuple[JournalEntry, int, int | None]] = []
        self.fail: str | None = None

    @hookimpl
    def possdk_journal_sign(self, entry: JournalEntry) -> str:
        if self.peer is not None:
            sale_rows = None
            if entry.type == "SaleCompleted":
                sale_id = uuid.UUID(json.loads(entry.payload)["receipt"]["sale_id"])
                sale_rows = self.peer.count("sales", sale_id)
            self.seen.append((entry, self.peer.count("journal", entry.id), sale_rows))
        if self.fail:
            raise RuntimeError(self.fail)
        return "sig:" + entry.hash


def test_signer_signs_every_entry(journal_db: str) -> None:
    trade_a_day(journal_db, plugins=(Signer(),))
    with raw_db(journal_db) as engine, engine.connect() as conn:
        entries = read_journal(conn)
    assert len(entries) == 9 + 8 + 7
    assert [e.signature for e in entries] == ["sig:" + e.hash for e in entries]
    assert verify_journal(journal_db).ok


def test_signer_runs_inside_the_transaction_and_its_failure_undoes_the_sale(
    journal_db: str,
) -> None:
    signer = Signer()
    peer = None
    with open_shop(journal_db, plugins=(signer,)) as store:
        try:
            peer = Peer(journal_db)
            session = store.register("till-1").open_session(operator="cashier")
            signer.peer = peer
            sale = session.new_sale()
            sale.add("COFFEE")
            sale.pay(TenderKind.CARD)
            receipt = sale.complete()

            # While the signer ran, the sale and its entry were written but not committed:
            # a second connection saw neither. Afterwards it sees both.
            [(entry, journal_rows, sale_rows)] = signer.seen
            assert (entry.type, journal_rows, sale_rows) == ("SaleCompleted", 0, 0)
            assert peer.count("journal", entry.id) == 1
            assert peer.count("sales", sale.id) == 1

            # A signer that cannot sign stops the sale: nothing of it is kept.
            entries_before = peer.count("journal")
            signer.seen.clear()
            second = session.new_sale()
            second.add("BREAD", 2)
            second.pay(TenderKind.CASH, "100")
            signer.fail = "TSE unreachable"
            with pytest.raises(Exception, match="TSE unreachable"):
                second.complete()
            assert second.state is SaleState.TENDERING and second.receipt is None
            [(failed_entry, _, _)] = signer.seen
            assert peer.count("sales", second.id) == 0
            assert peer.count("journal", failed_entry.id) == 0
            assert peer.count("journal") == entries_before
            assert store.verify_journal().ok

            # The signer is back: the same sale completes, next in number and in the chain.
            signer.fail = None
            again = second.complete()
            assert again.number == "till-1/000002" and receipt.number == "till-1/000001"
            assert peer.count("sales", second.id) == 1
            assert peer.count("journal") == entries_before + 1
        finally:
            if peer is not None:
                peer.close()
    with raw_db(journal_db) as engine, engine.connect() as conn:
        till1 = read_journal(conn, "till-1")
    assert [e.type for e in till1] == ["RegisterSessionOpened", "SaleCompleted", "SaleCompleted"]
    assert [e.signature for e in till1] == ["sig:" + e.hash for e in till1]
    assert verify_journal(journal_db).ok


# ---- corrections ---------------------------------------------------------------------


def test_a_return_is_a_new_entry_and_leaves_the_sale_entry_alone(journal_db: str) -> None:
    with open_shop(journal_db) as store:
        session = store.register("till-1").open_session(operator="cashier", opening_float="500")
        receipt = sell(session, [("COFFEE", 1), ("MILK", 2)], TenderKind.CASH, "300")
        with raw_db(journal_db) as engine, engine.connect() as conn:
            before = read_journal(conn)
            sale_row = conn.execute(sa.select(SALES).where(SALES.c.id == receipt.sale_id)).one()

        ret = session.new_return(store.receipt(receipt.number), approved_by="super")
        ret.return_line(2, 1)
        ret.refund(TenderKind.CASH)
        refund = ret.complete()

        with raw_db(journal_db) as engine, engine.connect() as conn:
            after = read_journal(conn)
            assert conn.execute(sa.select(SALES).where(SALES.c.id == receipt.sale_id)).one() == (
                sale_row
            )
    old = {e.id: e for e in before}
    assert [e for e in after if e.id in old] == before  # every field, payload and hash alike
    [new] = [e for e in after if e.id not in old]
    sale_entry = before[-1]
    assert sale_entry.type == "SaleCompleted"
    assert (new.terminal_id, new.seq, new.type) == ("till-1", sale_entry.seq + 1, "ReturnCompleted")
    assert new.prev_hash == sale_entry.hash
    assert new.amount_minor == -refund.total.minor == 4190
    assert (new.gt_sales_minor, new.gt_returns_minor) == (receipt.total.minor, 4190)
    assert verify_journal(journal_db).ok


# ---- grand totals, for any day -------------------------------------------------------

TILLS = ("till-1", "till-2")
LINES = st.lists(
    st.one_of(
        st.tuples(
            st.sampled_from(["COFFEE", "BREAD", "MILK", "CIGS", "GUM", "BOOK"]), st.integers(1, 3)
        ),
        st.tuples(st.sampled_from(["BANANA", "CHEESE"]), st.sampled_from(["0.250", "1.347", "2"])),
    ),
    min_size=1,
    max_size=4,
)
OPERATIONS = st.lists(
    st.one_of(
        st.tuples(
            st.just("sale"), st.sampled_from(TILLS), LINES, st.sampled_from(["cash", "card"])
        ),
        st.tuples(st.just("void"), st.sampled_from(TILLS), LINES),
        st.tuples(
            st.sampled_from(["paid_in", "paid_out"]), st.sampled_from(TILLS), st.integers(1, 20_000)
        ),
        st.tuples(st.just("return"), st.sampled_from(TILLS), st.integers(0, 50)),
    ),
    max_size=12,
)


@settings(max_examples=25, deadline=None)
@given(operations=OPERATIONS)
def test_grand_totals_are_the_sum_of_completed_sales_and_returns(
    operations: list[tuple[Any, ...]],
) -> None:
    with make_store() as store:
        sessions = {
            t: store.register(t).open_session(operator="cashier", opening_float="500")
            for t in TILLS
        }
        sold = dict.fromkeys(TILLS, 0)
        refunded = dict.fromkeys(TILLS, 0)
        receipts: list[Any] = []
        for op, till, *args in operations:
            session = sessions[till]
            if op == "sale":
                lines, tender = args
                receipt = sell(session, lines, TenderKind(tender))
                receipts.append(receipt)
                sold[till] += receipt.total.minor
            elif op == "void":
                sale = session.new_sale()
                for sku, qty in args[0]:
                    sale.add(sku, qty)
                sale.void(reason="customer left", approved_by="super")
            elif op == "paid_in":
                session.paid_in(Money.from_minor(args[0], "UAH"), reason="float top-up")
            elif op == "paid_out":
                amount = min(args[0], session.expected_cash().minor)
                if amount > 0:
                    session.paid_out(Money.from_minor(amount, "UAH"), reason="supplier")
            elif receipts:  # a return of the whole first line of an earlier receipt
                original = receipts.pop(args[0] % len(receipts))
                ret = session.new_return(original, approved_by="super")
                ret.return_line(1)
                ret.refund(TenderKind.CASH)
                refunded[till] -= ret.complete().total.minor

        report = store.verify_journal()
        assert report.ok, report.as_text()
        with store.backend.unit_of_work(write=False) as uow:
            kept = uow.conn.execute(
                sa.select(SALES.c.register_id, SALES.c.kind, SALES.c.total_minor)
            ).all()
            newest = {
                e.terminal_id: e
                for e in read_journal(uow.conn)  # ordered by seq: the last one stays
            }
    for till in TILLS:
        kept_sales = sum(r.total_minor for r in kept if r.register_id == till and r.kind == "sale")
        kept_returns = -sum(
            r.total_minor for r in kept if r.register_id == till and r.kind == "return"
        )
        assert (kept_sales, kept_returns) == (sold[till], refunded[till])
        last = newest[till]
        assert (last.gt_sales_minor, last.gt_returns_minor) == (kept_sales, kept_returns)
