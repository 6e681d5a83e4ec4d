"""Administration of the server, used by server.cli (which stays a thin argument parser)."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from guopei_common.certificate_signing import key_id
from server.db import County, Device, PublicKey, RegistrationCode, secret_hash

_KEY_BYTES = 32  # a raw Ed25519 public key


def add_county(engine: Engine, code: str, name: str) -> None:
    with Session(engine) as session, session.begin():
        session.merge(County(code=code, name=name))


# No 0/O/1/I: codes are read aloud on the phone and typed by hand.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def issue_code(engine: Engine, county_code: str, *, valid_days: int = 7) -> str:
    """A new one-time registration code for `county_code` (shown once; only its hash is stored)."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(16))
    code = "-".join(raw[i : i + 4] for i in range(0, 16, 4))
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        if session.get(County, county_code) is None:
            raise LookupError(f"未知的区县代码：{county_code}")
        session.add(
            RegistrationCode(
                code_hash=secret_hash(code),
                county_code=county_code,
                expires_at=now + dt.timedelta(days=valid_days),
            )
        )
    return code


def revoke_device(engine: Engine, device_id: str) -> bool:
    with Session(engine) as session, session.begin():
        return session.execute(update(Device).where(Device.id == device_id).values(revoked=True)).rowcount > 0


@dataclass(frozen=True)
class DeviceInfo:
    id: str
    county_code: str
    registered_at: dt.datetime  # UTC, naive, as stored
    last_seen_at: dt.datetime | None
    revoked: bool
    key_id: str | None  # of its certificate-signing public key, when it sent one


def list_devices(engine: Engine, county_code: str | None = None) -> list[DeviceInfo]:
    """Registered devices, of one county or of all, in county then registration order."""
    with Session(engine) as session:
        query = select(Device).order_by(Device.county_code, Device.registered_at)
        if county_code is not None:
            if session.get(County, county_code) is None:
                raise LookupError(f"未知的区县代码：{county_code}")
            query = query.where(Device.county_code == county_code)
        return [
            DeviceInfo(
                d.id,
                d.county_code,
                d.registered_at,
                d.last_seen_at,
                d.revoked,
                key_id(bytes.fromhex(d.public_key)) if d.public_key else None,
            )
            for d in session.scalars(query)
        ]


def parse_public_key(text_or_path: str) -> bytes:
    """A raw 32-byte Ed25519 public key from what an administrator has at hand: a file (raw 32 bytes,
    or text) or the text itself, in hex (as `guopei-desk public-key` prints it) or base64."""
    path = Path(text_or_path)
    try:
        is_file = path.is_file()
    except OSError:  # a long base64 string is not a usable file name
        is_file = False
    data = path.read_bytes() if is_file else text_or_path.encode("utf-8")
    if len(data) == _KEY_BYTES and is_file:
        return data
    text = data.decode("utf-8", errors="replace").strip()
    if re.fullmatch(r"[0-9a-fA-F]{64}", text):
        return bytes.fromhex(text)
    try:
        raw = base64.b64decode(
            text + "=" * (-len(text) % 4), altchars=b"-_" if "-" in text or "_" in text else None
        )
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != _KEY_BYTES:
        raise ValueError(
            "无法识别的公钥：应为 32 字节的 Ed25519 公钥（64 位十六进制或 base64），或存有它的文件"
        )
    return raw


def register_key(engine: Engine, county_code: str, public: bytes) -> str:
    """Register a county's certificate-signing public key by hand; returns its key id. Every device
    receives it at its next sync. Registering the same key again changes nothing."""
    kid = key_id(public)
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        if session.get(County, county_code) is None:
            raise LookupError(f"未知的区县代码：{county_code}")
        existing = session.get(PublicKey, kid)
        if existing is not None and existing.county_code != county_code:
            raise ValueError(f"该公钥（{kid}）已登记在区县 {existing.county_code} 名下")
        if existing is None:
            session.add(
                PublicKey(key_id=kid, county_code=county_code, public_key=public.hex(), registered_at=now)
            )
    return kid
