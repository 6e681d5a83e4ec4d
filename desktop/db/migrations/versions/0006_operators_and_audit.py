"""operators, roles and the audit trail (issue 14)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Reserved in a fixed order so that work in parallel keeps one linear history; a revision that ends up
with nothing to do is removed before it lands.
"""

from collections.abc import Sequence

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
