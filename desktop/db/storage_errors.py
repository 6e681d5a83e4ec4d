"""What a failed write on this PC's disk means, in words a county administrator can act on.

Shared by the database (every write) and the backups: a full disk, a read-only folder, or a file held
by another program (antivirus, a cloud-drive client, a second window) is the machine's doing, not a bug,
and the message names it instead of "程序出现意外错误"."""

from __future__ import annotations

import errno
import sqlite3

CAUSE_TEXT = {
    "disk_full": "磁盘空间已满，请清理磁盘或换一个有空间的位置",
    "read_only": "文件夹是只读的，或本机账户没有写入权限",
    "locked": "文件被其他程序占用（杀毒软件、网盘同步或另一个国培桌面端窗口），请稍后再试",
    "missing": "文件夹不存在，或同名的是一个文件而不是文件夹（U 盘是否已插好？）",
}
_ERRNO_CAUSE = {
    errno.ENOSPC: "disk_full",
    errno.EDQUOT: "disk_full",
    errno.EFBIG: "disk_full",
    errno.EROFS: "read_only",
    errno.EACCES: "read_only",
    errno.EPERM: "read_only",
    errno.EBUSY: "locked",
    errno.ETXTBSY: "locked",
    errno.ENOENT: "missing",
    errno.ENOTDIR: "missing",
    errno.EEXIST: "missing",
}
# Windows: ERROR_SHARING_VIOLATION, ERROR_LOCK_VIOLATION, ERROR_HANDLE_DISK_FULL, ERROR_DISK_FULL.
_WINERROR_CAUSE = {32: "locked", 33: "locked", 39: "disk_full", 112: "disk_full"}
# SQLite's primary result codes: SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_FULL,
# SQLITE_CANTOPEN (the file or its folder cannot be opened for writing).
_SQLITE_CAUSE = {3: "read_only", 5: "locked", 6: "locked", 8: "read_only", 13: "disk_full", 14: "read_only"}


def storage_cause(error: OSError | sqlite3.Error) -> tuple[str, str] | None:
    """(cause, Chinese text) for an error writing to disk; cause is one of "disk_full", "read_only",
    "locked", "missing", "other". None for an SQLite error that is not about storage: a damaged
    database is reported as such, never as a full disk."""
    if isinstance(error, OSError):
        winerror = getattr(error, "winerror", None) or 0
        cause = _WINERROR_CAUSE.get(winerror) or _ERRNO_CAUSE.get(error.errno or 0, "other")
        detail = error.strerror or type(error).__name__
    else:
        found = _SQLITE_CAUSE.get(getattr(error, "sqlite_errorcode", 0) & 0xFF)
        if found is None:
            return None
        cause, detail = found, str(error)
    return cause, CAUSE_TEXT.get(cause, f"无法写入（{detail}）")
