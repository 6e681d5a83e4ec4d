"""Which tables a write session changed, read from the session itself.

An operation announces what it changed so that each page redraws only what it shows. Nobody types
that list: every flush records the tables of the rows it inserts, updates or deletes, ORM-enabled
`update()`/`delete()` statements record their table, and the outbox hook records the outbox (and the
tables of rows inserted without ORM objects). `changed_tables(session)` reads the result, also after
the session has been committed and closed.

Work that runs many transactions of its own (a sync, an exchange import) is measured with
`collecting()`: every INSERT, UPDATE or DELETE this thread executes on the database meanwhile, on a
session or straight on a connection (pulled rows are), adds its table.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Delete, Insert, Update, event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

_KEY = "changed_tables"
_collectors = threading.local()  # .sinks: the sets `collecting()` blocks on this thread fill


def install(factory: sessionmaker) -> None:
    event.listen(factory, "before_flush", _record_flush)
    event.listen(factory, "do_orm_execute", _record_statement)
    event.listen(factory.kw["bind"], "before_execute", _collect_statement)


@contextmanager
def collecting() -> Iterator[set[str]]:
    """The tables every statement this thread executes within the block writes to."""
    sinks: list[set[str]] = _collectors.__dict__.setdefault("sinks", [])
    found: set[str] = set()
    sinks.append(found)
    try:
        yield found
    finally:
        sinks.remove(found)


def record(session: Session, tables: Iterable[str]) -> None:
    session.info.setdefault(_KEY, set()).update(tables)


def changed_tables(session: Session) -> frozenset[str]:
    return frozenset(session.info.get(_KEY, ()))


def _table_of(obj: object) -> str:
    return inspect(obj).mapper.persist_selectable.name


def _record_flush(session: Session, _context: object, _instances: object) -> None:
    dirty = (obj for obj in session.dirty if session.is_modified(obj))
    record(session, {_table_of(obj) for group in (session.new, dirty, session.deleted) for obj in group})


def _record_statement(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        record(state.session, {state.statement.table.name})


def _collect_statement(_connection: Connection, statement: Any, *_args: Any) -> None:
    sinks = getattr(_collectors, "sinks", None)
    if sinks and isinstance(statement, Insert | Update | Delete):
        for sink in sinks:
            sink.add(statement.table.name)
