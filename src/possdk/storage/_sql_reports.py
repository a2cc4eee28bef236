"""Persistence of report queries (read-only SQL aggregates).

``ReportsRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``ReportsUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class ReportsUnitOfWork(Protocol):
    """The unit of work's methods for report queries (read-only SQL aggregates)."""


class ReportsRepository:
    """SQL for report queries (read-only SQL aggregates).

    Needs ``conn``, ``raw`` and ``cursor`` from the unit of work.
    """

    conn: Connection
    raw: Any
    cursor: Any
