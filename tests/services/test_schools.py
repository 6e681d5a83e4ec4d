import pytest
from sqlalchemy import func, select

from desktop.db.models import OutboxEntry
from desktop.services.schools import SchoolForm, SchoolInvalid, add_school, school_rows, update_school


def test_add_list_and_correct_a_school(empty_db):
    with empty_db.write() as session:
        school_id = add_school(
            session,
            SchoolForm(
                "克度镇里营小学", "克度镇", "2152272738", "21", is_rural=True, in_contiguous_poverty_area=True
            ),
            county_code="522727",
        )
    with empty_db.write() as session:
        update_school(
            session, school_id, SchoolForm("克度镇里营完全小学", "克度镇", "2152272738", "21", True)
        )
    with empty_db.read() as session:
        rows = school_rows(session)
        assert session.scalar(select(func.count()).select_from(OutboxEntry)) == 2
    assert [(r.name, r.is_rural, r.in_contiguous_poverty_area, r.active_teachers) for r in rows] == [
        ("克度镇里营完全小学", True, False, 0)
    ]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (SchoolForm(""), "name", "学校名称不能为空"),
        (SchoolForm("平塘县第一中学"), "name", "已有名为“平塘县第一中学”的学校"),
        (SchoolForm("新学校", code="12345"), "code", "应为 10 位数字"),
        (SchoolForm("新学校", stage="77"), "stage", "不在代码表中"),
    ],
)
def test_invalid_school_says_which_field(empty_db, form, field, message):
    with empty_db.write() as session:
        add_school(session, SchoolForm("平塘县第一中学"), county_code="522727")
    with pytest.raises(SchoolInvalid) as caught, empty_db.write() as session:
        add_school(session, form, county_code="522727")
    assert message in caught.value.errors[field]
