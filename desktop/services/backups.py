"""Backups as the UI and the CLI use them: the settings they read, a backup now, the automatic ones
(after the first write of the day, on closing), and the weekly full integrity check.

The mechanics (format, encryption, rotation on disk, restore) are in `desktop.db.backup`; what the UI needs
of the backup files themselves (`X as X` below) is handed on from here, so that it never reaches
`desktop.db`."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db import backup
from desktop.db.backup import BackupOutcome as BackupOutcome
from desktop.db.backup import DailyBackup
from desktop.db.backup import backups_dir as backups_dir
from desktop.db.backup import has_backup_key as has_backup_key
from desktop.db.backup import list_backups as list_backups
from desktop.db.backup import set_backup_password as set_backup_password
from desktop.db.backup import verify_backup as verify_backup
from desktop.db.backup_format import read_header as read_header
from desktop.db.engine import Database, integrity_check
from desktop.db.models import OutboxEntry, Setting
from desktop.domain.audit import AuditAction
from desktop.domain.roles import Operator, Permission
from desktop.services import access, audit

log = logging.getLogger(__name__)

SECOND_FOLDER_SETTING = settings.BACKUP_SECOND_FOLDER.key
INTEGRITY_SETTING = settings.INTEGRITY_CHECKED_AT.key
INTEGRITY_INTERVAL = dt.timedelta(days=7)


@dataclass(frozen=True)
class BackupSettings:
    second_folder: Path | None  # a USB stick or network share that receives a copy of every backup


def backup_settings(session: Session) -> BackupSettings:
    setting = session.get(Setting, SECOND_FOLDER_SETTING)
    folder = setting.value if setting is not None else None
    return BackupSettings(second_folder=Path(folder) if isinstance(folder, str) and folder else None)


def set_second_folder(session: Session, folder: Path | None) -> None:
    """Choose (or with None, forget) the second backup folder. It need not be reachable now: a USB
    stick that is out when a backup runs only gives a message."""
    setting = session.get(Setting, SECOND_FOLDER_SETTING)
    if folder is None:
        if setting is not None:
            session.delete(setting)
        return
    value = str(folder.expanduser().absolute())
    if setting is None:
        session.add(Setting(key=SECOND_FOLDER_SETTING, value=value))
    else:
        setting.value = value


def unsynced_changes(session: Session) -> int:
    """Local changes not yet pushed to the province: what a restore would lose on this PC."""
    return session.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def _second_folders(db: Database) -> list[Path]:
    with db.read() as session:
        folder = backup_settings(session).second_folder
    return [folder] if folder is not None else []


def take_backup(
    db: Database,
    *,
    reason: str = backup.REASON_MANUAL,
    extra_folder: Path | None = None,
    now: dt.datetime | None = None,
) -> BackupOutcome:
    """A backup now, copied to the second folder and to `extra_folder` (this time only). A backup a
    person asks for needs the backup permission; each one is in the audit log."""
    if reason == backup.REASON_MANUAL:
        with db.read() as session:
            access.require(session, Permission.BACKUP)
    folders = _second_folders(db)
    if extra_folder is not None and extra_folder not in folders:
        folders.append(extra_folder)
    outcome = backup.create_backup(db.path.parent, reason=reason, extra_folders=folders, now=now)
    # Written after the backup: today's backup exists by then, so this write starts no automatic one.
    with db.write() as session:
        audit.record(session, AuditAction.BACKUP, detail={"file": outcome.path.name, "reason": reason})
    return outcome


def authorise_restore(db: Database) -> Operator | None:
    """Refuse a restore the operator may not do, before anything is replaced; returns the operator, whom
    `record_restore` names in the restored database."""
    with db.read() as session:
        access.require(session, Permission.BACKUP)
    return db.operator


def record_restore(db: Database, operator: Operator | None, *, restored_from: Path) -> None:
    """The restore in the audit log of the database it brought back (the one in use from now on)."""
    db.operator = operator
    with db.write() as session:
        audit.record(session, AuditAction.RESTORE, detail={"file": restored_from.name})


def start_automatic_backups(
    db: Database,
    *,
    on_done: Callable[[BackupOutcome | Exception], None] | None = None,
    clock: Callable[[], dt.datetime] = dt.datetime.now,
) -> DailyBackup:
    """Take the day's backup after the first write of each day, on a thread of its own. `on_done`
    runs on that thread."""
    daily = DailyBackup(
        db.path.parent, extra_folders=lambda: _second_folders(db), clock=clock, on_done=on_done
    )
    db.after_write = daily.note_write
    return daily


def backup_on_close(
    db: Database, daily: DailyBackup | None = None, *, now: dt.datetime | None = None
) -> BackupOutcome | None:
    """The backup taken when the program closes; None when no backup password is set. Waits for the
    day's automatic backup first if one is still running."""
    if daily is not None:
        db.after_write = None
        daily.wait()
    if not backup.has_backup_key(db.path.parent):
        return None
    return take_backup(db, reason=backup.REASON_CLOSE, now=now)


def integrity_check_due(session: Session, *, now: dt.datetime) -> bool:
    """Whether the weekly full check is due: never run, failed, run a week ago or more, or recorded
    in the future (the PC's clock was wrong then, or is now)."""
    setting = session.get(Setting, INTEGRITY_SETTING)
    if setting is None or not isinstance(setting.value, dict):
        return True
    try:
        last = dt.datetime.fromisoformat(setting.value["at"])
    except (KeyError, TypeError, ValueError):
        return True
    if setting.value.get("result") != "ok":
        return True  # a failed check is repeated until the database is repaired or restored
    return not (now - INTEGRITY_INTERVAL < last <= now + dt.timedelta(days=1))


def failed_integrity_check(session: Session) -> str | None:
    """What the last full check found, when it found damage (the database must not be used then)."""
    setting = session.get(Setting, INTEGRITY_SETTING)
    if setting is None or not isinstance(setting.value, dict):
        return None
    result = str(setting.value.get("result", "ok"))
    return None if result == "ok" else result


def record_integrity_check(session: Session, result: str, *, now: dt.datetime) -> None:
    value = {"at": now.isoformat(timespec="seconds"), "result": result}
    setting = session.get(Setting, INTEGRITY_SETTING)
    if setting is None:
        session.add(Setting(key=INTEGRITY_SETTING, value=value))
    else:
        setting.value = value


def weekly_integrity_check(db: Database, *, now: dt.datetime | None = None) -> str | None:
    """Run `PRAGMA integrity_check` on the live database when a week has passed since the last one,
    and record it. Returns the result ("ok" when sound), or None when it was not due. Reads only: it
    can run beside check-in, on a background lane."""
    now = now or dt.datetime.now()
    with db.read() as session:
        if not integrity_check_due(session, now=now):
            return None
    result = integrity_check(db.path)
    with db.write() as session:
        record_integrity_check(session, result, now=now)
    if result != "ok":
        log.error("weekly integrity check failed")
    return result
