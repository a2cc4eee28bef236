"""possdk's pytest plugin: ``postgresql_server`` and ``postgresql_url`` fixtures.

``postgresql_url`` is a fresh, empty database on a throwaway server started
once per test session (or on the server ``POSSDK_TEST_POSTGRES_URL`` names).
Where no PostgreSQL binaries exist the tests that use it are skipped, loudly.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from possdk.testing._postgres import PostgresServer, find_postgres_bin

ENV = "POSSDK_TEST_POSTGRES_URL"


class _External:
    def __init__(self, url: str) -> None:
        self.url = url

    def create_database(self) -> str:
        import psycopg

        name = f"t_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        base = self.url.rsplit("/", 1)[0]
        return f"{base}/{name}"


@pytest.fixture(scope="session")
def postgresql_server() -> Iterator[PostgresServer | _External]:
    """A PostgreSQL server for the whole test session."""
    if os.environ.get(ENV):
        yield _External(os.environ[ENV])
        return
    if find_postgres_bin() is None:
        if os.environ.get("POSSDK_REQUIRE_POSTGRES"):
            pytest.fail("POSSDK_REQUIRE_POSTGRES is set but no PostgreSQL binaries were found")
        pytest.skip(
            "PostgreSQL tests SKIPPED: no initdb/pg_ctl found. Install PostgreSQL "
            "(apt-get install -y postgresql) or set POSSDK_TEST_POSTGRES_URL"
        )
    server = PostgresServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def postgresql_url(postgresql_server: PostgresServer | _External) -> str:
    """A fresh, empty database on the session's PostgreSQL server."""
    return postgresql_server.create_database()
