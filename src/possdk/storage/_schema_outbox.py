"""Tables of webhook subscriptions, deliveries and the dead-letter list.

Defined on the store's one :data:`~possdk.storage._schema.metadata`; the
matching Alembic migration creates them in existing databases.
"""

from __future__ import annotations

from possdk.storage._schema import metadata  # noqa: F401  (tables are defined on it)
