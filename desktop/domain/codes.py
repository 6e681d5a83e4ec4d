"""National code tables (性别, 民族, 职称, 学段, 学科, 培训类别, 培训方式), kept as data in
`resources/codes/` and read once. Their sources are listed in `resources/codes/README.md`."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CODES_DIR = Path(__file__).resolve().parents[2] / "resources" / "codes"


@dataclass(frozen=True)
class CodeItem:
    code: str
    label: str
    aliases: tuple[str, ...] = ()
    level: str = ""  # 职称 only: 正高/副高/中级/初级/员级/无


@dataclass(frozen=True)
class CodeTable:
    name: str
    items: tuple[CodeItem, ...]

    def label(self, code: str) -> str:
        for item in self.items:
            if item.code == code:
                return item.label
        raise KeyError(f"代码表“{self.name}”中没有代码 {code}")

    def code_for(self, text: str) -> str | None:
        """The code whose label, alias or code is `text` (as typed in a spreadsheet), else None."""
        text = text.strip()
        for item in self.items:
            if text in (item.label, item.code, *item.aliases):
                return item.code
        return None

    def labels(self) -> list[str]:
        return [item.label for item in self.items]


@cache
def code_table(name: str) -> CodeTable:
    path = CODES_DIR / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        items = tuple(
            CodeItem(
                code=row["code"],
                label=row["label"],
                aliases=tuple(a for a in row.get("aliases", "").split(";") if a),
                level=row.get("level", ""),
            )
            for row in csv.DictReader(handle)
        )
    return CodeTable(name, items)
