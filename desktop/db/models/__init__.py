"""All tables of the local database, importable from one place."""

from desktop.db.models.local import AuditEntry, Device, OperatorAccount, OutboxEntry, Setting
from desktop.db.models.outcomes import Certificate, Completion, CreditEntry, IntegrityRecord
from desktop.db.models.roster import ReservePoolEntry, School, Teacher
from desktop.db.models.training import (
    Attendance,
    Enrollment,
    EnrollmentEvent,
    Project,
    TrainingClass,
    TrainingSession,
)

__all__ = [
    "Attendance",
    "AuditEntry",
    "Certificate",
    "Completion",
    "CreditEntry",
    "Device",
    "Enrollment",
    "EnrollmentEvent",
    "IntegrityRecord",
    "OperatorAccount",
    "OutboxEntry",
    "Project",
    "ReservePoolEntry",
    "School",
    "Setting",
    "Teacher",
    "TrainingClass",
    "TrainingSession",
]
