"""aliases per county, and private ones

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02

Issue 13: a row id names a row only within its county. `row_aliases` is keyed by county (two counties
may each alias the same id), and an alias may be private: the county's id was already another county's
row id, so the server keeps that county's row under an id of its own making and shows it to the county
under the county's id, answering exactly as for an id it never saw (no existence oracle).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_COLUMNS = "entity, alias_id, canonical_id, county_code, created_at"


def _aliases(key: tuple[str, ...], *, key_name: str, private: bool) -> None:
    columns = [
        sa.Column("entity", sa.String(length=40), nullable=False),
        sa.Column("alias_id", sa.String(length=36), nullable=False),
        sa.Column("canonical_id", sa.String(length=36), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    ]
    if private:
        columns.append(sa.Column("private", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table("row_aliases", *columns, sa.PrimaryKeyConstraint(*key, name=key_name))


def _swap(key: tuple[str, ...], *, key_name: str, private: bool) -> None:
    """Rebuild row_aliases with another primary key (portable: SQLite cannot alter a primary key). The
    key's name differs from the old one's: PostgreSQL names constraints per schema."""
    op.rename_table("row_aliases", "row_aliases_old")
    _aliases(key, key_name=key_name, private=private)
    op.execute(f"INSERT INTO row_aliases ({_COLUMNS}) SELECT {_COLUMNS} FROM row_aliases_old")
    op.drop_table("row_aliases_old")


def upgrade() -> None:
    _swap(("county_code", "entity", "alias_id"), key_name="pk_row_aliases", private=True)


def downgrade() -> None:
    # A private alias's id is another county's row id: two counties may share one, which the old key
    # cannot hold. They are dropped (their rows stay, under the server's ids).
    op.execute("DELETE FROM row_aliases WHERE private")
    _swap(("entity", "alias_id"), key_name="row_aliases_pkey", private=False)
