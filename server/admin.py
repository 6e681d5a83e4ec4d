"""Administration of the server, used by server.cli (which stays a thin argument parser)."""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from server.db import County, Device, RegistrationCode, secret_hash


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
