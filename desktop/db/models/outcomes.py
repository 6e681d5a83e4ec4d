"""What a training leaves behind: completion, credits, integrity records and certificates."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Boolean, Date, DateTime, Float, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop.db.base import Base, Synced


class Completion(Synced, Base):
    """结业: the decision on one enrollment, with the reasons that produced it."""

    __tablename__ = "completions"
    __sync_entity__ = "completion"

    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id"), unique=True)
    outcome: Mapped[str] = mapped_column(String(20))  # vocab.CompletionOutcome
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    decided_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_by: Mapped[str] = mapped_column(String(50), default="")
    override_reason: Mapped[str] = mapped_column(Text, default="")


class CreditEntry(Synced, Base):
    """学分登记: hours and credits granted to a teacher for a year and level."""

    __tablename__ = "credit_entries"
    __sync_entity__ = "credit_entry"

    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id"), index=True)
    enrollment_id: Mapped[str | None] = mapped_column(ForeignKey("enrollments.id"), index=True)
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # vocab.TrainingLevel
    hours: Mapped[float] = mapped_column(Float)
    credits: Mapped[float] = mapped_column(Float)
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="draft")  # vocab.CreditStatus
    status_reason: Mapped[str] = mapped_column(Text, default="")


class IntegrityRecord(Synced, Base):
    """诚信档案: bars the teacher from 国培 until `ban_until` (three years from the project's end)."""

    __tablename__ = "integrity_records"
    __sync_entity__ = "integrity_record"

    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id"), index=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id"))
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    kind: Mapped[str] = mapped_column(String(20))  # vocab.IntegrityKind
    project_end: Mapped[dt.date] = mapped_column(Date)
    ban_until: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")


class Certificate(Synced, Base):
    """结业证书, identified across the province by its serial (county code + year + sequence)."""

    __tablename__ = "certificates"
    __sync_entity__ = "certificate"

    serial: Mapped[str] = mapped_column(String(30), unique=True)
    enrollment_id: Mapped[str] = mapped_column(ForeignKey("enrollments.id"), index=True)
    teacher_id: Mapped[str] = mapped_column(ForeignKey("teachers.id"), index=True)
    project_id: Mapped[str] = mapped_column(ForeignKey("projects.id"))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    verification_code: Mapped[str] = mapped_column(Text, default="")
    print_count: Mapped[int] = mapped_column(Integer, default=0)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)
    revoked_reason: Mapped[str] = mapped_column(Text, default="")
