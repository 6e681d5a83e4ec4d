"""The built-in demo county: 平塘县 (Guizhou), deterministic for a given seed.

It gives every feature realistic material: schools across townships, teachers with valid ID numbers
and names that need CJK Extension A, four years of projects with classes and sessions, enrollments in
every status with their history, attendance, completions, credits, integrity records and a few
certificates. Everything goes through `insert_synced_rows`, so the demo is also a realistic outbox.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from desktop.db.engine import create_database
from desktop.db.models import (
    Attendance,
    Certificate,
    Completion,
    CreditEntry,
    Enrollment,
    EnrollmentEvent,
    IntegrityRecord,
    Project,
    ReservePoolEntry,
    School,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.db.outbox import insert_synced_rows
from desktop.domain.idnumber import make_id_number
from desktop.domain.ids import natural_id, new_id
from desktop.domain.vocab import (
    AttendanceStatus,
    CaptureMethod,
    CompletionOutcome,
    CreditStatus,
    DeliveryMode,
    EnrollmentStatus,
    IntegrityKind,
    Program,
    ProjectStatus,
    ProjectType,
    SessionFormat,
    TeacherRole,
)

COUNTY_CODE = "522727"
COUNTY_NAME = "平塘县"
CHUNK = 5000

Progress = Callable[[int, str], None]
Row = dict[str, Any]  # a row being built, before it is inserted

# (name, urban) — the county seat's two units are urban, the rest rural.
TOWNSHIPS = [
    ("平舟镇", True),
    ("金盆街道", True),
    ("牙舟镇", False),
    ("通州镇", False),
    ("大塘镇", False),
    ("克度镇", False),
    ("塘边镇", False),
    ("者密镇", False),
    ("掌布镇", False),
    ("甲茶镇", False),
    ("卡蒲毛南族乡", False),
]
VILLAGE_HEADS = "甲新拉里摆京翁六大小上下中高石龙凤岩河平坪"
VILLAGE_TAILS = ["青", "塘", "岜", "中", "卡", "舟", "台", "营", "寨", "硐", "坝", "场", "坡", "湾", "冲"]

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向"
)
LOCAL_SURNAMES = "罗石莫韦蒙杨吴龙潘王"
RARE_SURNAMES = "单解仇区朴查翟"
GIVEN_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红燕梅鹏辉文斌宇浩凯鑫波宁建国志林婷雪琳晶"
    "雯倩思佳欣怡子涵梓轩诗雨嘉琪俊峰海燕春秋金银德福贵祥云飞龙凤荣昌盛松柏"
)
EXTENSION_A_NAMES = ["刘䶮", "王㛃", "韦䶮", "罗㛃", "陈䶮林"]

# (kind, stage code, weight of teachers) — see resources/codes/stage.csv.
SCHOOL_KINDS = {
    "high": ("34", 9),
    "middle": ("31", 6),
    "central_primary": ("21", 5),
    "primary": ("21", 2),
    "kindergarten": ("10", 2),
}
SUBJECTS_BY_STAGE = {
    "34": ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "19"],
    "31": ["01", "02", "03", "04", "05", "06", "07", "08", "09", "10", "11", "12", "13", "16"],
    "21": ["01", "01", "02", "02", "03", "09", "10", "11", "12", "14", "15", "13"],
    "10": ["17"],
}
ETHNICITIES = [("01", 45), ("09", 25), ("06", 12), ("36", 8), ("25", 7), ("37", 2), ("15", 1)]
INSTITUTIONS = [
    "黔南民族师范学院",
    "贵州师范大学",
    "贵州师范学院",
    "黔南州教师发展中心",
    "平塘县教师发展中心",
]
EXPERTS = ["周建华", "罗晓燕", "吴志刚", "杨春梅", "陈国荣", "莫文斌"]
VENUES = [
    "县教师发展中心一楼报告厅",
    "县教师发展中心 302 教室",
    "平塘县第一中学多功能厅",
    "牙舟镇中心学校会议室",
]
CLASS_NAMES = ["一班", "二班", "三班"]

# Each project template: program, type, mode, hours, the stages it is for, what the roles are.
PROJECT_TEMPLATES: list[tuple[Program, ProjectType, DeliveryMode, int, list[str], str]] = [
    (
        Program.GUOPEI_MIDWEST,
        ProjectType.BACKBONE,
        DeliveryMode.BLENDED,
        90,
        ["21", "31"],
        "乡村骨干教师能力提升",
    ),
    (
        Program.GUOPEI_MIDWEST,
        ProjectType.NEW_TEACHER,
        DeliveryMode.OFFLINE,
        60,
        ["21", "31", "34"],
        "乡村新教师入职培训",
    ),
    (
        Program.GUOPEI_MIDWEST,
        ProjectType.PRINCIPAL_IMPROVEMENT,
        DeliveryMode.OFFLINE,
        60,
        ["21", "31"],
        "乡村校长提高培训",
    ),
    (
        Program.GUOPEI_MIDWEST,
        ProjectType.IT_ABILITY,
        DeliveryMode.ONLINE,
        50,
        ["21", "31", "34"],
        "信息技术应用能力提升工程 2.0",
    ),
    (
        Program.GUOPEI_KINDERGARTEN,
        ProjectType.BACKBONE,
        DeliveryMode.BLENDED,
        72,
        ["10"],
        "乡村幼儿园骨干教师培训",
    ),
    (
        Program.GUOPEI_KINDERGARTEN,
        ProjectType.PRINCIPAL_APPOINTMENT,
        DeliveryMode.OFFLINE,
        48,
        ["10"],
        "幼儿园园长任职培训",
    ),
    (
        Program.GUOPEI_DEMONSTRATION,
        ProjectType.TRAINER_TEAM,
        DeliveryMode.BLENDED,
        120,
        ["31", "34"],
        "培训者团队研修",
    ),
    (
        Program.PROVINCIAL,
        ProjectType.YOUNG_TEACHER,
        DeliveryMode.OFFLINE,
        48,
        ["21", "31", "34"],
        "青年教师助力培训",
    ),
    (
        Program.PROVINCIAL,
        ProjectType.NATIONAL_LANGUAGE,
        DeliveryMode.BLENDED,
        36,
        ["10", "21"],
        "国家通用语言文字应用能力培训",
    ),
    (
        Program.CITY,
        ProjectType.THEMATIC,
        DeliveryMode.OFFLINE,
        24,
        ["21", "31", "34"],
        "心理健康教育专题培训",
    ),
    (Program.COUNTY, ProjectType.THEMATIC, DeliveryMode.OFFLINE, 24, ["21", "31"], "新课标教学专题培训"),
    (Program.COUNTY, ProjectType.BACKBONE, DeliveryMode.OFFLINE, 30, ["21", "31", "34"], "县级骨干教师研修"),
    (
        Program.SCHOOL,
        ProjectType.THEMATIC,
        DeliveryMode.ONLINE,
        24,
        ["21", "31", "34", "10"],
        "校本研修：作业设计",
    ),
]
PROGRAM_CODES = {
    Program.GUOPEI_MIDWEST: "GP-ZXB",
    Program.GUOPEI_KINDERGARTEN: "GP-YS",
    Program.GUOPEI_DEMONSTRATION: "GP-SF",
    Program.PROVINCIAL: "SP",
    Program.CITY: "SHP",
    Program.COUNTY: "XP",
    Program.SCHOOL: "XB",
}
HISTORY = [
    EnrollmentStatus.APPLIED,
    EnrollmentStatus.ADMITTED,
    EnrollmentStatus.APPROVED,
    EnrollmentStatus.PUBLICISED,
    EnrollmentStatus.ATTENDING,
]
ACTORS = {
    EnrollmentStatus.APPLIED: "本人",
    EnrollmentStatus.ADMITTED: "承担机构",
    EnrollmentStatus.APPROVED: "县教育局",
    EnrollmentStatus.PUBLICISED: "县教育局",
}


@dataclass(frozen=True)
class DemoSummary:
    schools: int
    teachers: int
    reserve_pool: int
    projects: int
    classes: int
    sessions: int
    enrollments: int
    attendance: int
    completions: int
    credit_entries: int
    integrity_records: int
    certificates: int


def _three_years_after(day: dt.date) -> dt.date:
    try:
        return day.replace(year=day.year + 3)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 3, day=28)


class _Builder:
    def __init__(self, rng: random.Random, teachers: int, today: dt.date) -> None:
        self.rng = rng
        self.teacher_count = teachers
        self.today = today
        self.rows: dict[type, list[dict[str, Any]]] = {}

    def add(self, model: type, **values: Any) -> dict[str, Any]:
        values.setdefault("id", new_id())
        self.rows.setdefault(model, []).append(values)
        return values

    # --- schools ------------------------------------------------------------------------------
    def schools(self) -> list[dict[str, Any]]:
        count = max(40, self.teacher_count // 500)
        villages = [h + t for h in VILLAGE_HEADS for t in VILLAGE_TAILS]
        self.rng.shuffle(villages)
        plan: list[tuple[str, str, str, bool]] = [
            ("平塘县第一中学", "high", "平舟镇", True),
            ("平塘县民族中学", "high", "金盆街道", True),
            ("平塘县第二中学", "middle", "平舟镇", True),
            ("平塘县第三中学", "middle", "金盆街道", True),
            ("平塘县第一小学", "central_primary", "平舟镇", True),
            ("平塘县第二小学", "central_primary", "金盆街道", True),
            ("平塘县实验幼儿园", "kindergarten", "平舟镇", True),
        ]
        for township, urban in TOWNSHIPS[2:]:
            plan += [
                (f"{township}中学", "middle", township, urban),
                (f"{township}中心小学", "central_primary", township, urban),
                (f"{township}中心幼儿园", "kindergarten", township, urban),
            ]
        index = 0
        while len(plan) < count:
            township, urban = TOWNSHIPS[2 + index % (len(TOWNSHIPS) - 2)]
            village = villages[index % len(villages)]
            suffix = "" if index < len(villages) else str(index // len(villages) + 1)
            kind = "kindergarten" if index % 6 == 5 else "primary"
            noun = "幼儿园" if kind == "kindergarten" else "小学"
            plan.append((f"{township}{village}{suffix}{noun}", kind, township, urban))
            index += 1
        schools = []
        for number, (name, kind, township, urban) in enumerate(plan[:count], start=1):
            stage, weight = SCHOOL_KINDS[kind]
            row = self.add(
                School,
                code=f"21{COUNTY_CODE}{number:02d}"[:10] if number < 100 else f"2{COUNTY_CODE}{number:03d}",
                name=name,
                county_code=COUNTY_CODE,
                township=township,
                is_rural=not urban,
                stage=stage,
                in_sanqu_sanzhou=False,
                # The whole county lies in the 滇桂黔石漠化区 contiguous poverty area; its rural schools
                # were the ones counted as such.
                in_contiguous_poverty_area=not urban,
            )
            row["_kind"], row["_weight"] = kind, weight
            schools.append(row)
        return schools

    # --- teachers -----------------------------------------------------------------------------
    def teachers(self, schools: list[dict[str, Any]], progress: Progress) -> list[dict[str, Any]]:
        rng = self.rng
        weights = [s["_weight"] for s in schools]
        id_numbers: set[str] = set()
        phones: set[str] = set()
        teachers = []
        principals_placed: set[str] = set()
        ethnic_codes, ethnic_weights = zip(*ETHNICITIES, strict=True)
        for index in range(self.teacher_count):
            school = schools[index] if index < len(schools) else rng.choices(schools, weights)[0]
            name = self._name(index)
            gender = rng.choice("12")
            age = rng.randint(self.today.year - 2001, self.today.year - 1965)
            birth = dt.date(self.today.year - age, rng.randint(1, 12), rng.randint(1, 28))
            while True:
                region = COUNTY_CODE if rng.random() < 0.85 else rng.choice(["522701", "522722", "522726"])
                number = make_id_number(
                    region_code=region, birth_date=birth, sequence=rng.randint(0, 99), gender=gender
                )
                if number not in id_numbers:
                    id_numbers.add(number)
                    break
            while True:
                phone = f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}"
                if phone not in phones:
                    phones.add(phone)
                    break
            stage = school["stage"]
            work_start = min(birth.year + rng.randint(21, 24), self.today.year)
            years = self.today.year - work_start
            role = TeacherRole.TEACHER
            if school["id"] not in principals_placed and years >= 10:
                principals_placed.add(school["id"])
                role = TeacherRole.KINDERGARTEN_DIRECTOR if stage == "10" else TeacherRole.PRINCIPAL
            teachers.append(
                self.add(
                    Teacher,
                    id_number=number,
                    name=name,
                    gender=gender,
                    birth_date=birth,
                    ethnicity=rng.choices(ethnic_codes, ethnic_weights)[0],
                    school_id=school["id"],
                    stage=stage,
                    subject=rng.choice(SUBJECTS_BY_STAGE[stage]),
                    title=self._title(stage, years),
                    role=role.value,
                    backbone_level=rng.choices(
                        ["none", "school", "county", "city", "provincial"], [80, 9, 7, 3, 1]
                    )[0],
                    phone=phone,
                    work_start_year=work_start,
                    employment_status="retired" if age >= 58 and rng.random() < 0.5 else "active",
                    emergency_contact=self._name(rng.randint(10_000, 10**6)),
                    emergency_phone=f"1{rng.choice('35789')}{rng.randint(0, 999_999_999):09d}",
                    _school=school,
                    _years=years,
                )
            )
            if index % 10_000 == 0:
                progress(5 + int(55 * index / self.teacher_count), "正在生成教师…")
        return teachers

    def _name(self, index: int) -> str:
        if index % 577 == 7:
            return EXTENSION_A_NAMES[(index // 577) % len(EXTENSION_A_NAMES)]
        rng = self.rng
        roll = rng.random()
        surname = rng.choice(RARE_SURNAMES if roll < 0.02 else LOCAL_SURNAMES if roll < 0.3 else SURNAMES)
        given = "".join(rng.choice(GIVEN_CHARS) for _ in range(1 if rng.random() < 0.3 else 2))
        return surname + given

    def _title(self, stage: str, years: int) -> str:
        if years < 1:
            return "999"
        if years < 5:
            return "014"
        if years < 15:
            return "013"
        return "012" if years < 28 or self.rng.random() < 0.9 else "011"

    def reserve_pool(self, teachers: list[dict[str, Any]]) -> None:
        for teacher in self.rng.sample(teachers, len(teachers) // 20):
            self.add(
                ReservePoolEntry,
                teacher_id=teacher["id"],
                added_on=self.today - dt.timedelta(days=self.rng.randint(30, 700)),
                reason=self.rng.choice(["学校推荐", "县级骨干教师后备", "乡村教师优先", "校长推荐"]),
            )

    # --- projects -----------------------------------------------------------------------------
    def projects(self, teachers: list[dict[str, Any]], progress: Progress) -> None:
        rng = self.rng
        by_stage: dict[str, list[dict[str, Any]]] = {}
        for teacher in teachers:
            if teacher["employment_status"] == "active":
                by_stage.setdefault(teacher["stage"], []).append(teacher)
        scale = max(1, round(math.sqrt(self.teacher_count / 3000)))
        sequence: dict[str, int] = {}
        plans: list[tuple[int, tuple, dt.date]] = []
        for year in range(self.today.year - 3, self.today.year + 1):
            for template in PROJECT_TEMPLATES:
                for _ in range(scale):
                    start = dt.date(year, rng.choice([3, 4, 5, 7, 8, 10, 11]), rng.randint(1, 25))
                    plans.append((year, template, start))
        # Upcoming projects, in the middle of two-way selection (报名, 录取, 审核, 公示).
        for offset, template in zip((12, 25, 40, 55, 90), PROJECT_TEMPLATES[::3], strict=False):
            start = self.today + dt.timedelta(days=offset)
            plans.append((start.year, template, start))
        # One county project under way today and tomorrow, so the check-in screen has a session now.
        current = (
            Program.COUNTY,
            ProjectType.THEMATIC,
            DeliveryMode.OFFLINE,
            24,
            ["21", "31"],
            "新课标课堂教学实践",
        )
        plans.append((self.today.year, current, self.today - dt.timedelta(days=1)))
        for number, (year, template, start) in enumerate(plans):
            program, stages, title = template[0], template[4], template[5]
            key = f"{PROGRAM_CODES[program]}{year}"
            sequence[key] = sequence.get(key, 0) + 1
            code = f"{PROGRAM_CODES[program]}-{year}-{sequence[key]:03d}"
            candidates = [t for stage in stages for t in by_stage.get(stage, [])]
            self._project(code, f"{year}年{title}", template, start, candidates)
            progress(60 + int(30 * number / len(plans)), "正在生成培训项目…")

    def _project(self, code: str, name: str, template: tuple, start: dt.date, candidates: list) -> None:
        rng = self.rng
        program, project_type, mode, hours, stages, _title = template
        sessions_needed = max(1, hours // 3)
        session_days = [start + dt.timedelta(days=i // 2) for i in range(sessions_needed)]
        if mode == DeliveryMode.ONLINE:
            session_days = [start + dt.timedelta(days=7 * i) for i in range(min(sessions_needed, 12))]
        end = session_days[-1]
        if end < self.today:
            status = ProjectStatus.FINISHED
        elif start <= self.today:
            status = ProjectStatus.RUNNING
        elif (start - self.today).days < 60:
            status = ProjectStatus.OPEN
        else:
            status = rng.choice([ProjectStatus.PUBLISHED, ProjectStatus.DRAFT])
        quota = rng.choice([30, 40, 50, 60, 80, 100])
        project = self.add(
            Project,
            code=code,
            name=name,
            program=program.value,
            project_type=project_type.value,
            mode=mode.value,
            hours=float(hours),
            credits=round(hours / 10, 1),
            start_date=start,
            end_date=end,
            quota=quota,
            institution=rng.choice(INSTITUTIONS),
            chief_expert=rng.choice(EXPERTS),
            status=status.value,
            owner="province" if program.is_guopei or program == Program.PROVINCIAL else "county",
            county_code=COUNTY_CODE,
            conditions={
                "stages": stages,
                "min_years": 3 if project_type == ProjectType.BACKBONE else 0,
                "max_age": 55,
                "rural_only": program.is_guopei,
                "poverty_area_only": False,
                "reserve_pool_only": False,
            },
        )
        if status == ProjectStatus.DRAFT or not candidates:
            return
        class_count = 1 if quota <= 40 else rng.choice([2, 3])
        classes = []
        for class_name in CLASS_NAMES[:class_count]:
            training_class = self.add(
                TrainingClass,
                project_id=project["id"],
                name=class_name,
                class_teacher=rng.choice(EXPERTS[::-1]),
                venue="线上研修平台" if mode == DeliveryMode.ONLINE else rng.choice(VENUES),
                capacity=quota // class_count + 5,
            )
            sessions = []
            for index, day in enumerate(session_days):
                morning = index % 2 == 0 or mode == DeliveryMode.ONLINE
                online = mode == DeliveryMode.ONLINE or (mode == DeliveryMode.BLENDED and index % 3 == 2)
                sessions.append(
                    self.add(
                        TrainingSession,
                        class_id=training_class["id"],
                        title=f"第 {index + 1} 讲",
                        date=day,
                        start_time=dt.time(8, 30) if morning else dt.time(14, 0),
                        end_time=dt.time(11, 30) if morning else dt.time(17, 0),
                        hours=3.0,
                        format=(SessionFormat.ONLINE if online else SessionFormat.FACE_TO_FACE).value,
                        requires_sign_out=not online and index % 4 == 3,
                    )
                )
            classes.append((training_class, sessions))
        size = min(quota, len(candidates), int(quota * rng.uniform(0.8, 1.0)))
        chosen = rng.sample(candidates, size)
        for index, teacher in enumerate(chosen):
            training_class, sessions = classes[index % len(classes)]
            self._enrollment(project, status, teacher, training_class, sessions, program)

    def _final_status(self, status: ProjectStatus) -> EnrollmentStatus:
        rng = self.rng
        if status == ProjectStatus.FINISHED:
            return rng.choices(
                [
                    EnrollmentStatus.COMPLETED,
                    EnrollmentStatus.NOT_COMPLETED,
                    EnrollmentStatus.DISMISSED,
                    EnrollmentStatus.NO_SHOW,
                    EnrollmentStatus.WITHDRAWN,
                ],
                [82, 6, 3, 4, 5],
            )[0]
        if status == ProjectStatus.RUNNING:
            return rng.choices([EnrollmentStatus.ATTENDING, EnrollmentStatus.WITHDRAWN], [95, 5])[0]
        if status == ProjectStatus.OPEN:
            return rng.choice(
                [
                    EnrollmentStatus.APPLIED,
                    EnrollmentStatus.ADMITTED,
                    EnrollmentStatus.APPROVED,
                    EnrollmentStatus.PUBLICISED,
                ]
            )
        return EnrollmentStatus.APPLIED

    def _enrollment(
        self,
        project: dict[str, Any],
        status: ProjectStatus,
        teacher: dict[str, Any],
        training_class: dict[str, Any],
        sessions: list[dict[str, Any]],
        program: Program,
    ) -> None:
        rng = self.rng
        final = self._final_status(status)
        reasons = {
            EnrollmentStatus.WITHDRAWN: rng.choice(["因病住院，有医院证明", "产假", "家中直系亲属病危"]),
            EnrollmentStatus.DISMISSED: "不符合项目参训条件，经核实予以劝退",
            EnrollmentStatus.NO_SHOW: "无特殊原因未报到",
            EnrollmentStatus.NOT_COMPLETED: "缺勤超过总学时的五分之一",
        }
        enrollment = self.add(
            Enrollment,
            teacher_id=teacher["id"],
            project_id=project["id"],
            class_id=training_class["id"],
            sending_school_id=teacher["school_id"],
            status=final.value,
            status_reason=reasons.get(final, ""),
            emergency_contact=teacher["emergency_contact"],
            emergency_phone=teacher["emergency_phone"],
            insured=rng.random() < 0.9,
        )
        # The status history walks the two-way selection in order, then to the final status.
        path = HISTORY[: HISTORY.index(final) + 1] if final in HISTORY else list(HISTORY[:4])
        if final in (EnrollmentStatus.COMPLETED, EnrollmentStatus.NOT_COMPLETED, EnrollmentStatus.DISMISSED):
            path = [*HISTORY, final]
        elif final in (EnrollmentStatus.NO_SHOW, EnrollmentStatus.WITHDRAWN):
            path = [*HISTORY[:4], final]
        start = project["start_date"]
        offsets = {
            EnrollmentStatus.APPLIED: -30,
            EnrollmentStatus.ADMITTED: -20,
            EnrollmentStatus.APPROVED: -15,
            EnrollmentStatus.PUBLICISED: -10,
            EnrollmentStatus.ATTENDING: 0,
        }
        previous = ""
        for step in path:
            day = project["end_date"] + dt.timedelta(days=1) if step not in offsets else start
            day += dt.timedelta(days=offsets.get(step, 0))
            if step == EnrollmentStatus.WITHDRAWN:
                day = start - dt.timedelta(days=2)
            self.add(
                EnrollmentEvent,
                enrollment_id=enrollment["id"],
                from_status=previous,
                to_status=step.value,
                at=dt.datetime.combine(day, dt.time(9, rng.randint(0, 59))),
                actor=ACTORS.get(step, "县教师发展中心"),
                reason=reasons.get(step, ""),
            )
            previous = step.value
        attended = self._attendance(enrollment, final, sessions)
        if final in (EnrollmentStatus.COMPLETED, EnrollmentStatus.NOT_COMPLETED):
            self._completion(project, enrollment, final, attended, len(sessions))
        if final == EnrollmentStatus.COMPLETED:
            self._credit(project, teacher, enrollment, program)
        if program.is_guopei and final in (
            EnrollmentStatus.DISMISSED,
            EnrollmentStatus.NO_SHOW,
            EnrollmentStatus.NOT_COMPLETED,
        ):
            self.add(
                IntegrityRecord,
                teacher_id=teacher["id"],
                enrollment_id=enrollment["id"],
                project_id=project["id"],
                kind=IntegrityKind(final.value).value,
                project_end=project["end_date"],
                ban_until=_three_years_after(project["end_date"]),
                reason=reasons[final],
            )

    def _attendance(self, enrollment: dict[str, Any], final: EnrollmentStatus, sessions: list) -> int:
        if final not in (
            EnrollmentStatus.ATTENDING,
            EnrollmentStatus.COMPLETED,
            EnrollmentStatus.NOT_COMPLETED,
        ):
            return 0
        rng = self.rng
        absent_rate = 0.3 if final == EnrollmentStatus.NOT_COMPLETED else 0.03
        attended = 0
        for session in sessions:
            if session["date"] >= self.today:
                continue
            roll = rng.random()
            if roll < absent_rate:
                status = AttendanceStatus.ABSENT
            elif roll < absent_rate + 0.03:
                status = AttendanceStatus.EXCUSED
            elif roll < absent_rate + 0.08:
                status = AttendanceStatus.LATE
            elif roll < absent_rate + 0.10:
                status = AttendanceStatus.LEFT_EARLY
            else:
                status = AttendanceStatus.PRESENT
            present = status in (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)
            attended += present
            start = dt.datetime.combine(session["date"], session["start_time"])
            delay = rng.randint(6, 40) if status == AttendanceStatus.LATE else -rng.randint(0, 25)
            online = session["format"] == SessionFormat.ONLINE
            self.add(
                Attendance,
                id=natural_id("attendance", session["id"], enrollment["id"]),
                session_id=session["id"],
                enrollment_id=enrollment["id"],
                status=status.value,
                checked_in_at=start + dt.timedelta(minutes=delay) if present else None,
                method=(CaptureMethod.ONLINE_IMPORT if online else CaptureMethod.BADGE).value,
                hours=session["hours"] if present else 0.0,
                note="病假" if status == AttendanceStatus.EXCUSED else "",
            )
        return attended

    def _completion(
        self, project: Row, enrollment: Row, final: EnrollmentStatus, attended: int, total: int
    ) -> None:
        rate = round(100 * attended / total) if total else 0
        completed = final == EnrollmentStatus.COMPLETED
        reasons = [
            f"出勤率 {rate}%，{'达到' if completed else '未达到'}要求（缺勤不超过总学时的五分之一）",
            "研修成果已提交" if completed else "研修成果未提交",
        ]
        self.add(
            Completion,
            enrollment_id=enrollment["id"],
            outcome=(CompletionOutcome.COMPLETED if completed else CompletionOutcome.NOT_COMPLETED).value,
            reasons=reasons,
            decided_at=dt.datetime.combine(project["end_date"] + dt.timedelta(days=3), dt.time(10, 0)),
            decided_by="县教师发展中心",
        )

    def _credit(self, project: Row, teacher: Row, enrollment: Row, program: Program) -> None:
        year = project["end_date"].year
        if year < self.today.year:
            status = CreditStatus.APPROVED
        else:
            status = self.rng.choice([CreditStatus.SUBMITTED, CreditStatus.DRAFT, CreditStatus.APPROVED])
        self.add(
            CreditEntry,
            teacher_id=teacher["id"],
            enrollment_id=enrollment["id"],
            year=year,
            level=program.level.value,
            hours=project["hours"],
            credits=project["credits"],
            description=project["name"],
            status=status.value,
        )
        # A few certificates of finished projects, so later features have some to show.
        if len(self.rows.get(Certificate, [])) < 25 and project["status"] == ProjectStatus.FINISHED:
            serial = f"{COUNTY_CODE}{year}{len(self.rows.get(Certificate, [])) + 1:05d}"
            self.add(
                Certificate,
                serial=serial,
                enrollment_id=enrollment["id"],
                teacher_id=teacher["id"],
                project_id=project["id"],
                issued_on=project["end_date"] + dt.timedelta(days=7),
                print_count=1,
            )


# Insert order respects foreign keys.
INSERT_ORDER = [
    School,
    Teacher,
    ReservePoolEntry,
    Project,
    TrainingClass,
    TrainingSession,
    Enrollment,
    EnrollmentEvent,
    Attendance,
    Completion,
    CreditEntry,
    IntegrityRecord,
    Certificate,
]


def build_demo_county(
    data_dir: Path,
    *,
    teachers: int = 3000,
    seed: int = 20201,
    progress: Progress | None = None,
    today: dt.date | None = None,
) -> DemoSummary:
    """Create the demo county's database in `data_dir` (which must not hold one yet)."""
    report = progress or (lambda _percent, _message: None)
    today = today or dt.date.today()
    report(0, "正在建立数据库…")
    db = create_database(data_dir, county_code=COUNTY_CODE, county_name=COUNTY_NAME)
    builder = _Builder(random.Random(seed), teachers, today)
    schools = builder.schools()
    teacher_rows = builder.teachers(schools, report)
    builder.reserve_pool(teacher_rows)
    builder.projects(teacher_rows, report)
    report(90, "正在写入数据库…")
    try:
        with db.write() as session:
            for model in INSERT_ORDER:
                rows = [
                    {key: value for key, value in row.items() if not key.startswith("_")}
                    for row in builder.rows.get(model, [])
                ]
                for start in range(0, len(rows), CHUNK):
                    insert_synced_rows(session, model, rows[start : start + CHUNK])
    finally:
        db.dispose()
    report(100, "演示县已建立")
    counts = {model: len(builder.rows.get(model, [])) for model in INSERT_ORDER}
    return DemoSummary(
        schools=counts[School],
        teachers=counts[Teacher],
        reserve_pool=counts[ReservePoolEntry],
        projects=counts[Project],
        classes=counts[TrainingClass],
        sessions=counts[TrainingSession],
        enrollments=counts[Enrollment],
        attendance=counts[Attendance],
        completions=counts[Completion],
        credit_entries=counts[CreditEntry],
        integrity_records=counts[IntegrityRecord],
        certificates=counts[Certificate],
    )
