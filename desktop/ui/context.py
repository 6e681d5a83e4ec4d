"""What every page is given: the open database, today's date, and the app-wide changes signal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QObject, Signal

from desktop.db.engine import Database


@dataclass(frozen=True)
class Changes:
    """What an operation changed, so that each page redraws only what it shows (anki's OpChanges)."""

    tables: frozenset[str] = field(default_factory=frozenset)

    def touches(self, *tables: str) -> bool:
        return bool(self.tables.intersection(tables))


class AppContext(QObject):
    changed = Signal(object)  # Changes

    def __init__(self, db: Database, *, today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__()
        self.db = db
        self.today = today

    def announce(self, changes: Changes) -> None:
        self.changed.emit(changes)
