"""Keeping a run: one transaction per run, bulk loads that do not dominate the run.

Each frame is first cleaned column by column into the table's column types (frame columns the
table does not have are ignored, table columns the frame lacks are NULL). Then PostgreSQL gets it
through COPY (psycopg 3 ``cursor.copy``) as CSV written by Arrow's C++ writer, and SQLite through
``executemany`` of plain Python tuples; both in chunks, inside the run's one transaction.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
import re
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import metadata as importlib_metadata

import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from warehouse.db import engine_for, write_connection
from warehouse.errors import WarehouseError
from warehouse.lock import run_lock
from warehouse.models import (
    DECISIONS,
    Finding,
    IdentityRecord,
    InputFile,
    Match,
    Notice,
    PersonRow,
    ReviewDecision,
    Run,
    UnitResult,
    WardResult,
)
from warehouse.models import IdentityExport as IdentityExportRow
from warehouse.schema import ensure_schema

CHUNK_ROWS = 50_000
_DB_ERRORS = (sa.exc.SQLAlchemyError, sqlite3.Error, psycopg.Error)
# pg_advisory_xact_lock key of the store transaction (the run lock uses (…, 1), migrations (…, 3)).
STORE_LOCK = "SELECT pg_advisory_xact_lock(1986357604, 2)"


@dataclass
class IdentityExport:
    export_date: dt.date
    source: str
    sha256: str
    records: pd.DataFrame   # CONTRACT §1.1 columns renamed (identity_id, name, birth_date, ...)


@dataclass
class RunData:
    run_id: str
    as_of: dt.date
    started_at: dt.datetime
    finished_at: dt.datetime
    seconds: dict[str, float]
    summary: dict
    files: pd.DataFrame
    rows: pd.DataFrame
    findings: pd.DataFrame
    wards: pd.DataFrame
    identity_export: IdentityExport | None = None
    decisions: pd.DataFrame | None = None
    units: pd.DataFrame | None = None     # findings.progress.unit_results


# ---------------------------------------------------------------------------------------------
# Frames → rows of plain values


def _kind(column: sa.Column) -> str:
    t = column.type
    if isinstance(t, sa.Date) and not isinstance(t, sa.DateTime):
        return "date"
    if isinstance(t, sa.Integer):
        return "int"
    if isinstance(t, sa.Float):
        return "float"
    return "text"


# The largest magnitude each integer column type holds (PostgreSQL's; SQLite holds any int64).
_INT_LIMITS = {sa.SmallInteger: 2**15 - 1, sa.Integer: 2**31 - 1, sa.BigInteger: 2**53}


def _clean(series: pd.Series | None, column: sa.Column, n: int) -> pd.Series:
    """One frame column in the table column's type: str / Int64 / float64 / ISO date str, with
    NA for NULL ('' or 0 where the column is NOT NULL). Unparseable numbers and dates, and
    numbers outside an integer column's range (``_INT_LIMITS``), are NULL."""
    kind = _kind(column)
    fill = None if column.nullable else ("" if kind in ("text", "date") else 0)
    if series is None:
        series = pd.Series([None] * n, dtype=object)
    series = series.reset_index(drop=True)
    if kind == "text":
        out = series.astype(str)
    elif kind == "date":
        if pd.api.types.is_datetime64_any_dtype(series.dtype):
            text = series.dt.strftime("%Y-%m-%d")
        else:
            text = series.astype(str).str.slice(0, 10)
        ok = pd.to_datetime(text, format="%Y-%m-%d", errors="coerce").notna()
        out = text.where(ok)
    else:
        number = pd.to_numeric(series, errors="coerce").astype("float64")
        if kind == "int":   # one out of the column's range (or infinite) would fail the whole store
            number = number.where(number.abs() <= _INT_LIMITS.get(type(column.type), 2**31 - 1))
            number = number.round().astype("Int64")
        out = number
    if fill is not None:
        out = out.fillna(fill)
    return out


def _frame(table: sa.Table, frame: pd.DataFrame, fixed: dict[str, object]) -> dict[str, pd.Series]:
    """The table's columns in order, from ``frame`` (or the ``fixed`` values)."""
    n = len(frame)
    out = {}
    for column in table.columns:
        if column.name in fixed:
            value = fixed[column.name]
            out[column.name] = (pd.Series(value) if isinstance(value, np.ndarray)
                                else pd.Series(np.full(n, value)))
        else:
            out[column.name] = _clean(frame[column.name] if column.name in frame.columns else None, column, n)
    return out


def _sqlite_rows(columns: dict[str, pd.Series]) -> Iterator[Iterator[tuple]]:
    """Chunks of rows of plain Python values (sqlite3 binds no numpy scalars), each chunk's made
    when it is needed: for Arrow-backed text (the export a worker stores) that is one chunk's
    Python strings at a time, not the whole table's (~1.5 GB at province scale)."""
    n = len(next(iter(columns.values()))) if columns else 0
    for start in range(0, n, CHUNK_ROWS):
        yield zip(*(s.iloc[start:start + CHUNK_ROWS].to_numpy(dtype=object, na_value=None)
                    for s in columns.values()))


def _csv_chunks(columns: dict[str, pd.Series]) -> Iterator[bytes]:
    """Chunks of PostgreSQL COPY CSV, written by Arrow's C++ CSV writer: every value quoted,
    NULL unquoted-empty, so that '' and NULL stay distinct."""
    arrays = []
    for s in columns.values():
        arr = pa.Array.from_pandas(s)
        if pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type):
            arr = pc.replace_substring(arr, "\x00", "")  # PostgreSQL text cannot hold NUL
        arrays.append(arr)
    table = pa.Table.from_arrays(arrays, names=list(columns))
    options = pa_csv.WriteOptions(include_header=False, quoting_style="all_valid", batch_size=8192)
    for start in range(0, table.num_rows, CHUNK_ROWS):
        sink = io.BytesIO()
        pa_csv.write_csv(table.slice(start, CHUNK_ROWS), sink, options)
        yield sink.getvalue()


def _load(conn: sa.Connection, table: sa.Table, frame: pd.DataFrame, fixed: dict[str, object]) -> int:
    """Bulk-insert a frame into ``table`` inside the connection's transaction: COPY on
    PostgreSQL, executemany on SQLite."""
    n = len(frame)
    if n == 0:
        return 0
    columns = _frame(table, frame, fixed)
    dbapi = conn.connection.driver_connection
    quoted = ", ".join(conn.dialect.identifier_preparer.quote(c) for c in columns)
    if conn.dialect.name == "postgresql":
        with dbapi.cursor() as cur, cur.copy(f"COPY {table.name} ({quoted}) FROM STDIN (FORMAT csv)") as copy:
            for block in _csv_chunks(columns):
                copy.write(block)
    else:
        sql = f"INSERT INTO {table.name} ({quoted}) VALUES ({', '.join('?' * len(columns))})"
        cur = dbapi.cursor()
        try:
            for chunk in _sqlite_rows(columns):
                cur.executemany(sql, chunk)
        finally:
            cur.close()
    return n


# ---------------------------------------------------------------------------------------------
# Runs


def _utc(value: dt.datetime | None) -> dt.datetime | None:
    if value is not None and value.tzinfo is not None:
        return value.astimezone(dt.timezone.utc)
    return value


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _jsonable(value):
    """summary.json as plain JSON (numpy numbers and dates included)."""
    def default(o):
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, (dt.date, dt.datetime)):
            return o.isoformat()
        if isinstance(o, np.ndarray):
            return o.tolist()
        return str(o)
    return json.loads(json.dumps(value, default=default, ensure_ascii=False))


def _tool_version() -> str | None:
    try:
        return importlib_metadata.version("vneid-reconcile")
    except importlib_metadata.PackageNotFoundError:
        return None


_NUMBERS = re.compile(r"\+?\d[\d .\-]{6,}\d")


def scrub(text: str, limit: int = 2000) -> str:
    """Remove anything that looks like a national ID or a phone number; keep it short."""
    return _NUMBERS.sub("[number removed]", str(text))[:limit]


def _counts(data: RunData) -> dict[str, int]:
    summary = data.summary or {}
    rows = summary.get("rows") or {}
    status = data.rows["match_status"].value_counts() if "match_status" in data.rows else pd.Series(dtype=int)
    files = summary.get("files") or {}
    ledger = data.files["status"].value_counts() if "status" in data.files else pd.Series(dtype=int)

    def pick(section: dict, key: str, fallback) -> int:
        value = section.get(key)
        return int(value if value is not None else fallback)

    return {
        "rows_read": pick(rows, "read", len(data.rows)),
        "rows_matched": pick(rows, "matched", status.get("matched", 0)),
        "rows_review": pick(rows, "review", status.get("review", 0)),
        "rows_unmatched": pick(rows, "unmatched", status.get("unmatched", 0)),
        "rows_invalid": pick(rows, "invalid", status.get("invalid", 0)),
        "findings_count": len(data.findings),
        "files_read": len(files["read"]) if "read" in files else int(ledger.get("accepted", 0)),
        "files_rejected": len(files["rejected"]) if "rejected" in files else int(ledger.get("rejected", 0)),
        "files_superseded": len(files["superseded"]) if "superseded" in files else int(ledger.get("superseded", 0)),
    }


def _delete_run_rows(conn: sa.Connection, run_key: int) -> None:
    # Children first: matches reference person_rows. Notices stay: they were sent.
    for model in (Match, PersonRow, Finding, InputFile, WardResult, UnitResult):
        conn.execute(sa.delete(model).where(model.run_key == run_key))


def store_snapshot(db_url: str, export: IdentityExport) -> int:
    """Store the export's snapshot now, in a transaction of its own (once per (export_date,
    sha256), as a run's store does): a run that stores it before its own rows are known (a
    worker, while the run validates: issue 15) later finds it stored. A snapshot no run refers
    to is removed by ``prune``. → its id. Raises WarehouseError (nothing stored)."""
    ensure_schema(db_url)
    try:
        with write_connection(engine_for(db_url)) as conn, conn.begin():
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(STORE_LOCK)
            return _snapshot(conn, export)
    except _DB_ERRORS as exc:
        raise _wrap("storing", "", exc, what="the identity export") from exc


def _snapshot(conn: sa.Connection, export: IdentityExport) -> int:
    """The id of this export's snapshot, storing it the first time it is seen."""
    t = IdentityExportRow.__table__
    export_date = pd.Timestamp(export.export_date).date()
    found = conn.execute(sa.select(t.c.id).where(t.c.export_date == export_date, t.c.sha256 == export.sha256)
                         ).scalar_one_or_none()
    if found is not None:
        return found
    records = export.records
    export_id = conn.execute(sa.insert(t).values(
        export_date=export_date, source=export.source, sha256=export.sha256,
        record_count=len(records), stored_at=_now()).returning(t.c.id)).scalar_one()
    _load(conn, IdentityRecord.__table__, records,
          {"export_id": export_id, "seq": np.arange(len(records), dtype=np.int64)})
    return export_id


def _upsert_decisions(conn: sa.Connection, run_id: str, decisions: pd.DataFrame) -> int:
    if decisions is None or len(decisions) == 0:
        return 0
    frame = decisions.copy()
    for col in ("identity_id", "person_key", "decision", "note", "source", "sheet"):
        frame[col] = frame[col].fillna("").astype(str).str.strip() if col in frame else ""
    frame = frame[frame["decision"] != ""]  # a blank "Kết luận" is no decision
    unknown = ~frame["decision"].isin(DECISIONS)
    if unknown.any():
        raise WarehouseError(f"{int(unknown.sum())} review decision(s) are not one of {', '.join(DECISIONS)}")
    if frame.empty:
        return 0
    # The last decision read about a person wins (one statement may not touch a row twice).
    frame = frame.drop_duplicates(["identity_id", "person_key"], keep="last")
    rows = pd.to_numeric(frame["row"], errors="coerce") if "row" in frame else pd.Series(np.nan, index=frame.index)
    now = _now()
    values = [
        {"identity_id": r.identity_id, "person_key": r.person_key, "decision": r.decision,
         "note": r.note or None, "source": r.source or None, "sheet": r.sheet,
         "row": None if pd.isna(row) else int(row), "first_run_id": run_id, "last_run_id": run_id,
         "decided_at": now, "updated_at": now}
        for r, row in zip(frame.itertuples(index=False), rows)
    ]
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    table = ReviewDecision.__table__
    stmt = insert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=[table.c.identity_id, table.c.person_key],
        set_={c: stmt.excluded[c] for c in ("decision", "note", "source", "sheet", "row", "last_run_id",
                                            "updated_at")},
    )
    conn.execute(stmt, values)
    return len(values)


def _wrap(action: str, run_id: str, exc: Exception, what: str = "") -> WarehouseError:
    """A database error as a message free of data: the SQLSTATE/type, never the values."""
    orig = getattr(exc, "orig", exc)
    code = getattr(getattr(orig, "diag", None), "sqlstate", None) or getattr(orig, "sqlite_errorname", None)
    constraint = getattr(getattr(orig, "diag", None), "constraint_name", None)
    detail = type(orig).__name__ + (f" {code}" if code else "") + (f" on {constraint}" if constraint else "")
    return WarehouseError(f"{action} {what or f'run {run_id}'} failed ({detail}); nothing of it was kept")


def store_run(db_url: str, data: RunData, writers: int = 1) -> None:
    """Keep a completed run: the run row and all its rows, all or nothing. A run with the same
    run_id is replaced; the identity snapshot is stored once per (export_date, sha256); review
    decisions are upserted on the person.

    One transaction, except on PostgreSQL with ``writers`` > 1 (issue 15): the person-rows,
    matches and findings are then loaded in ``writers`` partitions by as many connections at once,
    under a staging run that only a last transaction makes the completed run (``_load_staged``, ``_finish_staged``).
    Raises WarehouseError (nothing of the run kept). ``PendingRun`` does the same in two steps."""
    with PendingRun(db_url, writers) as pending:
        pending.load(data)
        pending.commit()


class PendingRun:
    """A run stored in two steps, so that its rows can be written while the run is still busy
    with something else (the flow loads them while the pool writes the ward workbooks) and made
    the completed run only once that is done (issue 15):

        with PendingRun(url, writers) as pending:
            pending.load(run_data)          # every row written; the run completed nowhere yet
            ...                             # e.g. the run folder renamed into place
            pending.commit(seconds=..., finished_at=...)

    Until ``commit`` returns, nothing of the run is visible as completed: on SQLite and with one
    writer the rows sit in one open transaction (which holds the write lock); with several
    PostgreSQL writers they belong to a staging run (``_load_staged``). Leaving the block without
    committing, by an error or not, takes them back. ``commit`` loads them first if ``load`` was
    not called. Raises WarehouseError (nothing of the run kept)."""

    def __init__(self, db_url: str, writers: int = 1) -> None:
        self.db_url, self.writers = db_url, writers
        self.data: RunData | None = None
        self._conn: sa.Connection | None = None
        self._tx = None
        self._staged: int | None = None   # several writers: the staging run's key
        self._run_key: int | None = None

    def __enter__(self) -> "PendingRun":
        return self

    def __exit__(self, *exc) -> None:
        self.abort()

    def load(self, data: RunData) -> None:
        """Write every row of ``data``'s run, not yet committed."""
        if self.data is not None:
            raise RuntimeError("this pending run is loaded already")
        self.data = data
        ensure_schema(self.db_url)
        engine = engine_for(self.db_url)
        values = _run_values(data)
        with self._or_abort(data.run_id):
            if self.writers > 1 and engine.dialect.name == "postgresql":
                self._staged = _load_staged(engine, data, values, self.writers)
                return
            self._conn = write_connection(engine)
            self._tx = self._conn.begin()
            conn = self._conn
            if conn.dialect.name == "postgresql":
                conn.exec_driver_sql(STORE_LOCK)
            run_key = conn.execute(sa.select(Run.__table__.c.id).where(Run.__table__.c.run_id == data.run_id)
                                   ).scalar_one_or_none()
            if run_key is not None:  # the same inbox and date again: replace, never duplicate
                _delete_run_rows(conn, run_key)
            run_key = _put_run(conn, data, values, run_key)
            for table, frame, seq in _partitioned_rows(data, 1):
                _load(conn, table, frame, {"run_key": run_key, "seq": seq})
            _load_results(conn, data, run_key)
            self._run_key = run_key

    def commit(self, seconds: dict[str, float] | None = None, finished_at: dt.datetime | None = None,
               data: RunData | None = None) -> None:
        """Make the loaded run the completed run, with its final ``seconds`` and ``finished_at``
        (those given at ``load`` otherwise). ``data``: the run to load first, if not loaded."""
        if self.data is None:
            if data is None:
                raise RuntimeError("nothing loaded to commit")
            self.load(data)
        final = RunData(**{**self.data.__dict__,
                           **({"seconds": seconds} if seconds is not None else {}),
                           **({"finished_at": finished_at} if finished_at is not None else {})})
        values = _run_values(final)
        with self._or_abort(final.run_id):
            if self._staged is not None:
                run_key, self._staged = self._staged, None   # _finish_staged drops it on error
                _finish_staged(engine_for(self.db_url), final, values, run_key)
                return
            runs = Run.__table__
            self._conn.execute(sa.update(runs).where(runs.c.id == self._run_key).values(**values))
            self._tx.commit()
            self._close()

    @contextlib.contextmanager
    def _or_abort(self, run_id: str):
        """Any error in the block takes back what was loaded; a database's becomes WarehouseError."""
        try:
            yield
        except BaseException as exc:
            self.abort()
            if isinstance(exc, _DB_ERRORS) and not isinstance(exc, WarehouseError):
                raise _wrap("storing", run_id, exc) from exc
            raise

    def abort(self) -> None:
        """Take back whatever was loaded and not committed (nothing if nothing was)."""
        if self._tx is not None:
            try:
                if self._tx.is_active:
                    self._tx.rollback()
            except _DB_ERRORS:
                pass   # the connection is gone: so is its transaction
        self._close()
        if self._staged is not None:
            run_key, self._staged = self._staged, None
            _drop_staged(engine_for(self.db_url), run_key)

    def _close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except _DB_ERRORS:
                pass
        self._conn, self._tx = None, None


def _run_values(data: RunData) -> dict:
    counts = _counts(data)
    seconds = {k: float(v) for k, v in (data.seconds or {}).items() if v is not None}
    total = seconds.get("total")
    if total is None and data.started_at is not None and data.finished_at is not None:
        total = (data.finished_at - data.started_at).total_seconds()  # the run so far, when stored
    return dict(
        status="completed", as_of=pd.Timestamp(data.as_of).date(), started_at=_utc(data.started_at),
        finished_at=_utc(data.finished_at), stored_at=_now(), seconds_total=total,
        seconds=_jsonable(seconds), summary=_jsonable(data.summary), failure_reason=None,
        tool_version=_tool_version(), **counts,
    )


def _put_run(conn: sa.Connection, data: RunData, values: dict, run_key: int | None) -> int:
    """The run's row (and its identity snapshot), updated in place when ``run_key`` is given."""
    run_table = Run.__table__
    export_id = _snapshot(conn, data.identity_export) if data.identity_export is not None else None
    values = {**values, "identity_export_id": export_id}
    if run_key is not None:
        conn.execute(sa.update(run_table).where(run_table.c.id == run_key).values(**values))
        return run_key
    return conn.execute(sa.insert(run_table).values(run_id=data.run_id, **values)
                        .returning(run_table.c.id)).scalar_one()


def _partitioned_rows(data: RunData, parts: int) -> list[tuple[sa.Table, pd.DataFrame, np.ndarray]]:
    """The run's big tables in ``parts`` contiguous partitions each: (table, frame, seq)."""
    out = [(InputFile.__table__, data.files, np.arange(len(data.files), dtype=np.int64))]
    for table, frame in ((PersonRow.__table__, data.rows), (Match.__table__, data.rows),
                         (Finding.__table__, data.findings)):
        bounds = np.linspace(0, len(frame), max(1, parts) + 1).astype(np.int64)
        out += [(table, frame.iloc[lo:hi], np.arange(lo, hi, dtype=np.int64))
                for lo, hi in zip(bounds[:-1], bounds[1:]) if hi > lo]
    return out


def _load_results(conn: sa.Connection, data: RunData, run_key: int) -> None:
    """The small per-unit results and the review decisions."""
    seq = {"run_key": run_key}
    wards = data.wards.drop_duplicates("ward_code", keep="last") if len(data.wards) else data.wards
    _load(conn, WardResult.__table__, wards, seq)
    if data.units is not None and len(data.units):
        _load(conn, UnitResult.__table__, data.units.drop_duplicates(["unit_kind", "unit_code"]), seq)
    _upsert_decisions(conn, data.run_id, data.decisions)


# A run being stored by several writers is a failed run named <run_id>~<8 hex> until its last
# transaction renames it: a writer killed mid-way leaves a failed run, never a partial completed one.
STAGING = "~"


def _drop_runs(conn: sa.Connection, run_keys: list[int]) -> None:
    """Runs and every row of theirs (their notices must have moved or gone first)."""
    for key in run_keys:
        _delete_run_rows(conn, key)
        conn.execute(sa.delete(Run.__table__).where(Run.__table__.c.id == key))


def _load_staged(engine: sa.Engine, data: RunData, values: dict, writers: int) -> int:
    """Several writers (issue 15), the first two steps: (1) one transaction drops any staging
    run a killed store left (the run lock makes it dead), stores the identity snapshot and a
    staging run; (2) ``writers`` connections COPY the partitions of person-rows, matches and
    findings at once, each committing its own. → the staging run's key. Until ``_finish_staged``
    commits, the run is not completed anywhere; on any error here the staging run goes."""
    from concurrent.futures import ThreadPoolExecutor
    from uuid import uuid4

    runs = Run.__table__
    with write_connection(engine) as conn, conn.begin():
        conn.exec_driver_sql(STORE_LOCK)
        _drop_runs(conn, list(conn.execute(sa.select(runs.c.id).where(
            runs.c.status == "failed", runs.c.run_id.contains(STAGING, autoescape=True))).scalars()))
        staged = RunData(**{**data.__dict__, "run_id": f"{data.run_id}{STAGING}{uuid4().hex[:8]}"})
        run_key = _put_run(conn, staged, {**values, "status": "failed",
                                          "failure_reason": "stopped while being stored"}, None)
    try:
        def write(part: tuple) -> None:
            table, frame, seq = part
            with write_connection(engine) as conn, conn.begin():
                _load(conn, table, frame, {"run_key": run_key, "seq": seq})

        with ThreadPoolExecutor(writers) as pool:
            for done in [pool.submit(write, part) for part in _partitioned_rows(data, writers)]:
                done.result()
    except BaseException:
        _drop_staged(engine, run_key)
        raise
    return run_key


def _finish_staged(engine: sa.Engine, data: RunData, values: dict, run_key: int) -> None:
    """Several writers, the last step (3): one transaction replaces the older run of the same
    run_id (its notices move to the new one) and turns the staging run ``run_key`` into the
    completed run with its results and decisions. On any error the staging run goes."""
    runs = Run.__table__
    try:
        with write_connection(engine) as conn, conn.begin():
            conn.exec_driver_sql(STORE_LOCK)
            older = conn.execute(sa.select(runs.c.id).where(runs.c.run_id == data.run_id)).scalar_one_or_none()
            if older is not None:   # the same inbox and date again: replaced, its notices kept
                notices = Notice.__table__
                conn.execute(sa.update(notices).where(notices.c.run_key == older).values(run_key=run_key))
                _drop_runs(conn, [older])
            conn.execute(sa.update(runs).where(runs.c.id == run_key).values(run_id=data.run_id, **values))
            _load_results(conn, data, run_key)
    except BaseException:
        _drop_staged(engine, run_key)
        raise


def _drop_staged(engine: sa.Engine, run_key: int) -> None:
    try:
        with write_connection(engine) as conn, conn.begin():
            _drop_runs(conn, [run_key])
    except _DB_ERRORS:
        pass   # the next store drops it (step 1)


def mark_failed(db_url: str, run_id: str, as_of: dt.date, started_at: dt.datetime, reason: str) -> bool:
    """Record that a run failed, in its own small transaction. A completed run with the same
    run_id (same inbox, same date) is left as it is: its data stay valid. Returns whether the
    failure was recorded. ``reason`` is kept without anything that looks like an ID or a phone."""
    ensure_schema(db_url)
    t = Run.__table__
    values = dict(status="failed", as_of=pd.Timestamp(as_of).date(), started_at=_utc(started_at),
                  finished_at=_now(), stored_at=_now(), failure_reason=scrub(reason),
                  tool_version=_tool_version())
    try:
        with write_connection(engine_for(db_url)) as conn, conn.begin():
            status = conn.execute(sa.select(t.c.status).where(t.c.run_id == run_id)).scalar_one_or_none()
            if status == "completed":
                return False
            if status is None:
                conn.execute(sa.insert(t).values(
                    run_id=run_id, rows_read=0, rows_matched=0, rows_review=0, rows_unmatched=0,
                    rows_invalid=0, findings_count=0, files_read=0, files_rejected=0, files_superseded=0,
                    **values))
            else:
                conn.execute(sa.update(t).where(t.c.run_id == run_id).values(**values))
        return True
    except _DB_ERRORS as exc:
        raise _wrap("marking as failed", run_id, exc) from exc


def record_notice(db_url: str, run_id: str, unit_code: str, unit_kind: str, channel: str,
                  document: str | None = None, note: str | None = None,
                  sent_at: dt.datetime | None = None) -> None:
    """Keep the fact that a result notice of a stored run went to a unit (ward or agency)."""
    runs = Run.__table__
    with write_connection(engine_for(db_url)) as conn, conn.begin():
        run_key = conn.execute(sa.select(runs.c.id).where(runs.c.run_id == run_id)).scalar_one_or_none()
        if run_key is None:
            raise WarehouseError(f"no run {run_id} in the warehouse")
        conn.execute(sa.insert(Notice.__table__).values(
            run_key=run_key, unit_code=unit_code, unit_kind=unit_kind, channel=channel, document=document,
            note=note, sent_at=_utc(sent_at) or _now()))


def prune(db_url: str, keep: int) -> list[str]:
    """Retention (docs/security.md): keep the newest ``keep`` completed runs (by as_of, then when
    stored) whole; delete every older run's rows (person-rows, matches, findings, files, results,
    notices) and every identity snapshot no kept run refers to (a snapshot stored ahead by a run
    that failed afterwards, too: ``store_snapshot``). Failed runs older than the oldest kept run
    go too. Holds the warehouse's run lock (``run_lock``; waits for a run being written, whose
    snapshot stored ahead no run refers to yet). → the run ids removed. Raises WarehouseError
    (WarehouseBusy if a run holds the lock longer than ``RECONCILE_LOCK_TIMEOUT``)."""
    if keep < 1:
        raise WarehouseError("prune: --keep must be at least 1 (the newest run is always kept)")
    ensure_schema(db_url)
    runs = Run.__table__
    removed: list[str] = []
    try:
        with run_lock(db_url), write_connection(engine_for(db_url)) as conn, conn.begin():
            done = conn.execute(sa.select(runs.c.id, runs.c.run_id, runs.c.as_of, runs.c.stored_at)
                                .where(runs.c.status == "completed")
                                .order_by(runs.c.as_of.desc(), runs.c.stored_at.desc())).all()
            old = []
            if len(done) > keep:
                oldest = min(r.stored_at for r in done[:keep])
                old = [r for r in done[keep:]] + conn.execute(
                    sa.select(runs.c.id, runs.c.run_id, runs.c.as_of, runs.c.stored_at)
                    .where(runs.c.status == "failed", runs.c.stored_at < oldest)).all()
            for r in old:
                _delete_run_rows(conn, r.id)
                conn.execute(sa.delete(Notice.__table__).where(Notice.__table__.c.run_key == r.id))
                conn.execute(sa.delete(runs).where(runs.c.id == r.id))
                removed.append(r.run_id)
            used = sa.select(runs.c.identity_export_id).where(runs.c.identity_export_id.is_not(None))
            exports = IdentityExportRow.__table__
            stale = [e for (e,) in conn.execute(sa.select(exports.c.id).where(exports.c.id.not_in(used)))]
            if stale:
                conn.execute(sa.delete(IdentityRecord.__table__).where(IdentityRecord.__table__.c.export_id.in_(stale)))
                conn.execute(sa.delete(exports).where(exports.c.id.in_(stale)))
    except WarehouseError:
        raise
    except _DB_ERRORS as exc:
        raise _wrap("pruning", "", exc) from exc
    return removed
