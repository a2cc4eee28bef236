"""Bad input and hostile surroundings: each is a clear StorageError and loses nothing committed.

Malformed URLs, missing and read-only directories, read-only and foreign
files, a database locked by another process, a full disk, an unreachable
PostgreSQL server, a new store without settings, malformed URL options.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import sqlite3
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from possdk import SaleState, Store
from possdk.errors import ConfigurationError, StorageError
from tests.integration.conftest import OpenStore, sqlite_file_url
from tests.integration.test_storage_conformance import open_till, sell

# ---- helpers ------------------------------------------------------------------------------


def _writable(path: Path) -> bool:
    """Whether this process can really write there (root ignores permission bits)."""
    try:
        if path.is_dir():
            with tempfile.TemporaryFile(dir=path):
                pass
        else:
            with open(path, "r+b"):
                pass
    except OSError:
        return False
    return True


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make a file or directory read-only for this process, and writable again after.

    Permission bits do the job for an ordinary user. Root ignores them, so as
    root the path is made immutable (``chattr +i``) instead, which stops root
    too; where that is impossible the test is skipped, saying why.
    """
    mode = path.stat().st_mode
    path.chmod(0o555 if path.is_dir() else 0o444)
    immutable = False
    try:
        if _writable(path):
            chattr = shutil.which("chattr")
            done = chattr and subprocess.run([chattr, "+i", str(path)], capture_output=True)
            if not done or done.returncode != 0:
                pytest.skip(
                    "running as root, where chmod does not stop writes, and `chattr +i` is "
                    "unavailable here (no chattr, no CAP_LINUX_IMMUTABLE or a file system "
                    "without the immutable flag): cannot make a path read-only"
                )
            immutable = True
            assert not _writable(path), f"{path} is still writable after chattr +i"
        yield
    finally:
        if immutable:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        path.chmod(mode)


def tendering(store: Store, items: tuple[tuple[str, int], ...] = (("COFFEE", 1),)):  # type: ignore[no-untyped-def]
    """A sale on the till's open session, paid and ready to complete."""
    session = store.register("till-1").session
    assert session is not None
    sale = session.new_sale()
    for sku, qty in items:
        sale.add(sku, qty)
    sale.pay("card")
    return sale


@pytest.fixture
def shop(tmp_path: Path, open_store: OpenStore) -> tuple[str, list]:  # type: ignore[type-arg]
    """A SQLite store file with an open session and two completed receipts, closed again."""
    url = sqlite_file_url(tmp_path)
    store = open_store(url)
    session = open_till(store)
    receipts = [sell(session, [("BREAD", 2)]), sell(session, [("MILK", 1)], "cash")]
    store.close()
    return url, receipts


def assert_intact(open_store: OpenStore, url: str, receipts: list) -> Store:  # type: ignore[type-arg]
    """Everything committed is still there, and the journal verifies."""
    store = open_store(url, new=False)
    assert store.receipts() == tuple(receipts)
    assert store.verify_journal().ok
    return store


# ---- URLs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("", "malformed store URL ''", id="empty"),
        pytest.param("shop.db", "malformed store URL 'shop.db'", id="bare-path"),
        pytest.param("sqlite://host/x.db", "three slashes", id="sqlite-with-host"),
        pytest.param("nosuch://x", "no storage backend serves nosuch://", id="unknown-scheme"),
    ],
)
def test_malformed_urls_are_refused_clearly(open_store, url, message):
    with pytest.raises(StorageError, match=message):
        open_store(url)


@pytest.mark.parametrize(
    ("option", "message"),
    [
        pytest.param("synchronous=FAST", "synchronous='FAST' is not one of FULL", id="synchronous"),
        pytest.param("busy_timeout=abc", "busy_timeout='abc' must be a number", id="busy_timeout"),
    ],
)
def test_malformed_url_options_are_refused(tmp_path, open_store, option, message):
    with pytest.raises(StorageError, match=message):
        open_store(f"{sqlite_file_url(tmp_path)}?{option}")
    assert not (tmp_path / "shop.db").exists()  # nothing was created


def test_url_options_that_are_right_are_accepted(tmp_path, open_store):
    url = f"{sqlite_file_url(tmp_path)}?synchronous=normal&busy_timeout=2.5"
    store = open_store(url)
    with store.backend.unit_of_work(write=False) as uow:
        conn = uow.conn  # type: ignore[attr-defined]
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 2500
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_the_default_durability_is_full(tmp_path, open_store):
    store = open_store(sqlite_file_url(tmp_path))
    with store.backend.unit_of_work(write=False) as uow:
        assert uow.conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # type: ignore[attr-defined]


# ---- files and directories ---------------------------------------------------------------------


def test_a_missing_directory(tmp_path, open_store):
    url = f"sqlite:///{tmp_path}/no/such/dir/shop.db"
    with pytest.raises(StorageError, match=r"directory .*/no/such/dir does not exist"):
        open_store(url)
    assert not (tmp_path / "no").exists()  # not created behind the user's back


def test_a_new_store_in_a_read_only_directory(tmp_path, open_store):
    folder = tmp_path / "locked"
    folder.mkdir()
    with read_only(folder), pytest.raises(StorageError, match="writable"):
        open_store(sqlite_file_url(folder))
    assert list(folder.iterdir()) == []


def test_an_existing_store_in_a_read_only_directory(shop, tmp_path, open_store):
    url, receipts = shop
    with read_only(tmp_path), pytest.raises(StorageError, match=r"cannot open .*shop\.db"):
        open_store(url, new=False)
    assert_intact(open_store, url, receipts)


def test_a_read_only_database_file(shop, tmp_path, open_store):
    url, receipts = shop
    with read_only(tmp_path / "shop.db"):
        store = open_store(url, new=False)
        assert store.receipts() == tuple(receipts)  # reading still works
        sale = tendering(store)
        with pytest.raises(StorageError, match="read-only: nothing was written"):
            sale.complete()
        assert sale.state is SaleState.TENDERING
        store.close()
    store = assert_intact(open_store, url, receipts)
    sale = tendering(store)
    assert sale.complete().number == "till-1/000003"


def test_a_file_that_is_not_a_database(tmp_path, open_store):
    path = tmp_path / "notes.db"
    content = b"Shopping list: bread, milk, coffee.\n" * 200
    path.write_bytes(content)
    with pytest.raises(StorageError, match="not a possdk database"):
        open_store(sqlite_file_url(tmp_path, "notes.db"))
    assert path.read_bytes() == content  # untouched
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.db"]


# ---- a locked database and a full disk ---------------------------------------------------------


def test_a_locked_database_then_the_lock_is_released(shop, tmp_path, open_store):
    url, receipts = shop
    store = open_store(f"{url}?busy_timeout=0.2", new=False)
    sale = tendering(store)
    other = sqlite3.connect(tmp_path / "shop.db", isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
        with pytest.raises(StorageError, match=r"stayed locked .* for 0\.2 s; nothing was written"):
            sale.complete()
        assert sale.state is SaleState.TENDERING
        assert store.receipts() == tuple(receipts)  # readers are not blocked in WAL mode
        other.execute("ROLLBACK")
    finally:
        other.close()
    receipt = sale.complete()
    assert receipt.number == "till-1/000003"
    store.close()
    assert_intact(open_store, url, [*receipts, receipt])


BASKET = (("COFFEE", 1), ("BREAD", 3), ("GUM", 5), ("CIGS", 2))


def complete_until_full(store: Store):  # type: ignore[no-untyped-def]
    """Complete sales until one fails: (the completed receipts, the failed sale, its error)."""
    completed = []
    for _ in range(50):
        sale = tendering(store, BASKET)
        try:
            completed.append(sale.complete())
        except StorageError as exc:
            return completed, sale, exc
    pytest.fail("50 sales fitted in a database capped at its size: max_page_count had no effect")


def test_a_full_disk(shop, open_store):
    url, receipts = shop
    store = open_store(url, new=False)
    engine = store.backend.engine  # type: ignore[attr-defined]
    # Cap the database at its current size on the store's own pooled connection.
    with engine.connect() as conn:
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        assert conn.exec_driver_sql(f"PRAGMA max_page_count = {pages}").scalar() == pages
    assert engine.pool.checkedin() == 1  # the store has this one connection, so it is capped

    completed, sale, error = complete_until_full(store)
    assert "the disk is full; nothing of this operation was written" in str(error)
    assert sale.state is SaleState.TENDERING
    assert store.receipts() == (*receipts, *completed)
    assert store.verify_journal().ok

    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 1073741823")
    receipt = sale.complete()
    assert receipt.number == f"till-1/{len(receipts) + len(completed) + 1:06d}"
    store.close()
    assert_intact(open_store, url, [*receipts, *completed, receipt])


# ---- PostgreSQL and new stores -------------------------------------------------------------------


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def test_an_unreachable_postgresql_server(open_store):
    url = f"postgresql://pos:s3cr3t-pw@127.0.0.1:{_closed_port()}/shop"
    with pytest.raises(StorageError) as caught:
        open_store(url)
    text = str(caught.value)
    assert "cannot reach PostgreSQL" in text
    assert "postgresql://pos:***@127.0.0.1" in text
    assert "s3cr3t-pw" not in text


def test_a_new_store_needs_settings(store_url, open_store):
    with pytest.raises(ConfigurationError, match=r"new store: pass settings=Settings\(currency"):
        open_store(store_url, new=False)
    # The refusal is not final: the same database becomes a store once settings are given.
    store = open_store(store_url)
    assert store.settings.currency == "UAH"


def test_a_stores_currency_cannot_change(durable_url: str, open_store: OpenStore) -> None:
    open_store(durable_url).close()
    with pytest.raises(ConfigurationError, match="currency cannot change"):
        open_store(durable_url, currency="EUR")
    assert open_store(durable_url, new=False).settings.currency == "UAH"


def test_verify_and_revision_never_create_a_database(tmp_path: Path) -> None:
    from possdk.storage import current_revision, verify_journal

    url = sqlite_file_url(tmp_path, "typo.db")
    with pytest.raises(StorageError, match="no database at"):
        verify_journal(url)
    assert current_revision(url) is None
    assert not (tmp_path / "typo.db").exists()
    empty = tmp_path / "empty.db"
    sqlite3.connect(empty).close()
    with pytest.raises(StorageError, match="not a possdk store"):
        verify_journal(f"sqlite:///{empty}")
    with sqlite3.connect(empty) as conn:  # still untouched
        assert conn.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)
    conn.close()
