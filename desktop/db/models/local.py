"""Tables that stay on this PC: the device's identity, settings, and the outbox of unsent changes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop.db.base import Base


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
    """An action on personal data that must be accountable, such as exporting full ID numbers."""

    __tablename__ = "audit_log"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(50), default="")
    action: Mapped[str] = mapped_column(String(50))
    detail: Mapped[dict] = mapped_column(JSON, default=dict)
