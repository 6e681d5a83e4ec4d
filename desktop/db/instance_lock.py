"""One Guopei Desk per data directory.

Two programs writing one county (a second window, or a CLI import while the window is open) would
queue behind each other's write lock for seconds at the door of a training venue, and a restore under
a running window would pull the file from under it. The first program takes an exclusive lock on
`guopei.lock` in the data directory and writes who holds it; the next one is refused with that. The
operating system drops the lock when the process ends, however it ends, so a crash leaves no stale lock.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
import sys
from pathlib import Path
from typing import IO

from desktop.db.storage_errors import storage_cause
from desktop.errors import EnvironmentFailure, StorageFailure

LOCK_FILENAME = "guopei.lock"


class CountyAlreadyOpen(EnvironmentFailure):
    def __init__(self, data_dir: Path, holder: dict[str, str]) -> None:
        who = holder.get("user") or "未知用户"
        where = holder.get("host") or "未知电脑"
        since = holder.get("since") or "未知时间"
        what = holder.get("what") or "国培桌面端"
        super().__init__(
            f"该县的数据已被打开：{what}（电脑 {where}，用户 {who}，{since} 起）。\n"
            f"请先关闭它，再进行此操作。数据目录：{data_dir}"
        )
        self.holder = holder


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _read_holder(path: Path) -> dict[str, str]:
    try:
        with path.open("rb") as handle:
            handle.seek(1)  # past the pad byte, which Windows keeps locked
            return json.loads(handle.read().decode("utf-8") or "{}")
    except (OSError, ValueError):
        return {}


class InstanceLock:
    """Held from `acquire()` until `release()` or the end of the process."""

    def __init__(self, data_dir: Path, *, what: str) -> None:
        self.data_dir = data_dir
        self.path = data_dir / LOCK_FILENAME
        self.what = what
        self._handle: IO[str] | None = None

    def acquire(self) -> InstanceLock:
        try:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            # Opened without truncating: the holder's details must survive our failed attempt.
            descriptor = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            cause, text = storage_cause(error) or ("other", str(error))
            message = f"无法使用数据文件夹：{text}。\n数据文件夹：{self.data_dir}"
            raise StorageFailure(self.data_dir, cause, message) from error
        handle = os.fdopen(descriptor, "r+", encoding="utf-8")
        if not _try_lock(handle):
            handle.close()
            raise CountyAlreadyOpen(self.data_dir, _read_holder(self.path))
        holder = {
            "what": self.what,
            "user": getpass.getuser(),
            "host": socket.gethostname(),
            "pid": str(os.getpid()),
            "since": dt.datetime.now().strftime("%Y-%m-%d %H:%M"),
        }
        # Windows locks the first byte only, and a locked byte cannot be written through another
        # handle; the holder's details therefore start after a one-byte pad that nobody reads back.
        handle.seek(0)
        handle.truncate()
        handle.write(" " + json.dumps(holder, ensure_ascii=False))
        handle.flush()
        self._handle = handle
        return self

    def release(self) -> None:
        if self._handle is not None:
            self._handle.seek(0)
            self._handle.truncate()  # a crashed holder leaves its details, but they name a dead process
            self._handle.close()  # closing the descriptor releases the lock
            self._handle = None

    def __enter__(self) -> InstanceLock:
        return self.acquire()

    def __exit__(self, *_exc: object) -> None:
        self.release()
