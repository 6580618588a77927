"""Engines and URLs. One small engine per URL; SQLite gets WAL and real ``BEGIN IMMEDIATE``
transactions, PostgreSQL goes through psycopg 3."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import sqlite3
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.pool import NullPool

APP_DIR = "vneid-reconcile"
SQLITE_BUSY_SECONDS = 60.0

_engines: dict[str, Engine] = {}
_engines_lock = threading.Lock()


def default_sqlite_file() -> Path:
    """``$XDG_DATA_HOME/vneid-reconcile/warehouse.sqlite`` (``~/.local/share/...`` by default; the
    XDG Base Directory convention for a user's data): one place, whatever folder a command or the
    nightly worker runs in (issue 13)."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / APP_DIR / "warehouse.sqlite"


def default_db_url() -> str:
    """The warehouse every command uses without ``--db``: ``$RECONCILE_DB`` if set (production:
    ``postgresql+psycopg://user@host/db``), else the SQLite file ``default_sqlite_file()``."""
    return os.environ.get("RECONCILE_DB") or f"sqlite:///{default_sqlite_file()}"


@contextlib.contextmanager
def using(db_url: str | None):
    """Within the block, ``default_db_url()`` is ``db_url`` (``None``: unchanged). How a caller
    points a flow run at a warehouse: a URL may hold a password, so it is never a Prefect flow
    parameter (issue 13). Sets ``$RECONCILE_DB``, which the process's children see too."""
    if db_url is None:
        yield
        return
    before = os.environ.get("RECONCILE_DB")
    os.environ["RECONCILE_DB"] = db_url
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("RECONCILE_DB", None)
        else:
            os.environ["RECONCILE_DB"] = before


def key(db_url: str | URL) -> str:
    """A short stable name of a warehouse that reveals nothing of its URL (12 hex digits), for
    telling Prefect flow runs of one warehouse from another's."""
    return hashlib.sha256(parse(db_url).render_as_string(hide_password=True).encode()).hexdigest()[:12]


def redact(db_url: str | URL) -> str:
    """The URL with its password hidden: safe to print and to put in messages."""
    try:
        return make_url(db_url).render_as_string(hide_password=True)
    except Exception:  # an unparseable URL may still hold a secret: show nothing of it
        return "<unparseable database URL>"


def parse(db_url: str | URL) -> URL:
    url = make_url(db_url)
    if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
        # The fast path (COPY) is written for psycopg 3: postgresql:// means postgresql+psycopg://.
        url = url.set(drivername="postgresql+psycopg")
    return url


def backend(db_url: str | URL) -> str:
    name = parse(db_url).get_backend_name()
    if name not in ("sqlite", "postgresql"):
        raise ValueError(f"unsupported warehouse database {name!r}: use sqlite or postgresql")
    return name


def sqlite_path(db_url: str | URL) -> Path | None:
    """The database file of an SQLite URL; None for an in-memory database."""
    url = parse(db_url)
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file::memory:") or url.query.get("mode") == "memory":
        return None
    if database.startswith("file:"):
        database = re.sub(r"^file:(//)?", "", database).split("?", 1)[0]
    return Path(database)


def engine_for(db_url: str | URL) -> Engine:
    """The cached engine of a URL. NullPool: a connection lives only as long as its use, so no
    idle connection keeps locks or keeps a database from being dropped."""
    key = parse(db_url).render_as_string(hide_password=False)
    with _engines_lock:
        engine = _engines.get(key)
        if engine is None:
            engine = _create(parse(db_url))
            _engines[key] = engine
        return engine


def dispose_all() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def _owner_only(path: Path) -> None:
    """The warehouse holds the whole identity export (phones, addresses): owner-only, whatever
    umask created it (issue 14; a new one is created under the process's umask 077). A file that
    is not ours to change is left as it is."""
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}.lock")):
        try:
            if p.exists():
                os.chmod(p, 0o600)
        except OSError:
            pass


def _create(url: URL) -> Engine:
    if backend(url) == "sqlite":
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            _owner_only(path)
            engine = sa.create_engine(url, poolclass=NullPool, hide_parameters=True,
                                      connect_args={"timeout": SQLITE_BUSY_SECONDS})
        else:
            engine = sa.create_engine(url, hide_parameters=True)  # in-memory: the dialect's default pool
        _sqlite_events(engine)
        return engine
    # hide_parameters: a failed statement's message must never carry personal data.
    return sa.create_engine(url, poolclass=NullPool, hide_parameters=True,
                            connect_args={"application_name": "reconcile"})


def _sqlite_events(engine: Engine) -> None:
    """pysqlite's own transaction handling is bypassed so that SQLAlchemy's BEGIN is a real BEGIN
    (the SQLAlchemy documentation's recipe); writers ask for ``BEGIN IMMEDIATE`` to take the
    write lock up front instead of failing half-way with "database is locked"."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cur = dbapi_connection.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        _use_wal(cur)
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA temp_store=MEMORY")
        cur.execute("PRAGMA cache_size=-65536")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql(conn.get_execution_options().get("sqlite_begin", "BEGIN"))


def _use_wal(cur: sqlite3.Cursor) -> None:
    """Put the file in WAL mode: readers never see a write in progress and never block it; after a
    crash (even SIGKILL mid-transaction) the uncommitted frames are simply ignored.

    Several processes opening a new file at once each switch it, and SQLite answers one of two
    switches that meet "database is locked" at once, without the busy timeout: each holds the
    read lock the other must wait for, a deadlock SQLite refuses to wait in (sqlite3_busy_handler's
    documentation). So a switch refused that way is tried again, until the busy timeout has passed
    (a try may itself wait up to it: at worst about twice the timeout in all);
    a file system without WAL answers with the mode it keeps, and the file keeps it. Raises
    ``sqlite3.OperationalError`` if the switch is still refused after the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_SECONDS
    while True:
        try:
            if cur.execute("PRAGMA journal_mode").fetchone()[0].lower() not in ("wal", "memory"):
                cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.01)


def write_connection(engine: Engine) -> sa.Connection:
    """A connection whose transactions take the write lock at BEGIN on SQLite."""
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn.execution_options(sqlite_begin="BEGIN IMMEDIATE")
    return conn
