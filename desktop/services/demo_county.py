"""The built-in demo county: 平塘县 (黔南州, Guizhou), generated deterministically from a seed.

平塘 is a 中西部 county inside the 滇桂黔石漠化 contiguous poverty area, so it receives 国培-中西部 and
幼师国培 projects besides provincial, city, county and school-based training. The demo gives every
feature realistic material: schools in the county's townships, teachers with valid ID numbers (some
needing CJK Extension A to print their names), four years of projects whose statuses follow their
dates, classes and half-day sessions (one today, one tomorrow), enrollments in every status with their
history, attendance, completions with reasons, credits, integrity records and a few certificates.

Selection follows the rules the app enforces: trainees meet their project's conditions, nobody is in
two overlapping projects, 国培 comes at most once per three-year cycle and never during a ban. Two
builds with the same seed and arguments hold the same data; only UUIDs and HLC stamps differ.

Everything is written through `insert_synced_rows` in one write transaction, so the demo is also a
realistic outbox, and a build that fails leaves an empty county database, never a half-filled one.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from desktop.db.engine import create_database
from desktop.db.models import (
    Attendance,
    Certificate,
    Completion,
    CreditEntry,
    Enrollment,
    EnrollmentEvent,
    IntegrityRecord,
    OperatorAccount,
    Project,
    ReservePoolEntry,
    School,
    Setting,
    Teacher,
    TrainingClass,
    TrainingSession,
)
from desktop.db.outbox import insert_synced_rows
from desktop.domain.codes import code_table
from desktop.domain.eligibility import ACTIVE, PARTICIPATION, Policy, years_before
from desktop.domain.enrollment_flow import ban_until
from desktop.domain.ids import natural_id, new_id
from desktop.domain.presence import presence
from desktop.domain.roles import Role
from desktop.services.accounts import hash_password, login
from desktop.services.certificates import signing_key
from desktop.services.checkin import DEFAULT_GRACE_MINUTES
from guopei_common.certificate_signing import CertificateClaims, certificate_serial, sign_payload
from guopei_common.conditions import Conditions
from guopei_common.idnumber import make_id_number, mask_id_number
from guopei_common.vocab import (
    AttendanceStatus,
    BackboneLevel,
    CaptureMethod,
    CompletionOutcome,
    CreditStatus,
    DeliveryMode,
    EmploymentStatus,
    EnrollmentStatus,
    IntegrityKind,
    Program,
    ProjectStatus,
    ProjectType,
    SessionFormat,
    TeacherRole,
)

if TYPE_CHECKING:
    from pathlib import Path

    from sqlalchemy.orm import Session

    from desktop.db.base import Synced
    from desktop.db.engine import Database

Progress = Callable[[int, str], None]
Row = dict[str, Any]

COUNTY_CODE = "522727"
COUNTY_NAME = "平塘县"
CENTRE = "平塘县教师发展中心"
BUREAU = "平塘县教育局"
# Neighbours in 黔南州 (GB/T 2260): teachers born there carry these codes in their ID numbers.
NEIGHBOUR_REGIONS = {
    "522701": "都匀市",
    "522722": "荔波县",
    "522726": "独山县",
    "522728": "罗甸县",
    "522732": "三都水族自治县",
}
SEAT_TOWNSHIPS = ("金盆街道", "平舟镇")  # the county seat: its schools count as 城镇
RURAL_TOWNSHIPS = (
    "牙舟镇",
    "通州镇",
    "大塘镇",
    "克度镇",
    "塘边镇",
    "者密镇",
    "掌布镇",
    "甲茶镇",
    "卡蒲毛南族乡",
)
VILLAGE_HEADS = "甲拉摆者新六大翁董纳岜平独丰冗里谷"
VILLAGE_TAILS = "青塘岜中寨坝场坡湾冲洞河龙关"

# A local-only setting (settings never sync) on every demo database: desktop.sync.client.register
# refuses a database that carries it, so invented teachers can never reach a real province.
DEMO_MARK = "county.demo"

CHUNK = 5000  # rows per insert_synced_rows call
DEMO_FLAGS_SOURCE = "演示数据：按省乡村振兴部门公布的名单标注"
MIN_TEACHERS = 50
INACTIVE_SHARE = 20  # one teacher in twenty has retired or moved away
MAX_CERTIFICATES = 40

# Two-way selection (双向选择), in days before a project starts: registration opens, the institution
# admits, the bureau approves, the list is publicised (公示). Projects are announced earlier still.
ANNOUNCE_DAYS, APPLY_DAYS, ADMIT_DAYS, APPROVE_DAYS, PUBLICISE_DAYS = 120, 50, 30, 20, 14
CYCLE_YEARS = Policy().cycle_years  # one 国培 and one training of each type per cycle (DESIGN rule 3)
PASS_RATE = 0.8  # 缺勤不超过总学时的五分之一

MORNING = (dt.time(8, 30), dt.time(11, 30))
AFTERNOON = (dt.time(14, 0), dt.time(17, 0))
EVENING = (dt.time(19, 0), dt.time(22, 0))  # live online lectures, after the school day


@dataclass(frozen=True)
class DemoSummary:
    """How many rows the demo wrote to each synced table."""

    schools: int
    teachers: int
    reserve_pool: int
    projects: int
    classes: int
    sessions: int
    enrollments: int
    enrollment_events: int
    attendance: int
    completions: int
    credit_entries: int
    integrity_records: int
    certificates: int


def _weighted(table: dict[str, float]) -> tuple[list[str], list[float]]:
    """Choices and cumulative weights for `random.choices`, computed once."""
    return list(table), list(accumulate(table.values()))


# --- schools ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Kind:
    stage: str  # resources/codes/stage.csv
    staff: float  # relative number of teachers


KINDS = {
    "high": _Kind("34", 10.0),
    "vocational": _Kind("36", 4.0),
    "special": _Kind("50", 1.0),
    "county_middle": _Kind("31", 7.0),
    "county_primary": _Kind("21", 6.0),
    "county_kindergarten": _Kind("10", 2.5),
    "town_middle": _Kind("31", 3.5),
    "central_primary": _Kind("21", 3.0),
    "town_kindergarten": _Kind("10", 1.0),
    "village_primary": _Kind("21", 1.0),
    "village_kindergarten": _Kind("10", 0.5),
    "teaching_point": _Kind("21", 0.3),
}
SEAT_CORE = [
    ("平塘县第一中学", "high", "金盆街道"),
    ("平塘县第二中学", "county_middle", "金盆街道"),
    ("平塘县第一小学", "county_primary", "平舟镇"),
    ("平塘县幼儿园", "county_kindergarten", "平舟镇"),
]
SEAT_MORE = [
    ("平塘县民族中学", "high", "平舟镇"),
    ("平塘县第三中学", "county_middle", "平舟镇"),
    ("平塘县第二小学", "county_primary", "金盆街道"),
    ("平塘县第三小学", "county_primary", "金盆街道"),
    ("平塘县第二幼儿园", "county_kindergarten", "金盆街道"),
    ("平塘县中等职业学校", "vocational", "金盆街道"),
    ("平塘县特殊教育学校", "special", "平舟镇"),
]


@dataclass(frozen=True)
class _School:
    id: str
    name: str
    township: str
    kind: str
    stage: str
    rural: bool
    poverty_area: bool


def _school_count(teachers: int) -> int:
    # ~40 schools for a real county's 3,000 teachers, ~400 for a 200,000-teacher stress test.
    return max(6, min(round(40 * (teachers / 3000) ** 0.55), teachers // 5))


def _school_plan(rng: random.Random, count: int) -> list[tuple[str, str, str]]:
    """(name, kind, township) in an order whose every prefix mixes town and country."""
    plan = list(SEAT_CORE)
    plan += [(f"{t}中心小学", "central_primary", t) for t in RURAL_TOWNSHIPS]
    plan += SEAT_MORE
    plan += [(f"{t}中学", "town_middle", t) for t in RURAL_TOWNSHIPS]
    plan += [(f"{t}幼儿园", "town_kindergarten", t) for t in RURAL_TOWNSHIPS]
    villages = {t: [h + v for h in VILLAGE_HEADS for v in VILLAGE_TAILS if h != v] for t in RURAL_TOWNSHIPS}
    for names in villages.values():
        rng.shuffle(names)
    index = 0
    while len(plan) < count:
        township = RURAL_TOWNSHIPS[index % len(RURAL_TOWNSHIPS)]
        village = villages[township][index // len(RURAL_TOWNSHIPS)]
        if index % 6 == 5:
            plan.append((f"{township}{village}幼儿园", "village_kindergarten", township))
        elif index % 6 == 3:
            plan.append((f"{township}{village}教学点", "teaching_point", township))
        else:
            plan.append((f"{township}{village}小学", "village_primary", township))
        index += 1
    return plan[:count]


# --- people -----------------------------------------------------------------------------------------

# Surnames weighted roughly as in the national census, plus the ones that need a surname reading.
HAN_SURNAMES = {
    "王": 71, "李": 70, "张": 67, "刘": 54, "陈": 45, "杨": 31, "黄": 22, "赵": 22, "吴": 20, "周": 19,
    "徐": 17, "孙": 15, "马": 13, "朱": 13, "胡": 13, "郭": 12, "何": 12, "罗": 10, "高": 10, "林": 10,
    "郑": 8, "梁": 8, "谢": 8, "宋": 7, "唐": 7, "许": 7, "韩": 7, "冯": 6, "邓": 6, "曹": 6, "彭": 6,
    "曾": 6, "肖": 6, "田": 6, "董": 5, "袁": 5, "潘": 5, "蒋": 5, "蔡": 5, "余": 5, "杜": 5, "叶": 5,
    "程": 5, "魏": 4, "吕": 4, "丁": 4, "任": 4, "沈": 4, "姚": 4, "卢": 4, "钟": 4, "谭": 4, "陆": 4,
    "石": 4, "廖": 4, "熊": 3, "龙": 3, "雷": 3, "单": 1, "解": 1, "仇": 1, "区": 1, "朴": 1, "查": 1,
    "翟": 1,
}  # fmt: skip
# Surnames common among the county's 布依族, 苗族, 毛南族 and 水族 teachers.
LOCAL_SURNAMES = {
    "罗": 12, "韦": 12, "莫": 10, "杨": 10, "石": 8, "蒙": 8, "吴": 8, "王": 8, "潘": 6, "陆": 5,
    "黄": 5, "龙": 5, "覃": 4, "谭": 4, "岑": 3, "卢": 3, "班": 2,
}  # fmt: skip
MALE_CHARS = (
    "伟强磊军洋勇杰涛明超刚平辉鹏文斌宇浩凯鑫波宁建国志林峰俊海"
    "德福贵祥云飞龙荣昌盛松柏成兴亮江永忠新发正光家庆东学才"
)
FEMALE_CHARS = "芳娜敏静丽艳娟秀霞桂英玉兰萍红燕梅婷雪琳晶雯倩佳欣怡诗雨嘉琪春慧莉丹露颖洁琴凤芬珍翠巧美娇薇"
FIRST_CHARS = "小晓思子文春秋金银永"  # first characters of two-character given names, either sex
# Real names need CJK Extension A (䶮 yǎn, 㛃 jié): fonts, search and printing must cope with them.
EXTENSION_A_NAMES = [
    ("刘䶮", "1"),
    ("王㛃", "2"),
    ("韦䶮", "1"),
    ("罗㛃", "2"),
    ("陈䶮林", "1"),
    ("莫㛃芳", "2"),
]
# GB 3304 codes: 汉 布依 苗 毛南 水 仡佬 土家 侗.
ETHNICITIES = {"01": 45, "09": 28, "06": 12, "36": 7, "25": 5, "37": 1.5, "15": 1, "12": 0.5}
PHONE_PREFIXES = [
    *(f"13{d}" for d in range(10)), "147", "150", "151", "152", "153", "155", "156", "157", "158", "159",
    "166", "170", "173", "175", "176", "177", "178", *(f"18{d}" for d in range(10)), "191", "193",
    "195", "198", "199",
]  # fmt: skip
SUBJECTS = {  # subject codes (resources/codes/subject.csv) by stage, weighted like a real staff room
    "10": {"17": 1},
    "21": {"01": 34, "02": 28, "03": 7, "09": 4, "10": 5, "11": 6, "12": 5, "14": 6, "13": 2, "15": 1,
           "16": 1},
    "31": {"01": 15, "02": 15, "03": 13, "04": 7, "05": 5, "06": 6, "07": 6, "08": 6, "09": 7, "10": 3,
           "11": 7, "12": 3, "13": 3, "16": 2},
    "34": {"01": 15, "02": 15, "03": 14, "04": 8, "05": 7, "06": 7, "07": 6, "08": 6, "09": 6, "10": 2,
           "11": 6, "12": 2, "13": 3, "16": 1, "19": 2},
    "36": {"01": 3, "02": 3, "03": 2, "13": 4, "99": 6},
    "50": {"18": 1},
}  # fmt: skip
ETHNICITY_CHOICES = _weighted(ETHNICITIES)
HAN_CHOICES = _weighted(HAN_SURNAMES)
LOCAL_CHOICES = _weighted(LOCAL_SURNAMES)
SUBJECT_CHOICES = {stage: _weighted(weights) for stage, weights in SUBJECTS.items()}
RESERVE_REASONS = [
    "学校推荐：教学实绩突出",
    "县级骨干教师后备人选",
    "乡村学校青年教师培养对象",
    "学科带头人培养对象",
]


@dataclass(eq=False, slots=True)
class _Person:
    """A teacher as selection needs to see it; identity (eq=False) makes it usable in sets."""

    school: _School
    role: TeacherRole
    gender: str
    birth: dt.date
    work_start_year: int
    id: str = field(default_factory=new_id)
    name: str = ""
    id_number: str = ""  # kept for the certificates' signed claims
    subject: str = ""
    status: EmploymentStatus = EmploymentStatus.ACTIVE
    emergency_contact: str = ""
    emergency_phone: str = ""
    reserve_since: dt.date | None = None
    busy: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    guopei_start: dt.date | None = None  # start of the latest 国培 project they took part in
    banned_until: dt.date | None = None
    # (end, final status) of their enrollments by project type, for the no-repeated-training rule.
    # Trainings taken, by (level, type, topic), with their end, final status and subject.
    by_training: dict[tuple[str, ProjectType, str], list[tuple[dt.date, EnrollmentStatus, str]]] = field(
        default_factory=dict
    )


# --- projects ---------------------------------------------------------------------------------------

PROVINCIAL_INSTITUTIONS = ("黔南民族师范学院", "贵州师范大学", "贵州师范学院")
INSTITUTION_VENUES = {
    "黔南民族师范学院": ["黔南民族师范学院继续教育学院 201 教室", "黔南民族师范学院图书馆报告厅"],
    "贵州师范大学": ["贵州师范大学宝山校区教师培训中心 305 室", "贵州师范大学花溪校区田家炳书院"],
    "贵州师范学院": ["贵州师范学院继续教育学院培训楼 402 室"],
    "黔南民族幼儿师范高等专科学校": ["黔南幼专实训楼三楼多功能厅"],
    "北京师范大学": ["北京师范大学京师学堂"],
    "华东师范大学": ["华东师范大学中山北路校区教师培训中心"],
    "贵州省教育科学研究院": ["贵州省教育科学研究院培训楼 301 室"],
    "黔南州教师发展中心": ["黔南州教师发展中心（都匀）二楼会议室"],
    CENTRE: ["平塘县教师发展中心一楼报告厅", "平塘县教师发展中心 302 培训室", "平塘县第一中学多功能厅"],
}
ONLINE_VENUE = "贵州省中小学教师研修网（线上）"
EXPERTS = {
    "黔南民族师范学院": ["韦振华 教授", "罗晓燕 副教授"],
    "贵州师范大学": ["周建华 教授", "杨春梅 教授"],
    "贵州师范学院": ["吴志刚 教授", "陈丽萍 副教授"],
    "黔南民族幼儿师范高等专科学校": ["蒙秀兰 教授"],
    "北京师范大学": ["孙立新 教授"],
    "华东师范大学": ["沈明远 教授"],
    "贵州省教育科学研究院": ["田国荣 研究员"],
    "黔南州教师发展中心": ["莫文斌 正高级教师"],
    CENTRE: ["石永红 正高级教师", "王德明 高级教师"],
}
CLASS_TEACHERS = [
    "罗丽娟",
    "韦明",
    "杨秀英",
    "陈志强",
    "莫春燕",
    "吴晓红",
    "王海",
    "石桂兰",
    "蒙德福",
    "潘婷",
]
TOPICS = {
    ProjectType.BACKBONE: ["新课标核心素养解读", "大单元教学设计", "名师示范课观摩与评课", "跟岗实践",
                           "微型课展示与点评", "课题研究方法", "教学诊断与改进工作坊"],
    ProjectType.NEW_TEACHER: ["师德师风与教育法规", "班级管理基本功", "教学设计与说课",
                              "三字一话基本功训练", "听评课实践", "课堂常规与教学规范"],
    ProjectType.YOUNG_TEACHER: ["青年教师专业成长规划", "课堂提问与评价", "作业设计与批改", "优质课例研读"],
    ProjectType.TRAINER_TEAM: ["培训需求调研与方案设计", "工作坊主持技能", "送教下乡实践", "培训课程开发"],
    ProjectType.PRINCIPAL_APPOINTMENT: ["校长专业标准解读", "学校常规管理", "校园安全管理", "依法治校"],
    ProjectType.PRINCIPAL_IMPROVEMENT: ["学校发展规划制定", "乡村学校治理案例研讨", "教师队伍建设",
                                        "名校跟岗考察"],
    ProjectType.PRINCIPAL_ADVANCED: ["教育家型校长成长", "办学思想凝练与汇报", "学校文化建设", "高端访学"],
    ProjectType.THEMATIC: ["专题讲座", "案例研讨", "分组研讨与成果展示", "实践活动设计"],
    ProjectType.NATIONAL_LANGUAGE: ["普通话语音训练", "规范汉字书写", "国家通用语言文字法解读",
                                    "课堂教学口语表达"],
    ProjectType.IT_ABILITY: ["技术支持的学情分析", "微课程设计与制作", "整校推进方案研讨",
                             "信息化教学案例分析"],
}  # fmt: skip
MAIN_SUBJECTS = ("01", "02", "03", "09", "04", "07")  # subjects that get their own editions, in turn


@dataclass(frozen=True)
class _Template:
    program: Program
    project_type: ProjectType
    mode: DeliveryMode
    hours: int  # a multiple of 6: whole face-to-face days
    title: str
    topic: str  # 主题: with level and type, what counts as the same training
    stages: tuple[str, ...]
    quota: tuple[int, int]
    months: tuple[int, ...]  # when editions start
    institutions: tuple[str, ...]
    roles: tuple[TeacherRole, ...] = ()  # empty: anyone
    by_subject: bool = False  # each edition is for one subject of MAIN_SUBJECTS
    min_years: int | None = None
    max_years: int | None = None
    max_age: int = 55
    rural_only: bool = False
    poverty_area_only: bool = False
    reserve_pool_only: bool = False


MIDWEST, KINDER = Program.GUOPEI_MIDWEST, Program.GUOPEI_KINDERGARTEN
DEMONSTRATION = Program.GUOPEI_DEMONSTRATION
BACKBONE, NEW_TEACHER, THEMATIC = ProjectType.BACKBONE, ProjectType.NEW_TEACHER, ProjectType.THEMATIC
ONLINE, OFFLINE, BLENDED = DeliveryMode.ONLINE, DeliveryMode.OFFLINE, DeliveryMode.BLENDED
PRINCIPALS, DIRECTORS = (TeacherRole.PRINCIPAL,), (TeacherRole.KINDERGARTEN_DIRECTOR,)
KINDERGARTEN_COLLEGE = "黔南民族幼儿师范高等专科学校"
NATIONAL_UNIVERSITIES = ("北京师范大学", "华东师范大学")
TEMPLATES = [
    _Template(
        MIDWEST, BACKBONE, BLENDED, 90, "乡村中小学骨干教师能力提升培训", "学科教学能力",
        ("21", "31"), (30, 50),
        (7, 8, 10), PROVINCIAL_INSTITUTIONS, by_subject=True, min_years=5, max_age=50, rural_only=True,
        poverty_area_only=True,
    ),
    _Template(
        MIDWEST, NEW_TEACHER, OFFLINE, 60, "乡村新入职教师规范化培训", "师德师风与教学规范",
        ("21", "31", "34"), (30, 50),
        (8, 9), PROVINCIAL_INSTITUTIONS, max_years=3, max_age=35, rural_only=True,
    ),
    _Template(
        MIDWEST, ProjectType.PRINCIPAL_IMPROVEMENT, OFFLINE, 60, "乡村中小学校长提高培训", "乡村学校治理",
        ("21", "31"),
        (6, 12), (10, 11), PROVINCIAL_INSTITUTIONS, roles=PRINCIPALS, min_years=10, rural_only=True,
        poverty_area_only=True,
    ),
    _Template(
        MIDWEST, ProjectType.YOUNG_TEACHER, ONLINE, 48, "乡村青年教师助力培训", "青年教师专业成长",
        ("21", "31"), (40, 60),
        (3, 4, 10), PROVINCIAL_INSTITUTIONS, max_age=35, rural_only=True,
    ),
    _Template(
        MIDWEST, ProjectType.IT_ABILITY, ONLINE, 48, "信息技术应用能力提升工程2.0整校推进培训",
        "信息技术应用能力",
        ("21", "31", "34"), (50, 80), (3, 9), PROVINCIAL_INSTITUTIONS,
    ),
    _Template(
        MIDWEST, ProjectType.NATIONAL_LANGUAGE, BLENDED, 36, "国家通用语言文字应用能力提升培训",
        "国家通用语言文字",
        ("10", "21"), (30, 50), (5, 6, 10), PROVINCIAL_INSTITUTIONS, rural_only=True,
    ),
    _Template(
        MIDWEST, ProjectType.TRAINER_TEAM, BLENDED, 120, "县级培训者团队研修", "培训者能力",
        ("21", "31", "34"), (5, 10),
        (7,), PROVINCIAL_INSTITUTIONS, by_subject=True, min_years=8, reserve_pool_only=True,
    ),
    _Template(
        KINDER, BACKBONE, BLENDED, 72, "乡村幼儿园骨干教师能力提升培训", "保教能力",
        ("10",), (20, 30), (7, 8),
        (KINDERGARTEN_COLLEGE, "贵州师范大学"), min_years=3, max_age=50, rural_only=True,
    ),
    _Template(
        KINDER, ProjectType.PRINCIPAL_APPOINTMENT, OFFLINE, 48, "乡村幼儿园园长任职培训", "幼儿园管理",
        ("10",), (5, 10),
        (4, 11), (KINDERGARTEN_COLLEGE,), roles=DIRECTORS, rural_only=True,
    ),
    _Template(
        KINDER, NEW_TEACHER, OFFLINE, 60, "乡村幼儿园新入职教师培训", "师德师风与保教规范",
        ("10",), (15, 30), (8,),
        (KINDERGARTEN_COLLEGE,), max_years=3, max_age=35,
    ),
    _Template(
        DEMONSTRATION, ProjectType.PRINCIPAL_ADVANCED, OFFLINE, 72, "中小学校长高级研修",
        "办学思想与学校文化",
        ("31", "34"),
        (1, 3), (11,), NATIONAL_UNIVERSITIES, roles=PRINCIPALS, min_years=10,
    ),
    _Template(
        DEMONSTRATION, BACKBONE, ONLINE, 60, "骨干教师示范性网络研修", "学科教学能力",
        ("31", "34"), (5, 10), (4, 10),
        NATIONAL_UNIVERSITIES, by_subject=True, min_years=8,
    ),
    _Template(
        Program.PROVINCIAL, BACKBONE, OFFLINE, 60, "普通高中骨干教师新课程新教材实施能力提升培训",
        "新课程新教材",
        ("34",), (15, 30), (7, 8), ("贵州师范大学",), by_subject=True, min_years=5,
    ),
    _Template(
        Program.PROVINCIAL, THEMATIC, BLENDED, 36, "中小学心理健康教育专题培训", "心理健康教育",
        ("21", "31", "34"),
        (30, 50), (4, 11), ("贵州省教育科学研究院", "贵州师范学院"),
    ),
    _Template(
        Program.PROVINCIAL, THEMATIC, OFFLINE, 30, "中小学班主任能力提升培训", "班主任工作",
        ("21", "31", "34"),
        (30, 50), (5, 9), ("贵州师范学院",),
    ),
    _Template(
        Program.CITY, THEMATIC, OFFLINE, 30, "初中学科教学能力提升专题培训", "学科教学能力",
        ("31",), (30, 50), (4, 10),
        ("黔南州教师发展中心", "黔南民族师范学院"), by_subject=True,
    ),
    _Template(
        Program.CITY, ProjectType.PRINCIPAL_APPOINTMENT, OFFLINE, 36, "中小学校长任职资格培训", "任职资格",
        ("21", "31", "34"), (3, 8), (3, 9), ("黔南州教师发展中心",), roles=PRINCIPALS,
    ),
    _Template(
        Program.COUNTY, THEMATIC, OFFLINE, 24, "义务教育新课标教学专题培训", "新课标教学",
        ("21", "31"), (80, 120),
        (3, 9), (CENTRE,),
    ),
    _Template(
        Program.COUNTY, BACKBONE, OFFLINE, 30, "县级骨干教师研修", "学科教学能力",
        ("21", "31", "34"), (40, 60), (4, 10),
        (CENTRE,), by_subject=True, min_years=5,
    ),
    _Template(
        Program.COUNTY, NEW_TEACHER, OFFLINE, 36, "新教师岗前培训", "师德师风与教学规范",
        ("10", "21", "31", "34"), (40, 80), (8,),
        (CENTRE,), max_years=1, max_age=35,
    ),
    _Template(
        Program.COUNTY, THEMATIC, OFFLINE, 24, "幼儿园保教质量提升专题培训", "保教质量",
        ("10",), (40, 60), (5, 11),
        (CENTRE,),
    ),
    _Template(
        Program.COUNTY, ProjectType.NATIONAL_LANGUAGE, ONLINE, 24, "国家通用语言文字规范化培训",
        "国家通用语言文字",
        ("10", "21"), (60, 100), (6, 12), (CENTRE,),
    ),
    _Template(
        Program.SCHOOL, THEMATIC, ONLINE, 24, "校本研修：作业设计与实施", "作业设计",
        ("21", "31", "34"), (80, 120),
        (3, 10), (CENTRE,),
    ),
]  # fmt: skip
# The project under way today, so that the check-in screen has sessions today and tomorrow.
CURRENT = _Template(
    Program.COUNTY,
    THEMATIC,
    OFFLINE,
    30,
    "新课标课堂教学实践培训",
    "新课标教学",
    ("21", "31"),
    (60, 80),
    (),
    (CENTRE,),
)
# Projects placed around today, as (days from today to the start, index in TEMPLATES): an online 国培
# project half-way through, then one project at each step of two-way selection (公示, 审核, 录取, 报名),
# one announced but not open yet, and one still a draft.
AROUND_TODAY = [(-20, 4), (10, 13), (17, 14), (25, 17), (42, 21), (80, 0), (150, 18)]
CODE_PARTS = {  # project code = {prefix}{year}-{tag}-{sequence}, e.g. GP2024-ZXB-001
    MIDWEST: ("GP", "ZXB"),
    KINDER: ("GP", "YS"),
    DEMONSTRATION: ("GP", "SF"),
    Program.PROVINCIAL: ("SP", "GZ"),
    Program.CITY: ("SHP", "QN"),
    Program.COUNTY: ("XP", "PT"),
    Program.SCHOOL: ("XB", "PT"),
}


@dataclass(frozen=True)
class _Plan:
    template: _Template
    start: dt.date
    subject: str  # "" unless the template is by subject
    edition: int


@dataclass(frozen=True)
class _Slot:
    """One planned session of every class of a project."""

    date: dt.date
    start: dt.time
    end: dt.time
    online: bool
    title: str


# What a selected trainee was going to do; the build keeps only the steps that happened before today.
OUTCOMES = {
    "completed": 83,
    "not_completed": 5,
    "dismissed": 2,
    "no_show": 4,
    "withdrawn_before": 4,
    "withdrawn_during": 2,
}
OUTCOME_CHOICES = _weighted(OUTCOMES)
WITHDRAWAL_REASONS = [
    "因病住院，已提供医院证明",
    "产假",
    "直系亲属病危，经学校和县教育局同意",
    "承担县中考命题任务，经县教育局批准",
]
DISMISSAL_REASONS = [
    "无故缺勤累计 3 次，经项目办研究予以劝退",
    "违反培训纪律，经承担机构与县教育局研究予以劝退",
]
EXCUSES = ["病假，已交假条", "事假，学校出具证明"]
NO_SHOW_REASON = "无特殊原因未按时报到"
NOT_COMPLETED_REASON = "未达到结业要求"
OVERRIDE_REASON = "因承担县级教学竞赛评委任务缺课，经项目办研究同意结业"
REJECTED_REASON = "学时证明材料不完整，请补充后重新提交"

INSERT_ORDER: list[type[Synced]] = [  # parents before children, for the foreign keys
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


class _Sink:
    """Collects new rows and writes them in chunks, every table's parents first."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.buffers: dict[type[Synced], list[Row]] = {model: [] for model in INSERT_ORDER}
        self.counts: dict[type[Synced], int] = dict.fromkeys(INSERT_ORDER, 0)
        self.pending = 0

    def add(self, model: type[Synced], **values: Any) -> Row:
        values.setdefault("id", new_id())
        self.buffers[model].append(values)
        self.counts[model] += 1
        self.pending += 1
        if self.pending >= CHUNK:
            self.flush()
        return values

    def flush(self) -> None:
        for model, rows in self.buffers.items():
            if rows:
                insert_synced_rows(self.session, model, rows)
                self.buffers[model] = []
        self.pending = 0


class _Report:
    """Forwards progress to the caller's callback, once per change."""

    def __init__(self, callback: Progress | None) -> None:
        self.callback = callback
        self.last: tuple[int, str] | None = None

    def __call__(self, percent: int, message: str) -> None:
        if self.callback is not None and (percent, message) != self.last:
            self.last = (percent, message)
            self.callback(percent, message)


def _at(day: dt.date, rng: random.Random, first_hour: int, last_hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(first_hour, last_hour), rng.randint(0, 59)))


class _DemoCounty:
    def __init__(self, rng: random.Random, today: dt.date, sink: _Sink, report: _Report) -> None:
        self.rng = rng
        self.today = today
        self.sink = sink
        self.report = report
        self.people: list[_Person] = []
        self.pools: dict[tuple[str, str, bool], list[_Person]] = {}  # (stage, subject, head) -> active
        self.certifiable: list[tuple[Row, Row, _Person, dt.date]] = []
        self.subject_labels = {item.code: item.label for item in code_table("subject").items}

    # --- schools and teachers -----------------------------------------------------------------------
    def schools(self, count: int) -> list[_School]:
        schools = []
        for number, (name, kind, township) in enumerate(_school_plan(self.rng, count), start=1):
            rural = township not in SEAT_TOWNSHIPS
            row = self.sink.add(
                School,
                code=f"215227{number:04d}",  # 学校标识码: ten digits
                name=name,
                county_code=COUNTY_CODE,
                township=township,
                is_rural=rural,
                stage=KINDS[kind].stage,
                in_sanqu_sanzhou=False,  # Guizhou has no 三区三州 county
                # The whole county lies in the 滇桂黔石漠化区 and is a 脱贫县 of 黔南布依族苗族自治州
                # (a 民族地区); its rural schools are the ones the coverage target (三.) counts.
                in_contiguous_poverty_area=True,
                in_former_poverty_county=True,
                in_ethnic_area=True,
                flags_source=DEMO_FLAGS_SOURCE,
            )
            schools.append(_School(row["id"], name, township, kind, KINDS[kind].stage, rural, True))
        return schools

    def teachers(self, schools: list[_School], count: int) -> None:
        rng, today = self.rng, self.today
        latest_birth = min(2001, today.year - 21)
        # Every school's first teacher is its head, so each school has exactly one.
        cumulative = list(accumulate(KINDS[school.kind].staff for school in schools))
        placed = schools + rng.choices(schools, cum_weights=cumulative, k=count - len(schools))
        for index, school in enumerate(placed):
            head = index < len(schools)
            if head:
                role = TeacherRole.KINDERGARTEN_DIRECTOR if school.stage == "10" else TeacherRole.PRINCIPAL
                year = rng.randint(1966, min(1984, latest_birth))
            else:
                role = TeacherRole.TEACHER
                if rng.random() < 0.12:  # the recent recruits that new-teacher projects are for
                    year = rng.randint(latest_birth - 3, latest_birth)
                else:
                    year = int(rng.triangular(1965, latest_birth + 1, min(1990, latest_birth)))
            female = rng.random() < _female_share(school.stage, head)
            birth = dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))
            work_start = min(year + rng.randint(21, 24), today.year)
            self.people.append(_Person(school, role, "2" if female else "1", birth, work_start))
        self._retire_some()
        id_numbers: set[str] = set()
        phones: set[str] = set()
        # A handful of people whose names need CJK Extension A, spread through the roster.
        special = {7 + k * (count // len(EXTENSION_A_NAMES)): k for k in range(len(EXTENSION_A_NAMES))}
        for index, person in enumerate(self.people):
            if index in special:
                person.name, person.gender = EXTENSION_A_NAMES[special[index]]
            self._teacher_row(person, id_numbers, phones)
            if index % 1000 == 0:
                self.report(2 + 53 * index // count, "正在生成教师…")
        for person in self.people:
            if person.status == EmploymentStatus.ACTIVE:
                key = (person.school.stage, person.subject, person.role != TeacherRole.TEACHER)
                self.pools.setdefault(key, []).append(person)

    def _retire_some(self) -> None:
        """The oldest teachers have retired and a few have moved to another county."""
        inactive = len(self.people) // INACTIVE_SHARE
        staff = [p for p in self.people if p.role == TeacherRole.TEACHER]
        for person in sorted(staff, key=lambda p: p.birth)[: inactive * 4 // 5]:
            person.status = EmploymentStatus.RETIRED
        remaining = [p for p in staff if p.status == EmploymentStatus.ACTIVE]
        for person in self.rng.sample(remaining, inactive - inactive * 4 // 5):
            person.status = EmploymentStatus.TRANSFERRED

    def _teacher_row(self, person: _Person, id_numbers: set[str], phones: set[str]) -> None:
        rng, today = self.rng, self.today
        school = person.school
        if school.township == "卡蒲毛南族乡":
            ethnicity = rng.choice(["36", "36", "09", "01"])
        else:
            codes, cumulative = ETHNICITY_CHOICES
            ethnicity = rng.choices(codes, cum_weights=cumulative)[0]
        if not person.name:
            person.name = self._name(person.gender, local=ethnicity != "01")
        region = COUNTY_CODE if rng.random() < 0.85 else rng.choice(list(NEIGHBOUR_REGIONS))
        while True:
            number = make_id_number(
                region_code=region, birth_date=person.birth, sequence=rng.randrange(100), gender=person.gender
            )
            if number not in id_numbers:
                id_numbers.add(number)
                break
        person.id_number = number
        phone = self._phone()
        while phone in phones:
            phone = self._phone()
        phones.add(phone)
        subjects, cumulative = SUBJECT_CHOICES[school.stage]
        person.subject = rng.choices(subjects, cum_weights=cumulative)[0]
        years = today.year - person.work_start_year
        spouse = rng.random() < 0.6 and years > 3
        if spouse:
            person.emergency_contact = self._name(
                "1" if person.gender == "2" else "2", local=ethnicity != "01"
            )
        else:  # a parent, who shares the surname
            person.emergency_contact = person.name[0] + self._name("1", local=False)[1:]
        person.emergency_phone = self._phone()
        note = ""
        if person.status == EmploymentStatus.TRANSFERRED:
            note = f"{today.year - rng.randint(0, 2)}年调往{rng.choice(list(NEIGHBOUR_REGIONS.values()))}"
        self.sink.add(
            Teacher,
            id=person.id,
            id_number=number,
            name=person.name,
            gender=person.gender,
            birth_date=person.birth,
            ethnicity=ethnicity,
            school_id=school.id,
            stage=school.stage,
            subject=person.subject,
            title=self._title(years, school),
            role=person.role.value,
            backbone_level=self._backbone(years, person.role).value,
            phone=phone,
            work_start_year=person.work_start_year,
            employment_status=person.status.value,
            emergency_contact=person.emergency_contact,
            emergency_phone=person.emergency_phone,
            note=note,
        )

    def _name(self, gender: str, *, local: bool) -> str:
        rng = self.rng
        # Most 布依族, 苗族, 毛南族 and 水族 teachers carry a local surname; a few Han teachers do too.
        surnames, cumulative = LOCAL_CHOICES if (rng.random() < 0.8) == local else HAN_CHOICES
        surname = rng.choices(surnames, cum_weights=cumulative)[0]
        chars = FEMALE_CHARS if gender == "2" else MALE_CHARS
        if rng.random() < 0.22:
            return surname + rng.choice(chars)
        return surname + rng.choice(FIRST_CHARS + chars) + rng.choice(chars)

    def _phone(self) -> str:
        return f"{self.rng.choice(PHONE_PREFIXES)}{self.rng.randrange(10**8):08d}"

    def _title(self, years: int, school: _School) -> str:
        """A title code of the unified 中小学 series (resources/codes/title.csv) fitting the years served."""
        roll = self.rng.random()
        if years < 1:
            return "999"  # 未定职级 during probation
        if years < 5:
            return "014"
        if years < 12:
            return "013" if roll < 0.8 else "014"
        senior = 0.2 if school.rural else 0.3  # 高级 posts are scarcer in village schools
        if years < 20:
            return "012" if roll < senior / 3 else "013" if roll < 0.95 else "014"
        if roll < 0.005 and not school.rural:
            return "011"
        return "012" if roll < senior else "013"

    def _backbone(self, years: int, role: TeacherRole) -> BackboneLevel:
        if years < 5:
            return BackboneLevel.NONE
        levels = list(BackboneLevel)  # none, school, county, city, provincial, national
        weights = [86, 7, 4.5, 1.8, 0.6, 0.1] if role == TeacherRole.TEACHER else [60, 10, 20, 7, 3, 0]
        return self.rng.choices(levels, weights)[0]

    def reserve_pool(self) -> None:
        rng, today = self.rng, self.today
        active = [p for p in self.people if p.status == EmploymentStatus.ACTIVE]
        for person in rng.sample(active, len(active) // 20):
            added = today - dt.timedelta(days=rng.randint(30, 1500))
            removed = rng.random() < 0.05
            if not removed:
                person.reserve_since = added
            self.sink.add(
                ReservePoolEntry,
                teacher_id=person.id,
                added_on=added,
                reason=rng.choice(RESERVE_REASONS),
                removed_on=today - dt.timedelta(days=rng.randint(1, 29)) if removed else None,
                removed_reason="本人申请退出储备库" if removed else "",
            )

    # --- projects -----------------------------------------------------------------------------------
    def projects(self, teachers: int) -> None:
        plans = self._plans(teachers)
        sequences: dict[str, int] = {}
        for number, plan in enumerate(plans):
            prefix, tag = CODE_PARTS[plan.template.program]
            key = f"{prefix}{plan.start.year}-{tag}"
            sequences[key] = sequences.get(key, 0) + 1
            self._project(plan, f"{key}-{sequences[key]:03d}")
            self.report(57 + 38 * (number + 1) // len(plans), "正在生成培训项目…")

    def _plans(self, teachers: int) -> list[_Plan]:
        rng, today = self.rng, self.today
        # Projects grow far more slowly than the roster: a county of 200,000 gets ~8 editions of each.
        editions = max(1, round(math.sqrt(teachers / 3000)))
        plans = []
        for year in range(today.year - 3, today.year + 1):
            for template in TEMPLATES:
                for edition in range(editions):
                    start = dt.date(year, rng.choice(template.months), rng.randint(1, 25))
                    plans.append(
                        _Plan(template, start, self._edition_subject(template, year, edition), edition)
                    )
        for days, index in AROUND_TODAY:
            template, start = TEMPLATES[index], today + dt.timedelta(days=days)
            plans.append(_Plan(template, start, self._edition_subject(template, start.year, 0), 0))
        plans.append(_Plan(CURRENT, today - dt.timedelta(days=2), "", 0))
        # In order of start, so that bans and the 国培 cycle only ever look back in time.
        plans.sort(key=lambda plan: plan.start)
        return plans

    @staticmethod
    def _edition_subject(template: _Template, year: int, edition: int) -> str:
        if not template.by_subject:
            return ""
        return MAIN_SUBJECTS[(year + edition) % len(MAIN_SUBJECTS)]

    def _project(self, plan: _Plan, code: str) -> None:
        rng, today = self.rng, self.today
        template = plan.template
        slots = self._schedule(template, plan.start)
        start, end = slots[0].date, slots[-1].date  # online blocks may begin a day or two after the plan
        if end < today:
            status = ProjectStatus.FINISHED
        elif start <= today:
            status = ProjectStatus.RUNNING
        elif (start - today).days <= APPLY_DAYS:
            status = ProjectStatus.OPEN
        elif (start - today).days <= ANNOUNCE_DAYS:
            status = ProjectStatus.PUBLISHED
        else:
            status = ProjectStatus.DRAFT
        title = template.title
        if plan.subject:
            title += f"（{self.subject_labels[plan.subject]}）"
        elif plan.edition:
            title += f"（第{plan.edition + 1}期）"
        institution = rng.choice(template.institutions)
        quota = rng.randint(*template.quota)
        # The selected list goes up for 公示 five days, two weeks before the start (see `_history`).
        publicity: dt.date | None = start - dt.timedelta(days=PUBLICISE_DAYS)
        if publicity >= today or status in (ProjectStatus.DRAFT, ProjectStatus.PUBLISHED):
            publicity = None
        program = template.program
        project = self.sink.add(
            Project,
            code=code,
            name=_project_name(program, start.year, title),
            program=program.value,
            project_type=template.project_type.value,
            topic=template.topic,
            mode=template.mode.value,
            hours=float(template.hours),
            credits=template.hours / 10,
            start_date=start,
            end_date=end,
            quota=quota,
            institution=institution,
            chief_expert=rng.choice(EXPERTS[institution]),
            status=status.value,
            owner="province" if program.is_guopei or program == Program.PROVINCIAL else "county",
            county_code=COUNTY_CODE,
            conditions=Conditions(
                stages=template.stages,
                subjects=(plan.subject,) if plan.subject else (),
                roles=tuple(role.value for role in template.roles),
                min_years=template.min_years,
                max_years=template.max_years,
                max_age=template.max_age,
                rural_only=template.rural_only,
                poverty_area_only=template.poverty_area_only,
                reserve_pool_only=template.reserve_pool_only,
            ).to_dict(),
            publicity_start=publicity,
            publicity_end=publicity + dt.timedelta(days=4) if publicity else None,
        )
        if status == ProjectStatus.DRAFT:
            return  # classes are set up once a project is published
        classes = self._classes(project, template, institution, quota, slots)
        if status == ProjectStatus.PUBLISHED:
            return  # registration has not opened yet
        for index, person in enumerate(self._select(plan, start, end, quota)):
            self._enrollment(project, plan, institution, person, *classes[index % len(classes)])

    def _schedule(self, template: _Template, start: dt.date) -> list[_Slot]:
        """Half-day face-to-face blocks on consecutive days, then online evenings three times a week;
        every block is 3 hours, so the blocks add up to the project's hours."""
        rng = self.rng
        blocks = template.hours // 3
        if template.mode == DeliveryMode.ONLINE:
            online_blocks = blocks
        elif template.mode == DeliveryMode.BLENDED:
            online_blocks = blocks - max(2, round(blocks * 2 / 3 / 2) * 2)
        else:
            online_blocks = 0
        topics = TOPICS[template.project_type]
        slots = []
        for index in range(blocks - online_blocks):
            day = start + dt.timedelta(days=index // 2)
            begin, finish = MORNING if index % 2 == 0 else AFTERNOON
            slots.append(_Slot(day, begin, finish, False, rng.choice(topics)))
        day = slots[-1].date + dt.timedelta(days=7) if slots else start
        for _ in range(online_blocks):
            while day.weekday() not in (0, 2, 4):
                day += dt.timedelta(days=1)
            slots.append(_Slot(day, *EVENING, True, f"线上研修：{rng.choice(topics)}"))
            day += dt.timedelta(days=1)
        if slots[0].date == start and not slots[0].online:
            slots[0] = _Slot(start, *MORNING, False, "开班仪式与专题讲座")
        last = slots[-1]
        slots[-1] = _Slot(last.date, last.start, last.end, last.online, "结业考核与总结")
        return slots

    def _classes(
        self, project: Row, template: _Template, institution: str, quota: int, slots: list[_Slot]
    ) -> list[tuple[Row, list[Row]]]:
        rng = self.rng
        count = 1 if quota <= 50 else 2 if quota <= 100 else 3
        venues = INSTITUTION_VENUES[institution]
        classes = []
        for number, name in enumerate(["一班", "二班", "三班"][:count]):
            online = template.mode == DeliveryMode.ONLINE
            training_class = self.sink.add(
                TrainingClass,
                project_id=project["id"],
                name=name,
                class_teacher=rng.choice(CLASS_TEACHERS),
                venue=ONLINE_VENUE if online else venues[number % len(venues)],
                capacity=math.ceil(quota / count) + 5,
            )
            sessions = [
                self.sink.add(
                    TrainingSession,
                    class_id=training_class["id"],
                    title=slot.title,
                    date=slot.date,
                    start_time=slot.start,
                    end_time=slot.end,
                    hours=3.0,
                    format=(SessionFormat.ONLINE if slot.online else SessionFormat.FACE_TO_FACE).value,
                    # The afternoon block closes the day: trainees sign out of it.
                    requires_sign_out=not slot.online and slot.start == AFTERNOON[0],
                )
                for slot in slots
            ]
            classes.append((training_class, sessions))
        return classes

    def _select(self, plan: _Plan, start: dt.date, end: dt.date, quota: int) -> list[_Person]:
        """Up to about the quota of eligible teachers, drawn at random from the matching pools."""
        rng, template = self.rng, plan.template
        heads = [True, False]
        if template.roles:
            heads = [True]
        # Principals are not sent to the projects that develop classroom teachers.
        elif template.project_type in (
            ProjectType.BACKBONE,
            ProjectType.NEW_TEACHER,
            ProjectType.TRAINER_TEAM,
        ):
            heads = [False]
        pool = [
            person
            for stage in template.stages
            for subject in ([plan.subject] if plan.subject else SUBJECTS[stage])
            for head in heads
            for person in self.pools.get((stage, subject, head), ())
        ]
        if not pool:
            return []
        target = round(quota * rng.uniform(0.85, 1.0))
        chosen: list[_Person] = []
        seen: set[_Person] = set()
        # Random draws are cheap in a large pool where most people qualify; a strict project (a
        # narrow pool, few who qualify) goes through the rest of its pool in random order.
        if len(pool) > 4 * target:
            for _ in range(20 * target):
                person = pool[rng.randrange(len(pool))]
                if person not in seen:
                    seen.add(person)
                    if self._eligible(person, template, plan.subject, start, end):
                        chosen.append(person)
                        if len(chosen) == target:
                            return chosen
        rest = [person for person in pool if person not in seen]
        rng.shuffle(rest)
        for person in rest:
            if self._eligible(person, template, plan.subject, start, end):
                chosen.append(person)
                if len(chosen) == target:
                    break
        return chosen

    def _eligible(
        self, person: _Person, template: _Template, subject: str, start: dt.date, end: dt.date
    ) -> bool:
        """The rules of `desktop.domain.eligibility.decide`, in a form fast enough for 200,000 teachers;
        a little stricter where that is simpler (age by year of birth, any overlap at all)."""
        years = start.year - person.work_start_year
        if years < (template.min_years or 0):  # nor anyone who had not started teaching yet
            return False
        if template.max_years is not None and years > template.max_years:
            return False
        if start.year - person.birth.year > template.max_age:
            return False
        if template.roles and person.role not in template.roles:
            return False
        school = person.school
        if (template.rural_only and not school.rural) or (
            template.poverty_area_only and not school.poverty_area
        ):
            return False
        if template.reserve_pool_only and (person.reserve_since is None or person.reserve_since > start):
            return False
        window = years_before(start, CYCLE_YEARS)
        if template.program.is_guopei:
            if person.banned_until is not None and start <= person.banned_until:
                return False
            if person.guopei_start is not None and person.guopei_start > window:
                return False
        for past_end, past, past_subject in person.by_training.get(_training_key(template), ()):
            if subject and past_subject and subject != past_subject:
                continue  # another subject's edition is another training
            if past in ACTIVE or (past == EnrollmentStatus.COMPLETED and past_end > window):
                return False
        return all(end < busy_start or busy_end < start for busy_start, busy_end in person.busy)

    # --- one trainee --------------------------------------------------------------------------------
    def _enrollment(
        self,
        project: Row,
        plan: _Plan,
        institution: str,
        person: _Person,
        training_class: Row,
        sessions: list[Row],
    ) -> None:
        rng, today = self.rng, self.today
        start, end = project["start_date"], project["end_date"]
        names, cumulative = OUTCOME_CHOICES
        outcome = rng.choices(names, cum_weights=cumulative)[0]
        steps = self._history(outcome, start, end, institution, person, training_class)
        steps = [step for step in steps if step[1].date() < today]  # what has happened so far
        if not steps:
            return  # has not applied yet
        final, _at_time, _actor, reason = steps[-1]
        placed = final != EnrollmentStatus.APPLIED
        enrollment = self.sink.add(
            Enrollment,
            teacher_id=person.id,
            project_id=project["id"],
            class_id=training_class["id"] if placed else None,
            sending_school_id=person.school.id,
            status=final.value,
            status_reason=reason,
            emergency_contact=person.emergency_contact,
            emergency_phone=person.emergency_phone,
            insured=final not in (EnrollmentStatus.APPLIED, EnrollmentStatus.ADMITTED)
            and rng.random() < 0.93,
        )
        previous = ""
        for status, at, actor, step_reason in steps:
            self.sink.add(
                EnrollmentEvent,
                enrollment_id=enrollment["id"],
                from_status=previous,
                to_status=status.value,
                at=at,
                actor=actor,
                reason=step_reason,
            )
            previous = status.value
        person.by_training.setdefault(_training_key(plan.template), []).append((end, final, plan.subject))
        if final in PARTICIPATION and plan.template.program.is_guopei:
            person.guopei_start = start
        if final not in (EnrollmentStatus.WITHDRAWN, EnrollmentStatus.NO_SHOW):
            person.busy.append((start, end))
        left_on = (
            steps[-1][1].date()
            if final in (EnrollmentStatus.DISMISSED, EnrollmentStatus.WITHDRAWN)
            else today
        )
        credited = self._attendance(enrollment, outcome, sessions, left_on, final)
        if final in (EnrollmentStatus.COMPLETED, EnrollmentStatus.NOT_COMPLETED):
            decided = steps[-1][1]
            self._completion(enrollment, outcome, final, credited, sum(s["hours"] for s in sessions), decided)
        if final == EnrollmentStatus.COMPLETED:
            self._credit(project, person, enrollment, plan.template.program)
            if project["owner"] == "county":
                self.certifiable.append((project, enrollment, person, steps[-1][1].date()))
        if plan.template.program.is_guopei and final in (
            EnrollmentStatus.DISMISSED,
            EnrollmentStatus.NO_SHOW,
            EnrollmentStatus.NOT_COMPLETED,
        ):
            # A project that started later may end sooner (a long online one may run on): keep the latest.
            person.banned_until = max(ban_until(end), person.banned_until or end)
            self.sink.add(
                IntegrityRecord,
                teacher_id=person.id,
                enrollment_id=enrollment["id"],
                project_id=project["id"],
                kind=IntegrityKind(final.value).value,
                project_end=end,
                ban_until=person.banned_until,
                reason=reason,
            )

    def _history(
        self,
        outcome: str,
        start: dt.date,
        end: dt.date,
        institution: str,
        person: _Person,
        training_class: Row,
    ) -> list[tuple[EnrollmentStatus, dt.datetime, str, str]]:
        """Every step the trainee was going to take, with when, who and why."""
        rng, day = self.rng, dt.timedelta(days=1)
        applicant = "本人" if rng.random() < 0.7 else f"{person.school.name}联络员"

        def days_before(earliest: int, latest: int, first_hour: int, last_hour: int) -> dt.datetime:
            return _at(start - day * rng.randint(latest, earliest), rng, first_hour, last_hour)

        publicised = dt.datetime.combine(start - day * PUBLICISE_DAYS, dt.time(10, 0))
        steps = [
            (EnrollmentStatus.APPLIED, days_before(APPLY_DAYS, ADMIT_DAYS + 1, 8, 22), applicant, ""),
            (EnrollmentStatus.ADMITTED, days_before(ADMIT_DAYS, ADMIT_DAYS - 3, 9, 16), institution, ""),
            (EnrollmentStatus.APPROVED, days_before(APPROVE_DAYS, APPROVE_DAYS - 3, 9, 16), BUREAU, ""),
            (EnrollmentStatus.PUBLICISED, publicised, BUREAU, "参训名单公示 5 个工作日"),
        ]
        class_teacher = f"{training_class['class_teacher']}（班主任）"
        if outcome == "withdrawn_before":
            withdrawn = days_before(7, 1, 9, 16)
            return [*steps, (EnrollmentStatus.WITHDRAWN, withdrawn, CENTRE, rng.choice(WITHDRAWAL_REASONS))]
        if outcome == "no_show":
            no_show = dt.datetime.combine(start, dt.time(17, 30))
            return [*steps, (EnrollmentStatus.NO_SHOW, no_show, class_teacher, NO_SHOW_REASON)]
        arrived = dt.datetime.combine(start, dt.time(7, rng.randint(40, 59)))  # before the first block
        steps.append((EnrollmentStatus.ATTENDING, arrived, class_teacher, "报到"))
        if outcome in ("withdrawn_during", "dismissed"):
            left = _at(start + day * rng.randint(1, max(1, (end - start).days)), rng, 12, 13)  # at lunch
            if outcome == "dismissed":
                return [
                    *steps,
                    (EnrollmentStatus.DISMISSED, left, institution, rng.choice(DISMISSAL_REASONS)),
                ]
            return [*steps, (EnrollmentStatus.WITHDRAWN, left, CENTRE, rng.choice(WITHDRAWAL_REASONS))]
        # The decision comes a few days after the end, but once a project has finished it has its
        # outcomes by yesterday at the latest.
        decided_on = end + day * rng.randint(1, 3)
        if end < self.today:
            decided_on = min(decided_on, self.today - day)
        decided = dt.datetime.combine(decided_on, dt.time(17, 40) if decided_on == end else dt.time(10, 0))
        if outcome == "completed":
            return [*steps, (EnrollmentStatus.COMPLETED, decided, CENTRE, "")]
        return [*steps, (EnrollmentStatus.NOT_COMPLETED, decided, CENTRE, NOT_COMPLETED_REASON)]

    def _attendance(
        self,
        enrollment: Row,
        outcome: str,
        sessions: list[Row],
        before: dt.date,
        final: EnrollmentStatus,
    ) -> float:
        """Attendance for the sessions held while the trainee was in the class; the hours credited."""
        if final not in (
            EnrollmentStatus.ATTENDING,
            EnrollmentStatus.COMPLETED,
            EnrollmentStatus.NOT_COMPLETED,
            EnrollmentStatus.DISMISSED,
        ) and not (final == EnrollmentStatus.WITHDRAWN and outcome == "withdrawn_during"):
            return 0.0
        rng = self.rng
        held = [s for s in sessions if s["date"] < before]
        statuses = [self._attendance_status(s) for s in held]
        total = sum(s["hours"] for s in sessions)
        poor = outcome == "not_completed" and rng.random() < 0.65  # the others fail the assessment
        if poor and held:
            missed = min(len(held), math.ceil(len(held) * 0.25) + rng.randint(0, 2))
            for index in rng.sample(range(len(held)), missed):
                statuses[index] = rng.choice([AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED])
        # Completion needs four fifths of the hours; a rare trainee short of them completes by an
        # override (see `_completion`), the others attended enough.
        if outcome == "completed" and rng.random() >= 0.01:
            missed = [
                i for i, s in enumerate(statuses) if s in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
            ]
            while missed and _credited(held, statuses) < PASS_RATE * total:
                statuses[missed.pop()] = AttendanceStatus.PRESENT
        return sum(
            self._attendance_row(enrollment, session, status)
            for session, status in zip(held, statuses, strict=True)
        )

    def _attendance_status(self, session: Row) -> AttendanceStatus:
        roll = self.rng.random()
        if roll < 0.03:
            return AttendanceStatus.ABSENT
        if roll < 0.07:
            return AttendanceStatus.EXCUSED
        if session["format"] == SessionFormat.ONLINE:
            return AttendanceStatus.PRESENT  # the platform reports hours, not punctuality
        if roll < 0.12:
            return AttendanceStatus.LATE
        if roll < 0.14 and session["requires_sign_out"]:
            return AttendanceStatus.LEFT_EARLY
        return AttendanceStatus.PRESENT

    def _attendance_row(self, enrollment: Row, session: Row, status: AttendanceStatus) -> float:
        """One trainee at one session, with the times the door recorded; returns the hours credited."""
        rng = self.rng
        begin = dt.datetime.combine(session["date"], session["start_time"])
        finish = dt.datetime.combine(session["date"], session["end_time"])
        online = session["format"] == SessionFormat.ONLINE
        there = status not in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED)
        checked_in = checked_out = None
        if there:
            minutes = rng.randint(*LATE_MINUTES) if status == AttendanceStatus.LATE else -rng.randint(0, 25)
            checked_in = begin + dt.timedelta(minutes=minutes)
            if status == AttendanceStatus.LEFT_EARLY:
                checked_out = finish - dt.timedelta(minutes=rng.randint(*EARLY_MINUTES))
            elif session["requires_sign_out"]:
                checked_out = finish + dt.timedelta(minutes=rng.randint(0, 15))
        if online:
            method = CaptureMethod.ONLINE_IMPORT
        else:
            methods = [CaptureMethod.BADGE, CaptureMethod.ID_NUMBER, CaptureMethod.NAME, CaptureMethod.PAPER]
            method = rng.choices(methods, [85, 8, 4, 3])[0]
        hours = _presence_hours(session, checked_in, checked_out) if there else 0.0
        self.sink.add(
            Attendance,
            id=natural_id("attendance", session["id"], enrollment["id"]),
            session_id=session["id"],
            enrollment_id=enrollment["id"],
            status=status.value,
            checked_in_at=checked_in,
            checked_out_at=checked_out,
            method=method.value,
            hours=hours,
            note=rng.choice(EXCUSES) if status == AttendanceStatus.EXCUSED else "",
        )
        return hours

    def _completion(
        self,
        enrollment: Row,
        outcome: str,
        final: EnrollmentStatus,
        credited: float,
        total: float,
        decided: dt.datetime,
    ) -> None:
        rate = round(100 * credited / total) if total else 0
        enough = credited >= PASS_RATE * total
        verdict = "达到" if enough else "未达到"
        attendance = f"出勤率 {rate}%（{credited:g}/{total:g} 学时），{verdict}不少于 80% 的要求"
        if final == EnrollmentStatus.COMPLETED:
            reasons = [attendance, "研修作业已提交，评定合格", "结业考核合格"]
        elif enough:
            reasons = [attendance, "研修作业未按期提交", "结业考核不合格"]
        else:
            reasons = [attendance, "研修作业已提交", "按规定不予结业"]
        self.sink.add(
            Completion,
            enrollment_id=enrollment["id"],
            outcome=(
                CompletionOutcome.COMPLETED
                if final == EnrollmentStatus.COMPLETED
                else CompletionOutcome.NOT_COMPLETED
            ).value,
            reasons=reasons,
            decided_at=decided,
            decided_by=CENTRE,
            override_reason=OVERRIDE_REASON if final == EnrollmentStatus.COMPLETED and not enough else "",
        )

    def _credit(self, project: Row, person: _Person, enrollment: Row, program: Program) -> None:
        rng, today = self.rng, self.today
        end = project["end_date"]
        age = (today - end).days
        reason = ""
        if end.year < today.year:
            status = CreditStatus.APPROVED
        elif age > 60:
            status = rng.choice([CreditStatus.APPROVED, CreditStatus.SUBMITTED])
        elif age > 14:
            status = CreditStatus.REJECTED if rng.random() < 0.02 else CreditStatus.SUBMITTED
            reason = REJECTED_REASON if status == CreditStatus.REJECTED else ""
        else:
            status = CreditStatus.DRAFT
        self.sink.add(
            CreditEntry,
            teacher_id=person.id,
            enrollment_id=enrollment["id"],
            year=end.year,
            level=program.level.value,
            hours=project["hours"],
            credits=project["credits"],
            description=project["name"],
            status=status.value,
            status_reason=reason,
        )

    def certificates(self) -> None:
        """Certificates for the most recently finished county projects, a few dozen at most."""
        rng = self.rng
        # Completed enrollments only exist in finished projects; the latest projects come first.
        latest = sorted(self.certifiable, key=lambda item: item[0]["end_date"], reverse=True)
        sequences: dict[int, int] = {}
        # Signed as the 证书 page signs them, so that a demo certificate previews, prints and verifies.
        private = signing_key(self.sink.session)
        for project, enrollment, person, decided_on in latest[:MAX_CERTIFICATES]:
            issued = min(decided_on + dt.timedelta(days=4), self.today - dt.timedelta(days=1))
            sequences[issued.year] = sequences.get(issued.year, 0) + 1
            serial = certificate_serial(COUNTY_CODE, issued.year, sequences[issued.year])
            claims = CertificateClaims(
                serial=serial,
                holder_name=person.name,
                masked_id_number=mask_id_number(person.id_number),
                project_code=project["code"],
                project_name=project["name"],
                hours=project["hours"],
                credits=project["credits"],
                issued_on=issued,
            )
            self.sink.add(
                Certificate,
                serial=serial,
                verification_code=sign_payload(claims, private),
                enrollment_id=enrollment["id"],
                teacher_id=person.id,
                project_id=project["id"],
                issued_on=issued,
                print_count=rng.choice([0, 1, 1, 1, 2]),
            )


def _training_key(template: _Template) -> tuple[str, ProjectType, str]:
    return (template.program.level.value, template.project_type, template.topic)


def _female_share(stage: str, head: bool) -> float:
    if stage == "10":
        return 0.95
    if head:
        return 0.3
    return {"21": 0.62, "31": 0.52, "34": 0.45}.get(stage, 0.5)


def _project_name(program: Program, year: int, title: str) -> str:
    if program.is_guopei:
        return f"“国培计划（{year}）”——{title}"
    prefix = {Program.PROVINCIAL: "贵州省", Program.CITY: "黔南州", Program.COUNTY: COUNTY_NAME}
    return f"{year}年{prefix.get(program, '')}{title}"


def _presence_hours(session: Row, checked_in: dt.datetime | None, checked_out: dt.datetime | None) -> float:
    """The presence rule the check-in page applies: the minutes missed past the grace period cost."""
    return presence(
        starts=dt.datetime.combine(session["date"], session["start_time"]),
        ends=dt.datetime.combine(session["date"], session["end_time"]),
        hours=session["hours"],
        checked_in_at=checked_in,
        checked_out_at=checked_out,
        grace_minutes=DEFAULT_GRACE_MINUTES,
    ).hours


def _session_hours(session: Row, status: AttendanceStatus) -> float:
    """The fewest hours a status can earn here (the latest arrival, the earliest departure the demo
    makes), so a trainee the demo lets complete has the hours whatever times the door records."""
    begin = dt.datetime.combine(session["date"], session["start_time"])
    finish = dt.datetime.combine(session["date"], session["end_time"])
    if status == AttendanceStatus.LATE:
        return _presence_hours(session, begin + dt.timedelta(minutes=LATE_MINUTES[1]), None)
    if status == AttendanceStatus.LEFT_EARLY:
        return _presence_hours(session, begin, finish - dt.timedelta(minutes=EARLY_MINUTES[1]))
    return session["hours"] if status == AttendanceStatus.PRESENT else 0.0


# Minutes late (always past the grace period: within it a trainee is present) and left early.
LATE_MINUTES = (DEFAULT_GRACE_MINUTES + 1, 40)
EARLY_MINUTES = (40, 80)


def _credited(sessions: Sequence[Row], statuses: Sequence[AttendanceStatus]) -> float:
    return sum(_session_hours(s, status) for s, status in zip(sessions, statuses, strict=True))


# One account per role, so that a newcomer can try each; only a demo county's login page lists them.
DEMO_PASSWORD = "demo1234"
DEMO_ACCOUNTS = (
    ("演示管理员", Role.ADMIN),
    ("演示培训管理员", Role.STAFF),
    ("演示签到员", Role.CHECK_IN),
    ("演示查询", Role.READER),
)


def add_demo_accounts(session: Session) -> None:
    now = dt.datetime.now()
    session.add_all(
        OperatorAccount(
            name=name,
            role=role.value,
            password_hash=hash_password(DEMO_PASSWORD),
            failed_logins=0,
            created_at=now + dt.timedelta(microseconds=index),  # listed in this order
        )
        for index, (name, role) in enumerate(DEMO_ACCOUNTS)
    )


def demo_logins(session: Session) -> list[tuple[str, Role]]:
    """The accounts a login page may list: a demo county's demo accounts; a real county lists none."""
    if not is_demo_county(session):
        return []
    present = set(session.scalars(select(OperatorAccount.name)))
    return [(name, role) for name, role in DEMO_ACCOUNTS if name in present]


def log_in_demo_admin(db: Database) -> None:
    """Log in a demo county's administrator (for screenshots); nothing for any other county."""
    with db.read() as session:
        if not any(role == Role.ADMIN for _name, role in demo_logins(session)):
            return
    login(db, DEMO_ACCOUNTS[0][0], DEMO_PASSWORD)


def is_demo_county(session: Session) -> bool:
    return session.get(Setting, DEMO_MARK) is not None


def build_demo_county(
    data_dir: Path,
    *,
    teachers: int = 3000,
    seed: int = 20201,
    progress: Progress | None = None,
    today: dt.date | None = None,
    accounts: bool = False,
) -> DemoSummary:
    """Create the demo county's database in `data_dir` (which must not hold one yet) and fill it.

    The same `seed`, `teachers` and `today` give the same county; pass `today` for stable tests.
    `accounts`: one demo account per role (DEMO_ACCOUNTS), as `guopei-desk demo` makes it; without them
    the county opens without a login, as a county that has created no account does."""
    if teachers < MIN_TEACHERS:
        raise ValueError(f"演示县至少需要 {MIN_TEACHERS} 名教师")
    report = _Report(progress)
    today = today or dt.date.today()
    report(0, "正在建立数据库…")
    db = create_database(data_dir, county_code=COUNTY_CODE, county_name=COUNTY_NAME)
    try:
        with db.write() as session:
            session.add(Setting(key=DEMO_MARK, value=True))  # in the data's transaction: never one without
            sink = _Sink(session)
            county = _DemoCounty(random.Random(seed), today, sink, report)
            schools = county.schools(_school_count(teachers))
            county.teachers(schools, teachers)
            county.reserve_pool()
            report(56, "正在生成培训项目…")
            county.projects(teachers)
            county.certificates()
            report(96, "正在写入数据库…")
            sink.flush()
            if accounts:
                add_demo_accounts(session)
    finally:
        db.dispose()
    report(100, "演示县已建立")
    counts = sink.counts
    return DemoSummary(
        schools=counts[School],
        teachers=counts[Teacher],
        reserve_pool=counts[ReservePoolEntry],
        projects=counts[Project],
        classes=counts[TrainingClass],
        sessions=counts[TrainingSession],
        enrollments=counts[Enrollment],
        enrollment_events=counts[EnrollmentEvent],
        attendance=counts[Attendance],
        completions=counts[Completion],
        credit_entries=counts[CreditEntry],
        integrity_records=counts[IntegrityRecord],
        certificates=counts[Certificate],
    )
