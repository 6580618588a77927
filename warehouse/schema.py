"""Schema versions: Alembic migrations in ``warehouse/migrations``, configured in code so that an
installed package needs no alembic.ini in the working directory."""

from __future__ import annotations

import threading
from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError

from warehouse.db import backend, engine_for, parse, redact, sqlite_path, write_connection
from warehouse.errors import SchemaOutdated
from warehouse.models import Base

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
# Alembic's `context` is one module-global proxy: migrations of one process go one at a time.
# Between processes, the migration transaction's lock does the same (see migrations/env.py).
_MIGRATING = threading.Lock()


def alembic_config(connection: sa.Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS).replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(db_url: str) -> str | None:
    """The warehouse's schema revision; None for a new one. Creates nothing: an SQLite file that
    does not exist yet is not opened (connecting would create it)."""
    path = sqlite_path(parse(db_url)) if backend(parse(db_url)) == "sqlite" else None
    if path is not None and not path.exists():
        return None
    with engine_for(db_url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(db_url: str, revision: str = "head") -> None:
    """Migrate the warehouse to ``revision`` (default: this version's schema). Safe to run twice,
    and safe when two processes do it at once (the migrations take a lock)."""
    with _MIGRATING, write_connection(engine_for(db_url)) as conn:
        command.upgrade(alembic_config(conn), revision)


def downgrade(db_url: str, revision: str) -> None:
    with _MIGRATING, write_connection(engine_for(db_url)) as conn:
        command.downgrade(alembic_config(conn), revision)


def ensure_schema(db_url: str) -> None:
    """An empty database gets this version's schema; a warehouse on another schema version is
    refused with a message that says what to do (``SchemaOutdated``)."""
    current = current_revision(db_url)
    head = head_revision()
    if current == head:
        return
    if current is None:
        with engine_for(db_url).connect() as conn:
            ours = set(Base.metadata.tables) & set(sa.inspect(conn).get_table_names())
        if not ours:
            upgrade(db_url)  # an empty database; a concurrent upgrade makes this one a no-op
            return
        # Tables and revision are committed together: seeing tables, look again for the
        # revision a concurrent upgrade may have committed between the two reads.
        current = current_revision(db_url)
        if current is None:
            raise SchemaOutdated(
                f"the database {redact(db_url)} has warehouse tables ({', '.join(sorted(ours))}) but no "
                f"schema revision: it was not created by `reconcile db upgrade`; use an empty database")
        if current == head:
            return
    try:
        ScriptDirectory.from_config(alembic_config()).get_revision(current)
    except CommandError:
        raise SchemaOutdated(
            f"warehouse schema is at revision {current}, which this version does not know (it needs "
            f"{head}): the warehouse was written by a newer version of reconcile; use that version") from None
    raise SchemaOutdated(
        f"warehouse schema is at revision {current}, this version needs {head}: "
        f"run `reconcile db upgrade --db {redact(db_url)}`")
