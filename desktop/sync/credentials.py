"""Where this device keeps its provincial server address and token: a file beside the county database,
readable by the user only (the OS keyring is not available on every county PC)."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

FILENAME = "sync-credentials.json"


@dataclass(frozen=True)
class Credentials:
    server_url: str
    token: str


def save_credentials(data_dir: Path, credentials: Credentials) -> Path:
    path = data_dir / FILENAME
    # Created with mode 0600 from the start, so the token is never readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump({"server_url": credentials.server_url, "token": credentials.token}, handle)
    return path


def load_credentials(data_dir: Path) -> Credentials | None:
    path = data_dir / FILENAME
    if not path.exists():
        return None
    values = json.loads(path.read_text(encoding="utf-8"))
    return Credentials(values["server_url"], values["token"])
