"""Roles are fixed sets of permissions; a refusal names the missing permission in Chinese."""

from __future__ import annotations

import datetime as dt

from desktop.domain.roles import (
    MAX_FAILED_LOGINS,
    PERMISSIONS,
    Operator,
    Permission,
    Role,
    lock_until,
    refusal,
)


def test_each_role_has_its_fixed_set():
    assert PERMISSIONS[Role.ADMIN] == frozenset(Permission)
    staff = PERMISSIONS[Role.STAFF]
    assert Permission.ACCOUNTS not in staff and Permission.POLICY not in staff
    assert {Permission.COMPLETE, Permission.CERTIFICATES, Permission.CREDITS} <= staff
    assert PERMISSIONS[Role.CHECK_IN] == {Permission.CHECK_IN, Permission.PRINT_ATTENDANCE}
    assert PERMISSIONS[Role.READER] == {Permission.VIEW}


def test_refusal_names_the_operator_the_permission_and_who_may():
    text = refusal(Operator("王芳", Role.READER), Permission.COMPLETE)
    assert "王芳（查询）没有“结业认定”的权限" in text
    assert "管理员、培训管理员" in text


def test_refusal_without_a_login_asks_to_log_in():
    assert refusal(None, Permission.ACCOUNTS).startswith("请先登录：“管理账户”")


def test_the_fifth_wrong_password_locks():
    now = dt.datetime(2026, 12, 2, 9, 0)
    assert lock_until(MAX_FAILED_LOGINS - 1, now=now) is None
    assert lock_until(MAX_FAILED_LOGINS, now=now) > now
