import uuid

import pytest

from desktop.domain.badge import InvalidBadge, badge_text, looks_like_badge, parse_badge

ENROLLMENT = str(uuid.UUID(int=42))
PROJECT, OTHER = str(uuid.UUID(int=7)), str(uuid.UUID(int=8))


def test_badge_round_trip_and_binding_to_its_project():
    text = badge_text(ENROLLMENT, PROJECT)
    assert text.isascii() and looks_like_badge(text)
    code = parse_badge(text)
    assert code.enrollment_id == ENROLLMENT
    assert code.matches(PROJECT) and not code.matches(OTHER)


def test_scanner_case_and_whitespace_are_tolerated():
    assert parse_badge(" " + badge_text(ENROLLMENT, PROJECT).lower() + "\n").matches(PROJECT)


@pytest.mark.parametrize(
    "text", ["GPB1.123.ABCDEF", "GPB1." + ENROLLMENT, "XYZ.a.b", "GPB1." + ENROLLMENT + ".AB"]
)
def test_broken_codes_are_refused(text):
    with pytest.raises(InvalidBadge):
        parse_badge(text)


def test_a_mistyped_check_code_does_not_match():
    text = badge_text(ENROLLMENT, PROJECT)
    wrong = text[:-1] + ("A" if text[-1] != "A" else "B")
    assert not parse_badge(wrong).matches(PROJECT)
