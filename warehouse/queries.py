"""Reading the warehouse back: the activation-rate history the reports chart, and the review
decisions the next run applies."""

from __future__ import annotations

import pandas as pd
import sqlalchemy as sa

from warehouse.db import engine_for
from warehouse.models import ReviewDecision, Run, WardResult
from warehouse.schema import current_revision, ensure_schema

HISTORY_COLUMNS = ["as_of", "run_id", "ward_code", "ward_name", "target", "eligible", "activated", "rate"]
DECISION_COLUMNS = ["identity_id", "person_key", "decision", "note", "source", "sheet", "row",
                    "first_run_id", "last_run_id", "decided_at", "updated_at"]


def _read(db_url: str, query: sa.Select) -> list:
    """Rows of a query; none from a database that holds no warehouse yet (reading creates
    nothing); ``SchemaOutdated`` from a warehouse on another schema version."""
    if current_revision(db_url) is None:
        return []
    ensure_schema(db_url)
    with engine_for(db_url).connect() as conn:
        return conn.execute(query).all()


def history_query() -> sa.Select:
    """Activation figures per ward per night: one row per ward of each completed run, keeping only
    the newest completed run of each reference date (as_of)."""
    newest = (
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


def load_decisions(db_url: str) -> pd.DataFrame:
    """Every review decision kept, one per person (identity_id + person_key), newest first."""
    t = ReviewDecision.__table__
    rows = _read(db_url, sa.select(*(t.c[c] for c in DECISION_COLUMNS))
                 .order_by(t.c.updated_at.desc(), t.c.id.desc()))
    frame = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    frame["row"] = frame["row"].astype("Int64")
    return frame
