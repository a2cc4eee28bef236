"""Alembic environment for possdk's migrations (run by ``possdk db upgrade``)."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import context

from possdk.storage._schema import metadata

config = context.config


def run() -> None:
    """Migrate on the connection possdk hands over, or on the configured URL."""
    connection = config.attributes.get("connection")
    if connection is None:
        engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _migrate(conn)
        return
    _migrate(connection)


def _migrate(connection: sa.Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
