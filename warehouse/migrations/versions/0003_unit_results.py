"""Where every unit (ward, agency) stood on each run: cadres and staff, their households, groups
against their phase (issue 11; findings.progress.unit_results).

Revision ID: 0003
Revises: 0002
Create Date: 2023-11-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

COUNTS = ("target", "eligible", "activated", "members", "members_found", "members_activated",
          "household_eligible", "household_activated", "groups", "groups_with_list", "groups_unassigned",
          "groups_finished", "groups_late", "findings")


def upgrade() -> None:
    op.create_table(
        "unit_results",
        sa.Column("run_key", sa.Integer(), nullable=False),
        sa.Column("unit_kind", sa.String(16), nullable=False),
        sa.Column("unit_code", sa.String(), nullable=False),
        sa.Column("unit_name", sa.String(), nullable=True),
        *[sa.Column(c, sa.Integer(), nullable=True) for c in COUNTS[:3]],
        sa.Column("rate", sa.Double(), nullable=True),
        *[sa.Column(c, sa.Integer(), nullable=True) for c in COUNTS[3:]],
        sa.ForeignKeyConstraint(["run_key"], ["runs.id"], name=op.f("fk_unit_results_run_key_runs")),
        sa.PrimaryKeyConstraint("run_key", "unit_kind", "unit_code", name=op.f("pk_unit_results")),
    )


def downgrade() -> None:
    op.drop_table("unit_results")
