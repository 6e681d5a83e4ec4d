"""The county's settings (`desktop.settings`, kept in the local `settings` table) read and written with
the type and default their option declares."""

from __future__ import annotations

import copy
from typing import TypeVar

from sqlalchemy.orm import Session

from desktop.db.models import Setting
from desktop.settings import Kept, Option

T = TypeVar("T")


def _row(session: Session, option: Option[T]) -> Setting | None:
    if option.kept is not Kept.COUNTY:
        raise ValueError(f"{option.key} is kept in QSettings, not in the county database")
    return session.get(Setting, option.key)


def value(session: Session, option: Option[T]) -> T:
    """The stored value, or the option's default when none is stored or it is not of the option's type."""
    row = _row(session, option)
    if row is None or not option.accepts(row.value):
        return copy.deepcopy(option.default)  # a caller may change a default list or dict
    return row.value


def is_set(session: Session, option: Option[T]) -> bool:
    return _row(session, option) is not None


def store(session: Session, option: Option[T], new: T) -> None:
    if not option.accepts(new):
        raise TypeError(f"{option.key} takes {option.kind.__name__}, not {type(new).__name__}")
    row = _row(session, option)
    if row is None:
        session.add(Setting(key=option.key, value=new))
    else:
        row.value = new
