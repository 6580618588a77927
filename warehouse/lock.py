"""One run at a time per warehouse, across processes and machines.

PostgreSQL: a session advisory lock held on a dedicated connection for the whole run (released by
the server when that connection ends, however the process ends). SQLite: an exclusive ``flock``
on a file beside the database (released by the kernel when the process ends, even on SIGKILL).
A run that finds the lock taken waits up to ``timeout`` seconds, then raises ``WarehouseBusy``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa

from warehouse.db import backend, engine_for, redact, sqlite_path
from warehouse.errors import WarehouseBusy

try:
    import fcntl
except ImportError:  # pragma: no cover - not POSIX
    fcntl = None

LOCK_KEY = (1986357604, 1)  # pg_advisory_lock(int4, int4): "veid", run lock
DEFAULT_TIMEOUT = 60.0
_memory_locks: dict[str, threading.Lock] = {}
_memory_guard = threading.Lock()


def _default_timeout() -> float:
    try:
        return float(os.environ.get("RECONCILE_LOCK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


def _me(short: bool = False) -> str:
    now = dt.datetime.now().astimezone()
    if short:  # fits PostgreSQL's 63-character application_name
        return f"process {os.getpid()} on {socket.gethostname()[:20]} since {now:%H:%M:%S}"
    return f"process {os.getpid()} on {socket.gethostname()} since {now:%Y-%m-%d %H:%M:%S %z}"


def _busy(db_url: str, holder: str | None, waited: float) -> WarehouseBusy:
    who = f" ({holder})" if holder else ""
    return WarehouseBusy(
        f"the warehouse {redact(db_url)} is busy: another reconciliation run{who} holds its lock; "
        f"gave up after waiting {waited:.0f} s. Try again when that run has finished.")


@contextlib.contextmanager
def run_lock(db_url: str, timeout: float | None = None, poll: float = 0.25) -> Iterator[None]:
    """Hold the warehouse's run lock for the duration of the ``with`` block."""
    timeout = _default_timeout() if timeout is None else max(0.0, float(timeout))
    if backend(db_url) == "postgresql":
        with _pg_lock(db_url, timeout, poll):
            yield
        return
    path = sqlite_path(db_url)
    if path is None:
        with _memory_lock(db_url, timeout):
            yield
        return
    with _file_lock(db_url, path.with_name(path.name + ".lock"), timeout, poll):
        yield


_said: set[tuple[str, float]] = set()


def _say_waiting(db_url: str, timeout: float, start: float) -> None:
    """Once per wait: a run that waits for another says so, rather than sitting silent."""
    if (db_url, start) not in _said:
        _said.add((db_url, start))
        print(f"reconcile: another run holds the warehouse {redact(db_url)}; waiting up to {timeout:.0f} s "
              "(RECONCILE_LOCK_TIMEOUT) for it to finish", file=sys.stderr, flush=True)


@contextlib.contextmanager
def _file_lock(db_url: str, lock_path: Path, timeout: float, poll: float) -> Iterator[None]:
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        start = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    try:
                        holder = os.pread(fd, 300, 0).decode("utf-8", "replace").strip() or None
                    except OSError:
                        holder = None
                    raise _busy(db_url, holder, time.monotonic() - start) from None
                _say_waiting(db_url, timeout, start)
                time.sleep(min(poll, max(0.0, deadline - time.monotonic())) or 0.01)
        try:
            os.ftruncate(fd, 0)
            os.pwrite(fd, _me().encode(), 0)
            yield
        finally:
            with contextlib.suppress(OSError):
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _memory_lock(db_url: str, timeout: float) -> Iterator[None]:
    with _memory_guard:
        lock = _memory_locks.setdefault(db_url, threading.Lock())
    start = time.monotonic()
    if not lock.acquire(timeout=timeout):
        raise _busy(db_url, None, time.monotonic() - start)
    try:
        yield
    finally:
        lock.release()


_HOLDER = sa.text(
    "SELECT a.application_name, a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :k1 AND l.objid = :k2 AND l.objsubid = 2 "
    "AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


@contextlib.contextmanager
def _pg_lock(db_url: str, timeout: float, poll: float) -> Iterator[None]:
    engine = engine_for(db_url)
    conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    try:
        # Name the session after this run, so that a waiting run can say who holds the lock.
        conn.execute(sa.text("SELECT set_config('application_name', :name, false)"),
                     {"name": f"reconcile run: {_me(short=True)}"[:63]})
        k1, k2 = LOCK_KEY
        start = time.monotonic()
        deadline = start + timeout
        while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k1, :k2)"), {"k1": k1, "k2": k2}).scalar():
            if time.monotonic() >= deadline:
                row = conn.execute(_HOLDER, {"k1": k1, "k2": k2}).first()
                holder = row[0].removeprefix("reconcile run: ") if row and row[0] else (
                    f"server process {row[1]}" if row else None)
                raise _busy(db_url, holder, time.monotonic() - start)
            _say_waiting(db_url, timeout, start)
            time.sleep(min(poll, max(0.0, deadline - time.monotonic())) or 0.01)
        try:
            yield
        finally:
            with contextlib.suppress(Exception):  # a lost connection has released it already
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k1, :k2)"), {"k1": k1, "k2": k2})
    finally:
        with contextlib.suppress(Exception):
            conn.close()
