"""Integration fixtures: the same tests on an in-memory, a file and a PostgreSQL store.

``store_url`` runs a test three times: ``memory`` (``sqlite://``), ``sqlite``
(a file in the test's temp dir) and ``postgresql`` (a fresh database on the
session's throwaway server, started only when a test asks for it).
``open_store`` opens stores with the test shop and closes every one of them
at the end of the test, so no connection is left behind.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest

from possdk import FixedClock, Settings, Store
from tests.conftest import CASHIER, START, SUPERVISOR, make_catalog

MEMORY = "sqlite://"

OpenStore = Callable[..., Store]


def sqlite_file_url(tmp_path: Any, name: str = "shop.db") -> str:
    """A SQLite URL for a file in ``tmp_path``."""
    return f"sqlite:///{tmp_path}/{name}"


@pytest.fixture(params=["memory", "sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A URL for an empty store on each backend."""
    if request.param == "memory":
        return MEMORY
    if request.param == "sqlite":
        return sqlite_file_url(tmp_path)
    # Only the PostgreSQL case pays for (and depends on) the server.
    return str(request.getfixturevalue("postgresql_url"))


@pytest.fixture(params=["sqlite", "postgresql"])
def durable_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A URL for an empty database that outlives the Store objects: a file or PostgreSQL."""
    if request.param == "sqlite":
        return sqlite_file_url(tmp_path)
    return str(request.getfixturevalue("postgresql_url"))


def is_memory(url: str) -> bool:
    """True for an in-memory store (nothing survives closing it)."""
    return url.split("?", 1)[0] == MEMORY


def shop_settings(currency: str = "UAH") -> Settings:
    """The test shop's settings."""
    return Settings(currency=currency, locale="uk_UA", receipt_header=("Test shop", "Kyiv"))


@pytest.fixture
def clock() -> FixedClock:
    """One clock for every store a test opens, so time never runs backwards across reopens."""
    return FixedClock(START, step=timedelta(seconds=1))


@pytest.fixture
def open_store(clock: FixedClock) -> Iterator[OpenStore]:
    """``open_store(url, **kwargs)``: a Store with the test shop, closed at the end of the test.

    Without ``new=False`` it passes the shop's settings, catalog and
    operators; ``settings=``, ``catalog=``, ``operators=`` and ``plugins=``
    override them. ``new=False`` opens an existing store as kept (no settings,
    catalog or operators passed in), which is what a restart does.
    """
    opened: list[Store] = []

    def open_(url: str, *, new: bool = True, currency: str = "UAH", **kwargs: Any) -> Store:
        if new:
            kwargs.setdefault("settings", shop_settings(currency))
            kwargs.setdefault("catalog", make_catalog(currency))
            kwargs.setdefault("operators", [CASHIER, SUPERVISOR])
        kwargs.setdefault("clock", clock)
        store = Store.open(url, load_entry_points=False, **kwargs)
        opened.append(store)
        return store

    yield open_
    for store in opened:
        store.close()
