import pytest

from desktop.domain.pinyin import name_pinyin


@pytest.mark.parametrize(
    ("name", "full", "initials"),
    [
        ("张三", "zhangsan", "zs"),
        ("曾小红", "zengxiaohong", "zxh"),
        ("单田芳", "shantianfang", "stf"),
        ("解缙", "xiejin", "xj"),
        ("仇英", "qiuying", "qy"),
        ("区志坚", "ouzhijian", "ozj"),
        ("朴树", "piaoshu", "ps"),
        ("查良镛", "zhaliangyong", "zly"),
        ("翟天临", "zhaitianlin", "ztl"),
        ("覃国强", "qinguoqiang", "qgq"),
        ("欧阳修", "ouyangxiu", "oyx"),
        ("尉迟恭", "yuchigong", "ycg"),
        ("刘䶮", "liuyan", "ly"),  # CJK Extension A
        ("阿依古丽·买买提", "ayigulimaimaiti", "ayglmmt"),
    ],
)
def test_surnames_read_as_surnames(name, full, initials):
    reading = name_pinyin(name)
    assert (reading.full, reading.initials) == (full, initials)


def test_polyphonic_character_inside_the_given_name_keeps_its_ordinary_reading():
    # 曾 as a given-name character is not forced to the surname reading.
    assert name_pinyin("王曾").full == "wangceng"


def test_sort_key_goes_syllable_by_syllable():
    assert name_pinyin("李小红").sort_key < name_pinyin("刘䶮").sort_key
    assert name_pinyin("张三").sort_key == "zhang san"


def test_empty_and_latin_names():
    assert name_pinyin("").full == ""
    assert name_pinyin("  ").initials == ""
