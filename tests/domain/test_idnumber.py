import datetime as dt

import pytest

from guopei_common.idnumber import (
    InvalidIdNumber,
    check_digit,
    make_id_number,
    mask_id_number,
    mask_phone,
    normalize_id_number,
    parse_id_number,
    upgrade_15_to_18,
)

TODAY = dt.date(2026, 11, 29)


def test_check_digit_per_iso_7064():
    # Worked by hand: weighted sums 167, 195 and 189; mod 11 gives 2, 8, 2; "10X98765432"[r].
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"
    assert check_digit("34052419800101001") == "X"


def test_check_digit_needs_seventeen_digits():
    with pytest.raises(ValueError, match="17 位数字"):
        check_digit("1101051949123100")


def test_examples_of_the_standard_are_valid():
    female = parse_id_number("11010519491231002X", today=TODAY)
    assert (female.region_code, female.birth_date, female.gender) == ("110105", dt.date(1949, 12, 31), "2")
    male = parse_id_number("440524188001010014", today=TODAY)
    assert (male.region_code, male.birth_date, male.gender) == ("440524", dt.date(1880, 1, 1), "1")


def test_fifteen_digit_number_is_upgraded():
    assert upgrade_15_to_18("340524800101001") == "34052419800101001X"
    parsed = parse_id_number("340524800101001", today=TODAY)
    assert (parsed.value, parsed.birth_date, parsed.gender) == (
        "34052419800101001X",
        dt.date(1980, 1, 1),
        "1",
    )


def test_full_width_spaces_and_lowercase_x_are_normalised():
    raw = "\u00a0１１０１０５ 1949\u30001231\t002ｘ\u200b"
    assert normalize_id_number(raw) == "11010519491231002X"
    assert parse_id_number(raw, today=TODAY).value == "11010519491231002X"
    assert parse_id_number("11010519491231002x", today=TODAY).value == "11010519491231002X"


def test_apostrophe_that_forced_text_in_excel_is_dropped():
    assert parse_id_number("'440524188001010014", today=TODAY).value == "440524188001010014"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "校验码错误：应为 X，实为 1"),
        ("110105194902300021", "出生日期 19490230 不存在"),
        ("110105194913010021", "出生日期 19491301 不存在"),
        ("110105203001010011", "出生日期 20300101 晚于今天"),
        ("110105184001010011", "出生日期 18400101 早于 1850 年"),
        ("99010519491231002X", "地区码 99 不是有效的省级行政区划代码"),
        ("00010519491231002X", "地区码 00 不是有效的省级行政区划代码"),
        ("110105194912", "长度应为 18 位（或旧式 15 位），实为 12 位"),
        ("11010519491231002X1", "长度应为 18 位（或旧式 15 位），实为 19 位"),
        ("11010519491231A02X", "只能由数字组成，最后一位可以是 X"),
        ("11010519491231002Y", "只能由数字组成，最后一位可以是 X"),
        ("34052480010100X", "旧式 15 位身份证号应全为数字"),
        ("", "未填写身份证号"),
        ("1101**********002X", "已脱敏"),
        ("4.40524188001010E+17", "被 Excel 当作数字存储"),
        ("4.4052418800101e+17", "被 Excel 当作数字存储"),
        ("440524188001010000.0", "被 Excel 当作数字存储"),
        ("440524188001010000", "校验码错误：应为 6，实为 0。号码以 000 结尾，疑似被 Excel 当作数字存储"),
    ],
)
def test_invalid_numbers_say_why(raw, reason):
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw, today=TODAY)
    assert reason in caught.value.reason
    assert str(caught.value) == caught.value.reason


def test_born_today_is_accepted():
    number = make_id_number(region_code="522727", birth_date=TODAY, sequence=0, gender="2")
    assert parse_id_number(number, today=TODAY).birth_date == TODAY


def test_age_counts_completed_years():
    person = parse_id_number("11010519491231002X", today=TODAY)
    assert person.age_on(dt.date(2026, 12, 30)) == 76
    assert person.age_on(dt.date(2026, 12, 31)) == 77


def test_age_of_a_leap_day_birth():
    number = make_id_number(region_code="522727", birth_date=dt.date(2000, 2, 29), sequence=3, gender="1")
    person = parse_id_number(number, today=TODAY)
    assert person.age_on(dt.date(2018, 2, 28)) == 17
    assert person.age_on(dt.date(2018, 3, 1)) == 18


@pytest.mark.parametrize("gender", ["1", "2"])
def test_generated_numbers_are_valid_distinct_and_carry_the_gender(gender):
    numbers = {
        make_id_number(region_code="522727", birth_date=dt.date(1985, 3, 9), sequence=s, gender=gender)
        for s in range(100)
    }
    assert len(numbers) == 100
    parsed = [parse_id_number(n, today=TODAY) for n in numbers]
    assert {p.gender for p in parsed} == {gender}
    assert {p.birth_date for p in parsed} == {dt.date(1985, 3, 9)}
    assert {p.region_code for p in parsed} == {"522727"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"region_code": "992727"}, "地区码"),
        ({"region_code": "52272"}, "地区码"),
        ({"sequence": 100}, "顺序码"),
        ({"sequence": -1}, "顺序码"),
        ({"gender": "9"}, "性别代码"),
    ],
)
def test_generator_refuses_what_would_not_be_a_valid_number(kwargs, message):
    arguments = {"region_code": "522727", "birth_date": dt.date(1985, 3, 9), "sequence": 1, "gender": "1"}
    with pytest.raises(ValueError, match=message):
        make_id_number(**(arguments | kwargs))


def test_masking_an_id_number():
    assert mask_id_number("440524198001010014") == "4405**********0014"
    assert mask_id_number("34052419800101001X") == "3405**********001X"
    assert mask_id_number("12345678") == "********"


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812345678", "138****5678"),
        ("085412345678", "085*****5678"),
        ("85512345", "******45"),
        ("5521", "**21"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_masking_a_phone_number(phone, masked):
    assert mask_phone(phone) == masked
