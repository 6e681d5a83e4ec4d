"""Operators' roles and what each may do (issue 14). Pure: the services ask `allows()` before acting,
so a button hidden in the UI is a convenience, never the only guard.

A role is a fixed set of permissions; a permission has a Chinese label, which is what a refusal names.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from guopei_common.vocab import Labelled


class Permission(Labelled):
    VIEW = ("view", "查看名单和报表")
    VIEW_PERSONAL = ("view_personal", "查看完整身份证号和手机号")
    CHECK_IN = ("check_in", "签到考勤")
    PRINT_ATTENDANCE = ("print_attendance", "打印胸牌和签到表")
    EDIT_ROSTER = ("edit_roster", "编辑和导入花名册")
    EXPORT_PERSONAL = ("export_personal", "导出完整身份证号")
    # An exchange file holds the changes' full values (ID numbers, phones) and its import rewrites rows.
    EXCHANGE = ("exchange", "导入导出交换文件")
    MANAGE_PROJECTS = ("manage_projects", "管理培训项目和班级")
    SELECT = ("select", "报名、录取和学员状态")
    OVERRIDE = ("override", "破格报名（资格不符仍报名）")
    COMPLETE = ("complete", "结业认定")
    CREDITS = ("credits", "学分登记和上报")
    CERTIFICATES = ("certificates", "发放和补打证书")
    REVOKE = ("revoke", "撤销证书")
    CORRECT_INTEGRITY = ("correct_integrity", "更正或撤销诚信档案")
    POLICY = ("policy", "修改政策开关")
    BACKUP = ("backup", "备份与恢复")
    ACCOUNTS = ("accounts", "管理账户")
    AUDIT = ("audit", "查看审计记录")


class Role(Labelled):
    ADMIN = ("admin", "管理员")
    STAFF = ("staff", "培训管理员")
    CHECK_IN = ("check_in", "签到员")
    READER = ("reader", "查询")


_STAFF = frozenset(
    {
        Permission.VIEW,
        Permission.VIEW_PERSONAL,
        Permission.CHECK_IN,
        Permission.PRINT_ATTENDANCE,
        Permission.EDIT_ROSTER,
        Permission.EXPORT_PERSONAL,
        Permission.EXCHANGE,
        Permission.MANAGE_PROJECTS,
        Permission.SELECT,
        Permission.COMPLETE,
        Permission.CREDITS,
        Permission.CERTIFICATES,
    }
)

PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.STAFF: _STAFF,
    # A venue laptop: today's sessions, badges and sign-in sheets; names, schools, masked ID numbers.
    Role.CHECK_IN: frozenset({Permission.CHECK_IN, Permission.PRINT_ATTENDANCE}),
    Role.READER: frozenset({Permission.VIEW}),
}

# Five wrong passwords in a row lock the account for LOCK_MINUTES (counted per account, not per PC).
MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15
MIN_PASSWORD_LENGTH = 6
DEFAULT_IDLE_MINUTES = 15


@dataclass(frozen=True)
class Operator:
    """Who is at the keyboard: the logged-in account's name and role."""

    name: str
    role: Role

    def may(self, permission: Permission) -> bool:
        return permission in PERMISSIONS[self.role]


def refusal(operator: Operator | None, permission: Permission) -> str:
    """The Chinese sentence a refused operator reads: which permission is missing, and who may."""
    allowed = "、".join(role.label for role in Role if permission in PERMISSIONS[role])
    if operator is None:
        return f"请先登录：“{permission.label}”需要登录后才能进行（可以使用的角色：{allowed}）。"
    return (
        f"没有权限：{operator.name}（{operator.role.label}）没有“{permission.label}”的权限。"
        f"请由{allowed}登录后操作。"
    )


def lock_until(failed: int, *, now: dt.datetime) -> dt.datetime | None:
    """The end of the lock after `failed` wrong passwords in a row, or None while below the limit."""
    if failed < MAX_FAILED_LOGINS:
        return None
    return now + dt.timedelta(minutes=LOCK_MINUTES)


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"密码至少 {MIN_PASSWORD_LENGTH} 位"
    return None
