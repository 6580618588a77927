"""Reading the warehouse back: the activation-rate history the reports chart, and the review
decisions the next run applies."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from warehouse.db import engine_for
from warehouse.models import ReviewDecision, Run, UnitResult, WardResult
from warehouse.schema import current_revision, ensure_schema

HISTORY_COLUMNS = ["as_of", "run_id", "ward_code", "ward_name", "target", "eligible", "activated", "rate"]
DECISION_COLUMNS = ["identity_id", "person_key", "decision", "note", "source", "sheet", "row",
                    "first_run_id", "last_run_id", "decided_at", "updated_at"]


def _read(db_url: str, query: sa.Select) -> list:
    """Rows of a query; none from a database that holds no warehouse yet (reading creates
    nothing); ``SchemaOutdated`` from a warehouse on another schema version."""
    if current_revision(db_url) is None:   # a new warehouse (current_revision opens nothing)
        return []
    ensure_schema(db_url)
    with engine_for(db_url).connect() as conn:
        return conn.execute(query).all()


def _newest_runs() -> sa.Subquery:
    """The newest completed run of each reference date (as_of)."""
    return (
        sa.select(
            Run.id, Run.run_id, Run.as_of,
            sa.func.row_number().over(
                partition_by=Run.as_of,
                order_by=(sa.func.coalesce(Run.finished_at, Run.stored_at).desc(), Run.stored_at.desc(),
                          Run.run_id.desc()),
            ).label("rank"),
        )
        .where(Run.status == "completed")
        .subquery("newest")
    )


def history_query() -> sa.Select:
    """Activation figures per ward per night: one row per ward of each completed run, keeping only
    the newest completed run of each reference date (as_of)."""
    newest = _newest_runs()
    return (
        sa.select(newest.c.as_of, newest.c.run_id, WardResult.ward_code, WardResult.ward_name,
                  WardResult.target, WardResult.eligible, WardResult.activated, WardResult.rate)
        .join(newest, newest.c.id == WardResult.run_key)
        .where(newest.c.rank == 1)
        .order_by(newest.c.as_of, WardResult.ward_code)
    )


def history(db_url: str) -> pd.DataFrame:
    """``history_query()`` as a frame: as_of (date), run_id, ward_code, ward_name, target,
    eligible, activated (int), rate (float). Empty (with those columns) on a new warehouse."""
    rows = _read(db_url, history_query())
    frame = pd.DataFrame(rows, columns=HISTORY_COLUMNS)
    for col in ("target", "eligible", "activated"):
        frame[col] = frame[col].astype("Int64")
    frame["rate"] = frame["rate"].astype("float64")
    return frame


UNIT_HISTORY_COLUMNS = ["as_of", "run_id"] + [c.name for c in UnitResult.__table__.columns if c.name != "run_key"]


def unit_history_query(unit_code: str | None = None) -> sa.Select:
    """Every unit's figures (findings.progress.unit_results) per night, newest run of each
    as_of; one unit's when ``unit_code`` is given."""
    newest = _newest_runs()
    t = UnitResult.__table__
    q = (sa.select(newest.c.as_of, newest.c.run_id, *(t.c[c] for c in UNIT_HISTORY_COLUMNS[2:]))
         .join(newest, newest.c.id == t.c.run_key).where(newest.c.rank == 1))
    if unit_code is not None:
        q = q.where(t.c.unit_code == unit_code)
    return q.order_by(t.c.unit_kind.desc(), t.c.unit_code, newest.c.as_of)


def unit_history(db_url: str, unit_code: str | None = None) -> pd.DataFrame:
    """``unit_history_query`` as a frame (UNIT_HISTORY_COLUMNS; counts Int64, rate float), with
    the change of the rate since the unit's previous night (``rate_change``, NaN the first
    night). Empty on a new warehouse, or one whose runs predate revision 0003."""
    frame = pd.DataFrame(_read(db_url, unit_history_query(unit_code)), columns=UNIT_HISTORY_COLUMNS)
    for col in UNIT_HISTORY_COLUMNS[5:]:
        if col != "rate":
            frame[col] = frame[col].astype("Int64")
    frame["rate"] = frame["rate"].astype("float64")
    frame["rate_change"] = frame.groupby(["unit_kind", "unit_code"])["rate"].diff().round(4)
    return frame


def load_decisions(db_url: str) -> pd.DataFrame:
    """Every review decision kept, one per person (identity_id + person_key), newest first."""
    t = ReviewDecision.__table__
    rows = _read(db_url, sa.select(*(t.c[c] for c in DECISION_COLUMNS))
                 .order_by(t.c.updated_at.desc(), t.c.id.desc()))
    frame = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame
