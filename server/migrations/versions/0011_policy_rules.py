"""policy rules: level limits, credit rule versions, training cycle (issue 17)

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-02

What `GET /v1/policy/rules` serves a county besides the policy switches: participation limits of the
levels other than 国培, the versions of the credit rules, the training cycle (all JSON text, null
while the province has not set them).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("level_limits", "credit_rules", "training_cycle")


def upgrade() -> None:
    with op.batch_alter_table("county_policies") as batch_op:
        for column in COLUMNS:
            batch_op.add_column(sa.Column(column, sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("county_policies") as batch_op:
        for column in reversed(COLUMNS):
            batch_op.drop_column(column)
