"""Operator accounts: creating them, logging in (five wrong passwords lock the account for a while),
changing and resetting passwords, removing them (never the last administrator).

Passwords are hashed with scrypt (memory-hard, in the standard library); neither a password nor its
hash is ever logged or leaves this PC.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.engine import Database, open_database
from desktop.db.models import OperatorAccount, Setting
from desktop.domain.audit import AuditAction
from desktop.domain.roles import (
    DEFAULT_IDLE_MINUTES,
    LOCK_MINUTES,
    MAX_FAILED_LOGINS,
    Operator,
    Permission,
    Role,
    lock_until,
    password_problem,
)
from desktop.errors import UserInputError
from desktop.services import access, audit

# scrypt cost: 16 MiB and ~50 ms per check on a county PC; enough to make a stolen file's hashes slow
# to guess, short enough that a login does not wait.
_N, _R, _P = 2**14, 8, 1


class LoginRefused(UserInputError):
    """A wrong name or password, or an account locked after too many wrong passwords."""


def hash_password(password: str) -> str:
    salt = os.urandom(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    return f"scrypt${_N}${_R}${_P}${salt.hex()}${digest.hex()}"


def _matches(password: str, stored: str) -> bool:
    _scheme, n, r, p, salt, digest = stored.split("$")
    candidate = hashlib.scrypt(
        password.encode("utf-8"), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p), dklen=32
    )
    return hmac.compare_digest(candidate.hex(), digest)


@dataclass(frozen=True)
class AccountRow:
    name: str
    role: Role
    locked_until: dt.datetime | None


@dataclass(frozen=True)
class AccountsOverview:
    """What the 账户 page shows: whether any account exists yet, the accounts, the idle-lock time."""

    exist: bool
    rows: list[AccountRow]
    idle_minutes: int


def overview(session: Session) -> AccountsOverview:
    return AccountsOverview(access.accounts_exist(session), account_rows(session), idle_minutes(session))


def account_rows(session: Session) -> list[AccountRow]:
    access.require(session, Permission.ACCOUNTS)
    return [
        AccountRow(account.name, Role(account.role), account.locked_until)
        for account in session.scalars(select(OperatorAccount).order_by(OperatorAccount.created_at))
    ]


def add_account(session: Session, name: str, role: Role, password: str) -> None:
    """新建账户. The first account must be an administrator (created without a login: there is none
    yet); later ones only by an administrator."""
    name = name.strip()
    if not name:
        raise UserInputError("请填写账户名")
    if len(name) > 50:
        raise UserInputError("账户名最多 50 个字")
    if access.accounts_exist(session):
        access.require(session, Permission.ACCOUNTS)
    elif role != Role.ADMIN:
        raise UserInputError("第一个账户必须是管理员")
    problem = password_problem(password)
    if problem:
        raise UserInputError(problem)
    if session.get(OperatorAccount, name) is not None:
        raise UserInputError(f"账户“{name}”已存在")
    session.add(
        OperatorAccount(
            name=name,
            role=role.value,
            password_hash=hash_password(password),
            failed_logins=0,
            created_at=dt.datetime.now(),
        )
    )
    session.flush()
    audit.record(session, AuditAction.ACCOUNT_ADD, detail={"name": name, "role": role.label}, actor=name)


def login(db: Database, name: str, password: str, *, now: dt.datetime | None = None) -> Operator:
    """Log in: the operator becomes the Database's (every later session carries it). Refused when the
    password is wrong or the account locked; a wrong name and a wrong password get the same answer (no
    list of names to guess from). The failed attempt is counted and saved before the refusal is raised."""
    operator, refusal = _attempt(db, name.strip(), password, now=now or dt.datetime.now())
    if operator is None:
        raise LoginRefused(refusal)
    db.operator = operator
    return operator


def unlock(db: Database, password: str, *, now: dt.datetime | None = None) -> Operator:
    """The idle lock opens only for the operator who was logged in, with the same rules as a login."""
    if db.operator is None:
        raise LoginRefused("没有登录的操作员")
    return login(db, db.operator.name, password, now=now)


def log_out(db: Database) -> None:
    db.operator = None


def _attempt(db: Database, name: str, password: str, *, now: dt.datetime) -> tuple[Operator | None, str]:
    with db.write() as session:
        account = session.get(OperatorAccount, name)
        if account is None:
            return None, "账户名或密码不对"
        if account.locked_until is not None and account.locked_until > now:
            minutes = max(1, math.ceil((account.locked_until - now).total_seconds() / 60))
            return None, (
                f"账户“{account.name}”因连续输错密码已锁定，请 {minutes} 分钟后再试，或请管理员重置密码"
            )
        if not _matches(password, account.password_hash):
            account.failed_logins += 1
            account.locked_until = lock_until(account.failed_logins, now=now)
            audit.record(session, AuditAction.LOGIN_FAILED, detail={"name": account.name}, actor=account.name)
            if account.locked_until is not None:
                return None, f"密码连续输错 {account.failed_logins} 次，账户已锁定 {LOCK_MINUTES} 分钟"
            return (
                None,
                f"账户名或密码不对（已连续输错 {account.failed_logins} 次，"
                f"输错 {MAX_FAILED_LOGINS} 次将锁定）",
            )
        account.failed_logins = 0
        account.locked_until = None
        operator = Operator(account.name, Role(account.role))
        session.info["operator"] = operator
        audit.record(session, AuditAction.LOGIN)
    return operator, ""


def change_password(session: Session, old: str, new: str) -> None:
    """The logged-in operator changes their own password."""
    operator = access.operator_of(session)
    if operator is None:
        raise UserInputError("请先登录")
    account = session.get_one(OperatorAccount, operator.name)
    if not _matches(old, account.password_hash):
        raise UserInputError("原密码不对")
    _set_password(account, new)
    audit.record(session, AuditAction.PASSWORD_CHANGE, detail={"name": operator.name})


def reset_password(session: Session, name: str, new: str) -> None:
    """An administrator sets another operator's password (forgotten, or the account locked)."""
    access.require(session, Permission.ACCOUNTS)
    account = _account(session, name)
    _set_password(account, new)
    audit.record(session, AuditAction.PASSWORD_RESET, detail={"name": name})


def remove_account(session: Session, name: str) -> None:
    access.require(session, Permission.ACCOUNTS)
    account = _account(session, name)
    if account.role == Role.ADMIN.value:
        admins = session.scalar(
            select(func.count()).select_from(OperatorAccount).where(OperatorAccount.role == Role.ADMIN.value)
        )
        if admins <= 1:
            raise UserInputError(f"“{name}”是最后一个管理员，不能删除：请先新建另一个管理员账户")
    session.delete(account)
    audit.record(session, AuditAction.ACCOUNT_REMOVE, detail={"name": name})


def _account(session: Session, name: str) -> OperatorAccount:
    account = session.get(OperatorAccount, name.strip())
    if account is None:
        raise UserInputError(f"没有账户“{name}”")
    return account


def _set_password(account: OperatorAccount, password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise UserInputError(problem)
    account.password_hash = hash_password(password)
    account.failed_logins = 0
    account.locked_until = None


IDLE_SETTING = settings.IDLE_LOCK_MINUTES.key


def idle_minutes(session: Session) -> int:
    """Minutes without a key or click before the window locks (0: never)."""
    setting = session.get(Setting, IDLE_SETTING)
    return int(setting.value) if setting is not None else DEFAULT_IDLE_MINUTES


def set_idle_minutes(session: Session, minutes: int) -> None:
    access.require(session, Permission.ACCOUNTS)
    if not 0 <= minutes <= 240:
        raise UserInputError("自动锁定时间应在 0（不锁定）到 240 分钟之间")
    setting = session.get(Setting, IDLE_SETTING)
    if setting is None:
        session.add(Setting(key=IDLE_SETTING, value=minutes))
    else:
        setting.value = minutes


def first_administrator_needed(data_dir: Path) -> bool:
    """Whether the county just built, downloaded or restored in `data_dir` has no account yet (the
    first-start page then offers to create its administrator)."""
    db = open_database(data_dir)
    try:
        with db.read() as session:
            return not access.accounts_exist(session)
    finally:
        db.dispose()


def add_first_administrator(data_dir: Path, name: str, password: str) -> None:
    """The county's first account, an administrator, from the first-start page (no login yet)."""
    db = open_database(data_dir)
    try:
        with db.write() as session:
            add_account(session, name, Role.ADMIN, password)
    finally:
        db.dispose()
