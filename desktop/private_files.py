"""Files and folders that hold personal data (the database, its backups, the logs, the credentials) are
readable by this user only: mode 0600 for files, 0700 for their folders. On Windows they live in the
user's own profile, whose permissions already keep other users out; chmod there is a no-op we skip."""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_FOLDER = 0o700


def _posix() -> bool:
    return os.name == "posix"


def private_folder(path: Path) -> Path:
    """Create `path` (and parents) if missing; the folder itself is made 0700."""
    path.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER)
    if _posix():
        path.chmod(PRIVATE_FOLDER)
    return path


def private_file(path: Path) -> Path:
    """Create `path` empty with mode 0600 if missing (so it is never readable by others, even briefly),
    or narrow an existing one to 0600."""
    if _posix():
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        os.close(descriptor)
        path.chmod(PRIVATE_FILE)
    else:
        path.touch(exist_ok=True)
    return path


def narrow(path: Path) -> None:
    """Make an existing file 0600 (a database or log made by an older release)."""
    if _posix() and path.exists():
        path.chmod(PRIVATE_FILE)
