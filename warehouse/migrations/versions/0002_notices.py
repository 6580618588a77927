"""Notices sent to units; the history index on runs; the program version that stored a run.

Revision ID: 0002
Revises: 0001
Create Date: 2023-10-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("unit_kind", sa.String(), nullable=False),
        sa.Column("channel", sa.String(), nullable=False),
        sa.Column("document", sa.String(), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["run_key"], ["runs.id"], name=op.f("fk_notices_run_key_runs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notices")),
    )
    op.create_index(op.f("ix_notices_run_key"), "notices", ["run_key"])
    with op.batch_alter_table("runs") as batch:  # batch mode: SQLite's ALTER TABLE is limited
        batch.add_column(sa.Column("tool_version", sa.String(32), nullable=True))
        batch.create_index(batch.f("ix_runs_status_as_of"), ["status", "as_of"])


def downgrade() -> None:
    with op.batch_alter_table("runs") as batch:
        batch.drop_index(batch.f("ix_runs_status_as_of"))
        batch.drop_column("tool_version")
    op.drop_index(op.f("ix_notices_run_key"), table_name="notices")
    op.drop_table("notices")
