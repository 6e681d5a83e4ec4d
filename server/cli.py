"""`guopei-server`: run the sync server and administer counties and registration codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

DB_ENV = "GUOPEI_SERVER_DB"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guopei-server", description="国培省级同步服务器")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_db(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        default = os.environ.get(DB_ENV)
        sub.add_argument(
            "--db",
            default=default,
            required=default is None,
            help=f"数据库：SQLite 文件路径，或 postgresql+psycopg://用户@主机/库名（或环境变量 {DB_ENV}）",
        )
        return sub

    serve = with_db(commands.add_parser("serve", help="启动同步服务"))
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700)
    county = with_db(commands.add_parser("add-county", help="添加或改名一个区县"))
    county.add_argument("code")
    county.add_argument("name")
    code = with_db(commands.add_parser("issue-code", help="为区县生成一次性注册码"))
    code.add_argument("code", help="区县代码")
    code.add_argument("--days", type=int, default=7, help="有效天数")
    credits = with_db(commands.add_parser("credits", help="审核区县提交的学分"))
    credits.add_argument("county", help="区县代码")
    action = credits.add_mutually_exclusive_group()
    action.add_argument("--approve", nargs="*", metavar="记录ID", help="通过（不写 ID 则通过全部已提交的）")
    action.add_argument("--reject", metavar="记录ID", help="退回一条")
    credits.add_argument("--reason", default="", help="退回原因")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Imported late so that `--help` works without the server's dependencies installed.
    from server.admin import add_county, issue_code
    from server.app import create_app
    from server.db import create_server_engine

    if args.command == "serve":
        import uvicorn

        uvicorn.run(create_app(args.db), host=args.host, port=args.port, log_level="warning")
        return 0
    engine = create_server_engine(args.db)
    try:
        if args.command == "add-county":
            add_county(engine, args.code, args.name)
            print(f"已添加区县 {args.code} {args.name}")
        elif args.command == "credits":
            return _credits(engine, args)
        else:
            try:
                print(issue_code(engine, args.code, valid_days=args.days))
            except LookupError as error:
                print(error, file=sys.stderr)
                return 2
    finally:
        engine.dispose()
    return 0


def _credits(engine: Engine, args: argparse.Namespace) -> int:
    from server.credits import decide_credits, submitted_credits

    submitted = submitted_credits(engine, args.county)
    try:
        if args.reject:
            decide_credits(engine, args.county, [args.reject], approve=False, reason=args.reason)
            print(f"已退回 1 条：{args.reason}")
        elif args.approve is not None:
            ids = args.approve or [credit.row_id for credit in submitted]
            print(f"已通过 {decide_credits(engine, args.county, ids, approve=True)} 条")
        else:
            for c in submitted:
                print(
                    f"{c.row_id}  {c.year}  {c.level}  {c.hours:g} 学时  {c.credits:g} 学分  {c.description}"
                )
            print(f"共 {len(submitted)} 条待审核")
    except ValueError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
