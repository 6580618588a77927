"""Alembic environment, configured programmatically (see warehouse/schema.py).

``config.attributes["connection"]`` carries the connection to migrate; without it (the alembic
command line) the URL comes from ``sqlalchemy.url`` in the ini file, else $RECONCILE_DB, else the
default SQLite file. SQLite migrations run in batch mode.
"""

from __future__ import annotations

from alembic import context

from warehouse.db import default_db_url, engine_for
from warehouse.models import Base

config = context.config
target_metadata = Base.metadata

# Migrations of two processes at once queue up instead of colliding (PostgreSQL; SQLite's
# BEGIN IMMEDIATE does the same).
MIGRATION_LOCK = "SELECT pg_advisory_xact_lock(1986357604, 3)"


def run_migrations(connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    if sqlite and not connection.in_transaction():
        # Batch mode copies tables; foreign keys must not fire meanwhile (outside a transaction).
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
        # SQLite's DDL is transactional too, though Alembic does not assume it: the whole upgrade,
        # the reading of the current revision included, is then one BEGIN IMMEDIATE transaction,
        # so that two processes migrating at once cannot interleave their steps.
        transactional_ddl=True,
    )
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(MIGRATION_LOCK)
        context.run_migrations()
    if sqlite:
        connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


def run_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url") or default_db_url(),
                      target_metadata=target_metadata, literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_offline()
else:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_migrations(connection)
    else:
        url = config.get_main_option("sqlalchemy.url") or default_db_url()
        with engine_for(url).connect() as conn:
            run_migrations(conn)
