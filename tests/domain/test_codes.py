import pytest

from desktop.domain.codes import CODES_DIR, code_table

TABLES = [p.stem for p in CODES_DIR.glob("*.csv")]


def test_all_expected_tables_exist():
    assert set(TABLES) >= {
        "gender",
        "ethnicity",
        "title",
        "stage",
        "subject",
        "training_level",
        "training_mode",
    }


@pytest.mark.parametrize("name", TABLES)
def test_codes_and_labels_are_unique(name):
    table = code_table(name)
    codes = [item.code for item in table.items]
    labels = table.labels()
    assert len(codes) == len(set(codes)) and len(labels) == len(set(labels))
    assert all(code and label for code, label in zip(codes, labels, strict=True))


def test_gender_per_gb_t_2261_1():
    table = code_table("gender")
    assert [(i.code, i.label) for i in table.items] == [
        ("0", "未知的性别"),
        ("1", "男"),
        ("2", "女"),
        ("9", "未说明的性别"),
    ]
    assert table.code_for("女性") == "2"


def test_ethnicity_per_gb_3304():
    table = code_table("ethnicity")
    groups = [item for item in table.items if int(item.code) <= 56]
    assert len(groups) == 56
    spot = {"01": "汉族", "02": "蒙古族", "05": "维吾尔族", "09": "布依族", "25": "水族", "36": "毛南族"}
    spot |= {"37": "仡佬族", "56": "基诺族", "97": "其他", "98": "外国血统中国籍人士"}
    for code, label in spot.items():
        assert table.label(code) == label
    assert table.code_for("苗") == "06"


def test_titles_carry_their_level():
    table = code_table("title")
    levels = {item.label: item.level for item in table.items}
    assert levels["正高级教师"] == "正高"
    assert levels["中学高级教师"] == "副高"
    assert table.code_for("未定职称") == "999"


def test_unknown_code_says_which_table():
    with pytest.raises(KeyError, match="stage"):
        code_table("stage").label("77")


def test_training_levels_are_the_five_of_the_notice():
    assert code_table("training_level").labels() == ["国家级", "省级", "地市级", "县级", "校级"]
