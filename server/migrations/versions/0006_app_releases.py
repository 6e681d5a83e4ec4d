"""app releases

Revision ID: 0006
Revises: 0003
Create Date: 2026-12-02

The desktop versions the province publishes (`guopei-server app-version`), served by
`GET /v1/app-version` so that county PCs can say a newer one exists. A branch of its own after 0003,
beside 0004 and 0005; `upgrade_to_head` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "app_releases",
        sa.Column("version", sa.String(length=30), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version"),
    )
    op.create_index(op.f("ix_app_releases_published_at"), "app_releases", ["published_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_app_releases_published_at"), table_name="app_releases")
    op.drop_table("app_releases")
