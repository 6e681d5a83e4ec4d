"""The server's tables and engine (SQLAlchemy 2 on SQLite; a file path chosen at start)."""

from __future__ import annotations

import datetime as dt
import hashlib
import sqlite3
from pathlib import Path

from sqlalchemy import (
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    create_engine,
    event,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class County(Base):
    __tablename__ = "counties"

    code: Mapped[str] = mapped_column(String(6), primary_key=True)  # GB/T 2260 county code
    name: Mapped[str] = mapped_column(String(50))


class Device(Base):
    """A registered county PC. Only the token's hash is stored, so a copied database grants nothing."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the desktop's own device id
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class RegistrationCode(Base):
    """A one-time code, bound to one county, that a county PC exchanges for its device token."""

    __tablename__ = "registration_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"))
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime)
    used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    used_by: Mapped[str | None] = mapped_column(String(36))


class SyncedRow(Base):
    """The latest version of one synced row, as last-writer-wins by HLC decided."""

    __tablename__ = "rows"
    __table_args__ = (Index("ix_rows_county_seq", "county_code", "seq"),)

    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    county_code: Mapped[str] = mapped_column(String(6))
    hlc: Mapped[str] = mapped_column(String(64))
    origin: Mapped[str] = mapped_column(String(36))
    payload: Mapped[str] = mapped_column(Text)  # JSON
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    seq: Mapped[int] = mapped_column(Integer, unique=True)


class AppliedOp(Base):
    """Every op ever received, with the result sent back: a re-sent op gets the same answer."""

    __tablename__ = "applied_ops"

    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    batch_id: Mapped[str] = mapped_column(String(36))
    payload_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)  # JSON of the OpResult
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ChangeCounter(Base):
    """One row: the last change sequence number issued.

    Incremented inside the writing transaction, so sequence numbers become visible in the order they
    were issued. An autoincrement id could commit out of order under concurrent writers, and a puller
    whose cursor passed a gap would never see the row that later filled it."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(Integer)


def secret_hash(secret: str) -> str:
    # Tokens and codes are long random strings, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def create_server_engine(path: Path) -> Engine:
    """An engine on `path` (created with its tables if new): WAL, and BEGIN IMMEDIATE for writers, so
    that the change counter is read and bumped under the database's write lock."""
    engine = create_engine(f"sqlite:///{path}", connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL is durable against crashes of us
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        mode = "DEFERRED" if connection.get_execution_options().get("readonly") else "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")

    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        if connection.scalar(ChangeCounter.__table__.select().with_only_columns(ChangeCounter.id)) is None:
            connection.execute(ChangeCounter.__table__.insert().values(id=1, value=0))
    return engine
