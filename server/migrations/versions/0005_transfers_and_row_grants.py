"""transfer requests and row grants

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10

Teacher transfers between counties (调动申请), kept by the province until it decides, and the rows of
one county another may read after a transfer (the teacher's past trainings). A branch beside 0003,
like 0004; `upgrade_to_head` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "transfer_requests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("id_number", sa.String(length=18), nullable=False),
        sa.Column("from_county", sa.String(length=6), nullable=False),
        sa.Column("to_county", sa.String(length=6), nullable=False),
        sa.Column("from_row_id", sa.String(length=36), nullable=False),
        sa.Column("requested_row_id", sa.String(length=36), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("requested_by", sa.String(length=36), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("rewrites", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_transfer_requests_status", "transfer_requests", ["status", "to_county"])
    op.create_index("ix_transfer_requests_from_row", "transfer_requests", ["from_row_id"])
    op.create_table(
        "row_grants",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.String(length=36), nullable=False),
        sa.Column("transfer_id", sa.Integer(), nullable=False),
        sa.Column("granted_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("county_code", "entity", "row_id"),
    )


def downgrade() -> None:
    op.drop_table("row_grants")
    op.drop_index("ix_transfer_requests_from_row", table_name="transfer_requests")
    op.drop_index("ix_transfer_requests_status", table_name="transfer_requests")
    op.drop_table("transfer_requests")
