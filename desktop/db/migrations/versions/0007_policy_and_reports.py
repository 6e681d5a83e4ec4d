"""policy corrections: project topic, school flags, credit rules (issue 17)

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

A project's 主题 (with its level and type it decides what "the same training" is), and the school
designations provinces use since 2021 (脱贫县, 国家乡村振兴重点帮扶县, 民族地区) with where the county
took them from. Existing rows get an empty topic and no new flag: a project without a topic is compared
by level and type only, as before.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = ("in_former_poverty_county", "in_key_assistance_county", "in_ethnic_area")


def upgrade() -> None:
    with op.batch_alter_table("projects") as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(50), nullable=False, server_default=""))
    with op.batch_alter_table("schools") as batch_op:
        for flag in FLAGS:
            batch_op.add_column(sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("flags_source", sa.String(200), nullable=False, server_default=""))


def downgrade() -> None:
    with op.batch_alter_table("schools") as batch_op:
        batch_op.drop_column("flags_source")
        for flag in reversed(FLAGS):
            batch_op.drop_column(flag)
    with op.batch_alter_table("projects") as batch_op:
        batch_op.drop_column("topic")
