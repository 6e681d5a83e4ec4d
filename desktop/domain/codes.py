"""National code tables (性别, 民族, 职称, 学段, 学科, 培训类别, 培训方式), kept as data in
`resources/codes/` and read once.

Each file is UTF-8 CSV: a first comment line naming the source standard (`# GB 3304-1991 …`), then the
header `code,label,aliases` (aliases separated by `;`; `title.csv` adds `level`). The sources, and which
codes are the project's own, are listed in `resources/codes/README.md`.
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass, field
from functools import cache

from desktop.resources import resource_path

CODES_DIR = resource_path("codes")

# Excel turns a code typed as 01 into the number 1, and some readers hand it over as "1.0".
_NUMBER = re.compile(r"([0-9]+)(\.0*)?")


def _key(text: str) -> str:
    # Spreadsheets bring full-width letters and stray spaces ("汉 族", "男\u3000").
    return "".join(unicodedata.normalize("NFKC", text).split())


@dataclass(frozen=True)
class CodeItem:
    code: str
    label: str
    aliases: tuple[str, ...] = ()
    level: str = ""  # 职称 only: 正高/副高/中级/初级/员级/无


@dataclass(frozen=True)
class CodeTable:
    name: str
    standard: str  # where the codes come from, e.g. "GB 3304-1991 …", or that they are the project's own
    items: tuple[CodeItem, ...]
    _by_text: dict[str, str] = field(init=False, repr=False, compare=False)
    _by_number: dict[int, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Built here rather than on first use, so that a clash in the data fails when the table loads.
        by_text: dict[str, str] = {}
        by_number: dict[int, str] = {}
        for item in self.items:
            for text in (item.code, item.label, *item.aliases):
                key = _key(text)
                if by_text.setdefault(key, item.code) != item.code:
                    raise ValueError(
                        f"代码表“{self.name}”中“{text}”同时指向代码 {by_text[key]} 和 {item.code}"
                    )
            numeric = item.code.isascii() and item.code.isdigit()
            if numeric and by_number.setdefault(int(item.code), item.code) != item.code:
                raise ValueError(f"代码表“{self.name}”中代码 {item.code} 去掉前导零后与其他代码相同")
        object.__setattr__(self, "_by_text", by_text)
        object.__setattr__(self, "_by_number", by_number)

    def label(self, code: str) -> str:
        for item in self.items:
            if item.code == code:
                return item.label
        raise KeyError(f"代码表“{self.name}”（{self.standard}）中没有代码 {code}")

    def code_for(self, text: str) -> str | None:
        """The code whose code, label or alias is `text` as typed in a spreadsheet, else None.

        Tolerates full-width characters, spaces, and leading zeros that Excel dropped ("1" for "01")."""
        key = _key(text)
        if key in self._by_text:
            return self._by_text[key]
        number = _NUMBER.fullmatch(key)
        return self._by_number.get(int(number[1])) if number else None

    def labels(self) -> list[str]:
        return [item.label for item in self.items]


@cache
def code_table(name: str) -> CodeTable:
    """The table in `resources/codes/<name>.csv`, read once per process."""
    path = CODES_DIR / f"{name}.csv"
    if not name.isidentifier() or not path.is_file():
        raise KeyError(f"没有名为“{name}”的代码表")
    # utf-8-sig: a file last saved by Excel or Notepad starts with a byte-order mark.
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    if not lines or not lines[0].startswith("#"):
        raise ValueError(f"代码表文件 {path.name} 的第一行应为“# 来源标准”")
    standard = lines[0].removeprefix("#").strip()
    items = tuple(
        CodeItem(
            code=row["code"],
            label=row["label"],
            aliases=tuple(alias for alias in (row.get("aliases") or "").split(";") if alias),
            level=row.get("level") or "",
        )
        for row in csv.DictReader(lines[1:])
    )
    return CodeTable(name, standard, items)
