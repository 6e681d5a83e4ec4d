"""Pinyin of personal names, for search as you type (`zs` and `zhangsan` find 张三).

pypinyin reads a name as ordinary words, which gets polyphonic surnames wrong (曾 ceng, 单 dan,
翟 di …). A name's first character(s) are read as a surname first.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

# Compound surnames (复姓) are read as a unit; the common ones in teacher rosters.
COMPOUND_SURNAMES: dict[str, tuple[str, ...]] = {
    "欧阳": ("ou", "yang"),
    "司马": ("si", "ma"),
    "诸葛": ("zhu", "ge"),
    "上官": ("shang", "guan"),
    "东方": ("dong", "fang"),
    "皇甫": ("huang", "fu"),
    "令狐": ("ling", "hu"),
    "慕容": ("mu", "rong"),
    "尉迟": ("yu", "chi"),
    "长孙": ("zhang", "sun"),
    "宇文": ("yu", "wen"),
    "司徒": ("si", "tu"),
    "夏侯": ("xia", "hou"),
    "公孙": ("gong", "sun"),
    "轩辕": ("xuan", "yuan"),
    "端木": ("duan", "mu"),
    "澹台": ("tan", "tai"),
    "万俟": ("mo", "qi"),
    "单于": ("chan", "yu"),
    "鲜于": ("xian", "yu"),
    "申屠": ("shen", "tu"),
    "闻人": ("wen", "ren"),
}

# Single-character surnames whose surname reading differs from pypinyin's default reading.
SURNAME_READINGS: dict[str, str] = {
    "曾": "zeng",
    "单": "shan",
    "解": "xie",
    "仇": "qiu",
    "区": "ou",
    "朴": "piao",
    "查": "zha",
    "翟": "zhai",
    "覃": "qin",
    "盖": "ge",
    "乐": "yue",
    "缪": "miao",
    "种": "chong",
    "重": "chong",
    "员": "yun",
    "瞿": "qu",
    "秘": "bi",
    "宓": "mi",
    "隗": "wei",
    "蕃": "pi",
    "繁": "po",
    "召": "shao",
    "逄": "pang",
    "厍": "she",
    "折": "she",
    "乜": "nie",
    "黑": "he",
    "冼": "xian",
    "柏": "bai",
    "薄": "bo",
    "尉": "wei",
    "祭": "zhai",
    "句": "gou",
    "阚": "kan",
    "沈": "shen",
    "任": "ren",
    "华": "hua",
    "纪": "ji",
    "过": "guo",
    "都": "du",
    "石": "shi",
    "长": "chang",
}


@dataclass(frozen=True)
class NamePinyin:
    full: str  # "zhangsan"
    initials: str  # "zs"
    sort_key: str  # "zhang san": syllable by syllable, so 李 (li) sorts before 刘 (liu)


@lru_cache(maxsize=100_000)
def _syllables(text: str) -> tuple[str, ...]:
    # Given names repeat a great deal (伟, 芳, 小红 …): the cache makes a 100,000-row import's pinyin
    # several times cheaper. Characters without a reading (Latin letters, ·, glyphs pypinyin lacks)
    # are dropped. pypinyin is imported on the first name: loading its phrase dictionary takes a third
    # of a second, which a start that converts no name should not pay.
    from pypinyin import Style, lazy_pinyin

    return tuple(
        s for s in lazy_pinyin(text, style=Style.NORMAL, errors="ignore", v_to_u=False) if s.isalpha()
    )


def name_syllables(name: str) -> list[str]:
    """The syllables of a Chinese personal name, the surname read as a surname."""
    name = name.strip()
    if not name:
        return []
    compound = COMPOUND_SURNAMES.get(name[:2])
    if compound is not None:
        return [*compound, *_syllables(name[2:])]
    surname = SURNAME_READINGS.get(name[0])
    if surname is not None:
        return [surname, *_syllables(name[1:])]
    return _syllables(name)


def name_pinyin(name: str) -> NamePinyin:
    syllables = [s.lower() for s in name_syllables(name)]
    return NamePinyin(
        full="".join(syllables), initials="".join(s[0] for s in syllables), sort_key=" ".join(syllables)
    )


def split_name(name: str) -> tuple[str, str]:
    """(surname, given name); compound surnames are kept whole."""
    name = name.strip()
    size = 2 if name[:2] in COMPOUND_SURNAMES else 1
    return name[:size], name[size:]
