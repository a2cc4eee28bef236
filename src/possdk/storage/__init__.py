"""Durable storage: SQLite (embedded default) and PostgreSQL, migrations, and the journal.

``possdk.Store.open(url)`` is the usual way in; this package holds the parts
a host app or a plugin author needs directly: the storage protocol a backend
implements, schema migrations, and journal verification.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from possdk.storage._backend import SessionRow, StorageBackend, UnitOfWork
from possdk.storage._journal import (
    GENESIS,
    JournalEntry,
    JournalProblem,
    JournalReport,
    ProblemKind,
    entry_hash,
    verify_entries,
)
from possdk.storage._url import StoreURL

if TYPE_CHECKING:
    from possdk.storage._migrate import current_revision, upgrade
    from possdk.storage._schema import SCHEMA_REVISION

__all__ = [
    "GENESIS",
    "SCHEMA_REVISION",
    "JournalEntry",
    "JournalProblem",
    "JournalReport",
    "ProblemKind",
    "SessionRow",
    "StorageBackend",
    "StoreURL",
    "UnitOfWork",
    "current_revision",
    "entry_hash",
    "upgrade",
    "verify_entries",
    "verify_journal",
]


def __getattr__(name: str) -> object:
    # SQLAlchemy and Alembic load only when a migration is asked for:
    # `import possdk` stays light.
    if name in ("current_revision", "upgrade"):
        from possdk.storage import _migrate

        return getattr(_migrate, name)
    if name == "SCHEMA_REVISION":
        from possdk.storage._schema import SCHEMA_REVISION

        return SCHEMA_REVISION
    raise AttributeError(f"module 'possdk.storage' has no attribute {name!r}")


def verify_journal(url: str) -> JournalReport:
    """Verify the journal of the store at ``url``, changing nothing.

    Reports, per terminal, the first entry that was edited, deleted,
    inserted or reordered, a truncated tail, and grand totals that do not add
    up to the entries.

    Raises:
        StorageError: there is no possdk store at ``url``.
    """
    from possdk.errors import StorageError
    from possdk.plugins import get_plugin_manager
    from possdk.storage._migrate import _missing_file

    if _missing_file(url):
        raise StorageError(f"no database at {StoreURL.parse(url)}: check the path")
    parsed = StoreURL.parse(url)
    backend = get_plugin_manager(load_entry_points=True).hook.possdk_storage_backend(url=parsed)
    if backend is None:
        raise StorageError(f"no storage backend serves {parsed.scheme}:// URLs")
    try:
        if backend.schema_revision() is None:
            raise StorageError(f"{parsed} is not a possdk store (it has no possdk schema)")
        with backend.unit_of_work(write=False) as uow:
            return verify_entries(uow.journal_entries(), uow.journal_heads())
    finally:
        backend.close()
