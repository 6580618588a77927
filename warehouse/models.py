"""The warehouse schema as SQLAlchemy 2 typed models. Every nightly run is kept whole: what was
read (input files, person-rows, the identity snapshot it was checked against), what was found
(matches, findings, ward results), what people decided (review decisions) and which notices went
out. Child rows are keyed by (run_key, seq), run_key being the run's integer key: loads need no
sequence round-trips, and integer keys keep the bulk inserts fast (measured: 40 % faster on SQLite
than a text key).

The four bulk tables (person_rows, matches, findings, identity_records) carry no database foreign
key: PostgreSQL checks a foreign key row by row during COPY, which measured more than doubled the
storage time of a city run (7.5 s against 3.2 s). Their integrity holds by construction instead:
``store_run`` is their only writer and writes or replaces them in the same transaction as their
parent row; nothing deletes a run. The small tables keep their foreign keys.

Migrations in ``warehouse/migrations`` create exactly this; a test compares the two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RUN_STATUSES = ("completed", "failed")
FILE_KINDS = ("households", "assignments", "staff", "identity", "registry", "reviews")
FILE_STATUSES = ("accepted", "rejected", "superseded")
DECISIONS = ("same", "not_same", "visit")


class Base(DeclarativeBase):
    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        dict[str, Any]: sa.JSON,
        dt.datetime: sa.DateTime(timezone=True),
    }


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class IdentityExport(Base):
    """One identity-system export, stored once and shared by every run that read it."""

    __tablename__ = "identity_exports"
    __table_args__ = (sa.UniqueConstraint("export_date", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    export_date: Mapped[dt.date]
    source: Mapped[str]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    record_count: Mapped[int]
    stored_at: Mapped[dt.datetime]


class IdentityRecord(Base):
    """A row of an identity export (CONTRACT §1.1), in the code's words."""

    __tablename__ = "identity_records"
    export_id: Mapped[int] = mapped_column(primary_key=True)            # identity_exports.id
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    identity_id: Mapped[str]
    name: Mapped[str | None]
    birth_date: Mapped[str | None]  # YYYY-MM-DD or YYYY-00-00
    gender: Mapped[str | None]
    household_code: Mapped[str | None]
    relation: Mapped[str | None]
    ward_code: Mapped[str | None]
    address: Mapped[str | None]
    phone: Mapped[str | None]
    level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    status: Mapped[str | None]
    activated_on: Mapped[dt.date | None]


class Run(Base):
    """One reconciliation run: completed (with all its rows) or failed (with a reason)."""

    __tablename__ = "runs"
    __table_args__ = (sa.CheckConstraint(_in("status", RUN_STATUSES), name="status"),
                      sa.UniqueConstraint("run_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[str] = mapped_column(sa.String(64))             # e.g. 20231025-3f2a9c1b0d
    status: Mapped[str] = mapped_column(sa.String(16))
    as_of: Mapped[dt.date]
    started_at: Mapped[dt.datetime]
    finished_at: Mapped[dt.datetime | None]
    stored_at: Mapped[dt.datetime]
    seconds_total: Mapped[float | None]
    seconds: Mapped[dict[str, Any] | None]          # read, validate, link, findings, store, report, total
    summary: Mapped[dict[str, Any] | None]          # summary.json as written (CONTRACT §3)
    identity_export_id: Mapped[int | None] = mapped_column(sa.ForeignKey("identity_exports.id"))
    rows_read: Mapped[int] = mapped_column(default=0)
    rows_matched: Mapped[int] = mapped_column(default=0)
    rows_review: Mapped[int] = mapped_column(default=0)
    rows_unmatched: Mapped[int] = mapped_column(default=0)
    rows_invalid: Mapped[int] = mapped_column(default=0)
    findings_count: Mapped[int] = mapped_column(default=0)
    files_read: Mapped[int] = mapped_column(default=0)
    files_rejected: Mapped[int] = mapped_column(default=0)
    files_superseded: Mapped[int] = mapped_column(default=0)
    failure_reason: Mapped[str | None] = mapped_column(sa.Text)
    tool_version: Mapped[str | None] = mapped_column(sa.String(32))  # revision 0002


class InputFile(Base):
    """The ledger of one run: every file (and sheet) read, rejected or superseded."""

    __tablename__ = "input_files"

    run_key: Mapped[int] = mapped_column(sa.ForeignKey("runs.id"), primary_key=True)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str]
    sheet: Mapped[str | None]
    kind: Mapped[str | None]
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    ward_code: Mapped[str | None]
    group_no: Mapped[str | None]
    submitted_on: Mapped[dt.date | None]
    status: Mapped[str | None]
    reason: Mapped[str | None] = mapped_column(sa.Text)
    replaced_by: Mapped[str | None]
    row_count: Mapped[int | None]


class PersonRow(Base):
    """A person-row of a current household submission, with its normalised values."""

    __tablename__ = "person_rows"

    run_key: Mapped[int] = mapped_column(primary_key=True)              # runs.id
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str]
    sheet: Mapped[str | None]
    row: Mapped[int | None]
    ward_code: Mapped[str | None]
    group_no: Mapped[str | None]
    name: Mapped[str | None]
    name_key: Mapped[str | None]
    birth_date: Mapped[str | None]  # YYYY-MM-DD, YYYY-00-00 or ''
    gender: Mapped[str | None]
    national_id: Mapped[str | None]
    id_state: Mapped[str | None]
    phone: Mapped[str | None]
    relation: Mapped[str | None]
    reported_status: Mapped[str | None]
    level: Mapped[int | None] = mapped_column(sa.SmallInteger)
    case_label: Mapped[str | None]


class Match(Base):
    """How a person-row was linked to the identity snapshot of its run."""

    __tablename__ = "matches"

    run_key: Mapped[int] = mapped_column(primary_key=True)              # person_rows.(run_key, seq)
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    match_status: Mapped[str]
    identity_id: Mapped[str | None]
    method: Mapped[str | None]
    score: Mapped[float | None]
    agreements: Mapped[str | None]


class Finding(Base):
    """A row of discrepancies.csv."""

    __tablename__ = "findings"

    run_key: Mapped[int] = mapped_column(primary_key=True)              # runs.id
    seq: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    source: Mapped[str | None]
    sheet: Mapped[str | None]
    row: Mapped[int | None]
    ward_code: Mapped[str | None]
    group_no: Mapped[str | None]
    identity_id: Mapped[str | None]
    code: Mapped[str]
    detail: Mapped[str | None] = mapped_column(sa.Text)


class WardResult(Base):
    """A ward's activation figures on a run's reference date: the history the reports chart."""

    __tablename__ = "ward_results"

    run_key: Mapped[int] = mapped_column(sa.ForeignKey("runs.id"), primary_key=True)
    ward_code: Mapped[str] = mapped_column(primary_key=True)
    ward_name: Mapped[str | None]
    target: Mapped[int | None]
    eligible: Mapped[int | None]
    activated: Mapped[int | None]
    rate: Mapped[float | None]


class UnitResult(Base):
    """Where one unit stood on a run's reference date (findings.progress.unit_results): every
    ward and agency, one row per run. Revision 0003. ``reconcile history --unit`` reads it."""

    __tablename__ = "unit_results"

    run_key: Mapped[int] = mapped_column(sa.ForeignKey("runs.id"), primary_key=True)
    unit_kind: Mapped[str] = mapped_column(sa.String(16), primary_key=True)   # ward | agency
    unit_code: Mapped[str] = mapped_column(primary_key=True)
    unit_name: Mapped[str | None]
    target: Mapped[int | None]
    eligible: Mapped[int | None]
    activated: Mapped[int | None]
    rate: Mapped[float | None]
    members: Mapped[int | None]               # a ward's cadres, an agency's staff
    members_found: Mapped[int | None]         # ... found in the identity export
    members_activated: Mapped[int | None]
    household_eligible: Mapped[int | None]    # eligible other members of their households
    household_activated: Mapped[int | None]
    groups: Mapped[int | None]                # a ward's registry groups
    groups_with_list: Mapped[int | None]
    groups_unassigned: Mapped[int | None]
    groups_finished: Mapped[int | None]
    groups_late: Mapped[int | None]
    findings: Mapped[int | None]


class ReviewDecision(Base):
    """A person's decision on a pairing. Keyed on the person (identity_id + person_key), not on a
    file row, so it outlives resubmissions; the newest decision wins."""

    __tablename__ = "review_decisions"
    __table_args__ = (
        sa.UniqueConstraint("identity_id", "person_key"),
        sa.CheckConstraint(_in("decision", DECISIONS), name="decision"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    identity_id: Mapped[str]
    person_key: Mapped[str]
    decision: Mapped[str] = mapped_column(sa.String(16))
    note: Mapped[str | None] = mapped_column(sa.Text)
    source: Mapped[str | None]
    sheet: Mapped[str | None]
    row: Mapped[int | None]
    first_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    last_run_id: Mapped[str | None] = mapped_column(sa.String(64))
    decided_at: Mapped[dt.datetime]
    updated_at: Mapped[dt.datetime]


class Notice(Base):
    """A result notice sent to a unit (ward or agency) after a run. Revision 0002."""

    __tablename__ = "notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_key: Mapped[int] = mapped_column(sa.ForeignKey("runs.id"), index=True)
    unit_code: Mapped[str]
    unit_kind: Mapped[str]                   # ward | agency
    channel: Mapped[str]                     # e.g. email, paper, zalo
    document: Mapped[str | None]             # path of the notice sent
    sent_at: Mapped[dt.datetime]
    note: Mapped[str | None] = mapped_column(sa.Text)


# Revision 0002 also indexes runs for the history query.
sa.Index(None, Run.status, Run.as_of)

BULK_TABLES = ("input_files", "person_rows", "matches", "findings", "ward_results", "unit_results")
