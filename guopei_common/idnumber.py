"""居民身份证号 (GB 11643-1999 公民身份号码): validation, the legacy 15-digit upgrade, derived facts, masking.

An 18-character number is: 6-digit region code (GB/T 2260), 8-digit birth date, 3-digit sequence whose
last digit is odd for men and even for women, and an ISO 7064 MOD 11-2 check character (0–9 or X).
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from guopei_common.errors import UserError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"  # ISO 7064 MOD 11-2: indexed by the weighted sum mod 11

# The 34 provincial-level codes of GB/T 2260: the first two digits of every citizen's number.
PROVINCE_CODES = frozenset(
    {"11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37"}
    | {"41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65"}
    | {"71", "81", "82"}
)

# The floor only catches mistyped years (1089, 0980). It sits below 1880 because GB 11643's own example
# number, 440524188001010014, was born then and must stay valid.
EARLIEST_BIRTH = dt.date(1850, 1, 1)

# What a long number becomes in a General/Number cell: 4.40524188001010E+17 as Excel shows it,
# 4.4052418800101e+17 as Python prints the float, 440524188001010000.0 after a round trip through a
# float. The digits past the 15th are gone by then, so the number cannot be repaired, only re-entered.
_EXCEL_FLOAT = re.compile(r"[0-9]+(\.[0-9]*)?E\+?[0-9]+|[0-9]{15,}\.[0-9]*")
_EXCEL_LOSS = "被 Excel 当作数字存储，末几位已丢失：请将该列设为“文本”格式后重新录入完整号码"

# Characters that survive NFKC and are not whitespace, yet ride along when numbers are copied out of
# web pages and Word documents.
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


class InvalidIdNumber(UserError):
    """A number that is not a valid 居民身份证号; `reason` says why, in words a clerk can act on."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class IdNumber:
    value: str  # 18 characters, upper-case X
    region_code: str  # 6 digits, the 户籍 county when the number was issued
    birth_date: dt.date
    gender: str  # GB/T 2261.1: "1" male, "2" female

    def age_on(self, day: dt.date) -> int:
        """Whole years completed on `day` (周岁), as age limits in project conditions are counted."""
        years = day.year - self.birth_date.year
        return years - ((day.month, day.day) < (self.birth_date.month, self.birth_date.day))


def _ascii_digits(text: str) -> bool:
    # str.isdigit alone also accepts superscripts and other scripts' digits, which int() then misreads.
    return text.isascii() and text.isdigit()


def normalize_id_number(raw: str) -> str:
    """Full-width digits and X to half-width, every kind of space removed, a lowercase x upper-cased.

    A leading apostrophe is dropped too: it is how people force Excel to keep a number as text, and it
    survives into CSV files typed by hand."""
    text = unicodedata.normalize("NFKC", raw).translate(_INVISIBLE)
    return "".join(text.split()).removeprefix("'").upper()


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits."""
    if len(first17) != 17 or not _ascii_digits(first17):
        raise ValueError(f"计算校验码需要 17 位数字，实为“{first17}”")
    total = sum(int(digit) * weight for digit, weight in zip(first17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15_to_18(old: str) -> str:
    """Legacy 15-digit numbers (issued before 1999) have a two-digit year and no check character."""
    if len(old) != 15 or not _ascii_digits(old):
        raise InvalidIdNumber(f"旧式 15 位身份证号应全为数字，实为“{old}”")
    first17 = old[:6] + "19" + old[6:]
    return first17 + check_digit(first17)


def parse_id_number(raw: str, *, today: dt.date | None = None) -> IdNumber:
    """Validate a number as typed or imported; raises InvalidIdNumber with the first problem found."""
    value = normalize_id_number(raw)
    if not value:
        raise InvalidIdNumber("未填写身份证号")
    # Before the length check: a float has the wrong length too, but "wrong length" would send the
    # clerk hunting for a typo instead of fixing the column format.
    if _EXCEL_FLOAT.fullmatch(value) or "E+" in value:
        raise InvalidIdNumber(f"身份证号{_EXCEL_LOSS}")
    if "*" in value:
        raise InvalidIdNumber("身份证号已脱敏（含 *），无法使用：请填写完整号码")
    if len(value) == 15:
        value = upgrade_15_to_18(value)
    if len(value) != 18:
        raise InvalidIdNumber(f"长度应为 18 位（或旧式 15 位），实为 {len(value)} 位")
    if not _ascii_digits(value[:17]) or not (_ascii_digits(value[17]) or value[17] == "X"):
        raise InvalidIdNumber("只能由数字组成，最后一位可以是 X")
    if value[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber(f"地区码 {value[:2]} 不是有效的省级行政区划代码")
    digits = value[6:14]
    try:
        birth = dt.date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdNumber(f"出生日期 {digits} 不存在") from None
    if birth > (today or dt.date.today()):
        raise InvalidIdNumber(f"出生日期 {digits} 晚于今天")
    if birth < EARLIEST_BIRTH:
        raise InvalidIdNumber(f"出生日期 {digits} 早于 {EARLIEST_BIRTH.year} 年，年份可能录错")
    expected = check_digit(value[:17])
    if value[17] != expected:
        reason = f"校验码错误：应为 {expected}，实为 {value[17]}"
        if value.endswith("000"):
            # Excel keeps 15 significant digits; shown with a "0" number format, every number ends in 000.
            raise InvalidIdNumber(f"{reason}。号码以 000 结尾，疑似{_EXCEL_LOSS}")
        raise InvalidIdNumber(f"{reason}（可能有数字录错）")
    return IdNumber(
        value=value,
        region_code=value[:6],
        birth_date=birth,
        gender="1" if int(value[16]) % 2 else "2",
    )


def make_id_number(*, region_code: str, birth_date: dt.date, sequence: int, gender: str) -> str:
    """A valid number for generated (demo) people.

    `sequence` (0–99) gives the 15th–16th digits; the 17th is odd for gender "1", even for "2", and
    varies with the sequence so that generated rosters do not all share one digit."""
    if len(region_code) != 6 or not _ascii_digits(region_code) or region_code[:2] not in PROVINCE_CODES:
        raise ValueError(f"地区码“{region_code}”应为 6 位数字，且前两位是省级行政区划代码")
    if not 0 <= sequence <= 99:
        raise ValueError(f"顺序码应在 0–99 之间，实为 {sequence}")
    if gender not in ("1", "2"):
        raise ValueError(f"性别代码应为 1（男）或 2（女），实为“{gender}”")
    gender_digit = 2 * (sequence % 5) + (1 if gender == "1" else 0)
    first17 = f"{region_code}{birth_date:%Y%m%d}{sequence:02d}{gender_digit}"
    return first17 + check_digit(first17)


def mask_id_number(value: str) -> str:
    """`440524198001010014` → `4405**********0014`: enough to tell people apart on a list."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str) -> str:
    """`13812345678` → `138****5678`; shorter numbers (landlines without area code) keep the last 2."""
    if len(value) >= 11:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    if len(value) <= 2:
        return "*" * len(value)
    return "*" * (len(value) - 2) + value[-2:]
