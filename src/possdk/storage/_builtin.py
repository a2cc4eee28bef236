"""The built-in storage plugin: SQLite and PostgreSQL through SQLAlchemy Core."""

from __future__ import annotations

from possdk._hooks import hookimpl
from possdk.storage._url import StoreURL


@hookimpl(trylast=True)
def possdk_storage_backend(url: StoreURL) -> object | None:
    """Serve ``sqlite://`` and ``postgresql://`` URLs."""
    if url.scheme not in ("sqlite", "postgresql"):
        return None
    from possdk.storage._sql import SqlBackend

    return SqlBackend(url)
