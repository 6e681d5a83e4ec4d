import datetime as dt

import pytest

from desktop.domain.idnumber import (
    InvalidIdNumber,
    check_digit,
    make_id_number,
    mask_id_number,
    mask_phone,
    parse_id_number,
    upgrade_15_to_18,
)

TODAY = dt.date(2026, 11, 29)


def test_standard_examples_are_valid():
    # GB 11643-1999 appendix examples.
    female = parse_id_number("11010519491231002X", today=TODAY)
    assert (female.birth_date, female.gender, female.region_code) == (dt.date(1949, 12, 31), "2", "110105")
    male = parse_id_number("440524188001010014", today=TODAY)
    assert (male.birth_date, male.gender) == (dt.date(1880, 1, 1), "1")


def test_check_digit_per_iso_7064():
    assert check_digit("11010519491231002") == "X"
    assert check_digit("44052418800101001") == "4"


def test_fifteen_digit_number_is_upgraded():
    assert upgrade_15_to_18("340524800101001") == "34052419800101001X"
    parsed = parse_id_number("340524800101001", today=TODAY)
    assert parsed.value == "34052419800101001X"
    assert parsed.birth_date == dt.date(1980, 1, 1)


def test_full_width_spaces_and_lowercase_x_are_normalised():
    assert parse_id_number(" １１０１０５ 19491231002x\u3000", today=TODAY).value == "11010519491231002X"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("110105194912310021", "校验码错误：按前 17 位应为 X，实为 1"),
        ("110105194902300027", "出生日期 19490230 不存在"),
        ("110105203001010011", "出生日期 20300101 不合理"),
        ("990105194912310021", "地区码 99 不是有效的省级行政区划代码"),
        ("1101051949", "长度应为 18 位（或旧式 15 位），实为 10 位"),
        ("11010519491231A02X", "只能由数字组成，最后一位可以是 X"),
        ("4.40524188001010E+17", "被 Excel 当作数字存储"),
        ("4.4052418800101e+17", "被 Excel 当作数字存储"),
        ("440524188001010000.0", "被 Excel 当作数字存储"),
    ],
)
def test_invalid_numbers_say_why(raw, reason):
    with pytest.raises(InvalidIdNumber) as caught:
        parse_id_number(raw, today=TODAY)
    assert reason in caught.value.reason


def test_age_counts_birthdays():
    person = parse_id_number("11010519491231002X", today=TODAY)
    assert person.age_on(dt.date(2026, 12, 30)) == 76
    assert person.age_on(dt.date(2026, 12, 31)) == 77


@pytest.mark.parametrize("gender", ["1", "2"])
def test_generated_numbers_are_valid_and_carry_the_gender(gender):
    numbers = {
        make_id_number(region_code="522727", birth_date=dt.date(1985, 3, 9), sequence=s, gender=gender)
        for s in range(100)
    }
    assert len(numbers) == 100
    assert {parse_id_number(n, today=TODAY).gender for n in numbers} == {gender}


def test_masking():
    assert mask_id_number("440524198001010014") == "4405**********0014"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("5521") == "**21"
