"""completion inputs: a project's completion rule, an enrollment's assessment and outcome

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("completion_rule", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("enrollments") as batch_op:
        batch_op.add_column(sa.Column("assessment_passed", sa.Boolean(), nullable=True))
        batch_op.add_column(
            sa.Column("outcome_submitted", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("enrollments") as batch_op:
        batch_op.drop_column("outcome_submitted")
        batch_op.drop_column("assessment_passed")
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("completion_rule")
