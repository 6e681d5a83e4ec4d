"""One unit of work per operation, and what it changed (anki's `OpChanges`).

A service function over a `Session` does the work; `change()` opens the write transaction around it,
commits it, and returns the function's value together with the tables the session wrote — read from
the session (`desktop.db.change_log`), never typed by the caller. `read()` is the same for a
read-only snapshot. The UI calls these through `desktop.ui.operations.Op` and never sees a session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Concatenate, Generic, ParamSpec, TypeVar

from sqlalchemy.orm import Session

from desktop.db.change_log import changed_tables, collecting
from desktop.db.engine import Database, DeviceIdentity, open_database

# The county's database as the UI holds it (opened by the launcher, handed to operations), never a session.
__all__ = ["Changes", "Database", "DeviceIdentity", "Done", "across", "change", "open_database", "read"]

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True)
class Changes:
    """What an operation changed (table names), so that each page redraws only what it shows.
    `initiator`: the widget that asked for the operation (anki's `initiator`), which may already have
    redrawn itself (the check-in screen updates one line of its roll, not the whole roll)."""

    tables: frozenset[str] = field(default_factory=frozenset)
    initiator: object | None = field(default=None, compare=False)

    def touches(self, *tables: str) -> bool:
        return bool(self.tables.intersection(tables))

    def __bool__(self) -> bool:
        return bool(self.tables)


@dataclass(frozen=True)
class Done(Generic[T]):
    """A committed operation: what the service function returned, and what it changed."""

    value: T
    changes: Changes


def change(
    db: Database, work: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs
) -> Done[T]:
    """Run `work(session, *args, **kwargs)` in one write transaction; committed when it returns."""
    with db.write() as session:
        value = work(session, *args, **kwargs)
    return Done(value, Changes(changed_tables(session)))


def across(work: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Done[T]:
    """Run `work`, which opens transactions of its own on the database (a sync, an exchange import), and
    return with its value the tables they wrote, whether each committed or not."""
    with collecting() as tables:
        value = work(*args, **kwargs)
    return Done(value, Changes(frozenset(tables)))


def read(db: Database, query: Callable[Concatenate[Session, P], T], *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `query(session, *args, **kwargs)` on a read-only snapshot."""
    with db.read() as session:
        return query(session, *args, **kwargs)
