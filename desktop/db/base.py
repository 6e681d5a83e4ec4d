"""Declarative base and the columns every synced table carries."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Boolean, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from desktop.domain.ids import new_id

# Stable constraint names, so that Alembic migrations (batch mode on SQLite) can find them again.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Synced:
    """Mixin for tables that travel to the provincial server.

    `hlc` and `origin` are stamped by the session hook in `desktop.db.outbox`, which also writes the
    outbox row in the same flush; services never set them. Rows are never deleted, only tombstoned
    (`deleted`), so that a deletion can be synced like any other change.
    """

    __sync_entity__: str  # the entity's name on the wire, e.g. "teacher"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    hlc: Mapped[str] = mapped_column(String(64), default="", index=True)
    origin: Mapped[str] = mapped_column(String(36), default="")
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)

    # The columns fill_derived reads: a bulk update that changes none of them need not derive again.
    __derived_from__: frozenset[str] = frozenset()

    @classmethod
    def fill_derived(cls, values: dict[str, Any]) -> None:
        """Fill columns derived from others (e.g. a name's pinyin) in a row inserted in bulk; ORM
        objects derive them as they are set."""
