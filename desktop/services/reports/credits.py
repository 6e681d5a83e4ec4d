"""学分（学时）周期汇总: every active teacher's 学时 and 学分 in the training cycle against the cycle's
requirement (360 学时 by default) and its required categories (师德, 信息技术应用能力 …), and who is
short of what; per school and per teacher. Counted as the teacher's file counts them
(desktop.services.training_cycle: approved and submitted credit entries of the cycle's years)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import School, Teacher
from desktop.domain import policy_text
from desktop.domain.report import Report, Section, Table, rate
from desktop.services.training_cycle import totals, training_cycle
from guopei_common.idnumber import mask_id_number
from guopei_common.vocab import EmploymentStatus


def credits_report(session: Session, *, year: int, county_name: str, today: dt.date) -> Report:
    cycle = training_cycle(session)
    people = session.execute(
        select(Teacher.id, Teacher.name, Teacher.id_number, School.name)
        .join(School, Teacher.school_id == School.id)
        .where(Teacher.deleted.is_(False), Teacher.employment_status == EmploymentStatus.ACTIVE.value)
        .order_by(School.name, Teacher.name_sort)
    ).all()
    found = totals(session, [p[0] for p in people], year=year)
    labels = [category.label for category in cycle.categories]
    rows = []
    per_school: dict[str, list[bool]] = defaultdict(list)
    school_hours: dict[str, float] = defaultdict(float)
    short_of: dict[str, int] = defaultdict(int)
    for teacher_id, name, number, school in people:
        total = found[teacher_id]
        missing = total.shortfalls
        per_school[school].append(not missing)
        school_hours[school] += total.hours
        if total.hours < total.required_hours:
            short_of["总学时"] += 1
        for label, have, need in total.by_category:
            short_of[label] += have < need
        rows.append(
            [
                school,
                name,
                mask_id_number(number),
                round(total.hours, 1),
                round(total.credits, 1),
                *(round(have, 1) for _label, have, _need in total.by_category),
                "、".join(missing) if missing else "已达标",
            ]
        )
    reached = sum(1 for school in per_school.values() for ok in school if ok)
    schools = Table(
        "按学校汇总",
        ("学校/单位", "在职教师", "已达标", "未达标", "达标率", "人均学时"),
        [
            [
                school,
                len(oks),
                sum(oks),
                len(oks) - sum(oks),
                rate(sum(oks), len(oks)),
                round(school_hours[school] / len(oks), 1),
            ]
            for school, oks in sorted(per_school.items())
        ],
        (30, 10, 10, 10, 10, 10),
        [
            "合计",
            len(people),
            reached,
            len(people) - reached,
            rate(reached, len(people)),
            round(sum(school_hours.values()) / len(people), 1) if people else 0,
        ],
    )
    detail = Table(
        "教师学时明细",
        ("学校/单位", "姓名", "身份证号", "学时", "学分", *(f"{label}学时" for label in labels), "尚缺"),
        rows,
        (26, 10, 20, 8, 8, *(12 for _ in labels), 40),
    )
    requirement = "，".join(f"{c.label}不少于 {c.min_hours:g} 学时" for c in cycle.categories)
    summary = (
        f"{cycle.label(year)}要求每名教师累计不少于 {cycle.required_hours:g} 学时"
        + (f"，其中{requirement}" if requirement else "")
        + f"。截至{today:%Y年%m月%d日}，全县在职教师 {len(people)} 人，已达到周期要求 {reached} 人，"
        f"总学时不足 {short_of['总学时']} 人"
        + "".join(f"，{label}学时不足 {short_of[label]} 人" for label in labels)
        + "。"
    )
    method = (
        "统计口径：计入已提交和已审核通过的学分登记（草稿和已退回的不计）；项目的培训类型或主题属于某一必修类别的，"
        f"其学时计入该类别。{policy_text.CREDITS.cite()}"
    )
    return Report(
        title=f"{county_name}教师培训学时（学分）{cycle.label(year)}汇总",
        issuer=f"{county_name}教师发展中心",
        date=today,
        sections=[
            Section("一、总体情况", (summary, method), (schools,)),
            Section("二、教师学时明细", ("身份证号已脱敏，仅供核对。",), (detail,)),
        ],
        landscape=True,
    )
