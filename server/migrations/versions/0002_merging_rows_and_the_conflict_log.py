"""merging rows and the conflict log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Natural keys and per-field stamps on rows, aliases of merged ids, the conflict log.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conflict_log",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("field", sa.String(length=60), nullable=False),
        sa.Column("kept_value", sa.Text(), nullable=False),
        sa.Column("lost_value", sa.Text(), nullable=False),
        sa.Column("kept_hlc", sa.String(length=64), nullable=False),
        sa.Column("lost_hlc", sa.String(length=64), nullable=False),
        sa.Column("lost_origin", sa.String(length=36), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("reviewed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("conflict_log", schema=None) as batch_op:
        batch_op.create_index("ix_conflict_log_county", ["county_code", "id"], unique=False)

    op.create_table(
        "row_aliases",
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("alias_id", sa.String(length=36), nullable=False),
        sa.Column("canonical_id", sa.String(length=36), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("entity", "alias_id"),
    )
    with op.batch_alter_table("rows", schema=None) as batch_op:
        batch_op.add_column(sa.Column("natural_key", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("field_hlcs", sa.Text(), nullable=True))
        batch_op.create_index(batch_op.f("ix_rows_natural_key"), ["natural_key"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("rows", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rows_natural_key"))
        batch_op.drop_column("field_hlcs")
        batch_op.drop_column("natural_key")

    op.drop_table("row_aliases")
    with op.batch_alter_table("conflict_log", schema=None) as batch_op:
        batch_op.drop_index("ix_conflict_log_county")

    op.drop_table("conflict_log")
