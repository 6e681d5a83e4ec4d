"""The closed vocabularies of the glossary: codes stored in the database, Chinese labels shown to people.

Codes are stable English identifiers (they travel on the sync wire); labels are the Chinese source
strings that the UI passes through Qt's translation mechanism.
"""

from __future__ import annotations

from enum import StrEnum


class Labelled(StrEnum):
    """A StrEnum whose members carry a Chinese label: `Member = ("code", "标签")`."""

    label: str

    def __new__(cls, code: str, label: str) -> Labelled:
        member = str.__new__(cls, code)
        member._value_ = code
        member.label = label
        return member

    @classmethod
    def from_label(cls, label: str) -> Labelled | None:
        for member in cls:
            if member.label == label:
                return member
        return None


class TrainingLevel(Labelled):
    """培训类别 (resources/codes/training_level.csv); the level credits are counted under."""

    NATIONAL = ("national", "国家级")
    PROVINCIAL = ("provincial", "省级")
    CITY = ("city", "地市级")
    COUNTY = ("county", "县级")
    SCHOOL = ("school", "校级")


class Program(Labelled):
    """计划层级: the five-level system of the notice (五.)."""

    GUOPEI_DEMONSTRATION = ("guopei_demo", "国培-示范项目")
    GUOPEI_MIDWEST = ("guopei_midwest", "国培-中西部项目")
    GUOPEI_KINDERGARTEN = ("guopei_kindergarten", "国培-幼师国培项目")
    PROVINCIAL = ("provincial", "省培")
    CITY = ("city", "市培")
    COUNTY = ("county", "县培")
    SCHOOL = ("school", "校本研修")

    @property
    def is_guopei(self) -> bool:
        return self.value.startswith("guopei_")

    @property
    def level(self) -> TrainingLevel:
        return _PROGRAM_LEVEL[self]


_PROGRAM_LEVEL = {
    Program.GUOPEI_DEMONSTRATION: TrainingLevel.NATIONAL,
    Program.GUOPEI_MIDWEST: TrainingLevel.NATIONAL,
    Program.GUOPEI_KINDERGARTEN: TrainingLevel.NATIONAL,
    Program.PROVINCIAL: TrainingLevel.PROVINCIAL,
    Program.CITY: TrainingLevel.CITY,
    Program.COUNTY: TrainingLevel.COUNTY,
    Program.SCHOOL: TrainingLevel.SCHOOL,
}


class ProjectType(Labelled):
    """培训类型 (四.)."""

    NEW_TEACHER = ("new_teacher", "新教师入职培训")
    YOUNG_TEACHER = ("young_teacher", "青年教师助力培训")
    BACKBONE = ("backbone", "骨干教师提升培训")
    TRAINER_TEAM = ("trainer_team", "培训者团队研修")
    PRINCIPAL_APPOINTMENT = ("principal_appointment", "校园长任职培训")
    PRINCIPAL_IMPROVEMENT = ("principal_improvement", "校园长提高培训")
    PRINCIPAL_ADVANCED = ("principal_advanced", "校园长高级研修")
    THEMATIC = ("thematic", "专题培训")
    NATIONAL_LANGUAGE = ("national_language", "国家通用语言文字培训")
    IT_ABILITY = ("it_ability", "信息技术应用能力提升培训")


class DeliveryMode(Labelled):
    """培训方式 of a project (resources/codes/training_mode.csv)."""

    ONLINE = ("online", "线上")
    OFFLINE = ("offline", "线下")
    BLENDED = ("blended", "混合")


class ProjectStatus(Labelled):
    DRAFT = ("draft", "草稿")
    PUBLISHED = ("published", "已发布")
    OPEN = ("open", "报名中")
    RUNNING = ("running", "进行中")
    FINISHED = ("finished", "已结束")


class SessionFormat(Labelled):
    """How one session (课次) is held."""

    FACE_TO_FACE = ("face_to_face", "面授")
    ONLINE = ("online", "线上")


class EnrollmentStatus(Labelled):
    APPLIED = ("applied", "已报名")
    ADMITTED = ("admitted", "已录取")
    APPROVED = ("approved", "已审核")
    PUBLICISED = ("publicised", "已公示")
    ATTENDING = ("attending", "参训中")
    COMPLETED = ("completed", "已结业")
    NOT_COMPLETED = ("not_completed", "未结业")
    DISMISSED = ("dismissed", "劝退")
    NO_SHOW = ("no_show", "未报到")
    WITHDRAWN = ("withdrawn", "特殊原因退训")


class AttendanceStatus(Labelled):
    PRESENT = ("present", "出勤")
    LATE = ("late", "迟到")
    LEFT_EARLY = ("left_early", "早退")
    EXCUSED = ("excused", "请假")
    ABSENT = ("absent", "缺勤")


class CaptureMethod(Labelled):
    """How an attendance fact was captured."""

    BADGE = ("badge", "扫码")
    ID_NUMBER = ("id_number", "身份证号")
    NAME = ("name", "姓名检索")
    PAPER = ("paper", "纸质签到表")
    ONLINE_IMPORT = ("online_import", "线上学时导入")
    MANUAL = ("manual", "手工登记")


class TeacherRole(Labelled):
    TEACHER = ("teacher", "教师")
    PRINCIPAL = ("principal", "校长")
    KINDERGARTEN_DIRECTOR = ("kindergarten_director", "园长")
    VICE_PRINCIPAL = ("vice_principal", "副校长")
    VICE_KINDERGARTEN_DIRECTOR = ("vice_kindergarten_director", "副园长")


class BackboneLevel(Labelled):
    """骨干教师级别."""

    NONE = ("none", "无")
    SCHOOL = ("school", "校级骨干")
    COUNTY = ("county", "县级骨干")
    CITY = ("city", "市级骨干")
    PROVINCIAL = ("provincial", "省级骨干")
    NATIONAL = ("national", "国家级骨干")


class EmploymentStatus(Labelled):
    ACTIVE = ("active", "在职")
    RETIRED = ("retired", "退休")
    TRANSFERRED = ("transferred", "调出")


class CreditStatus(Labelled):
    DRAFT = ("draft", "草稿")
    SUBMITTED = ("submitted", "已提交")
    APPROVED = ("approved", "已审核通过")
    REJECTED = ("rejected", "已退回")


class IntegrityKind(Labelled):
    """诚信档案 entries that bar a teacher from 国培 for three years (六.)."""

    NO_SHOW = ("no_show", "无特殊原因未报到")
    DISMISSED = ("dismissed", "劝退")
    NOT_COMPLETED = ("not_completed", "未结业")


class CompletionOutcome(Labelled):
    COMPLETED = ("completed", "结业")
    NOT_COMPLETED = ("not_completed", "未结业")


# What people call each synced entity (the 同步 page, the progress of a first download).
ENTITY_LABELS = {
    "school": "学校",
    "teacher": "教师",
    "reserve_pool_entry": "储备库",
    "project": "培训项目",
    "training_class": "班级",
    "session": "课次",
    "enrollment": "报名",
    "enrollment_event": "报名记录",
    "attendance": "考勤",
    "completion": "结业",
    "credit_entry": "学分",
    "integrity_record": "诚信档案",
    "certificate": "证书",
}
