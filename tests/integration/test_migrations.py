"""Schema versions: stamping, Alembic migrations, and refusing old, newer and foreign databases.

Each test runs on a SQLite file and on PostgreSQL (``durable_url``). The
``possdk db`` commands run as a user runs them: the installed ``possdk``
executable in a subprocess (the refusals run the same command in-process,
which is quicker).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from click.testing import CliRunner, Result

from possdk import storage
from possdk.cli import main
from possdk.errors import SchemaVersionError
from possdk.storage import StoreURL
from possdk.storage._migrate import _backend, _config
from possdk.storage._schema import metadata
from tests.integration.conftest import OpenStore
from tests.integration.test_storage_conformance import open_till, sell

POSSDK = Path(sys.executable).parent / "possdk"


def possdk(*args: str) -> subprocess.CompletedProcess[str]:
    """Run the ``possdk`` command installed next to this Python."""
    assert POSSDK.exists(), f"the possdk command is not installed at {POSSDK}"
    return subprocess.run(
        [str(POSSDK), *args], capture_output=True, text=True, timeout=120, check=False
    )


def possdk_in_process(*args: str) -> Result:
    """The same command, run in this process (quicker, for the refusals)."""
    return CliRunner().invoke(main, list(args))


def on_database(url: str, work: Any) -> Any:
    """Run ``work(connection)`` on the database in one committed transaction."""
    backend = _backend(url)
    try:
        with backend.engine.connect() as conn:
            result = work(conn)
            conn.commit()
            return result
    finally:
        backend.close()


def schema_differences(url: str) -> list[Any]:
    """What Alembic's autogenerate finds between the database and possdk's metadata."""

    def compare(conn: sa.Connection) -> list[Any]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    return list(on_database(url, compare))


def table_names(url: str) -> set[str]:
    return set(on_database(url, lambda conn: sa.inspect(conn).get_table_names()))


def stamp(url: str, revision: str) -> None:
    on_database(
        url,
        lambda conn: conn.execute(
            sa.text("UPDATE alembic_version SET version_num = :v"), {"v": revision}
        ),
    )


def downgrade(url: str, revision: str) -> None:
    on_database(url, lambda conn: command.downgrade(_config(conn), revision))


def populated(url: str, open_store: OpenStore) -> Any:
    """A store with an open session and one completed receipt, closed again."""
    store = open_store(url)
    receipt = sell(open_till(store), [("BREAD", 2), ("COFFEE", 1)])
    store.close()
    return receipt


# ---- the current schema -------------------------------------------------------------------------


def test_the_code_expects_the_newest_migration():
    scripts = ScriptDirectory.from_config(_config(None))
    assert scripts.get_current_head() == storage.SCHEMA_REVISION
    revisions = [s.revision for s in scripts.walk_revisions()][::-1]
    assert revisions[0] == "0001" and revisions[-1] == storage.SCHEMA_REVISION


def test_a_new_store_is_stamped_at_the_current_revision(durable_url, open_store):
    populated(durable_url, open_store)
    assert storage.current_revision(durable_url) == storage.SCHEMA_REVISION
    assert schema_differences(durable_url) == []  # the tables Store.open made are the metadata


def test_migrating_an_empty_database_gives_exactly_the_schema(durable_url, open_store):
    assert storage.current_revision(durable_url) is None
    assert storage.upgrade(durable_url) == (None, storage.SCHEMA_REVISION)
    assert schema_differences(durable_url) == []
    assert table_names(durable_url) == {*metadata.tables, "alembic_version"}
    # A migrated database is as good as one Store.open created.
    store = open_store(durable_url)
    receipt = sell(open_till(store))
    assert store.receipt(receipt.number) == receipt
    assert storage.upgrade(durable_url) == (storage.SCHEMA_REVISION, storage.SCHEMA_REVISION)


def test_the_migrations_go_down_and_up_again(durable_url, open_store):
    receipt = populated(durable_url, open_store)
    downgrade(durable_url, "0001")
    assert storage.current_revision(durable_url) == "0001"
    assert schema_differences(durable_url) != []  # 0001 lacks the report indexes
    assert storage.upgrade(durable_url) == ("0001", storage.SCHEMA_REVISION)
    assert schema_differences(durable_url) == []
    store = open_store(durable_url, new=False)
    assert store.receipts() == (receipt,)


# ---- an older database --------------------------------------------------------------------------


def test_an_old_database_is_refused_with_the_command_to_run(durable_url, open_store):
    storage.upgrade(durable_url, "0001")
    shown = StoreURL.parse(durable_url).redacted()
    with pytest.raises(SchemaVersionError) as caught:
        open_store(durable_url)
    message = str(caught.value)
    assert f"possdk db upgrade --db {shown}" in message
    assert "schema 0001" in message and storage.SCHEMA_REVISION in message
    assert storage.current_revision(durable_url) == "0001"  # refusing changed nothing


def test_possdk_db_upgrade_migrates_an_old_store_and_keeps_its_data(durable_url, open_store):
    receipt = populated(durable_url, open_store)
    downgrade(durable_url, "0001")
    with pytest.raises(SchemaVersionError, match="possdk db upgrade --db"):
        open_store(durable_url, new=False)

    shown = possdk("db", "revision", "--db", durable_url)
    assert shown.returncode == 0, shown.stderr
    assert f"schema 0001; this possdk uses {storage.SCHEMA_REVISION}" in shown.stdout

    done = possdk("db", "upgrade", "--db", durable_url)
    assert done.returncode == 0, done.stderr
    assert f"schema 0001 -> {storage.SCHEMA_REVISION}" in done.stdout

    assert storage.current_revision(durable_url) == storage.SCHEMA_REVISION
    assert schema_differences(durable_url) == []
    store = open_store(durable_url, new=False)
    assert store.receipts() == (receipt,)
    session = store.register("till-1").session
    assert session is not None and session.totals.sale_count == 1
    assert store.verify_journal().ok
    # And the store carries on where it left off.
    assert sell(session).number == "till-1/000002"


# ---- a newer or a foreign database ------------------------------------------------------------


def test_a_newer_database_is_refused_and_left_alone(durable_url, open_store):
    receipt = populated(durable_url, open_store)
    stamp(durable_url, "9999")
    with pytest.raises(SchemaVersionError, match=r"schema 9999, newer .* upgrade possdk"):
        open_store(durable_url, new=False)
    with pytest.raises(SchemaVersionError, match="upgrade possdk"):
        storage.upgrade(durable_url)
    refused = possdk_in_process("db", "upgrade", "--db", durable_url)
    assert refused.exit_code == 1
    assert "newer than this possdk" in refused.stderr and "upgrade possdk" in refused.stderr
    assert storage.current_revision(durable_url) == "9999"

    stamp(durable_url, storage.SCHEMA_REVISION)  # nothing else was touched
    store = open_store(durable_url, new=False)
    assert store.receipts() == (receipt,)


def test_a_database_of_another_application_is_refused(durable_url, open_store):
    def foreign(conn: sa.Connection) -> None:
        conn.execute(sa.text("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)"))
        conn.execute(sa.text("INSERT INTO customers (id, name) VALUES (1, 'Oksana')"))

    on_database(durable_url, foreign)
    with pytest.raises(SchemaVersionError, match="has tables but no possdk schema version"):
        open_store(durable_url)
    with pytest.raises(SchemaVersionError, match="not a possdk store"):
        storage.upgrade(durable_url)
    refused = possdk_in_process("db", "upgrade", "--db", durable_url)
    assert refused.exit_code == 1 and "not a possdk store" in refused.stderr
    assert table_names(durable_url) == {"customers"}
    rows = on_database(durable_url, lambda c: c.execute(sa.text("SELECT * FROM customers")).all())
    assert [tuple(r) for r in rows] == [(1, "Oksana")]


def test_upgrade_does_not_go_back(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from possdk.errors import SchemaVersionError
    from possdk.storage import upgrade

    url = f"sqlite:///{tmp_path}/back.db"
    upgrade(url)
    with pytest.raises(SchemaVersionError, match="does not go back"):
        upgrade(url, "0001")
    with pytest.raises(SchemaVersionError, match="unknown revision"):
        upgrade(url, "0042")


def test_0010_fills_customers_and_promotions_from_the_receipts(durable_url, open_store):
    from possdk.loyalty import PercentOff, Promotion
    from possdk.storage import _schema as t

    store = open_store(durable_url)
    store.loyalty.promotions.add(
        Promotion("bread-20", "Bread -20%", PercentOff(20, skus={"BREAD"}))
    )
    ann = store.loyalty.customers.add("Ann")
    session = open_till(store)
    sale = session.new_sale()
    sale.identify_customer(ann.id)
    sale.add("BREAD", 2)
    sale.add("COFFEE")
    sale.pay("cash", "1000")
    receipt = sale.complete()
    plain = sell(session, [("COFFEE", 1)])
    store.close()

    def read(conn: sa.Connection) -> tuple[Any, Any]:
        s, p = t.sales.c, t.sale_promotions.c
        customers = dict(conn.execute(sa.select(s.number, s.customer_id)).all())
        promos = conn.execute(
            sa.select(p.promotion_id, p.description, p.line_no, p.amount_minor)
        ).all()
        return customers, promos

    written = on_database(durable_url, read)
    assert written[0] == {receipt.number: ann.id, plain.number: None}
    (promotion,) = receipt.totals.promotions
    expected = [("bread-20", promotion.description, promotion.line_no, promotion.amount.minor)]
    assert [tuple(r) for r in written[1]] == expected
    downgrade(durable_url, "0009")
    done = possdk("db", "upgrade", "--db", durable_url)
    assert done.returncode == 0, done.stderr
    assert schema_differences(durable_url) == []
    filled = on_database(durable_url, read)
    assert filled[0] == written[0]
    assert [tuple(r) for r in filled[1]] == expected
