"""居民身份证号 (GB 11643-1999): validation, the legacy 15-digit upgrade, derived facts, masking."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: index = weighted sum mod 11

# Provincial-level codes of GB/T 2260 (the first two digits of every citizen's number).
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}
    | {"71", "81", "82"}
)

# The standard's own example (440524188001010014) was born in 1880.
EARLIEST_BIRTH = dt.date(1850, 1, 1)

# What Excel shows for a long number typed into a General/Number cell: 4.40524188001010E+17, or the
# float's repr 4.4052418800101e+17, or 440524188001010000.0 after a round trip through a float.
_EXCEL_NUMBER = re.compile(r"^\d(\.\d+)?e\+?\d+$|^\d{15,18}\.0+$", re.IGNORECASE)


class InvalidIdNumber(ValueError):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdNumber:
    value: str
    region_code: str
    birth_date: dt.date
    gender: str  # GB/T 2261.1: "1" male, "2" female

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def normalize_id_number(raw: str) -> str:
    """Full-width digits and X to half-width, all spaces removed, a lowercase x upper-cased."""
    return "".join(unicodedata.normalize("NFKC", raw).split()).upper()


def check_digit(first17: str) -> str:
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15_to_18(old: str) -> str:
    """Legacy 15-digit numbers (before 1999) have a two-digit year and no check digit."""
    first17 = old[:6] + "19" + old[6:]
    return first17 + check_digit(first17)


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    value = normalize_id_number(raw)
    if _EXCEL_NUMBER.match(value):
        raise InvalidIdNumber(
            "身份证号被 Excel 当作数字存储，末几位已丢失：请将该列设为“文本”格式后重新录入完整号码"
        )
    if "*" in value:
        raise InvalidIdNumber("身份证号已脱敏（含 *），无法使用：请填写完整号码")
    if len(value) == 15 and value.isdigit():
        value = upgrade_15_to_18(value)
    if len(value) != 18:
        raise InvalidIdNumber(f"长度应为 18 位（或旧式 15 位），实为 {len(value)} 位")
    if not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise InvalidIdNumber("只能由数字组成，最后一位可以是 X")
    if value[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(f"地区码 {value[:2]} 不是有效的省级行政区划代码")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber(f"出生日期 {value[6:14]} 不存在") from None
    if birth < EARLIEST_BIRTH or birth > (today or dt.date.today()):
        raise InvalidIdNumber(f"出生日期 {value[6:14]} 不合理")
    expected = check_digit(value[:17])
    if value[17] != expected:
        raise InvalidIdNumber(f"校验码错误：按前 17 位应为 {expected}，实为 {value[17]}（可能有数字录错）")
    return IdNumber(
        value=value,
        region_code=value[:6],
        birth_date=birth,
        gender="1" if int(value[16]) % 2 else "2",
    )


def make_id_number(*, region_code: str, birth_date: dt.date, sequence: int, gender: str) -> str:
    """A valid number for generated (demo) people: `sequence` 0–99 and the gender pick the 15th–17th
    digits."""
    gender_digit = (sequence * 7 + 1) % 10 | 1 if gender == "1" else ((sequence * 7) % 10) & ~1
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence % 100:02d}{gender_digit}"
    return first17 + check_digit(first17)


def mask_id_number(value: str) -> str:
    """`440524198001010014` → `4405**********0014`: enough to tell people apart on a list."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """`13812345678` → `138****5678`."""
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * max(len(value) - 2, 0) + value[-2:]
