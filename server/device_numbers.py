"""Device numbers: each registered PC of a county gets the next free number (1, 2 …), once, never
reused, which its certificate serials carry (`522727-2026-D02-00042`), so that no two PCs of a county
can issue the same serial, online or offline."""

from __future__ import annotations

from sqlalchemy import Engine, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.db import Device

MAX_DEVICE_NUMBER = 999


class NumbersExhausted(RuntimeError):
    """A county with 999 devices registered: none is left (never expected in practice)."""


def assign_number(session: Session, device: Device) -> int:
    """The device's number, given now (inside the caller's transaction) if it has none. Revoked devices
    keep theirs: their certificates are still in people's hands."""
    if device.number is not None:
        return device.number
    highest = session.scalar(select(func.max(Device.number)).where(Device.county_code == device.county_code))
    number = (highest or 0) + 1
    if number > MAX_DEVICE_NUMBER:
        raise NumbersExhausted(f"{device.county_code} 的设备编号已用完")
    device.number = number
    session.flush()  # the unique index (county, number) refuses a number another process took
    return number


def device_number(engine: Engine, device_id: str) -> int:
    """The number of a registered device, assigned on first request for a device registered before
    numbers existed. Two server processes racing for one number: the loser tries again."""
    for _attempt in range(5):
        try:
            with Session(engine) as session, session.begin():
                return assign_number(session, session.get_one(Device, device_id))
        except IntegrityError:
            continue
    raise NumbersExhausted("设备编号分配冲突，请重试")
