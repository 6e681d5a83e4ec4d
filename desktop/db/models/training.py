"""Projects, classes, sessions, enrollments and attendance."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desktop.db.base import Base, Synced


class Project(Synced, Base):
    """培训项目. Projects published by the province (`owner == "province"`) are read-only locally."""

    __tablename__ = "projects"
    __sync_entity__ = "project"

    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    program: Mapped[str] = mapped_column(String(30))  # vocab.Program
    project_type: Mapped[str] = mapped_column(String(30))  # vocab.ProjectType
    # 主题 (心理健康教育, 新课标教学 …): with the level and type it says which trainings are "the same".
    topic: Mapped[str] = mapped_column(String(50), default="")
    mode: Mapped[str] = mapped_column(String(10))  # vocab.DeliveryMode
    hours: Mapped[float] = mapped_column(Float)  # 学时
    credits: Mapped[float] = mapped_column(Float)  # 学分
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    quota: Mapped[int] = mapped_column(Integer)
    institution: Mapped[str] = mapped_column(String(100), default="")  # 承担机构
    chief_expert: Mapped[str] = mapped_column(String(50), default="")  # 首席专家
    status: Mapped[str] = mapped_column(String(20), default="draft")  # vocab.ProjectStatus
    owner: Mapped[str] = mapped_column(String(10), default="county")  # "province" or "county"
    county_code: Mapped[str] = mapped_column(String(6))
    # Target conditions (学段, 学科, role, years of service, age range, rural, poverty, reserve pool),
    # read by the eligibility engine.
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    # 公示期 of the selected list (双向选择's last step before training).
    publicity_start: Mapped[dt.date | None] = mapped_column(Date)
    publicity_end: Mapped[dt.date | None] = mapped_column(Date)
    # How completion is decided (domain.completion.CompletionRule.to_dict); empty means the default.
    completion_rule: Mapped[dict] = mapped_column(JSON, default=dict)

    classes: Mapped[list[TrainingClass]] = relationship(back_populates="project")


class TrainingClass(Synced, Base):
    """班级: a cohort of a project."""

    __tablename__ = "training_classes"
    __sync_entity__ = "training_class"

    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    class_teacher: Mapped[str] = mapped_column(String(50), default="")  # 班主任
    venue: Mapped[str] = mapped_column(String(100), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=50)

    project: Mapped[Project] = relationship(back_populates="classes")
    sessions: Mapped[list[TrainingSession]] = relationship(back_populates="training_class")


class TrainingSession(Synced, Base):
    """课次 (glossary `Session`; renamed so it never shadows SQLAlchemy's Session)."""

    __tablename__ = "training_sessions"
    __sync_entity__ = "session"

    class_id: Mapped[str] = mapped_column(ForeignKey("training_classes.id"), index=True)
    title: Mapped[str] = mapped_column(String(200), default="")
    date: Mapped[dt.date] = mapped_column(Date, index=True)
    start_time: Mapped[dt.time] = mapped_column(Time)
    end_time: Mapped[dt.time] = mapped_column(Time)
    hours: Mapped[float] = mapped_column(Float)
    format: Mapped[str] = mapped_column(String(20), default="face_to_face")  # vocab.SessionFormat
    requires_sign_out: Mapped[bool] = mapped_column(Boolean, default=False)

    training_class: Mapped[TrainingClass] = relationship(back_populates="sessions")


class Enrollment(Synced, Base):
    """学员/报名: a teacher in a project (and, once placed, a class)."""

    __tablename__ = "enrollments"
    __sync_entity__ = "enrollment"
    __table_args__ = (UniqueConstraint("teacher_id", "project_id"),)

    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"), index=True)
    class_id: Mapped[str | None] = mapped_column(ForeignKey("training_classes.id"), index=True)
    sending_school_id: Mapped[str] = mapped_column(ForeignKey("schools.id"))  # 选派单位
    status: Mapped[str] = mapped_column(String(20), default="applied")  # vocab.EnrollmentStatus
    status_reason: Mapped[str] = mapped_column(Text, default="")
    # An administrator's written reason for enrolling despite an eligibility refusal.
    override_reason: Mapped[str] = mapped_column(Text, default="")
    emergency_contact: Mapped[str] = mapped_column(String(50), default="")
    emergency_phone: Mapped[str] = mapped_column(String(20), default="")
    insured: Mapped[bool] = mapped_column(Boolean, default=False)  # 意外伤害保险
    assessment_passed: Mapped[bool | None] = mapped_column(Boolean)  # 考核; None: no result yet
    outcome_submitted: Mapped[bool] = mapped_column(Boolean, default=False)  # 研修成果已提交

    events: Mapped[list[EnrollmentEvent]] = relationship(
        back_populates="enrollment", order_by="EnrollmentEvent.at"
    )


class EnrollmentEvent(Synced, Base):
    """One step of an enrollment's status history: who moved it, when, and why."""

    __tablename__ = "enrollment_events"
    __sync_entity__ = "enrollment_event"

    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id"), index=True)
    from_status: Mapped[str] = mapped_column(String(20), default="")
    to_status: Mapped[str] = mapped_column(String(20))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(50), default="")
    reason: Mapped[str] = mapped_column(Text, default="")

    enrollment: Mapped[Enrollment] = relationship(back_populates="events")


class Attendance(Synced, Base):
    """考勤: one trainee at one session. Its id is derived from (session, enrollment) so that the
    same check-in taken on two laptops merges into one row."""

    __tablename__ = "attendance"
    __sync_entity__ = "attendance"
    __table_args__ = (UniqueConstraint("session_id", "enrollment_id"),)

    session_id: Mapped[str] = mapped_column(ForeignKey("training_sessions.id"), index=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id"), index=True)
    status: Mapped[str] = mapped_column(String(20))  # vocab.AttendanceStatus
    checked_in_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    checked_out_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    method: Mapped[str] = mapped_column(String(20), default="manual")  # vocab.CaptureMethod
    hours: Mapped[float] = mapped_column(Float, default=0.0)  # hours credited for this session
    note: Mapped[str] = mapped_column(Text, default="")
