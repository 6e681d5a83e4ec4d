"""The server's tables and engine: SQLAlchemy 2 on a SQLite file (the default: nothing else to install)
or on PostgreSQL (production; several server processes may share one database).

Nothing that matters lives in a process: sequence numbers, op results, registration attempts are all
rows, so any process can answer any request."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import sqlite3
from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Engine,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    String,
    Text,
    create_engine,
    event,
    false,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column


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
    # When a request last authenticated with this token; written at most once a minute (see
    # SyncService.authenticate), so that listing devices does not cost a write per request.
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # The device's Ed25519 certificate-signing public key (hex), sent at registration; the province
    # hands every county's keys to every device, so certificates verify offline across counties.
    public_key: Mapped[str | None] = mapped_column(String(64))
    # The device's number within its county (D01, D02 … in the serials it issues; server.device_numbers):
    # given once at registration, never reused. Null for a device registered before numbers existed
    # until it first asks for it.
    number: Mapped[int | None] = mapped_column(Integer)
    # The province's change sequence this device's county feed had reached in the last exchange file
    # it brought (`guopei-server import-bundle`): where `export-bundle --for-device` starts.
    exchange_cursor: Mapped[int | None] = mapped_column(BigInteger)

    __table_args__ = (Index("ux_devices_county_number", "county_code", "number", unique=True),)


class ExchangeKey(Base):
    """The province's own Ed25519 key, which signs the exchange files it writes for counties
    (`guopei-server export-bundle`); made on first use, one row."""

    __tablename__ = "exchange_keys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    private_key: Mapped[str] = mapped_column(String(64))  # hex of the raw 32 bytes
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class PublicKey(Base):
    """A certificate-signing public key registered by hand (`guopei-server register-key`): for devices
    registered before keys travelled at registration, and for the keys of PCs since replaced, whose
    certificates are still in people's hands."""

    __tablename__ = "public_keys"

    key_id: Mapped[str] = mapped_column(String(20), primary_key=True)  # certificate_signing.key_id
    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), index=True)
    public_key: Mapped[str] = mapped_column(String(64))  # hex of the raw 32 bytes
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime)


class CountyPolicy(Base):
    """The province's policy switches for one county, served by `GET /v1/policy`. Kept apart from the
    synced rows: policy is the province's, and the county's change feed carries only county data.
    A null column means "the province has not said": the county keeps its own setting."""

    __tablename__ = "county_policies"

    county_code: Mapped[str] = mapped_column(ForeignKey("counties.code"), primary_key=True)
    offline_training_suspended: Mapped[bool | None] = mapped_column(Boolean)
    guopei_limit: Mapped[int | None] = mapped_column(Integer)
    cycle_years: Mapped[int | None] = mapped_column(Integer)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Served by `GET /v1/policy/rules` (JSON text): limits of other levels, credit rule versions,
    # the training cycle.
    level_limits: Mapped[str | None] = mapped_column(Text)
    credit_rules: Mapped[str | None] = mapped_column(Text)
    training_cycle: Mapped[str | None] = mapped_column(Text)


class AppRelease(Base):
    """A desktop version the province published (`guopei-server app-version`); the latest one is
    served by `GET /v1/app-version`, and county PCs with an older one say that it exists. Installing
    stays manual: the installer reaches a county on a USB stick."""

    __tablename__ = "app_releases"

    version: Mapped[str] = mapped_column(String(30), primary_key=True)
    notes: Mapped[str] = mapped_column(Text)
    published_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)


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
    seq: Mapped[int] = mapped_column(BigInteger, unique=True)
    # The row's natural key where its entity has one (a teacher's ID number, a project's code): a row
    # created on another device under another id but with the same key is merged into this one.
    natural_key: Mapped[str | None] = mapped_column(String(100), index=True)
    # Teachers merge field by field: the HLC of each field's current value (JSON {field: hlc}).
    field_hlcs: Mapped[str | None] = mapped_column(Text)


class RowAlias(Base):
    """A county's id for a row the server keeps under another id. Ops on the alias are applied to the
    canonical row; references to it in other payloads are rewritten.

    Two kinds. A row the server already had under another id (same natural key): the device is told
    the canonical id and re-keys its row. A private one: the county's id was already another county's
    row id, so its row is kept under an id of the server's making, and the county is never told: its
    feed shows the row under the county's own id (server.scope.county_names). Aliases are per county,
    so one county's ids never collide with, or say anything about, another's."""

    __tablename__ = "row_aliases"
    __table_args__ = (PrimaryKeyConstraint("county_code", "entity", "alias_id", name="pk_row_aliases"),)

    entity: Mapped[str] = mapped_column(String(40))
    alias_id: Mapped[str] = mapped_column(String(36))
    canonical_id: Mapped[str] = mapped_column(String(36))
    county_code: Mapped[str] = mapped_column(String(6))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    private: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ConflictEntry(Base):
    """A value that lost a merge, kept for a person to review (冲突记录): which field of which row,
    what was kept and what was set aside, from which device and when."""

    __tablename__ = "conflict_log"
    __table_args__ = (Index("ix_conflict_log_county", "county_code", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    county_code: Mapped[str] = mapped_column(String(6))
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36))
    field: Mapped[str] = mapped_column(String(60))  # "*" when a whole row lost
    kept_value: Mapped[str] = mapped_column(Text)  # JSON
    lost_value: Mapped[str] = mapped_column(Text)  # JSON
    kept_hlc: Mapped[str] = mapped_column(String(64))
    lost_hlc: Mapped[str] = mapped_column(String(64))
    lost_origin: Mapped[str] = mapped_column(String(36))
    rule: Mapped[str] = mapped_column(String(200))  # why the kept value won, in Chinese
    recorded_at: Mapped[dt.datetime] = mapped_column(DateTime)
    reviewed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class AppliedOp(Base):
    """Every op ever received, with the result sent back: a re-sent op gets the same answer."""

    __tablename__ = "applied_ops"

    op_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    device_id: Mapped[str] = mapped_column(String(36))
    batch_id: Mapped[str] = mapped_column(String(36))
    payload_hash: Mapped[str] = mapped_column(String(64))
    result: Mapped[str] = mapped_column(Text)  # JSON of the OpResult
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)


class RegistrationFailure(Base):
    """One attempt counted for a rate limit (server.ratelimit): a failed registration (wrong, used or
    expired code), under the client's address and under the province-wide key, or a public
    certificate check, under the address (scope "check"). Kept as rows, not in a process, because
    several server processes share the database and each must see every other's attempts."""

    __tablename__ = "registration_failures"
    __table_args__ = (Index("ix_registration_failures_key", "scope", "key", "failed_at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope: Mapped[str] = mapped_column(String(10))  # "address", "all" or "check"
    key: Mapped[str] = mapped_column(String(64))  # the address, or "*" for "all"
    failed_at: Mapped[dt.datetime] = mapped_column(DateTime)


class FeedHorizon(Base):
    """Per county, the highest change sequence number whose row `purge-tombstones` deleted: a pull
    from a cursor below it would silently miss a deletion, so it is refused (410, cursor_expired)."""

    __tablename__ = "feed_horizons"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)
    horizon: Mapped[int] = mapped_column(BigInteger)
    purged_at: Mapped[dt.datetime] = mapped_column(DateTime)


class TransferRequest(Base):
    """调动申请: a county recorded a teacher (ID number) whom another county holds. The requesting
    county's row is kept here, not in its feed, until the province decides (`guopei-server transfers`);
    neither county learns the other's data from it."""

    __tablename__ = "transfer_requests"
    __table_args__ = (
        Index("ix_transfer_requests_status", "status", "to_county"),
        Index("ix_transfer_requests_from_row", "from_row_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id_number: Mapped[str] = mapped_column(String(18))  # the teacher's; shown only to the province
    from_county: Mapped[str] = mapped_column(String(6))  # holds the teacher now
    to_county: Mapped[str] = mapped_column(String(6))  # asks for them
    from_row_id: Mapped[str] = mapped_column(String(36))  # the holding county's teacher row
    requested_row_id: Mapped[str] = mapped_column(String(36))  # the asking county's id for the teacher
    payload: Mapped[str] = mapped_column(Text)  # the asking county's latest version (JSON)
    requested_by: Mapped[str] = mapped_column(String(36))  # the device that pushed it
    status: Mapped[str] = mapped_column(String(10))  # pending, approved, rejected
    reason: Mapped[str] = mapped_column(Text, default="")  # the province's, when rejected
    # Once approved (JSON {id: id}): the leaving county's ids that the joining county's feed names by
    # its own (the teacher; a province project both counties hold, each under its own id).
    rewrites: Mapped[str] = mapped_column(Text, default="{}")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    decided_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class RowGrant(Base):
    """A row of one county that another county may read (never write): after an approved transfer,
    the teacher's past trainings in the county they left (enrollments, credits, certificates, integrity
    records, and the projects, classes and schools these name) are in the new county's feed."""

    __tablename__ = "row_grants"

    county_code: Mapped[str] = mapped_column(String(6), primary_key=True)  # who may read
    entity: Mapped[str] = mapped_column(String(40), primary_key=True)
    row_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    transfer_id: Mapped[int] = mapped_column(Integer)
    granted_at: Mapped[dt.datetime] = mapped_column(DateTime)


class AuditRecord(Base):
    """One entry of a county's audit log (guopei_common.audit), as pushed: who (operator, role, device)
    did what to whose record, and when. Append-only: server.audit stores an entry once and refuses any
    other version of it, so a county cannot rewrite or remove what it reported."""

    __tablename__ = "audit_records"
    __table_args__ = (
        Index("ix_audit_records_county_at", "county_code", "at"),
        Index("ix_audit_records_teacher", "county_code", "teacher_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)  # the county's id for the entry
    county_code: Mapped[str] = mapped_column(String(6))
    pushed_by: Mapped[str] = mapped_column(String(36))  # the device that pushed it
    device_id: Mapped[str] = mapped_column(String(36))  # the device it was written on
    hlc: Mapped[str] = mapped_column(String(64))
    payload_hash: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    actor: Mapped[str] = mapped_column(String(50))
    role: Mapped[str] = mapped_column(String(20))
    action: Mapped[str] = mapped_column(String(50))
    teacher_id: Mapped[str | None] = mapped_column(String(36))
    entity: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[str] = mapped_column(String(36))
    detail: Mapped[str] = mapped_column(Text)  # JSON
    received_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ChangeCounter(Base):
    """One row: the last change sequence number issued.

    Incremented inside the writing transaction, so sequence numbers become visible in the order they
    were issued. An autoincrement id could commit out of order under concurrent writers, and a puller
    whose cursor passed a gap would never see the row that later filled it."""

    __tablename__ = "change_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


def lock_change_counter(session: Session) -> ChangeCounter:
    """The counter row, locked until the session commits: every writer of the change feed takes it
    first, so writers that assign sequence numbers run one after another and commit in that order.
    (PostgreSQL: SELECT … FOR UPDATE. SQLite: the write transaction began IMMEDIATE and already holds
    the database's only write lock; FOR UPDATE is not rendered there.)"""
    return session.get_one(ChangeCounter, 1, with_for_update=True)


def secret_hash(secret: str) -> str:
    # Tokens and codes are long random strings, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


# Seconds a statement waits for a lock (SQLite's write lock, a PostgreSQL row lock) before it fails; the
# app then answers 503 with Retry-After (server.ratelimit), so clients back off instead of piling up.
LOCK_TIMEOUT_ENV = "GUOPEI_SERVER_LOCK_TIMEOUT"
DEFAULT_LOCK_TIMEOUT = 30.0


def lock_timeout() -> float:
    return float(os.environ.get(LOCK_TIMEOUT_ENV, DEFAULT_LOCK_TIMEOUT))


def database_url(db: str | Path) -> str:
    """`--db` as given: a SQLAlchemy URL (`postgresql+psycopg://…`, `sqlite:///…`) or a file path."""
    text = str(db)
    return text if "://" in text else f"sqlite:///{Path(text)}"


def create_server_engine(db: str | Path, *, migrate: bool = True) -> Engine:
    """An engine on `db`, its schema upgraded to the latest migration (unless `migrate` is off).

    SQLite: WAL, and BEGIN IMMEDIATE for writers, so that the change counter is read and bumped under
    the database's write lock. PostgreSQL: the default READ COMMITTED, with the counter row locked."""
    url = database_url(db)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": lock_timeout()})
        _configure_sqlite(engine)
    else:
        # pre_ping: a pooled connection the database closed (a restart, an idle timeout) is replaced
        # before use instead of failing the request that drew it.
        engine = create_engine(
            url,
            pool_pre_ping=True,
            pool_size=5,
            max_overflow=5,
            connect_args={"options": f"-c lock_timeout={round(lock_timeout() * 1000)}"},
        )
    if migrate:
        from server.migrate import upgrade_to_head

        upgrade_to_head(engine)
    return engine


def _configure_sqlite(engine: Engine) -> None:
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
