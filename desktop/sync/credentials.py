"""Where this device keeps its provincial server address and token.

The token goes to the operating system's keyring where there is a usable one (Windows Credential
Manager on the county PCs; the Secret Service on a Linux desktop); the file beside the county database
then holds only the address. Where there is none (no keyring backend, or it fails), the token is kept
in that file, created readable by the user only."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

import keyring
import keyring.errors
from keyring.backends import fail

FILENAME = "sync-credentials.json"
KEYRING_SERVICE = "guopei-desk"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Credentials:
    server_url: str
    token: str
    # Who this PC is at the province: kept beside the token so that a PC whose database is lost can
    # rebuild it under the same identity (files written before these were kept hold none; the server's
    # `GET /v1/device` answers them).
    device_id: str | None = None
    county_code: str | None = None
    county_name: str | None = None


def _keyring_user(data_dir: Path) -> str:
    # One entry per county installation: two data folders on one PC are two registrations.
    return str(data_dir.resolve())


def _usable_keyring() -> bool:
    backend = keyring.get_keyring()
    try:
        return not isinstance(backend, fail.Keyring) and backend.priority > 0
    except Exception:  # a backend whose priority check itself fails is not usable
        return False


def save_credentials(data_dir: Path, credentials: Credentials) -> Path:
    values: dict[str, object] = {"server_url": credentials.server_url}
    for name in ("device_id", "county_code", "county_name"):
        if getattr(credentials, name) is not None:
            values[name] = getattr(credentials, name)
    stored = False
    if _usable_keyring():
        try:
            keyring.set_password(KEYRING_SERVICE, _keyring_user(data_dir), credentials.token)
            stored = True
        except keyring.errors.KeyringError as error:
            log.warning("系统密钥环不可用，令牌保存在本机文件中：%s", type(error).__name__)
    if stored:
        values["token_in_keyring"] = True
    else:
        values["token"] = credentials.token
    path = data_dir / FILENAME
    # Created with mode 0600 from the start, so the token is never readable by others, even briefly.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(values, handle)
    return path


def load_credentials(data_dir: Path) -> Credentials | None:
    """The saved credentials, or None when there are none (or the keyring lost the token: the device
    then registers again with a new code)."""
    path = data_dir / FILENAME
    if not path.exists():
        return None
    values = json.loads(path.read_text(encoding="utf-8"))
    token = values.get("token")
    if values.get("token_in_keyring"):
        try:
            token = keyring.get_password(KEYRING_SERVICE, _keyring_user(data_dir))
        except keyring.errors.KeyringError:
            token = None
    if not token:
        return None
    return Credentials(
        values["server_url"],
        token,
        device_id=values.get("device_id"),
        county_code=values.get("county_code"),
        county_name=values.get("county_name"),
    )
