import pytest

from desktop.domain.codes import CODES_DIR, CodeItem, CodeTable, code_table

TABLES = sorted(p.stem for p in CODES_DIR.glob("*.csv"))


def test_all_expected_tables_exist():
    assert set(TABLES) == {
        "gender",
        "ethnicity",
        "title",
        "stage",
        "subject",
        "training_level",
        "training_mode",
    }


@pytest.mark.parametrize("name", TABLES)
def test_every_table_loads_with_unique_codes_and_labels(name):
    table = code_table(name)
    codes = [item.code for item in table.items]
    labels = table.labels()
    assert table.name == name and table.standard
    assert codes and len(codes) == len(set(codes)) and len(labels) == len(set(labels))
    assert all(code.isascii() and code.isdigit() for code in codes)
    assert all(label and label == label.strip() for label in labels)
    for item in table.items:
        assert table.label(item.code) == item.label
        assert table.code_for(item.label) == item.code
        assert table.code_for(item.code) == item.code
        assert all(table.code_for(alias) == item.code for alias in item.aliases)


def test_tables_are_read_once():
    assert code_table("gender") is code_table("gender")


def test_gender_per_gb_t_2261_1():
    table = code_table("gender")
    assert table.standard.startswith("GB/T 2261.1-2003")
    assert [(i.code, i.label) for i in table.items] == [
        ("0", "未知的性别"),
        ("1", "男"),
        ("2", "女"),
        ("9", "未说明的性别"),
    ]
    assert table.code_for("女性") == "2" and table.code_for("男性") == "1"


def test_ethnicity_per_gb_3304():
    table = code_table("ethnicity")
    assert table.standard.startswith("GB 3304-1991")
    groups = [item for item in table.items if int(item.code) <= 56]
    assert [item.code for item in groups] == [f"{n:02d}" for n in range(1, 57)]
    assert all(item.label.endswith("族") for item in groups)
    spot = {"01": "汉族", "02": "蒙古族", "03": "回族", "04": "藏族", "05": "维吾尔族", "06": "苗族"}
    spot |= {"09": "布依族", "15": "土家族", "25": "水族", "36": "毛南族", "37": "仡佬族", "38": "锡伯族"}
    spot |= {"39": "阿昌族", "46": "德昂族", "55": "珞巴族", "56": "基诺族"}
    spot |= {"97": "其他", "98": "外国血统中国籍人士"}
    for code, label in spot.items():
        assert table.label(code) == label
    assert [item.code for item in table.items][-2:] == ["97", "98"]


def test_spreadsheet_spellings_are_understood():
    ethnicity = code_table("ethnicity")
    assert ethnicity.code_for("苗") == "06"
    assert ethnicity.code_for("维族") == "05"
    assert ethnicity.code_for("崩龙族") == "46"  # the name before 1985
    assert ethnicity.code_for(" 汉 族\u3000") == "01"
    assert ethnicity.code_for("1") == "01"  # Excel dropped the leading zero
    assert ethnicity.code_for("1.0") == "01"
    assert ethnicity.code_for("９") == "09"
    assert ethnicity.code_for("57") is None
    assert ethnicity.code_for("火星族") is None
    assert ethnicity.code_for("") is None


def test_titles_carry_their_level():
    table = code_table("title")
    levels = {item.label: item.level for item in table.items}
    assert {levels[t] for t in levels} <= {"正高", "副高", "中级", "初级", "员级", "无"}
    assert levels["正高级教师"] == "正高"
    assert levels["高级教师"] == "副高"
    assert levels["中学高级教师"] == "副高"
    assert levels["小学高级教师"] == "中级"
    assert levels["未定职级"] == "无"
    assert table.code_for("未定职称") == "999"


def test_titles_use_the_gb_t_8561_codes_for_the_old_school_titles():
    table = code_table("title")
    assert [table.code_for(t) for t in ("中学高级教师", "中学一级教师", "中学二级教师", "中学三级教师")] == [
        "052",
        "053",
        "054",
        "055",
    ]
    assert [table.code_for(t) for t in ("小学高级教师", "小学一级教师", "小学二级教师", "小学三级教师")] == [
        "413",
        "414",
        "415",
        "416",
    ]
    assert table.code_for("高级教师（中学）") == "052"


def test_stage_subject_and_training_tables():
    assert code_table("stage").labels() == ["学前教育", "小学", "初中", "高中", "中等职业教育", "特殊教育"]
    assert code_table("subject").code_for("道德与法治") == code_table("subject").code_for("思想政治")
    assert code_table("training_level").labels() == ["国家级", "省级", "地市级", "县级", "校级"]
    assert [i.code for i in code_table("training_level").items] == ["1", "2", "3", "4", "5"]
    modes = code_table("training_mode")
    assert [modes.code_for(t) for t in ("网络研修", "集中面授", "混合式")] == ["1", "2", "3"]


def test_unknown_code_says_which_table():
    with pytest.raises(KeyError, match="stage"):
        code_table("stage").label("77")


@pytest.mark.parametrize("name", ["nonexistent", "../codes/gender", ""])
def test_unknown_table_is_refused(name):
    with pytest.raises(KeyError, match="没有名为"):
        code_table(name)


def test_a_table_whose_aliases_clash_is_refused():
    with pytest.raises(ValueError, match="同时指向"):
        CodeTable("t", "test", (CodeItem("1", "甲", ("乙",)), CodeItem("2", "乙")))
    with pytest.raises(ValueError, match="前导零"):
        CodeTable("t", "test", (CodeItem("1", "甲"), CodeItem("01", "乙")))
