"""Persistence of webhook subscriptions, deliveries and the dead-letter list.

``WebhookRepository`` is mixed into :class:`~possdk.storage._sql.SqlUnitOfWork`;
``WebhookUnitOfWork`` is its part of the :class:`~possdk.storage.UnitOfWork` protocol.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class WebhookUnitOfWork(Protocol):
    """The unit of work's methods for webhook subscriptions, deliveries and the dead-letter list."""


class WebhookRepository:
    """SQL for webhook subscriptions, deliveries and the dead-letter list.

    Needs ``conn``, ``raw`` and ``cursor`` from the unit of work.
    """

    conn: Connection
    raw: Any
    cursor: Any
