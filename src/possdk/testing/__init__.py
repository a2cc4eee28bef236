"""Test helpers for possdk and for plugin authors: a throwaway PostgreSQL server.

Load the pytest plugin with ``pytest -p possdk.testing.pytest_plugin`` (possdk's
own suite does so in its conftest) to get the ``postgresql_url`` fixture.
"""

from __future__ import annotations

from possdk.testing._postgres import PostgresServer, find_postgres_bin

__all__ = ["PostgresServer", "find_postgres_bin"]
