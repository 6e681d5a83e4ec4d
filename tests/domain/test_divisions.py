"""The GB/T 2260 county table: known codes, municipalities and counties directly under a province,
and refusals that name the nearest counties."""

from __future__ import annotations

import pytest

from desktop.domain.divisions import UnknownCounty, cities, counties, counties_of, find_county, provinces


@pytest.mark.parametrize(
    ("code", "full_name"),
    [
        ("522727", "贵州省黔南布依族苗族自治州平塘县"),
        ("110105", "北京市朝阳区"),
        ("659001", "新疆维吾尔自治区石河子市"),
        ("429021", "湖北省神农架林区"),
        ("441900", "广东省东莞市"),
        ("150784", "内蒙古自治区呼伦贝尔市额尔古纳市"),
    ],
)
def test_known_codes_have_their_names(code, full_name):
    assert find_county(code).full_name == full_name


def test_the_table_holds_every_county_level_division_once():
    codes = [county.code for county in counties()]
    assert len(codes) == len(set(codes)) == 2849
    assert all(len(code) == 6 and code.isdigit() for code in codes)
    assert len(provinces()) == 31  # Hong Kong, Macao and Taiwan are not administered by these centres


def test_province_city_county_choice_reaches_pingtang():
    assert ("520000", "贵州省") in provinces()
    assert ("522700", "黔南布依族苗族自治州") in cities("520000")
    assert "平塘县" in [county.name for county in counties_of("520000", "522700")]
    # A municipality's districts and Xinjiang's 兵团 cities hang directly under the province.
    assert ("", "省直辖") in cities("110000")
    assert "石河子市" in [county.name for county in counties_of("650000", "")]


def test_an_exact_name_is_accepted():
    assert find_county("平塘县").code == "522727"
    assert find_county(" 522727 ").code == "522727"


def test_an_unknown_code_names_the_counties_of_its_prefecture():
    with pytest.raises(UnknownCounty) as caught:
        find_county("522799")
    assert "522727 贵州省黔南布依族苗族自治州平塘县" in str(caught.value)
    assert all(county.code.startswith("5227") for county in caught.value.suggestions)


def test_a_name_shared_by_two_counties_asks_for_the_code():
    with pytest.raises(UnknownCounty, match="不止一个") as caught:
        find_county("朝阳区")
    assert {county.code for county in caught.value.suggestions} == {"110105", "220104"}


def test_a_partial_name_is_suggested_not_guessed():
    with pytest.raises(UnknownCounty) as caught:
        find_county("平塘")
    assert [county.code for county in caught.value.suggestions] == ["522727"]
