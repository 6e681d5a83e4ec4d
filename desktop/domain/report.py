"""What a report is, whatever it is written to: sections of paragraphs and tables, for an addressee,
signed by an issuer. The xlsx writer (desktop.io.report_xlsx) and the PDF writer
(desktop.printing.report_pdf) both render this, so the two files of a report always hold the same
numbers."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

Cell = str | int | float


@dataclass(frozen=True)
class Table:
    title: str  # the xlsx sheet's name and the PDF's heading above the table
    headers: tuple[str, ...]
    rows: list[list[Cell]]
    widths: tuple[int, ...]  # in characters for xlsx; relative widths in the PDF
    totals: list[Cell] | None = None  # the 合计 row, written bold under the rows


@dataclass(frozen=True)
class Section:
    heading: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = ()
    addressee: str = ""  # a notice to a school starts with its name
    own_pages: bool = False  # starts on a new page, numbered on its own (one school's notice)


@dataclass(frozen=True)
class Report:
    title: str
    issuer: str  # who signs and stamps it
    date: dt.date
    sections: list[Section] = field(default_factory=list)
    landscape: bool = False  # wide tables


def rate(part: int, whole: int) -> str:
    """A share as people write it in a report: 87.5%, and — when there is nothing to divide."""
    return f"{part / whole:.1%}" if whole else "—"
