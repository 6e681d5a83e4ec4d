"""Encrypted, verified backups of the county database, their rotation, and restoring one.

A backup is taken with SQLite's online backup API, all pages in one step: one read transaction, so in
WAL mode check-in keeps writing while it runs and the copy is one consistent snapshot (a file copy of
a live WAL database is not). The copy must pass `PRAGMA integrity_check` before it counts; it is then
sealed into a `.gpbak` (`backup_format`), read back and checked, and renamed into place.

Automatic backups use a key stored in `backup-key.json` (salt, parameters, derived key; never the
password), so that they need nobody to type anything. Without the password a backup is useless; with
it, it restores on any PC.

Every file is written under a `.partial` name and renamed into place when complete: a crash never
leaves a half backup that counts, and leftovers are removed the next time.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from desktop.db.backup_format import (
    CHUNK_SIZE,
    BackupFacts,
    BackupHeader,
    BackupKey,
    check_key,
    decrypted_chunks,
    derive_key,
    password_matches,
    read_header,
    unlock,
    write_sealed,
)
from desktop.db.engine import DB_FILENAME, open_database, quick_check
from desktop.db.storage_errors import storage_cause
from desktop.domain.backup_rotation import RotationPolicy, backups_to_keep
from desktop.errors import (
    BackupDamaged,
    BackupNotConfigured,
    BackupPasswordError,
    BackupStorageFailure,
    DatabaseCorrupt,
    DatabaseNotInitialised,
    GuopeiError,
)
from desktop.private_files import private_folder

log = logging.getLogger(__name__)

SUFFIX = ".gpbak"
PARTIAL = ".partial"
BACKUPS_DIRNAME = "backups"
KEY_FILENAME = "backup-key.json"
MIN_PASSWORD_LENGTH = 8
# A .partial file untouched for this long belongs to a backup that died, not to one running now.
_STALE_PARTIAL = dt.timedelta(hours=1)

REASON_MANUAL = "manual"
REASON_DAILY = "daily"
REASON_CLOSE = "close"
REASON_UPGRADE = "upgrade"
REASON_RESTORE = "restore"
REASON_LABELS = {
    REASON_MANUAL: "手动",
    REASON_DAILY: "每日自动",
    REASON_CLOSE: "关闭程序时",
    REASON_UPGRADE: "升级前",
    REASON_RESTORE: "恢复前",
}

_NAME = re.compile(r"guopei-(\d{6})-(\d{8}-\d{6})(?:-\d+)?\.gpbak")

# One backup at a time in this process (the day's automatic one and the one on closing may meet).
_BACKUP_LOCK = threading.Lock()
DEFAULT_ROTATION = RotationPolicy()


def backups_dir(data_dir: Path) -> Path:
    return data_dir / BACKUPS_DIRNAME


# ---------------------------------------------------------------------------------------------- keys


def has_backup_key(data_dir: Path) -> bool:
    return (data_dir / KEY_FILENAME).exists()


def load_key(data_dir: Path) -> BackupKey | None:
    """The key automatic backups use, or None when no backup password was set on this PC."""
    path = data_dir / KEY_FILENAME
    if not path.exists():
        return None
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
        key = BackupKey(
            salt=_decode(values["salt"]),
            n=int(values["n"]),
            r=int(values["r"]),
            p=int(values["p"]),
            key=_decode(values["key"]),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise BackupPasswordError(
            f"本机保存的备份密钥文件已损坏，请重新设置备份密码。\n文件：{path}"
        ) from error
    if not hmac.compare_digest(key.check, str(values.get("key_check", ""))):
        raise BackupPasswordError(f"本机保存的备份密钥文件已损坏，请重新设置备份密码。\n文件：{path}")
    return key


def set_backup_password(
    data_dir: Path, new_password: str, *, current_password: str | None = None
) -> BackupKey:
    """Set the backup password, or change it (which needs the current one). Backups already taken
    keep the password they were taken with."""
    if len(new_password) < MIN_PASSWORD_LENGTH:
        raise BackupPasswordError(f"备份密码至少需要 {MIN_PASSWORD_LENGTH} 个字符。")
    try:
        existing = load_key(data_dir)
    except BackupPasswordError:
        existing = None  # a damaged key file cannot check anything; a new password replaces it
    if existing is not None:
        if not current_password:
            raise BackupPasswordError("修改备份密码需要先输入当前的备份密码。")
        if not password_matches(existing, current_password):
            raise BackupPasswordError("当前备份密码不正确，密码没有修改。")
    key = derive_key(new_password)
    store_key(data_dir, key)
    return key


def _encode(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _decode(value: str) -> bytes:
    return base64.b64decode(value.encode("ascii"), validate=True)


def store_key(data_dir: Path, key: BackupKey) -> Path:
    values = {
        "format": 1,
        "kdf": "scrypt",
        "salt": _encode(key.salt),
        "n": key.n,
        "r": key.r,
        "p": key.p,
        "key": _encode(key.key),
        "key_check": key.check,
    }
    path = data_dir / KEY_FILENAME
    partial = path.with_name(path.name + PARTIAL)
    with _storage_errors(data_dir, "保存备份密钥", partial):
        data_dir.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        # Mode 0600 from the start: the key is never readable by others, even for a moment.
        with _create_private(partial) as handle:
            handle.write(json.dumps(values).encode("utf-8"))
            _sync(handle)
        os.replace(partial, path)
    return path


# ----------------------------------------------------------------------------------- storage errors


@contextmanager
def _storage_errors(folder: Path, action: str, *partials: Path) -> Iterator[None]:
    """Turn a failed write into a `BackupStorageFailure` naming the folder, and remove the files that
    were being written: nothing half-written is ever left where it could be mistaken for a backup."""
    try:
        yield
    except (OSError, sqlite3.OperationalError) as error:
        for path in partials:
            _remove_quietly(path)
        found = storage_cause(error)
        if found is None:
            raise
        cause, text = found
        raise BackupStorageFailure(folder, cause, f"{action}没有完成：{text}。") from error


@contextmanager
def _create_private(path: Path) -> Iterator[BinaryIO]:
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    descriptor = os.open(path, flags, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        yield handle


def _sync(handle: BinaryIO) -> None:
    handle.flush()
    os.fsync(handle.fileno())


def _sync_folder(folder: Path) -> None:
    """Make a rename durable (POSIX); Windows has no directory handle to flush and needs none."""
    if os.name == "nt":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _remove_quietly(path: Path) -> None:
    # With the rollback journal SQLite may have left beside it when a write into it failed.
    for leftover in (path, path.with_name(path.name + "-journal")):
        try:
            leftover.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove a partial file in %s", leftover.parent)


def _remove_stale_partials(folder: Path) -> None:
    cutoff = time.time() - _STALE_PARTIAL.total_seconds()
    for path in folder.glob(f"*{PARTIAL}*"):
        try:
            if path.stat().st_mtime < cutoff:
                path.unlink()
        except OSError:
            continue


# --------------------------------------------------------------------------------------- snapshot


def _take_snapshot(db_path: Path, target_path: Path, *, reason: str, created_at: dt.datetime) -> BackupFacts:
    """Copy the live database to `target_path` with the online backup API and check the copy."""
    with _create_private(target_path):
        pass  # created here so that a folder we cannot write in fails with its real errno
    source = sqlite3.connect(db_path, timeout=30)
    target = sqlite3.connect(target_path)
    try:
        # The copy is a temporary file: flushing it to disk would only make check-in's own commits wait
        # behind the flush (on a busy disk, a quarter of a second). The sealed backup is what is synced.
        target.execute("PRAGMA synchronous=OFF")
        # All pages in one step: one read transaction, so writers carry on and the copy never restarts.
        source.backup(target, pages=-1)
        # The copy is one self-contained file, with no -wal beside it to be left behind.
        target.execute("PRAGMA journal_mode=DELETE")
        integrity = "; ".join(str(row[0]) for row in target.execute("PRAGMA integrity_check"))
        revision = _scalar(target, "SELECT version_num FROM alembic_version") or ""
        device = target.execute("SELECT county_code, county_name FROM device").fetchone()
    except sqlite3.DatabaseError as error:
        if storage_cause(error) is not None:
            raise
        raise DatabaseCorrupt(db_path, str(error)) from error
    finally:
        target.close()
        source.close()
    if device is None:
        raise DatabaseNotInitialised(db_path)
    return BackupFacts(
        created_at=created_at,
        county_code=device[0],
        county_name=device[1],
        reason=reason,
        schema_revision=revision,
        integrity=integrity,
        plaintext_size=target_path.stat().st_size,
    )


def _scalar(connection: sqlite3.Connection, sql: str) -> object:
    try:
        row = connection.execute(sql).fetchone()
    except sqlite3.OperationalError:  # no such table
        return None
    return row[0] if row else None


# ----------------------------------------------------------------------------------------- backup


@dataclass(frozen=True)
class SecondCopy:
    """A copy of the backup in another folder (USB stick, network share)."""

    folder: Path
    path: Path | None  # None when the copy could not be made
    problem: str | None  # what to show in the status area when it could not
    removed: tuple[Path, ...] = ()


@dataclass(frozen=True)
class BackupOutcome:
    path: Path
    size: int
    created_at: dt.datetime
    reason: str
    integrity: str
    seconds: float
    removed: tuple[Path, ...]  # older backups that rotation removed here
    copies: tuple[SecondCopy, ...]

    @property
    def messages(self) -> list[str]:
        """Problems that did not stop the backup, for the status area."""
        return [copy.problem for copy in self.copies if copy.problem]


def create_backup(
    data_dir: Path,
    *,
    reason: str,
    key: BackupKey | None = None,
    extra_folders: Sequence[Path] = (),
    now: dt.datetime | None = None,
    policy: RotationPolicy | None = DEFAULT_ROTATION,
) -> BackupOutcome:
    """Back up the database in `data_dir` into `data_dir/backups`, verify it, rotate (unless `policy`
    is None), and copy it to `extra_folders` (whose failures are reported in the outcome, never
    raised)."""
    key = key if key is not None else load_key(data_dir)
    if key is None:
        raise BackupNotConfigured()
    db_path = data_dir / DB_FILENAME
    if not db_path.exists():
        raise DatabaseNotInitialised(db_path)
    folder = backups_dir(data_dir)
    now = now or dt.datetime.now()
    with _BACKUP_LOCK:
        started = time.monotonic()
        path, snapshot = _write_backup(db_path, folder, key=key, reason=reason, now=now)
        removed = _rotate(folder, path, snapshot.county_code, policy)
        copies = tuple(_copy_to(path, extra, snapshot.county_code, policy) for extra in extra_folders)
    log.info("backup written (%s, %d bytes, %s)", reason, path.stat().st_size, path.name)
    return BackupOutcome(
        path=path,
        size=path.stat().st_size,
        created_at=now,
        reason=reason,
        integrity=snapshot.integrity,
        seconds=time.monotonic() - started,
        removed=removed,
        copies=copies,
    )


def _write_backup(
    db_path: Path, folder: Path, *, key: BackupKey, reason: str, now: dt.datetime
) -> tuple[Path, BackupFacts]:
    token = secrets.token_hex(4)
    plain = folder / f".snapshot-{token}.sqlite3{PARTIAL}"
    sealed = folder / f".backup-{token}{SUFFIX}{PARTIAL}"
    try:
        with _storage_errors(folder, "备份", plain, sealed):
            private_folder(folder)  # the plain snapshot lives here for a moment: this user's only
            _remove_stale_partials(folder)
            snapshot = _take_snapshot(db_path, plain, reason=reason, created_at=now)
            if snapshot.integrity != "ok":
                raise DatabaseCorrupt(db_path, snapshot.integrity)
            with plain.open("rb") as source, _create_private(sealed) as out:
                plaintext_sha256 = write_sealed(source, out, key=key, facts=snapshot)
                _sync(out)
            _check_written(sealed, key, plaintext_sha256)
            path = _free_name(folder, snapshot.county_code, now)
            os.replace(sealed, path)
            _sync_folder(folder)
    finally:
        _remove_quietly(plain)
        _remove_quietly(sealed)
    return path, snapshot


def verify_backup(path: Path, password: str | None = None, *, key: BackupKey | None = None) -> BackupFacts:
    """Read the whole file and authenticate every chunk with the password (or a stored key), without
    writing anything."""
    header = read_header(path)
    if password is not None:
        key = unlock(path, header, password)
    elif key is None:
        raise BackupNotConfigured()
    else:
        check_key(header, key)
    for _ in decrypted_chunks(path, header, key):
        pass
    return header.facts


def _check_written(path: Path, key: BackupKey, plaintext_sha256: str) -> None:
    """Read back what was written: a backup counts only once it decrypts to what was copied."""
    header = read_header(path)
    digest = hashlib.sha256()
    for chunk in decrypted_chunks(path, header, key):
        digest.update(chunk)
    if digest.hexdigest() != plaintext_sha256:
        raise BackupDamaged(path, "写入后读回的内容与数据库不一致（磁盘可能有问题）")


def _free_name(folder: Path, county_code: str, now: dt.datetime) -> Path:
    stem = f"guopei-{county_code}-{now:%Y%m%d-%H%M%S}"
    path = folder / f"{stem}{SUFFIX}"
    number = 2
    while path.exists():
        path = folder / f"{stem}-{number}{SUFFIX}"
        number += 1
    return path


def _taken_at(path: Path) -> tuple[str, dt.datetime] | None:
    """County and time of a backup from its file name (rotation reads no file contents)."""
    match = _NAME.fullmatch(path.name)
    if match is None:
        return None
    try:
        return match.group(1), dt.datetime.strptime(match.group(2), "%Y%m%d-%H%M%S")
    except ValueError:
        return None


def _rotate(folder: Path, newest: Path, county_code: str, policy: RotationPolicy | None) -> tuple[Path, ...]:
    """Remove this county's backups that the rotation rule does not keep. Only files named as backups
    are considered: nothing else a person put in the folder is ever touched. The backup just written
    (`newest`) always stays, even when a wrong clock dated an older one after it."""
    if policy is None:
        return ()
    ours: list[tuple[Path, dt.datetime]] = []
    for path in folder.glob(f"guopei-*{SUFFIX}"):
        parsed = _taken_at(path)
        if parsed is not None and parsed[0] == county_code:
            ours.append((path, parsed[1]))
    keep = backups_to_keep((taken for _, taken in ours), policy)
    removed = []
    for path, taken in ours:
        if taken in keep or path == newest:
            continue
        try:
            path.unlink()
            removed.append(path)
        except OSError:
            log.warning("rotation could not remove an old backup in %s", folder)
    return tuple(sorted(removed))


def _copy_to(source: Path, folder: Path, county_code: str, policy: RotationPolicy | None) -> SecondCopy:
    if not folder.is_dir():
        problem = f"第二备份位置不可用：文件夹不存在（U 盘或网络共享是否已连接？）：{folder}"
        return SecondCopy(folder, None, problem)
    target = folder / source.name
    partial = folder / f".{source.name}{PARTIAL}"
    try:
        with _storage_errors(folder, "复制到第二备份位置", partial):
            _remove_stale_partials(folder)
            with source.open("rb") as src, _create_private(partial) as dst:
                shutil.copyfileobj(src, dst, CHUNK_SIZE)
                _sync(dst)
            os.replace(partial, target)
            _sync_folder(folder)
    except BackupStorageFailure as failure:
        return SecondCopy(folder, None, str(failure))
    return SecondCopy(folder, target, None, _rotate(folder, target, county_code, policy))


def backup_before_upgrade(data_dir: Path, *, now: dt.datetime | None = None) -> Path:
    """Before a schema upgrade: an encrypted backup when a key is configured, else a plain (verified)
    online copy `backups/before-upgrade-<time>.sqlite3`, so that an upgrade is never the only copy."""
    try:
        key = load_key(data_dir)
    except BackupPasswordError:
        key = None
    if key is not None:
        return create_backup(data_dir, reason=REASON_UPGRADE, key=key, now=now).path
    now = now or dt.datetime.now()
    folder = backups_dir(data_dir)
    db_path = data_dir / DB_FILENAME
    path = folder / f"before-upgrade-{now:%Y%m%d-%H%M%S}.sqlite3"
    partial = path.with_name(path.name + PARTIAL)
    with _BACKUP_LOCK:
        try:
            with _storage_errors(folder, "升级前备份", partial):
                folder.mkdir(parents=True, exist_ok=True)
                _remove_stale_partials(folder)
                snapshot = _take_snapshot(db_path, partial, reason=REASON_UPGRADE, created_at=now)
                if snapshot.integrity != "ok":
                    raise DatabaseCorrupt(db_path, snapshot.integrity)
                with partial.open("rb+") as copy:  # written unsynced (see _take_snapshot); kept, so synced
                    os.fsync(copy.fileno())
                os.replace(partial, path)
                _sync_folder(folder)
        finally:
            _remove_quietly(partial)
    log.info("plain backup before a schema upgrade: %s", path.name)
    return path


# ------------------------------------------------------------------------------------------- list


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    size: int
    created_at: dt.datetime | None  # None when the header cannot be read
    county_code: str
    county_name: str
    reason: str
    schema_revision: str
    verified: bool  # the copy passed integrity_check before it was written
    problem: str | None  # why the file is not a usable backup; None when its header reads

    @property
    def reason_label(self) -> str:
        return REASON_LABELS.get(self.reason, self.reason)


def list_backups(folder: Path) -> list[BackupInfo]:
    """The `.gpbak` files in `folder`, newest first, from their headers only (no password needed). A
    file that is not a backup, or whose header is damaged, is listed with its problem."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob(f"*{SUFFIX}"):
        try:
            size = path.stat().st_size
        except OSError:
            continue
        try:
            facts = read_header(path).facts
        except BackupDamaged as damaged:
            found.append(BackupInfo(path, size, None, "", "", "", "", False, _first_line(damaged)))
            continue
        found.append(
            BackupInfo(
                path=path,
                size=size,
                created_at=facts.created_at,
                county_code=facts.county_code,
                county_name=facts.county_name,
                reason=facts.reason,
                schema_revision=facts.schema_revision,
                verified=facts.integrity == "ok",
                problem=None,
            )
        )
    return sorted(found, key=_listing_order, reverse=True)


def _listing_order(info: BackupInfo) -> float:
    if info.created_at is not None:
        return info.created_at.timestamp()
    try:
        return info.path.stat().st_mtime
    except OSError:
        return 0.0


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0].removeprefix("备份文件无法使用：")


def backup_taken_on(folder: Path, day: dt.date) -> bool:
    """Whether `folder` holds a backup of `day` (by file name; cheap)."""
    return any(folder.glob(f"guopei-*-{day:%Y%m%d}-*{SUFFIX}"))


# ---------------------------------------------------------------------------------------- restore


@dataclass(frozen=True)
class RestoreOutcome:
    restored_from: Path
    backup_created_at: dt.datetime
    county_code: str
    county_name: str
    set_aside: tuple[Path, ...]  # the replaced database's files, renamed, never deleted
    lost_unsynced_changes: int | None  # outbox rows the replaced database held; None if none/unreadable
    safety_backup: Path | None  # the backup of the replaced database taken first, when one was
    key_stored: bool  # this PC had no backup key and now uses the one of the password entered
    messages: tuple[str, ...]  # problems that did not stop the restore


def restore_backup(
    path: Path, password: str, data_dir: Path, *, now: dt.datetime | None = None
) -> RestoreOutcome:
    """Replace the database in `data_dir` by the backup `path`. The file and the password are checked
    completely before anything is touched; the current database is kept aside under a new name."""
    now = now or dt.datetime.now()
    header = read_header(path)
    key = unlock(path, header, password)
    data_dir.mkdir(parents=True, exist_ok=True)
    restored = data_dir / f".restore-{secrets.token_hex(4)}.sqlite3{PARTIAL}"
    try:
        _decrypt_and_check(path, header, key, restored)
        current = data_dir / DB_FILENAME
        lost = _changes_lost(current, restored)
        safety, messages = _safety_backup(data_dir, now)
        moved = _set_aside(current, now)
        try:
            with _storage_errors(data_dir, "恢复"):
                os.replace(restored, current)
                _sync_folder(data_dir)
            # Upgrades a backup made by an older release; it is itself the copy, so no backup first.
            open_database(data_dir, backup_before_upgrade=False).dispose()
        except BaseException:
            _put_back(current, moved)
            raise
    finally:
        _remove_quietly(restored)
    key_stored = False
    if not has_backup_key(data_dir):
        store_key(data_dir, key)
        key_stored = True
    facts = header.facts
    log.info("database restored from a backup of %s", facts.created_at.isoformat(timespec="seconds"))
    return RestoreOutcome(
        restored_from=path,
        backup_created_at=facts.created_at,
        county_code=facts.county_code,
        county_name=facts.county_name,
        set_aside=tuple(target for _, target in moved),
        lost_unsynced_changes=lost,
        safety_backup=safety,
        key_stored=key_stored,
        messages=messages,
    )


def _decrypt_and_check(path: Path, header: BackupHeader, key: BackupKey, target: Path) -> None:
    with _storage_errors(target.parent, "恢复", target), _create_private(target) as out:
        for chunk in decrypted_chunks(path, header, key):
            out.write(chunk)
        _sync(out)
    verdict = _check_county_database(target)
    if verdict is not None:
        raise BackupDamaged(path, verdict)


def _check_county_database(path: Path) -> str | None:
    """None when `path` is a sound county database; else what is wrong with it."""
    connection = sqlite3.connect(path)
    try:
        integrity = "; ".join(str(row[0]) for row in connection.execute("PRAGMA integrity_check"))
        if integrity != "ok":
            return f"备份中的数据库未通过完整性检查：{integrity}"
        if not connection.execute("SELECT count(*) FROM device").fetchone()[0]:
            return "备份中的数据库没有本机登记信息，不是国培桌面端的县区数据库"
    except sqlite3.DatabaseError:
        return "备份中的文件不是国培桌面端的县区数据库"
    finally:
        connection.close()
    return None


def _changes_lost(current: Path, restored: Path) -> int | None:
    """Changes in the current database's outbox (not yet pushed to the province) that the restored one
    does not hold: those still waiting in the backup's outbox will be pushed from it. None when there
    is no current database or it cannot be read."""
    if not current.exists():
        return None
    try:
        # Read-only: closing it must not checkpoint or otherwise touch the file being set aside.
        connection = sqlite3.connect(f"{current.absolute().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            connection.execute("ATTACH DATABASE ? AS restored", (str(restored),))
            row = connection.execute(
                "SELECT count(*) FROM main.outbox WHERE op_id NOT IN (SELECT op_id FROM restored.outbox)"
            ).fetchone()
            return int(row[0])
        finally:
            connection.close()
    except sqlite3.Error:
        log.warning("could not count the unsynced changes of the database being replaced")
        return None


def _safety_backup(data_dir: Path, now: dt.datetime) -> tuple[Path | None, tuple[str, ...]]:
    """A backup of the database about to be replaced, when it is sound and a key is configured. It
    does not block the restore: the replaced file is kept aside whatever happens here."""
    current = data_dir / DB_FILENAME
    try:
        key = load_key(data_dir)
    except BackupPasswordError:
        key = None
    if key is None or not current.exists() or quick_check(current) != "ok":
        return None, ()
    try:
        # Not rotated: that could remove the very backup being restored, taken earlier today.
        return create_backup(data_dir, reason=REASON_RESTORE, key=key, now=now, policy=None).path, ()
    except GuopeiError as error:
        return None, (f"恢复前没能备份当前数据库（原文件已另存，不受影响）：{_first_line(error)}",)


def _set_aside(current: Path, now: dt.datetime) -> list[tuple[Path, Path]]:
    """Rename the database and its -wal/-shm to `<name>.replaced-<time>` (with the same suffixes, so
    that SQLite still finds the set-aside file's WAL)."""
    if not current.exists():
        return []
    stamp = f"{now:%Y%m%d-%H%M%S}"
    base = current.with_name(f"{current.name}.replaced-{stamp}")
    number = 2
    while base.exists():
        base = current.with_name(f"{current.name}.replaced-{stamp}-{number}")
        number += 1
    moved: list[tuple[Path, Path]] = []
    try:
        with _storage_errors(current.parent, "恢复（另存当前数据库）"):
            for suffix in ("", "-wal", "-shm"):
                source = current.with_name(current.name + suffix)
                if source.exists():
                    target = base.with_name(base.name + suffix)
                    os.replace(source, target)
                    moved.append((source, target))
    except BackupStorageFailure:
        _move_back(moved)
        raise
    return moved


def _put_back(current: Path, moved: list[tuple[Path, Path]]) -> None:
    """Undo a restore that failed after the swap: the restored file goes, the original comes back."""
    for suffix in ("", "-wal", "-shm"):
        _remove_quietly(current.with_name(current.name + suffix))
    _move_back(moved)


def _move_back(moved: list[tuple[Path, Path]]) -> None:
    for source, target in reversed(moved):
        try:
            os.replace(target, source)
        except OSError:
            log.error("could not move a set-aside database file back in %s", source.parent)


# ------------------------------------------------------------------------------------ daily backup


class DailyBackup:
    """The day's automatic backup, started on a thread of its own after the first write of the day.

    `note_write()` is meant for `Database.after_write`: on every write but the first of the day it
    compares two dates and returns. `on_done` is called on the backup's thread with the outcome or
    the error; a UI must hand it to its own thread (a Qt signal does)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        extra_folders: Callable[[], Sequence[Path]] = tuple,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
        on_done: Callable[[BackupOutcome | Exception], None] | None = None,
    ) -> None:
        self._data_dir = data_dir
        self._extra_folders = extra_folders
        self._clock = clock
        self._on_done = on_done
        self._lock = threading.Lock()
        self._done_for: dt.date | None = None
        self.thread: threading.Thread | None = None

    def note_write(self) -> None:
        day = self._clock().date()
        if self._done_for == day:
            return
        with self._lock:
            if self._done_for == day:
                return
            if not has_backup_key(self._data_dir):
                return  # asked again on the next write: the password may be set later today
            self._done_for = day
            if backup_taken_on(backups_dir(self._data_dir), day):
                return
            self.thread = threading.Thread(target=self._run, name="daily-backup", daemon=True)
            self.thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Wait for a backup under way (before closing, so that the one on close follows it)."""
        if self.thread is not None:
            self.thread.join(timeout)

    def _run(self) -> None:
        result: BackupOutcome | Exception
        try:
            result = create_backup(
                self._data_dir, reason=REASON_DAILY, extra_folders=self._extra_folders(), now=self._clock()
            )
        except GuopeiError as error:
            log.warning("daily backup failed: %s", type(error).__name__)
            result = error
        except Exception as error:
            log.exception("daily backup failed")
            result = error
        if self._on_done is not None:
            self._on_done(result)
