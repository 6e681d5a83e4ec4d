"""Opening the county's SQLite file: pragmas, the write lock, integrity check, migrations, the clock."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import sqlite3
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from desktop.db import change_log, outbox
from desktop.db.migrate import current_revision, head_revision, upgrade_to_head
from desktop.db.models import Device, Setting
from desktop.db.storage_errors import storage_cause
from desktop.domain.hlc import Hlc, HybridClock
from desktop.domain.ids import new_id
from desktop.domain.roles import Operator
from desktop.errors import DatabaseCorrupt, DatabaseNotInitialised, StorageFailure
from desktop.private_files import narrow, private_file, private_folder

DB_FILENAME = "guopei.sqlite3"

log = logging.getLogger(__name__)


def create_sqlite_engine(path: Path) -> Engine:
    """An engine whose connections use WAL, enforce foreign keys, fsync every commit, and open write
    transactions with BEGIN IMMEDIATE so that two writers never deadlock half-way through."""
    engine = create_engine(
        f"sqlite:///{path}",
        connect_args={"check_same_thread": False, "timeout": 30},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=FULL")
        # 64 MiB of page cache (the default is 2 MiB): a 200,000-teacher roster's indexes stay in
        # memory, which makes large imports several times faster; old county PCs have 4 GB.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        mode = "DEFERRED" if connection.get_execution_options().get("readonly") else "IMMEDIATE"
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def quick_check(path: Path) -> str:
    """`PRAGMA quick_check` on a file that already exists; "ok" when sound."""
    return _check(path, "quick_check")


def integrity_check(path: Path) -> str:
    """`PRAGMA integrity_check`: what quick_check does, and also that every index matches its table
    (a flipped bit in an index passes quick_check). Slower; the weekly full check and every backup
    run it. "ok" when sound."""
    return _check(path, "integrity_check")


def _check(path: Path, pragma: str) -> str:
    try:
        connection = sqlite3.connect(path)
        try:
            rows = connection.execute(f"PRAGMA {pragma}").fetchall()
        finally:
            connection.close()
    except sqlite3.DatabaseError as error:
        # A folder that cannot be written (WAL needs its -shm file) is not a damaged database: saying
        # so would send the person to restore a backup over a sound file.
        found = storage_cause(error)
        if found is not None:
            cause, text = found
            message = f"无法打开数据库：{text}。\n数据文件夹：{path.parent}"
            raise StorageFailure(path.parent, cause, message) from error
        return str(error)
    return "; ".join(str(row[0]) for row in rows)


@contextmanager
def storage_errors(folder: Path, action: str = "没有保存") -> Iterator[None]:
    """Turn a write the disk refused (full, read-only, held by another program) into a StorageFailure
    that names the cause and the folder; any other error passes unchanged. SQLite has rolled the
    transaction back by then: nothing of it was saved."""
    try:
        yield
    except (OperationalError, OSError) as error:
        cause_of = error.orig if isinstance(error, DBAPIError) else error
        found = storage_cause(cause_of) if isinstance(cause_of, sqlite3.Error | OSError) else None
        if found is None:
            raise
        cause, text = found
        message = f"{action}：{text}。\n刚才的修改没有写入，已保存的数据不受影响。\n数据文件夹：{folder}"
        raise StorageFailure(folder, cause, message) from error


@dataclass(frozen=True)
class DeviceIdentity:
    device_id: str
    county_code: str
    county_name: str


class Database:
    """One county installation's database. Hand out sessions with `write()` and `read()`."""

    def __init__(self, path: Path, engine: Engine, *, wall_ms: Callable[[], int] | None = None) -> None:
        self.path = path
        self.engine = engine
        self._writer = sessionmaker(engine, expire_on_commit=False)
        self._reader = sessionmaker(engine.execution_options(readonly=True), expire_on_commit=False)
        # Called after every committed write() (the daily backup listens here); must be cheap.
        self.after_write: Callable[[], None] | None = None
        # Who is at the keyboard (set by the login page and by the CLI's --user); every session carries
        # it, and the services check permissions against it and record it (desktop.services.access).
        self.operator: Operator | None = None
        outbox.install(self._writer)
        change_log.install(self._writer)
        self.device = self._load_device()
        with self.read() as session:
            last = session.scalar(select(Device.last_hlc))
        clock_options = {"wall_ms": wall_ms} if wall_ms else {}
        self.clock = HybridClock(
            self.device.device_id, last=Hlc.decode(last) if last else None, **clock_options
        )

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A write transaction (BEGIN IMMEDIATE), committed when the block ends without error."""
        session = self._writer(info=self._info())
        try:
            with storage_errors(self.path.parent), session.begin():
                yield session
        finally:
            session.close()
        if self.after_write is not None:
            self._notify_after_write(self.after_write)

    @staticmethod
    def _notify_after_write(listener: Callable[[], None]) -> None:
        # The row is already committed: a failing listener must not make the caller think it was not.
        try:
            listener()
        except Exception:
            log.exception("after_write listener failed")

    @contextmanager
    def write_without_foreign_keys(self) -> Iterator[Session]:
        """A write transaction in which foreign keys are not enforced, for the pages of a first pull:
        they follow the server's feed, where a row comes before a parent that was changed after it (the
        parent's latest version is further on), possibly pages later. The caller checks the references
        once every page is in (`PRAGMA foreign_key_check`)."""
        with self.engine.connect() as connection:
            # Outside any transaction (the pragma does nothing inside one), on this connection only.
            raw = connection.connection.driver_connection
            raw.execute("PRAGMA foreign_keys=OFF")
            try:
                session = self._writer(bind=connection, info=self._info())
                try:
                    with session.begin():
                        yield session
                finally:
                    session.close()
            finally:
                raw.execute("PRAGMA foreign_keys=ON")
                if raw.execute("PRAGMA foreign_keys").fetchone()[0] != 1:
                    connection.invalidate()  # never hand it back to the pool unchecked

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A read-only snapshot; takes no write lock."""
        session = self._reader(info={"operator": self.operator, "device_id": self.device.device_id})
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    def _info(self) -> dict[str, Any]:
        return {"clock": self.clock, "device_id": self.device.device_id, "operator": self.operator}

    def _load_device(self) -> DeviceIdentity:
        with self._reader() as session:
            device = session.scalar(select(Device))
        if device is None:
            raise DatabaseNotInitialised(self.path)
        return DeviceIdentity(device.id, device.county_code, device.county_name)

    def dispose(self) -> None:
        self.engine.dispose()
        _record_clean_close(self.path)


def open_database(
    data_dir: Path, *, wall_ms: Callable[[], int] | None = None, backup_before_upgrade: bool = True
) -> Database:
    """Open (and upgrade) the database in `data_dir`; refuse a file that fails its integrity check.
    A database behind the current schema is backed up first (`backup_before_upgrade=False` only where
    the file being opened is itself a backup that was just restored)."""
    path = data_dir / DB_FILENAME
    if not path.exists():
        raise DatabaseNotInitialised(path)
    if not _closed_cleanly(path):
        verdict = quick_check(path)
        if verdict != "ok":
            raise DatabaseCorrupt(path, verdict)
    for made in (path, path.with_name(f"{DB_FILENAME}-wal"), path.with_name(f"{DB_FILENAME}-shm")):
        narrow(made)  # a database an older release created readable by others
    engine = create_sqlite_engine(path)
    # Alembic (0.4 s to import) only when a migration is due.
    current = current_revision(engine)
    if current != head_revision():
        if backup_before_upgrade and current is not None:  # made by an older release
            # Imported here: the backup module opens databases through this one.
            from desktop.db.backup import backup_before_upgrade as take_backup

            take_backup(data_dir)
        with storage_errors(data_dir, "无法升级数据库"):
            upgrade_to_head(engine)
    return Database(path, engine, wall_ms=wall_ms)


def _clean_close_marker(path: Path) -> Path:
    return path.with_name(f"{path.name}.closed")


def _fingerprint(path: Path) -> dict[str, Any]:
    """Size, modification time and a digest of the first MiB and of one page in every 4 MiB: cheap
    (about 2 MB read from a 1 GB county) and changed by anything that rewrote the file."""
    stat = path.stat()
    digest = hashlib.blake2b(digest_size=16)
    with path.open("rb") as file:
        digest.update(file.read(1 << 20))
        for offset in range(1 << 20, stat.st_size, 4 << 20):
            file.seek(offset)
            digest.update(file.read(4096))
    return {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "digest": digest.hexdigest()}


def _record_clean_close(path: Path) -> None:
    """After the last connection is closed (SQLite has folded the -wal file back into the database):
    what the file looks like, for the next start to recognise it untouched."""
    if not path.exists() or path.with_name(f"{path.name}-wal").exists():
        return  # still open elsewhere (another connection keeps the -wal): no claim to make
    try:
        _clean_close_marker(path).write_text(json.dumps(_fingerprint(path)), encoding="utf-8")
    except OSError:
        log.warning("could not record the clean close of %s", path)


def _closed_cleanly(path: Path) -> bool:
    """True when the last program to open the file closed it cleanly and nothing has changed it since.
    Then the quick check, which reads the whole file (2 s for a 200,000-teacher county, 9 s from a cold
    disk), need not hold up the window; after a crash, a power cut or a file changed behind our back it
    runs as before. The marker is removed here, so a crash during this run leaves none. (The weekly full
    integrity check still reads every page.)"""
    marker = _clean_close_marker(path)
    try:
        recorded = json.loads(marker.read_text(encoding="utf-8"))
        marker.unlink()
    except (OSError, ValueError):
        return False
    if path.with_name(f"{path.name}-wal").exists():
        return False
    try:
        return recorded == _fingerprint(path)
    except OSError:
        return False


def create_database(
    data_dir: Path,
    *,
    county_code: str,
    county_name: str,
    device_id: str | None = None,
    settings: Mapping[str, Any] | None = None,
) -> Database:
    """Create a new, empty county database in `data_dir` and register this device in it: under
    `device_id` when given (the id this PC registered with the province), else a new one. `settings`
    are written in the same transaction as the device (a marker such as an unfinished first pull must
    never be missing from a database that exists)."""
    path = data_dir / DB_FILENAME
    if path.exists():
        raise FileExistsError(f"数据目录中已有数据库：{path}")
    engine = create_sqlite_engine(path)
    try:
        with storage_errors(data_dir, "无法建立数据库"):
            # Readable by this user only, from the first byte (SQLite gives its -wal and -shm files the
            # database file's mode).
            private_folder(data_dir)
            private_file(path)
            upgrade_to_head(engine)
            with Session(engine) as session, session.begin():
                session.add(
                    Device(
                        id=device_id or new_id(),
                        county_code=county_code,
                        county_name=county_name,
                        created_at=dt.datetime.now(),
                    )
                )
                session.add_all(Setting(key=key, value=value) for key, value in (settings or {}).items())
    except BaseException:
        # A county half-created (schema without its device) would pass for one: leave no file at all.
        engine.dispose()
        for leftover in (path, path.with_name(f"{DB_FILENAME}-wal"), path.with_name(f"{DB_FILENAME}-shm")):
            leftover.unlink(missing_ok=True)
        raise
    return Database(path, engine)
