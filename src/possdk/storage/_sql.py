"""The built-in SQL backend: SQLite (embedded default) and PostgreSQL through SQLAlchemy Core."""

from __future__ import annotations

import json
import logging
import os
import random
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import StaticPool

from possdk.core import (
    Gtin,
    GtinKind,
    Money,
    Operator,
    Product,
    ProductKind,
    Receipt,
    Role,
    TaxCategory,
    TaxRate,
    Unit,
    currency,
)
from possdk.core._decimal import EXACT
from possdk.errors import SchemaVersionError, StorageError
from possdk.storage import _schema as t
from possdk.storage._backend import SessionRow
from possdk.storage._codec import canonical, structure, unstructure
from possdk.storage._journal import JournalEntry
from possdk.storage._sql_customer_reports import CustomerReportsRepository
from possdk.storage._sql_exports import ExportsRepository
from possdk.storage._sql_gifts import GiftCouponRepository
from possdk.storage._sql_loyalty import LoyaltyRepository
from possdk.storage._sql_outbox import WebhookRepository
from possdk.storage._sql_reports import ReportsRepository
from possdk.storage._sql_stock import StockRepository, from_micro, micro
from possdk.storage._url import StoreURL

__all__ = ["SqlBackend", "SqlUnitOfWork"]

log = logging.getLogger(__name__)

T = TypeVar("T")

SYNCHRONOUS = ("FULL", "NORMAL", "EXTRA")
BUSY_TIMEOUT_S = 10.0
RETRIES = 8
TRANSIENT_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock
_BEGIN = {"IMMEDIATE": "BEGIN IMMEDIATE", "DEFERRED": "BEGIN DEFERRED"}
# In order; the last is SCHEMA_REVISION.
KNOWN_REVISIONS = (
    *("0001", "0002", "0003", "0004", "0005", "0006", "0007", "0008", "0009", "0010"),
    "0011",
)
_COMPILED: dict[str, Any] = {
    "sqlite": sa.util.LRUCache(2000),
    "postgresql": sa.util.LRUCache(2000),
}


class SqlBackend:
    """SQLite or PostgreSQL behind one schema.

    SQLite runs in WAL mode with ``synchronous=FULL`` by default (a committed
    sale survives a power cut); ``?synchronous=NORMAL`` in the URL trades the
    last few transactions before a power cut (never a crash of the app) for
    about twice the write speed. Writes take the lock at their start
    (``BEGIN IMMEDIATE``) and wait up to ten seconds for another writer
    (``?busy_timeout=SECONDS`` to change it).
    """

    def __init__(self, url: StoreURL) -> None:
        self.url = url
        options = url.options
        self.busy_timeout = BUSY_TIMEOUT_S
        if url.scheme == "sqlite":
            self.synchronous = options.get("synchronous", "FULL").upper()
            if self.synchronous not in SYNCHRONOUS:
                raise StorageError(
                    f"synchronous={self.synchronous!r} is not one of {', '.join(SYNCHRONOUS)}"
                )
            try:
                self.busy_timeout = float(options.get("busy_timeout", BUSY_TIMEOUT_S))
            except ValueError:
                raise StorageError(
                    f"busy_timeout={options['busy_timeout']!r} must be a number of seconds"
                ) from None
            self.engine = self._sqlite_engine()
        elif url.scheme == "postgresql":
            self.synchronous = "FULL"
            self.engine = self._postgres_engine()
        else:  # pragma: no cover - the plugin only hands us these schemes
            raise StorageError(f"the SQL backend does not serve {url.scheme}://")
        self.dialect = self.engine.dialect.name
        # The hot path runs on the driver's cursor, so the driver's own errors
        # must be caught and translated as well as SQLAlchemy's wrapped ones.
        driver = self.engine.dialect.loaded_dbapi
        self.errors: tuple[type[BaseException], ...] = (sa.exc.DBAPIError, driver.Error)
        # Compiled SQL is shared by every engine of the process: a store opened
        # later (a test, a second database) does not compile the same statements again.
        self.engine = self.engine.execution_options(compiled_cache=_COMPILED[self.dialect])

    # ---- engines -----------------------------------------------------------------

    def _sqlite_engine(self) -> Engine:
        url = self.url
        if url.is_memory:
            engine = sa.create_engine(
                "sqlite+pysqlite://",
                poolclass=StaticPool,
                connect_args={"check_same_thread": False},
            )
        else:
            path = Path(url.path)
            parent = path.resolve().parent
            if not parent.is_dir():
                raise StorageError(
                    f"cannot open {url}: directory {parent} does not exist; create it first"
                )
            if path.exists() and not os.access(path, os.R_OK):
                raise StorageError(f"cannot open {url}: {path} is not readable")
            engine = sa.create_engine(
                f"sqlite+pysqlite:///{path}",
                connect_args={"timeout": self.busy_timeout, "check_same_thread": False},
            )
        memory = url.is_memory
        synchronous = self.synchronous
        busy_ms = int(self.busy_timeout * 1000)

        @event.listens_for(engine, "connect")
        def on_connect(dbapi_connection: Any, record: Any) -> None:
            # possdk issues BEGIN itself (IMMEDIATE for writes), so the driver must not.
            dbapi_connection.isolation_level = None
            cursor = dbapi_connection.cursor()
            try:
                if not memory:
                    cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute(f"PRAGMA synchronous={synchronous}")
                cursor.execute("PRAGMA foreign_keys=ON")
                cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            finally:
                cursor.close()

        @event.listens_for(engine, "begin")
        def on_begin(conn: Connection) -> None:
            mode = conn.get_execution_options().get("possdk_begin", "IMMEDIATE")
            # Straight to the driver: this runs once per operation, on the hot path.
            conn.connection.driver_connection.execute(_BEGIN[mode])  # type: ignore[union-attr]

        return engine

    def _postgres_engine(self) -> Engine:
        raw = self.url.raw
        scheme, rest = raw.split("://", 1)
        if "+" not in scheme:
            raw = "postgresql+psycopg://" + rest
        try:
            import psycopg  # noqa: F401
        except ImportError as exc:
            raise StorageError(
                "PostgreSQL needs psycopg 3: pip install 'possdk[postgres]'"
            ) from exc
        return sa.create_engine(raw, pool_pre_ping=True, isolation_level="READ COMMITTED")

    # ---- units of work -------------------------------------------------------------

    @contextmanager
    def unit_of_work(self, *, write: bool = True) -> Iterator[SqlUnitOfWork]:
        """A transaction; rolls back unless committed."""
        try:
            conn = self.engine.connect()
        except self.errors as exc:
            raise self.translate(exc) from exc
        try:
            if self.dialect == "sqlite":
                conn = conn.execution_options(possdk_begin="IMMEDIATE" if write else "DEFERRED")
            try:
                trans = conn.begin()
            except self.errors as exc:
                raise self.translate(exc) from exc
            uow = SqlUnitOfWork(conn, self)
            try:
                yield uow
            finally:
                if uow._cursor is not None:
                    uow._cursor.close()
                if trans.is_active:
                    trans.rollback()  # not committed: nothing of it stays
        finally:
            conn.close()

    def run(self, work: Callable[[SqlUnitOfWork], T]) -> T:
        """Run ``work`` in a write transaction and commit, retrying transient conflicts."""
        for attempt in range(1, RETRIES + 1):
            try:
                with self.unit_of_work() as uow:
                    result = work(uow)
                    uow.commit()
                    return result
            except self.errors as exc:
                if self.is_transient(exc) and attempt < RETRIES:
                    delay = min(0.2, 0.005 * 2**attempt) * (0.5 + random.random())
                    log.info(
                        "retrying after a transient conflict (%s), attempt %d",
                        getattr(exc, "orig", exc),
                        attempt,
                    )
                    time.sleep(delay)
                    continue
                raise self.translate(exc) from exc
        raise AssertionError("unreachable")  # pragma: no cover

    def is_transient(self, exc: BaseException) -> bool:
        """A conflict that succeeds when retried: a serialization failure or deadlock."""
        code = getattr(getattr(exc, "orig", exc), "sqlstate", None)
        return code in TRANSIENT_SQLSTATES

    def translate(self, exc: BaseException) -> StorageError:
        """A database error (wrapped by SQLAlchemy or the driver's own) as a StorageError."""
        text = str(getattr(exc, "orig", exc))
        where = self.url.redacted()
        lowered = text.lower()
        if "database is locked" in lowered or "database table is locked" in lowered:
            return StorageError(
                f"{where} stayed locked by another process for {self.busy_timeout:g} s; "
                f"nothing was written: retry, or find the process holding it"
            )
        if "unable to open database file" in lowered:
            return StorageError(
                f"cannot open {where}: check that the directory exists and is writable"
            )
        if "readonly database" in lowered or "read-only" in lowered:
            return StorageError(
                f"{where} is read-only: nothing was written; check the file's permissions"
            )
        if "disk is full" in lowered or "disk full" in lowered or "no space" in lowered:
            return StorageError(
                f"{where}: the disk is full; nothing of this operation was written, "
                f"everything committed before is safe; free some space and retry"
            )
        if "not a database" in lowered:
            return StorageError(f"{where} is not a possdk database (not SQLite at all)")
        if "connection" in lowered and self.dialect == "postgresql":
            return StorageError(f"cannot reach PostgreSQL at {where}: {text.strip()}")
        return StorageError(f"{where}: {text.strip()}")

    # ---- schema ------------------------------------------------------------------------

    def schema_revision(self) -> str | None:
        """The stored schema revision, or None for a database without possdk tables."""
        with self.unit_of_work(write=False) as uow:
            conn = uow.conn
            tables = set(sa.inspect(conn).get_table_names())
            if "alembic_version" not in tables:
                if tables - {"sqlite_sequence"}:
                    raise SchemaVersionError(
                        f"{self.url} has tables but no possdk schema version: "
                        f"it is not a possdk store; use another database"
                    )
                return None
            row = conn.execute(sa.text("SELECT version_num FROM alembic_version")).first()
            return None if row is None else str(row[0])

    def prepare(self) -> None:
        """Create the schema in an empty database; refuse an older or newer one."""
        try:
            revision = self.schema_revision()
        except self.errors as exc:
            raise self.translate(exc) from exc
        if revision is None:
            self.create_schema()
        elif revision != t.SCHEMA_REVISION:
            if revision in KNOWN_REVISIONS:
                raise SchemaVersionError(
                    f"{self.url} has schema {revision}, this possdk needs {t.SCHEMA_REVISION}: "
                    f"run `possdk db upgrade --db {self.url}` (back the database up first)"
                )
            raise SchemaVersionError(
                f"{self.url} has schema {revision}, newer than this possdk knows "
                f"({t.SCHEMA_REVISION}): upgrade possdk instead of opening it with an old one"
            )

    def create_schema(self) -> None:
        """Create every table in an empty database and stamp it with the current revision.

        The same tables the migrations build (a test proves it), without
        importing Alembic on every start.
        """

        def create(uow: SqlUnitOfWork) -> None:
            # Several tills may open a new database at once: serialise the
            # creation (SQLite's BEGIN IMMEDIATE already does), then create only
            # what is missing, so the late ones find the schema made.
            if uow.conn.dialect.name == "postgresql":
                uow.conn.execute(sa.text("SELECT pg_advisory_xact_lock(7307736371)"))
            t.metadata.create_all(uow.conn, checkfirst=True)
            location_id, name, kind = t.DEFAULT_LOCATION
            _insert_ignore(
                uow.conn,
                t.locations,
                {"id": location_id, "name": name, "kind": kind, "active": True},
            )
            uow.conn.execute(
                sa.text(
                    "CREATE TABLE IF NOT EXISTS alembic_version (version_num VARCHAR(32) NOT NULL, "
                    "CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num))"
                )
            )
            stamped = uow.conn.execute(sa.text("SELECT count(*) FROM alembic_version")).scalar()
            if not stamped:
                uow.conn.execute(
                    sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"),
                    {"v": t.SCHEMA_REVISION},
                )

        self.run(create)

    def close(self) -> None:
        """Dispose of the connection pool."""
        self.engine.dispose()


def _insert_ignore(conn: Connection, table: sa.Table, values: dict[str, Any]) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        conn.execute(pg_insert(table).values(**values).on_conflict_do_nothing())
    else:
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        conn.execute(sqlite_insert(table).values(**values).on_conflict_do_nothing())


def _minor(money: Money) -> int:
    return money.minor


_micro = micro
_from_micro = from_micro


class _Raw:
    """Hot-path SQL, compiled once per dialect and run on the driver's own cursor.

    Completing a sale writes about a dozen rows; building and compiling a
    SQLAlchemy statement for each costs several times the database's own
    work (measured in benchmarks/bench_commit.py). These statements are plain
    strings made once from the same Table objects, with the same type
    conversions SQLAlchemy would apply.
    """

    def __init__(self, dialect: str) -> None:
        self.sqlite = dialect == "sqlite"
        self.ph = "?" if self.sqlite else "%s"
        self.lock = "" if self.sqlite else " FOR UPDATE"  # SQLite: BEGIN IMMEDIATE holds the lock
        self.inserts: dict[str, str] = {}
        for table in t.metadata.sorted_tables:
            cols = [c.name for c in table.columns]
            self.inserts[table.name] = (
                f"INSERT INTO {table.name} ({', '.join(cols)}) "
                f"VALUES ({', '.join([self.ph] * len(cols))})"
            )

    def sql(self, text: str) -> str:
        """Write statements with ``?``; this gives the dialect's placeholder."""
        return text if self.sqlite else text.replace("?", "%s")

    def uuid(self, value: uuid.UUID | None) -> Any:
        """A UUID as the column stores it (32 hex digits on SQLite, native on PostgreSQL)."""
        if value is None:
            return None
        return value.hex if self.sqlite else value

    def time(self, value: datetime) -> Any:
        """An aware datetime as the column stores it."""
        return _UTC.process_bind_param(value, _SQLITE if self.sqlite else _PG)

    def flag(self, value: bool) -> Any:
        """A boolean as the column stores it."""
        return int(value) if self.sqlite else value


_UTC = t.UTCDateTime()  # one instance: building a SQLAlchemy type costs more than using it


class _DialectName:
    def __init__(self, name: str) -> None:
        self.name = name


_SQLITE: Any = _DialectName("sqlite")
_PG: Any = _DialectName("postgresql")
_RAW: dict[str, _Raw] = {}


def _raw(dialect: str) -> _Raw:
    raw = _RAW.get(dialect)
    if raw is None:
        raw = _RAW[dialect] = _Raw(dialect)
    return raw


_UPDATE_PAYMENT = (
    "UPDATE payments SET sale_id = ?, terminal_id = ?, provider = ?, kind = ?, status = ?, "
    "currency = ?, requested_minor = ?, approved_minor = ?, captured_minor = ?, "
    "refunded_minor = ?, reference = ?, card_brand = ?, card_first6 = ?, card_last4 = ?, "
    "decline_code = ?, decline_message = ?, offline = ?, forwarded_at = ?, exception = ?, "
    "created_at = ?, updated_at = ? WHERE id = ?"
)


class SqlUnitOfWork(
    StockRepository,
    LoyaltyRepository,
    GiftCouponRepository,
    WebhookRepository,
    ReportsRepository,
    ExportsRepository,
    CustomerReportsRepository,
):
    """One SQL transaction with the repositories the Store needs."""

    def __init__(self, conn: Connection, backend: SqlBackend) -> None:
        self.conn = conn
        self.backend = backend
        self.committed = False
        self.raw = _raw(conn.dialect.name)
        self._cursor: Any = None

    @property
    def cursor(self) -> Any:
        """The driver's cursor, inside this unit of work's transaction."""
        if self._cursor is None:
            self._cursor = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        return self._cursor

    def commit(self) -> None:
        """Commit the transaction."""
        self.conn.commit()
        self.committed = True

    def _locked(self, stmt: sa.Select[Any]) -> sa.Select[Any]:
        return stmt.with_for_update() if self.conn.dialect.name == "postgresql" else stmt

    # ---- settings, catalog, operators --------------------------------------------

    def get_setting(self, key: str) -> str | None:
        """A setting's stored JSON."""
        row = self.conn.execute(
            sa.select(t.settings.c.value).where(t.settings.c.key == key)
        ).first()
        return None if row is None else str(row[0])

    def put_setting(self, key: str, value: str) -> None:
        """Store a setting's JSON."""
        self.conn.execute(sa.delete(t.settings).where(t.settings.c.key == key))
        self.conn.execute(sa.insert(t.settings).values(key=key, value=value))

    def load_tax_categories(self) -> list[TaxCategory]:
        """Every tax category."""
        result = []
        for code, name, rates in self.conn.execute(
            sa.select(t.tax_categories.c.code, t.tax_categories.c.name, t.tax_categories.c.rates)
        ):
            result.append(TaxCategory(code, structure(json.loads(rates), list[TaxRate]), name))
        return result

    def put_tax_category(self, category: TaxCategory) -> None:
        """Insert or replace a tax category."""
        rates = canonical(unstructure(list(category.rates)))
        updated = self.conn.execute(
            sa.update(t.tax_categories)
            .where(t.tax_categories.c.code == category.code)
            .values(name=category.name, rates=rates)
        )
        if not updated.rowcount:
            self.conn.execute(
                sa.insert(t.tax_categories).values(
                    code=category.code, name=category.name, rates=rates
                )
            )

    def load_products(self) -> Iterator[Product]:
        """Every product, streamed in SKU order (on the driver's cursor: catalogs are large)."""
        kinds = {k.value: k for k in GtinKind}
        units = {u.value: u for u in Unit}
        barcodes: dict[str, list[Gtin]] = {}
        cur = self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            cur.execute("SELECT gtin14, sku, kind FROM product_barcodes")
            for gtin14, sku, kind in cur:
                # Validated when the product was added; trusted as kept.
                barcodes.setdefault(sku, []).append(Gtin(gtin14, kinds[kind]))
            cur.execute(
                "SELECT sku, name, price, currency, tax_category, unit, quantity_decimals, plu, "
                "active, parent_sku, attributes, category, kind FROM products ORDER BY sku"
            )
            kinds_of = {k.value: k for k in ProductKind}
            for (
                sku, name, price, code, tax, unit, decimals, plu, active, parent, attrs_, category,
                kind,
            ) in cur:  # fmt: skip
                yield Product(
                    sku,
                    name,
                    Money(price, code),
                    tax,
                    barcodes=tuple(barcodes.get(sku, ())),
                    unit=units[unit],
                    quantity_decimals=decimals,
                    plu=plu,
                    active=bool(active),
                    parent_sku=parent,
                    attributes=json.loads(attrs_) if attrs_ != "{}" else None,
                    category=category,
                    kind=kinds_of[kind],
                )
        finally:
            cur.close()

    def put_products(self, products: Iterable[Product], *, replace: bool) -> int:
        """Insert products (or overwrite them, barcodes included)."""
        raw = self.raw
        flag = raw.flag
        rows: list[tuple[Any, ...]] = []
        codes: list[tuple[Any, ...]] = []
        skus: list[str] = []
        for pr in products:
            skus.append(pr.sku)
            attributes = canonical(dict(pr.attributes)) if pr.attributes else "{}"
            rows.append(
                (
                    pr.sku,
                    pr.name,
                    format(pr.price.amount, "f"),
                    pr.price.currency,
                    pr.tax_category,
                    pr.unit.value,
                    pr.quantity_decimals,
                    pr.plu,
                    flag(pr.active),
                    pr.parent_sku,
                    attributes,
                    pr.category,
                    pr.kind.value,
                )
            )
            codes.extend((g.gtin14, pr.sku, g.kind.value) for g in pr.barcodes)
        if not rows:
            return 0
        cur = self.cursor
        if replace:
            for chunk in range(0, len(skus), 500):
                part = skus[chunk : chunk + 500]
                marks = ", ".join([raw.ph] * len(part))
                cur.execute(f"DELETE FROM product_barcodes WHERE sku IN ({marks})", part)
                cur.execute(f"DELETE FROM products WHERE sku IN ({marks})", part)
        cur.executemany(raw.inserts["products"], rows)
        if codes:
            cur.executemany(raw.inserts["product_barcodes"], codes)
        return len(rows)

    def load_operators(self) -> list[Operator]:
        """Every operator."""
        return [
            Operator(op_id, name, structure(json.loads(role), Role))
            for op_id, name, role in self.conn.execute(
                sa.select(t.operators.c.id, t.operators.c.name, t.operators.c.role)
            )
        ]

    def put_operator(self, operator: Operator) -> None:
        """Insert or replace an operator."""
        role = canonical(unstructure(operator.role))
        self.conn.execute(sa.delete(t.operators).where(t.operators.c.id == operator.id))
        self.conn.execute(
            sa.insert(t.operators).values(id=operator.id, name=operator.name, role=role)
        )

    # ---- registers and sessions ----------------------------------------------

    def next_number(self, register_id: str, counter: str) -> int:
        """Lock the register's row and take its next receipt or Z number."""
        column = {"receipt": "receipt_count", "z": "z_count"}[counter]
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(f"SELECT {column} FROM registers WHERE id = ?{raw.lock}"), (register_id,)
        )
        row = cur.fetchone()
        if row is None:
            _insert_ignore(
                self.conn, t.registers, {"id": register_id, "receipt_count": 0, "z_count": 0}
            )
            cur.execute(
                raw.sql(f"SELECT {column} FROM registers WHERE id = ?{raw.lock}"), (register_id,)
            )
            row = cur.fetchone()
        number = int(row[0]) + 1
        cur.execute(
            raw.sql(f"UPDATE registers SET {column} = ? WHERE id = ?"), (number, register_id)
        )
        return number

    def lock_register(self, register_id: str) -> None:
        """Create the register's row if needed and lock it until commit.

        Opening a session holds this lock, so two tills opening the same
        register at once cannot both find it free.
        """
        raw, cur = self.raw, self.cursor
        cur.execute(raw.sql(f"SELECT id FROM registers WHERE id = ?{raw.lock}"), (register_id,))
        if cur.fetchone() is None:
            _insert_ignore(
                self.conn, t.registers, {"id": register_id, "receipt_count": 0, "z_count": 0}
            )
            cur.execute(raw.sql(f"SELECT id FROM registers WHERE id = ?{raw.lock}"), (register_id,))
            cur.fetchone()

    def insert_session(self, row: SessionRow) -> None:
        """Keep a newly opened session."""
        _insert_ignore(
            self.conn, t.registers, {"id": row.register_id, "receipt_count": 0, "z_count": 0}
        )
        self.conn.execute(
            sa.insert(t.register_sessions).values(
                id=row.id,
                register_id=row.register_id,
                operator_id=row.operator_id,
                currency=row.currency,
                opening_float_minor=row.opening_float_minor,
                opened_at=row.opened_at,
                totals=row.totals,
            )
        )

    def _session_row(self, row: Any) -> SessionRow:
        return SessionRow(
            id=row.id,
            register_id=row.register_id,
            operator_id=row.operator_id,
            currency=row.currency,
            opening_float_minor=row.opening_float_minor,
            opened_at=row.opened_at,
            totals=row.totals,
            closed_at=row.closed_at,
            z_number=row.z_number,
            z_report=row.z_report,
        )

    def open_session_for(self, register_id: str) -> SessionRow | None:
        """The register's open session, if any."""
        s = t.register_sessions.c
        row = self.conn.execute(
            sa.select(t.register_sessions)
            .where(s.register_id == register_id, s.closed_at.is_(None))
            .order_by(s.opened_at.desc())
        ).first()
        return None if row is None else self._session_row(row)

    def session(self, session_id: uuid.UUID, *, lock: bool = False) -> SessionRow | None:
        """A session, locked if asked."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(
                "SELECT id, register_id, operator_id, currency, opening_float_minor, opened_at, "
                "totals, closed_at, z_number, z_report FROM register_sessions WHERE id = ?"
                + (raw.lock if lock else "")
            ),
            (raw.uuid(session_id),),
        )
        row = cur.fetchone()
        if row is None:
            return None
        as_time = _UTC.process_result_value
        dialect = _SQLITE if raw.sqlite else _PG
        opened = as_time(row[5], dialect)
        assert opened is not None
        return SessionRow(
            id=session_id,
            register_id=row[1],
            operator_id=row[2],
            currency=row[3],
            opening_float_minor=int(row[4]),
            opened_at=opened,
            totals=row[6],
            closed_at=as_time(row[7], dialect),
            z_number=row[8],
            z_report=row[9],
        )

    def update_session(
        self,
        session_id: uuid.UUID,
        *,
        totals: str,
        closed_at: datetime | None = None,
        z_number: int | None = None,
        z_report: str | None = None,
    ) -> None:
        """Write a session's totals (and its Z report at close)."""
        raw = self.raw
        if closed_at is None:
            self.cursor.execute(
                raw.sql("UPDATE register_sessions SET totals = ? WHERE id = ?"),
                (totals, raw.uuid(session_id)),
            )
            return
        self.cursor.execute(
            raw.sql(
                "UPDATE register_sessions SET totals = ?, closed_at = ?, z_number = ?, "
                "z_report = ? WHERE id = ?"
            ),
            (totals, raw.time(closed_at), z_number, z_report, raw.uuid(session_id)),
        )

    def z_reports(self) -> list[str]:
        """Every Z report's JSON in closing order."""
        s = t.register_sessions.c
        return [
            str(r[0])
            for r in self.conn.execute(
                sa.select(s.z_report).where(s.z_report.is_not(None)).order_by(s.closed_at, s.id)
            )
        ]

    # ---- sales ---------------------------------------------------------------------

    def insert_receipt(self, receipt: Receipt, document: str) -> None:
        """Keep a completed sale or return: header, lines, taxes, tenders, the document."""
        raw, cur = self.raw, self.cursor
        totals = receipt.totals
        code = receipt.currency
        exponent = currency(code).minor_units
        sale_id = raw.uuid(receipt.sale_id)
        rounding = change = 0
        for x in receipt.tenders:
            rounding += x.rounding.minor
            change += x.change.minor

        def minor(value: Decimal) -> int:
            scaled = value.scaleb(exponent, context=EXACT)
            if scaled != scaled.to_integral_value(context=EXACT):
                raise StorageError(f"{value} {code} has digits below the minor unit")
            return int(scaled)

        cur.execute(
            raw.inserts["sales"],
            (
                sale_id,
                receipt.number,
                receipt.kind.value,
                receipt.register_id,
                raw.uuid(receipt.session_id),
                receipt.operator_id,
                code,
                raw.time(receipt.started_at),
                raw.time(receipt.completed_at),
                totals.subtotal.minor,
                totals.discount.minor,
                totals.net.minor,
                totals.tax.minor,
                totals.total.minor,
                rounding,
                change,
                raw.uuid(receipt.return_of),
                document,
                receipt.customer_id,
            ),
        )
        no = raw.flag(False)
        lines = []
        for p in totals.lines:
            ln = p.line
            ref = ln.return_of
            lines.append(
                (
                    sale_id,
                    ln.line_no,
                    ln.sku,
                    ln.name,
                    _micro(ln.quantity),
                    ln.unit.value,
                    format(ln.unit_price.amount, "f"),
                    minor(p.subtotal),
                    minor(p.discount),
                    minor(p.net),
                    minor(p.tax),
                    minor(p.gross),
                    no,
                    raw.uuid(ref.sale_id) if ref else None,
                    ref.line_no if ref else None,
                )
            )
        yes = raw.flag(True)
        for ln in receipt.voided_lines:  # kept for audit and void reports, at zero
            lines.append(
                (
                    sale_id,
                    ln.line_no,
                    ln.sku,
                    ln.name,
                    _micro(ln.quantity),
                    ln.unit.value,
                    format(ln.unit_price.amount, "f"),
                    0,
                    0,
                    0,
                    0,
                    0,
                    yes,
                    None,
                    None,
                )
            )
        if lines:
            cur.executemany(raw.inserts["sale_lines"], lines)
        if totals.breakdown:
            cur.executemany(
                raw.inserts["sale_taxes"],
                [
                    (
                        sale_id,
                        row.rate.code,
                        format(row.rate.percent, "f"),
                        row.net.minor,
                        row.tax.minor,
                    )
                    for row in totals.breakdown
                ],
            )
        if receipt.tenders:
            cur.executemany(
                raw.inserts["tenders"],
                [
                    (
                        sale_id,
                        x.tender_no,
                        x.kind.value,
                        x.amount.minor,
                        x.tendered.minor,
                        x.change.minor,
                        x.rounding.minor,
                        x.reference,
                    )
                    for x in receipt.tenders
                ],
            )
        if totals.promotions:  # per promotion, for "discounts given by promotion"
            cur.executemany(
                raw.inserts["sale_promotions"],
                [
                    (sale_id, seq, p.promotion_id, p.description, p.line_no, p.amount.minor)
                    for seq, p in enumerate(totals.promotions, 1)
                ],
            )

    def receipt_document(self, number_or_id: str | uuid.UUID) -> str | None:
        """A receipt's document by number or sale id."""
        s = t.sales.c
        cond = (
            s.id == number_or_id
            if isinstance(number_or_id, uuid.UUID)
            else s.number == number_or_id
        )
        row = self.conn.execute(sa.select(s.receipt).where(cond)).first()
        return None if row is None else str(row[0])

    def receipt_documents(self, session_id: uuid.UUID | None = None) -> Iterator[str]:
        """Receipts' documents in completion order."""
        s = t.sales.c
        stmt = sa.select(s.receipt).order_by(s.completed_at, s.number)
        if session_id is not None:
            stmt = stmt.where(s.session_id == session_id)
        for (doc,) in self.conn.execute(stmt):
            yield str(doc)

    def lock_sale(self, sale_id: uuid.UUID) -> bool:
        """Lock a sale's row against concurrent returns."""
        row = self.conn.execute(
            self._locked(sa.select(t.sales.c.id).where(t.sales.c.id == sale_id))
        ).first()
        return row is not None

    def returned_quantities(self, sale_id: uuid.UUID) -> dict[int, Decimal]:
        """Quantities already returned per line of a sale."""
        c = t.sale_lines.c
        rows = self.conn.execute(
            sa.select(c.return_of_line, sa.func.sum(c.quantity_micro))
            .where(c.return_of_sale == sale_id, c.voided.is_(False))
            .group_by(c.return_of_line)
        )
        return {int(line): _from_micro(-int(micro)) for line, micro in rows}

    def park(
        self, sale_id: uuid.UUID, register_id: str, operator_id: str, at: datetime, payload: str
    ) -> None:
        """Keep a parked sale."""
        self.conn.execute(
            sa.insert(t.suspended_sales).values(
                id=sale_id,
                register_id=register_id,
                operator_id=operator_id,
                suspended_at=at,
                payload=payload,
            )
        )

    def parked(self, sale_id: uuid.UUID | None = None) -> list[str]:
        """Parked sales' payloads."""
        c = t.suspended_sales.c
        stmt = sa.select(c.payload).order_by(c.suspended_at, c.id)
        if sale_id is not None:
            stmt = stmt.where(c.id == sale_id)
        return [str(r[0]) for r in self.conn.execute(stmt)]

    def unpark(self, sale_id: uuid.UUID) -> bool:
        """Forget a parked sale; False if it was not parked."""
        done = self.conn.execute(
            sa.delete(t.suspended_sales).where(t.suspended_sales.c.id == sale_id)
        )
        return bool(done.rowcount)

    # ---- payments ----------------------------------------------------------------------

    _PAYMENT_COLS = (
        "id, sale_id, terminal_id, provider, kind, status, currency, requested_minor, "
        "approved_minor, captured_minor, refunded_minor, reference, card_brand, card_first6, "
        "card_last4, decline_code, decline_message, offline, forwarded_at, exception, "
        "created_at, updated_at"
    )

    def put_payment(self, payment: Any, *, new: bool = False) -> None:
        """Insert or update a payment (``new``: known not to be kept yet, insert at once)."""
        raw, cur = self.raw, self.cursor
        card = payment.card
        values = (
            raw.uuid(payment.sale_id),
            payment.terminal_id,
            payment.provider,
            payment.kind.value,
            payment.status.value,
            payment.requested.currency,
            payment.requested.minor,
            payment.approved.minor,
            payment.captured.minor,
            payment.refunded.minor,
            payment.reference,
            card.brand if card else None,
            card.first6 if card else None,
            card.last4 if card else None,
            payment.decline_code,
            payment.decline_message,
            raw.flag(payment.offline),
            raw.time(payment.forwarded_at) if payment.forwarded_at else None,
            payment.exception,
            raw.time(payment.created_at),
            raw.time(payment.updated_at),
        )
        if not new:
            cur.execute(raw.sql(_UPDATE_PAYMENT), (*values, raw.uuid(payment.id)))
            if cur.rowcount:
                return
        cur.execute(raw.inserts["payments"], (raw.uuid(payment.id), *values))

    def _payment(self, row: Any) -> Any:
        from possdk.core import CardDisplay, TenderKind
        from possdk.payments._model import Payment, PaymentStatus

        as_time = _UTC.process_result_value
        dialect = _SQLITE if self.raw.sqlite else _PG
        code = row[6]

        def money(minor: int) -> Money:
            return Money.from_minor(int(minor), code)

        created, updated = as_time(row[20], dialect), as_time(row[21], dialect)
        assert created is not None
        assert updated is not None

        card = CardDisplay(row[12], row[14], row[13]) if row[12] else None
        return Payment(
            id=row[0] if isinstance(row[0], uuid.UUID) else uuid.UUID(row[0]),
            provider=row[3],
            kind=TenderKind(row[4]),
            status=PaymentStatus(row[5]),
            requested=money(row[7]),
            approved=money(row[8]),
            captured=money(row[9]),
            refunded=money(row[10]),
            created_at=created,
            updated_at=updated,
            sale_id=None
            if row[1] is None
            else row[1]
            if isinstance(row[1], uuid.UUID)
            else uuid.UUID(row[1]),
            terminal_id=row[2],
            reference=row[11],
            card=card,
            decline_code=row[15],
            decline_message=row[16],
            offline=bool(row[17]),
            forwarded_at=as_time(row[18], dialect),
            exception=row[19],
        )

    def payment(self, payment_id: uuid.UUID) -> Any:
        """A payment, or None."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(f"SELECT {self._PAYMENT_COLS} FROM payments WHERE id = ?"),
            (raw.uuid(payment_id),),
        )
        row = cur.fetchone()
        return None if row is None else self._payment(row)

    def payments(self, sale_id: uuid.UUID | None = None) -> list[Any]:
        """Payments (of one sale, if given), oldest first."""
        raw, cur = self.raw, self.cursor
        if sale_id is None:
            cur.execute(f"SELECT {self._PAYMENT_COLS} FROM payments ORDER BY created_at, id")
        else:
            cur.execute(
                raw.sql(
                    f"SELECT {self._PAYMENT_COLS} FROM payments WHERE sale_id = ? "
                    "ORDER BY created_at, id"
                ),
                (raw.uuid(sale_id),),
            )
        return [self._payment(r) for r in cur.fetchall()]

    def put_attempt(
        self,
        key: str,
        payment_id: uuid.UUID,
        operation: str,
        fingerprint: str,
        result: str | None,
        at: datetime,
    ) -> None:
        """Keep an idempotency key before the call it names is made."""
        raw = self.raw
        self.cursor.execute(
            raw.inserts["payment_attempts"],
            (
                key,
                raw.uuid(payment_id),
                operation,
                fingerprint,
                result,
                raw.time(at),
                raw.time(at) if result is not None else None,
            ),
        )

    def attempt(self, key: str) -> tuple[str, str | None] | None:
        """An idempotency key's (fingerprint, result), or None if never used."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql("SELECT fingerprint, result FROM payment_attempts WHERE key = ?"), (key,)
        )
        row = cur.fetchone()
        return None if row is None else (str(row[0]), row[1])

    def open_attempts(self, operation: str) -> list[tuple[str, uuid.UUID, str]]:
        """Calls of one operation whose answer is not kept: (key, payment id, fingerprint)."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql(
                "SELECT key, payment_id, fingerprint FROM payment_attempts "
                "WHERE operation = ? AND result IS NULL ORDER BY created_at, key"
            ),
            (operation,),
        )
        return [
            (str(k), p if isinstance(p, uuid.UUID) else uuid.UUID(p), str(f))
            for k, p, f in cur.fetchall()
        ]

    def finish_attempt(self, key: str, result: str, at: datetime) -> None:
        """Keep the provider's answer to a call."""
        raw = self.raw
        self.cursor.execute(
            raw.sql("UPDATE payment_attempts SET result = ?, completed_at = ? WHERE key = ?"),
            (result, raw.time(at), key),
        )

    def account(self, number: str) -> tuple[str, str, int, bool] | None:
        """A gift card or store-credit account: (kind, currency, balance_minor, active)."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql("SELECT kind, currency, balance_minor, active FROM accounts WHERE number = ?"),
            (number,),
        )
        row = cur.fetchone()
        return None if row is None else (str(row[0]), str(row[1]), int(row[2]), bool(row[3]))

    def open_account(
        self, number: str, kind: str, currency_code: str, balance_minor: int, at: datetime, key: str
    ) -> None:
        """Create an account with an opening balance (one ledger entry)."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.inserts["accounts"], (number, kind, currency_code, 0, raw.flag(True), raw.time(at))
        )
        if balance_minor:
            self.move_account(number, balance_minor, key, None, at=at)

    def move_account(
        self,
        number: str,
        delta_minor: int,
        key: str,
        payment_id: uuid.UUID | None,
        *,
        at: datetime | None = None,
    ) -> int | None:
        """Add ``delta_minor`` to a balance unless it would go below zero; None if refused.

        Idempotent by ``key``: the same key again returns the balance after the first move.
        """
        raw, cur = self.raw, self.cursor
        cur.execute(raw.sql("SELECT balance_minor FROM account_entries WHERE key = ?"), (key,))
        seen = cur.fetchone()
        if seen is not None:
            return int(seen[0])
        cur.execute(
            raw.sql(
                "UPDATE accounts SET balance_minor = balance_minor + ? "
                "WHERE number = ? AND active = ? AND balance_minor + ? >= 0"
            ),
            (delta_minor, number, raw.flag(True), delta_minor),
        )
        if cur.rowcount == 0:
            return None
        cur.execute(
            raw.sql(f"SELECT balance_minor FROM accounts WHERE number = ?{raw.lock}"), (number,)
        )
        balance = int(cur.fetchone()[0])
        from datetime import timezone

        when = at or datetime.now(timezone.utc)
        cur.execute(
            raw.inserts["account_entries"],
            (key, number, delta_minor, balance, raw.uuid(payment_id), raw.time(when)),
        )
        return balance

    def set_account_active(self, number: str, active: bool) -> bool:
        """Block or unblock an account; False if there is no such account."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.sql("UPDATE accounts SET active = ? WHERE number = ?"), (raw.flag(active), number)
        )
        return bool(cur.rowcount)

    # ---- journal ---------------------------------------------------------------------

    def journal_head(self, terminal_id: str) -> tuple[int, str, int, int] | None:
        """Lock and read a terminal's head."""
        raw, cur = self.raw, self.cursor
        query = raw.sql(
            "SELECT seq, hash, gt_sales_minor, gt_returns_minor FROM journal_heads "
            "WHERE terminal_id = ?" + raw.lock
        )
        cur.execute(query, (terminal_id,))
        row = cur.fetchone()
        if row is None and not raw.sqlite:
            # Make the row exist so FOR UPDATE has something to lock (two first
            # writers of a terminal must not both start at seq 1).
            _insert_ignore(
                self.conn,
                t.journal_heads,
                {
                    "terminal_id": terminal_id,
                    "seq": 0,
                    "hash": "0" * 64,
                    "gt_sales_minor": 0,
                    "gt_returns_minor": 0,
                },
            )
            cur.execute(query, (terminal_id,))
            row = cur.fetchone()
        if row is None or row[0] == 0:
            return None
        return int(row[0]), str(row[1]), int(row[2]), int(row[3])

    def append_journal(self, entry: JournalEntry) -> None:
        """Write an entry and move the head."""
        raw, cur = self.raw, self.cursor
        cur.execute(
            raw.inserts["journal"],
            (
                raw.uuid(entry.id),
                entry.terminal_id,
                entry.seq,
                raw.time(entry.at),
                entry.type,
                entry.amount_minor,
                entry.payload,
                entry.gt_sales_minor,
                entry.gt_returns_minor,
                entry.prev_hash,
                entry.hash,
                entry.signature,
            ),
        )
        head = (entry.seq, entry.hash, entry.gt_sales_minor, entry.gt_returns_minor)
        cur.execute(
            raw.sql(
                "UPDATE journal_heads SET seq = ?, hash = ?, gt_sales_minor = ?, "
                "gt_returns_minor = ? WHERE terminal_id = ?"
            ),
            (*head, entry.terminal_id),
        )
        if cur.rowcount == 0:
            cur.execute(raw.inserts["journal_heads"], (entry.terminal_id, *head))

    def journal_entries(self) -> Iterator[JournalEntry]:
        """Every entry by terminal and sequence number."""
        j = t.journal.c
        for r in self.conn.execute(sa.select(t.journal).order_by(j.terminal_id, j.seq)):
            yield JournalEntry(
                id=r.id,
                terminal_id=r.terminal_id,
                seq=int(r.seq),
                at=r.at,
                type=r.type,
                amount_minor=int(r.amount_minor),
                payload=r.payload,
                gt_sales_minor=int(r.gt_sales_minor),
                gt_returns_minor=int(r.gt_returns_minor),
                prev_hash=r.prev_hash,
                hash=r.hash,
                signature=r.signature,
            )

    def journal_heads(self) -> dict[str, tuple[int, str, int, int]]:
        """Every terminal's head."""
        h = t.journal_heads.c
        return {
            str(r[0]): (int(r[1]), str(r[2]), int(r[3]), int(r[4]))
            for r in self.conn.execute(
                sa.select(h.terminal_id, h.seq, h.hash, h.gt_sales_minor, h.gt_returns_minor).where(
                    h.seq > 0
                )
            )
        }
