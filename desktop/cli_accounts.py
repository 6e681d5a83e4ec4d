"""The command line's accounts: `--user NAME` on the commands that change data, and the `user` verbs
(add, list, passwd, remove). Passwords are asked for without echo, or read from the environment for
scripts: GUOPEI_DESK_PASSWORD is the password of `--user` (or of the first administrator being
created), GUOPEI_DESK_NEW_PASSWORD the password being set for someone else or changed to."""

from __future__ import annotations

import argparse
import getpass
import os
from typing import TYPE_CHECKING

from desktop.domain.roles import Role
from desktop.errors import UserInputError

if TYPE_CHECKING:
    from desktop.db.engine import Database

PASSWORD_ENV = "GUOPEI_DESK_PASSWORD"
NEW_PASSWORD_ENV = "GUOPEI_DESK_NEW_PASSWORD"
USER_HINT = (
    "本县已建立账户：修改数据的命令请加 --user 账户名（密码在提示时输入，"
    f"脚本中可由环境变量 {PASSWORD_ENV} 提供）。"
)


def add_user_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--user",
        metavar="账户名",
        help=f"以此账户操作（本县建立账户后，修改数据的命令必须给出；密码见 {PASSWORD_ENV}）",
    )


def add_parsers(commands: argparse._SubParsersAction) -> None:
    users = commands.add_parser("user", help="操作员账户：新建、列出、改密码、删除（管理员）")
    verbs = users.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="新建账户（第一个账户须为管理员，无需 --user）")
    add.add_argument("name", metavar="账户名")
    add.add_argument("--role", required=True, metavar="角色", help="管理员、培训管理员、签到员、查询")
    verbs.add_parser("list", help="列出账户和角色")
    passwd = verbs.add_parser("passwd", help="修改自己的密码；管理员给出账户名时重置他人的密码")
    passwd.add_argument("name", nargs="?", metavar="账户名")
    remove = verbs.add_parser("remove", help="删除账户（最后一个管理员不能删除）")
    remove.add_argument("name", metavar="账户名")


def parse_role(text: str) -> Role:
    for role in Role:
        if text in (role.value, role.label):
            return role
    raise UserInputError(f"没有角色“{text}”：可选 {'、'.join(role.label for role in Role)}")


def log_in(db: Database, user: str | None) -> None:
    """Log `user` in on `db` (nothing when no user was given: the services refuse what needs one)."""
    if user is None:
        return
    from desktop.services import accounts

    accounts.login(db, user, _password(PASSWORD_ENV, f"{user} 的密码："))


def run(args: argparse.Namespace, db: Database) -> int:
    from desktop.services import access, accounts

    if args.verb == "add":
        role = parse_role(args.role)
        with db.read() as session:
            first = not access.accounts_exist(session)
        # The first administrator's password is the one GUOPEI_DESK_PASSWORD gives (there is no --user).
        password = _new_password(PASSWORD_ENV if first else NEW_PASSWORD_ENV, f"{args.name} 的密码：")
        with db.write() as session:
            accounts.add_account(session, args.name, role, password)
        print(f"已新建账户 {args.name}（{role.label}）")
        return 0
    if args.verb == "list":
        with db.read() as session:
            rows = accounts.account_rows(session)
        for row in rows:
            locked = f"  已锁定至 {row.locked_until:%H:%M}" if row.locked_until else ""
            print(f"{row.name}\t{row.role.label}{locked}")
        return 0
    if args.verb == "passwd":
        if args.name and (db.operator is None or args.name != db.operator.name):
            password = _new_password(NEW_PASSWORD_ENV, f"{args.name} 的新密码：")
            with db.write() as session:
                accounts.reset_password(session, args.name, password)
            print(f"已重置 {args.name} 的密码")
            return 0
        if db.operator is None:
            raise UserInputError("修改自己的密码请加 --user 账户名")
        old = os.environ.get(PASSWORD_ENV) or _ask("当前密码：")
        new = _new_password(NEW_PASSWORD_ENV, "新密码：")
        with db.write() as session:
            accounts.change_password(session, old, new)
        print("密码已修改")
        return 0
    with db.write() as session:
        accounts.remove_account(session, args.name)
    print(f"已删除账户 {args.name}")
    return 0


def _password(env: str, prompt: str) -> str:
    return os.environ.get(env) or _ask(prompt)


def _new_password(env: str, prompt: str) -> str:
    given = os.environ.get(env)
    if given:
        return given
    password = _ask(prompt)
    if _ask("再输入一次：") != password:
        raise UserInputError("两次输入的密码不一致，没有修改")
    return password


def _ask(prompt: str) -> str:
    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise UserInputError(f"没有输入密码。脚本中可用环境变量 {PASSWORD_ENV} 提供") from None


def refused_hint(args: argparse.Namespace) -> str | None:
    """What to add after a refusal for want of a login: the --user option, unless one was given."""
    return USER_HINT if getattr(args, "user", None) is None else None
