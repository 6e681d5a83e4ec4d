"""Which tables a write session changed, read from the session itself.

An operation announces what it changed so that each page redraws only what it shows. Nobody types
that list: every flush records the tables of the rows it inserts, updates or deletes, ORM-enabled
`update()`/`delete()` statements record their table, and the outbox hook records the outbox (and the
tables of rows inserted without ORM objects). `changed_tables(session)` reads the result, also after
the session has been committed and closed.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, sessionmaker

_KEY = "changed_tables"


def install(factory: sessionmaker) -> None:
    event.listen(factory, "before_flush", _record_flush)
    event.listen(factory, "do_orm_execute", _record_statement)


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
