"""Tables that stay on this PC: the device's identity, settings, and the outbox of unsent changes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop.db.base import Base
from desktop.domain.ids import new_id


class Device(Base):
    """This installation. Exactly one row; `last_hlc` lets the clock resume above its past stamps."""

    __tablename__ = "device"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6))
    county_name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    last_hlc: Mapped[str] = mapped_column(String(64), default="")


class Setting(Base):
    """A county-wide setting (user interface state lives in QSettings, not here)."""

    __tablename__ = "settings"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[object] = mapped_column(JSON)


class OutboxEntry(Base):
    """A local change not yet acknowledged by the provincial server.

    Written by `desktop.db.outbox` in the same transaction as the change; `seq` keeps the order in
    which changes were made on this device."""

    __tablename__ = "outbox"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    op_id: Mapped[str] = mapped_column(String(36), unique=True)
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36), index=True)
    hlc: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # JSON of the row as written
    # JSON {column: value before} of the columns this change set (None: a new row, every column). Lets
    # the province merge two devices' edits of one teacher field by field, and tell a plain edit from
    # two PCs editing the same field at once.
    changed: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditEntry(Base):
    """Who did what to whose record: an access to personal data (a full ID number seen or exported, a
    backup) or a change a person must answer for (a dismissal, a correction). Never changed once
    written; each entry also goes to the province through the outbox (`id` is its id on the wire),
    where it is kept append-only (desktop.services.audit)."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, default=new_id)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    actor: Mapped[str] = mapped_column(String(50), default="")  # the operator's name
    role: Mapped[str] = mapped_column(String(20), default="")  # domain.roles.Role, "" before accounts
    device_id: Mapped[str] = mapped_column(String(36), default="")
    action: Mapped[str] = mapped_column(String(50), index=True)  # domain.audit.AuditAction
    teacher_id: Mapped[str | None] = mapped_column(String(36), index=True)
    entity: Mapped[str] = mapped_column(String(40), default="")  # the changed row's, if one
    row_id: Mapped[str] = mapped_column(String(36), default="")
    detail: Mapped[dict] = mapped_column(JSON, default=dict)


class OperatorAccount(Base):
    """A person who may use this PC (操作员), with a role. Kept on this PC only: the province learns
    operators' names from the audit entries and the changes they made, never their passwords."""

    __tablename__ = "operators"

    name: Mapped[str] = mapped_column(String(50), primary_key=True)
    role: Mapped[str] = mapped_column(String(20))  # domain.roles.Role
    # scrypt: "scrypt$n$r$p$salt-hex$hash-hex" (desktop.services.accounts)
    password_hash: Mapped[str] = mapped_column(String(300))
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
