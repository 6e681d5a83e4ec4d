"""audit records

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-02

The counties' audit logs (issue 14), kept append-only: who did what to whose record. A branch of its
own after 0006; `upgrade_to_head` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("pushed_by", sa.String(length=36), nullable=False),
        sa.Column("device_id", sa.String(length=36), nullable=False),
        sa.Column("hlc", sa.String(length=64), nullable=False),
        sa.Column("payload_hash", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("teacher_id", sa.String(length=36), nullable=True),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_records_county_at", "audit_records", ["county_code", "at"], unique=False)
    op.create_index("ix_audit_records_teacher", "audit_records", ["county_code", "teacher_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_records_teacher", table_name="audit_records")
    op.drop_index("ix_audit_records_county_at", table_name="audit_records")
    op.drop_table("audit_records")
