"""device numbers and exchange files (issue 18)

Revision ID: 0009
Revises: 0006
Create Date: 2026-12-02

Each device's number within its county (the D02 of serial 522727-2026-D02-00042), the county feed's
position each device's last exchange file reported, and the province's key for the exchange files it
writes. A branch of its own after 0006; `upgrade_to_head` upgrades every head.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("devices") as batch:
        batch.add_column(sa.Column("number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("exchange_cursor", sa.BigInteger(), nullable=True))
        batch.create_index("ux_devices_county_number", ["county_code", "number"], unique=True)
    op.create_table(
        "exchange_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("private_key", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("exchange_keys")
    with op.batch_alter_table("devices") as batch:
        batch.drop_index("ux_devices_county_number")
        batch.drop_column("exchange_cursor")
        batch.drop_column("number")
