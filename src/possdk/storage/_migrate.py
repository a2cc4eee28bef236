"""Schema migrations with Alembic: ``possdk db upgrade --db URL``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from possdk.errors import SchemaVersionError, StorageError
from possdk.storage._schema import SCHEMA_REVISION
from possdk.storage._url import StoreURL

__all__ = ["current_revision", "upgrade"]


def _config(connection: Any) -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "possdk.storage:migrations")
    config.attributes["connection"] = connection
    return config


def _backend(url: str) -> Any:
    from possdk.storage._sql import SqlBackend

    parsed = StoreURL.parse(url)
    if parsed.scheme not in ("sqlite", "postgresql"):
        raise StorageError(
            f"possdk db upgrade serves sqlite:// and postgresql://, not {parsed.scheme}://"
        )
    return SqlBackend(parsed)


def _missing_file(url: str) -> bool:
    parsed = StoreURL.parse(url)
    return parsed.scheme == "sqlite" and not parsed.is_memory and not Path(parsed.path).exists()


def current_revision(url: str) -> str | None:
    """The schema revision a database is at (None for an empty or missing database).

    Never creates anything: a SQLite path that does not exist gives None.
    """
    if _missing_file(url):
        return None
    backend = _backend(url)
    try:
        revision: str | None = backend.schema_revision()
        return revision
    finally:
        backend.close()


def upgrade(url: str, revision: str = "head") -> tuple[str | None, str]:
    """Migrate a database to ``revision`` (default: the newest). Returns (before, after).

    Raises:
        SchemaVersionError: the database is newer than this possdk.
        StorageError: it cannot be opened.
    """
    from alembic import command

    backend = _backend(url)
    try:
        before = backend.schema_revision()
        from possdk.storage._sql import KNOWN_REVISIONS

        if before is not None and before not in KNOWN_REVISIONS:
            raise SchemaVersionError(
                f"{backend.url} has schema {before}, newer than this possdk knows "
                f"({SCHEMA_REVISION}); upgrade possdk instead"
            )
        if revision != "head" and revision not in KNOWN_REVISIONS:
            raise SchemaVersionError(
                f"unknown revision {revision!r}; possdk knows {', '.join(KNOWN_REVISIONS)}"
            )
        if (
            before is not None
            and revision != "head"
            and KNOWN_REVISIONS.index(revision) < KNOWN_REVISIONS.index(before)
        ):
            raise SchemaVersionError(
                f"{backend.url} is at schema {before}, newer than {revision}: possdk db upgrade "
                f"does not go back; restore a backup instead"
            )
        try:
            with backend.engine.connect() as conn:
                if backend.dialect == "sqlite":
                    conn = conn.execution_options(possdk_begin="IMMEDIATE")
                command.upgrade(_config(conn), revision)
                conn.commit()
        except backend.errors as exc:
            raise backend.translate(exc) from exc
        after = backend.schema_revision()
        assert after is not None
        return before, after
    finally:
        backend.close()
