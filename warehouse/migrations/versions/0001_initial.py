"""The first warehouse schema: runs, input files, person-rows, matches, findings, ward results,
identity snapshots, review decisions.

Revision ID: 0001
Revises:
Create Date: 2023-10-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TZ = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "identity_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("export_date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("record_count", sa.Integer(), nullable=False),
        sa.Column("stored_at", TZ, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_identity_exports")),
        sa.UniqueConstraint("export_date", "sha256", name=op.f("uq_identity_exports_export_date_sha256")),
    )
    op.create_table(
        "identity_records",
        sa.Column("export_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("identity_id", sa.String(), nullable=False),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("birth_date", sa.String(), nullable=True),
        sa.Column("gender", sa.String(), nullable=True),
        sa.Column("household_code", sa.String(), nullable=True),
        sa.Column("relation", sa.String(), nullable=True),
        sa.Column("ward_code", sa.String(), nullable=True),
        sa.Column("address", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("activated_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("export_id", "seq", name=op.f("pk_identity_records")),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("started_at", TZ, nullable=False),
        sa.Column("finished_at", TZ, nullable=True),
        sa.Column("stored_at", TZ, nullable=False),
        sa.Column("seconds_total", sa.Double(), nullable=True),
        sa.Column("seconds", sa.JSON(), nullable=True),
        sa.Column("summary", sa.JSON(), nullable=True),
        sa.Column("identity_export_id", sa.Integer(), nullable=True),
        sa.Column("rows_read", sa.Integer(), nullable=False),
        sa.Column("rows_matched", sa.Integer(), nullable=False),
        sa.Column("rows_review", sa.Integer(), nullable=False),
        sa.Column("rows_unmatched", sa.Integer(), nullable=False),
        sa.Column("rows_invalid", sa.Integer(), nullable=False),
        sa.Column("findings_count", sa.Integer(), nullable=False),
        sa.Column("files_read", sa.Integer(), nullable=False),
        sa.Column("files_rejected", sa.Integer(), nullable=False),
        sa.Column("files_superseded", sa.Integer(), nullable=False),
        sa.Column("failure_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('completed', 'failed')", name=op.f("ck_runs_status")),
        sa.ForeignKeyConstraint(["identity_export_id"], ["identity_exports.id"],
                                name=op.f("fk_runs_identity_export_id_identity_exports")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint("run_id", name=op.f("uq_runs_run_id")),
    )
    op.create_table(
        "input_files",
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sheet", sa.String(), nullable=True),
        sa.Column("kind", sa.String(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("size_bytes", sa.BigInteger(), nullable=True),
        sa.Column("ward_code", sa.String(), nullable=True),
        sa.Column("group_no", sa.String(), nullable=True),
        sa.Column("submitted_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("replaced_by", sa.String(), nullable=True),
        sa.Column("row_count", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["run_key"], ["runs.id"], name=op.f("fk_input_files_run_key_runs")),
        sa.PrimaryKeyConstraint("run_key", "seq", name=op.f("pk_input_files")),
    )
    op.create_table(
        "person_rows",
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(), nullable=False),
        sa.Column("sheet", sa.String(), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("ward_code", sa.String(), nullable=True),
        sa.Column("group_no", sa.String(), nullable=True),
        sa.Column("name", sa.String(), nullable=True),
        sa.Column("name_key", sa.String(), nullable=True),
        sa.Column("birth_date", sa.String(), nullable=True),
        sa.Column("gender", sa.String(), nullable=True),
        sa.Column("national_id", sa.String(), nullable=True),
        sa.Column("id_state", sa.String(), nullable=True),
        sa.Column("phone", sa.String(), nullable=True),
        sa.Column("relation", sa.String(), nullable=True),
        sa.Column("reported_status", sa.String(), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=True),
        sa.Column("case_label", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("run_key", "seq", name=op.f("pk_person_rows")),
    )
    op.create_table(
        "matches",
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("match_status", sa.String(), nullable=False),
        sa.Column("identity_id", sa.String(), nullable=True),
        sa.Column("method", sa.String(), nullable=True),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("agreements", sa.String(), nullable=True),
        sa.PrimaryKeyConstraint("run_key", "seq", name=op.f("pk_matches")),
    )
    op.create_table(
        "findings",
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("sheet", sa.String(), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("ward_code", sa.String(), nullable=True),
        sa.Column("group_no", sa.String(), nullable=True),
        sa.Column("identity_id", sa.String(), nullable=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("run_key", "seq", name=op.f("pk_findings")),
    )
    op.create_table(
        "ward_results",
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("ward_code", sa.String(), nullable=False),
        sa.Column("ward_name", sa.String(), nullable=True),
        sa.Column("target", sa.Integer(), nullable=True),
        sa.Column("eligible", sa.Integer(), nullable=True),
        sa.Column("activated", sa.Integer(), nullable=True),
        sa.Column("rate", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(["run_key"], ["runs.id"], name=op.f("fk_ward_results_run_key_runs")),
        sa.PrimaryKeyConstraint("run_key", "ward_code", name=op.f("pk_ward_results")),
    )
    op.create_table(
        "review_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.String(), nullable=False),
        sa.Column("person_key", sa.String(), nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("source", sa.String(), nullable=True),
        sa.Column("sheet", sa.String(), nullable=True),
        sa.Column("row", sa.Integer(), nullable=True),
        sa.Column("first_run_id", sa.String(64), nullable=True),
        sa.Column("last_run_id", sa.String(64), nullable=True),
        sa.Column("decided_at", TZ, nullable=False),
        sa.Column("updated_at", TZ, nullable=False),
        sa.CheckConstraint("decision IN ('same', 'not_same', 'visit')", name=op.f("ck_review_decisions_decision")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_decisions")),
        sa.UniqueConstraint("identity_id", "person_key", name=op.f("uq_review_decisions_identity_id_person_key")),
    )


def downgrade() -> None:
    for table in ("review_decisions", "ward_results", "findings", "matches", "person_rows", "input_files",
                  "runs"):
        op.drop_table(table)
    op.drop_table("identity_records")
    op.drop_table("identity_exports")
