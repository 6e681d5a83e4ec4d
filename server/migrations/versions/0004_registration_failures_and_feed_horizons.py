"""registration failures and feed horizons

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-01

Failed registration attempts (rate limiting per address and per county) and, per county, the highest
change sequence number purged with old tombstones (pulls from below it are refused). A branch beside
0003; `upgrade_to_head` upgrades both heads.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feed_horizons",
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("horizon", sa.BigInteger(), nullable=False),
        sa.Column("purged_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("county_code"),
    )
    op.create_table(
        "registration_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("scope", sa.String(length=10), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_registration_failures_key",
        "registration_failures",
        ["scope", "key", "failed_at"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_registration_failures_key", table_name="registration_failures")
    op.drop_table("registration_failures")
    op.drop_table("feed_horizons")
