"""The current operator as the services see it: every session carries the operator the login page or
the CLI's `--user` set on the Database (`session.info["operator"]`); a service asks `require()` before
it acts and records `actor()` on what it writes.

A county that has created no account yet works as before (no login, everything allowed, changes
recorded under the centre's name): accounts are something a county opts into, not a lock-out.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop.db.models import OperatorAccount
from desktop.domain.roles import Operator, Permission, refusal
from desktop.errors import PermissionDenied

# Recorded as the actor of changes made before the county created any account (as before issue 14).
CENTRE_ACTOR = "县教师发展中心"


def operator_of(session: Session) -> Operator | None:
    return session.info.get("operator")


def accounts_exist(session: Session) -> bool:
    # Once per session: a county without accounts asks at every check-in scan (0.4 ms each time).
    if "accounts_exist" not in session.info:
        session.info["accounts_exist"] = session.scalar(select(OperatorAccount.name).limit(1)) is not None
    return session.info["accounts_exist"]


def may(session: Session, permission: Permission) -> bool:
    operator = operator_of(session)
    if operator is None:
        return not accounts_exist(session)
    return operator.may(permission)


def allowed(session: Session, permissions: Sequence[Permission]) -> list[bool]:
    """For each permission, whether the operator has it (which pages the window lists)."""
    exist = accounts_exist(session)
    operator = operator_of(session)
    return [operator.may(p) if operator is not None else not exist for p in permissions]


def login_needed(session: Session) -> bool:
    return operator_of(session) is None and accounts_exist(session)


def require(session: Session, permission: Permission) -> None:
    """Refuse (PermissionDenied, naming the permission) unless the operator may do this."""
    if not may(session, permission):
        raise PermissionDenied(refusal(operator_of(session), permission))


def actor(session: Session, given: str | None = None) -> str:
    """The name recorded on a change: the logged-in operator's whenever one is logged in, whatever a
    caller passed; otherwise (no accounts yet) `given`, or the centre's name."""
    operator = operator_of(session)
    if operator is not None:
        return operator.name
    return given or CENTRE_ACTOR
