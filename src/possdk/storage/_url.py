"""Store URLs: ``sqlite:///path/shop.db``, ``sqlite://`` (in memory), ``postgresql://...``."""

from __future__ import annotations

from urllib.parse import parse_qsl, urlsplit

import attrs

from possdk.errors import StorageError

__all__ = ["StoreURL"]


@attrs.frozen
class StoreURL:
    """A parsed store URL; backends are chosen by :attr:`scheme`."""

    raw: str = attrs.field(repr=False)
    """The URL as given (may hold a password: never log it, use :meth:`redacted`)."""
    scheme: str
    """``sqlite``, ``postgresql``, or a plugin's own scheme."""
    path: str
    """For SQLite, the file path ('' for an in-memory database)."""
    query: tuple[tuple[str, str], ...] = ()
    """Query parameters, e.g. ``(("synchronous", "NORMAL"),)``."""

    @classmethod
    def parse(cls, url: str) -> StoreURL:
        """Parse and sanity-check a URL.

        Raises:
            StorageError: not a string, no scheme, or a malformed SQLite URL.
        """
        if not isinstance(url, str) or "://" not in url:
            raise StorageError(
                f"malformed store URL {url!r}: use sqlite:///path/shop.db, sqlite:// (in memory) "
                f"or postgresql://user@host/db"
            )
        parts = urlsplit(url)
        scheme = parts.scheme.lower().split("+")[0]
        if not scheme:
            raise StorageError(f"store URL {url!r} has no scheme (sqlite://, postgresql://)")
        path = ""
        if scheme == "sqlite":
            if parts.netloc:
                raise StorageError(
                    f"malformed SQLite URL {url!r}: use three slashes for a relative path "
                    f"(sqlite:///shop.db) and four for an absolute one (sqlite:////var/pos/shop.db)"
                )
            path = parts.path[1:] if parts.path.startswith("/") else parts.path
            if path == ":memory:":
                path = ""
        return cls(url, scheme, path, tuple(parse_qsl(parts.query)))

    @property
    def options(self) -> dict[str, str]:
        """The query parameters as a dict."""
        return dict(self.query)

    @property
    def is_memory(self) -> bool:
        """True for an in-memory SQLite database."""
        return self.scheme == "sqlite" and not self.path

    def redacted(self) -> str:
        """The URL with any password replaced by ``***``, safe for messages and logs."""
        parts = urlsplit(self.raw)
        if parts.password:
            netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
            return parts._replace(netloc=netloc).geturl()
        return self.raw

    def __str__(self) -> str:
        return self.redacted()
