"""The county-level divisions of GB/T 2260 (行政区划代码), kept as data in `resources/divisions/` and read
once: a county installation is created for one of them (`guopei-desk init --county 522727`, or the
province → city → county choice on the first-start page)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache

from desktop.errors import UserInputError
from desktop.resources import resource_path

DIVISIONS_FILE = resource_path("divisions", "gb2260-counties.csv")
SUGGESTIONS = 8  # nearest names offered for an unknown code or name


@dataclass(frozen=True)
class County:
    code: str
    name: str
    kind: str  # 县, 自治县, 县级市, 市辖区, 旗 …
    city_code: str  # "" for a municipality's district or a county directly under its province
    city_name: str
    province_code: str
    province_name: str

    @property
    def full_name(self) -> str:
        """Province, prefecture and county, as a person confirms it: 贵州省黔南布依族苗族自治州平塘县."""
        return f"{self.province_name}{self.city_name}{self.name}"


class UnknownCounty(UserInputError):
    """No county (or more than one) has this code or name; `suggestions` are the nearest ones."""

    def __init__(self, query: str, suggestions: list[County], *, ambiguous: bool = False) -> None:
        names = "、".join(f"{c.code} {c.full_name}" for c in suggestions)
        if ambiguous:
            message = f"名为“{query}”的区县不止一个，请用代码指明：{names}"
        else:
            hint = f"。相近的有：{names}" if names else ""
            message = f"行政区划代码表（GB/T 2260）中没有“{query}”{hint}"
        super().__init__(message)
        self.query = query
        self.suggestions = suggestions


@cache
def counties() -> tuple[County, ...]:
    with DIVISIONS_FILE.open(encoding="utf-8", newline="") as handle:
        lines = (line for line in handle if not line.startswith("#"))
        return tuple(
            County(
                code=row["code"],
                name=row["name"],
                kind=row["type"],
                city_code=row["city_code"],
                city_name=row["city_name"],
                province_code=row["province_code"],
                province_name=row["province_name"],
            )
            for row in csv.DictReader(lines)
        )


@cache
def _by_code() -> dict[str, County]:
    return {county.code: county for county in counties()}


def provinces() -> list[tuple[str, str]]:
    """(code, name) of every province-level division, in code order."""
    return sorted({(c.province_code, c.province_name) for c in counties()})


def cities(province_code: str) -> list[tuple[str, str]]:
    """(code, name) of the prefectures of a province; ("", "省直辖") stands for the counties directly
    under it (all of a municipality's districts, 石河子市 …)."""
    found = {(c.city_code, c.city_name or "省直辖") for c in counties() if c.province_code == province_code}
    return sorted(found)


def counties_of(province_code: str, city_code: str) -> list[County]:
    return [c for c in counties() if c.province_code == province_code and c.city_code == city_code]


def find_county(query: str) -> County:
    """The county with this six-digit code, or whose name (or full name) is exactly `query`.

    Raises UnknownCounty with the nearest names: for a code, those sharing its longest prefix (same
    prefecture, else same province); for a name, those containing it."""
    text = "".join(query.split())
    if text in _by_code():
        return _by_code()[text]
    named = [c for c in counties() if text in (c.name, c.full_name)]
    if len(named) == 1:
        return named[0]
    if named:  # 朝阳区 is in Beijing and in Changchun: the person must choose by code
        raise UnknownCounty(text, named[:SUGGESTIONS], ambiguous=True)
    raise UnknownCounty(text, _nearest(text))


def _nearest(text: str) -> list[County]:
    if text.isdigit():
        for length in (4, 2):
            near = [c for c in counties() if c.code.startswith(text[:length])]
            if len(text) >= length and near:
                return near[:SUGGESTIONS]
        return []
    return [c for c in counties() if text and (text in c.full_name or c.name.startswith(text[:2]))][
        :SUGGESTIONS
    ]
