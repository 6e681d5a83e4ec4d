"""Chinese labels for stored codes, passed through Qt's translation mechanism."""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QCoreApplication

from desktop.domain.codes import code_table
from guopei_common import vocab


@cache
def code_label(table: str, code: str) -> str:
    """The label of a national code (学段, 学科, 职称, 性别 …); an unknown code is shown as itself."""
    if not code:
        return ""
    try:
        label = code_table(table).label(code)
    except KeyError:
        return code
    return QCoreApplication.translate("codes", label)


@cache
def vocab_label(enum_name: str, code: str) -> str:
    member = getattr(vocab, enum_name)._value2member_map_.get(code)
    return QCoreApplication.translate("vocab", member.label) if member is not None else code
