"""`guopei-server`: run the sync server and administer counties and registration codes."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

DB_ENV = "GUOPEI_SERVER_DB"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guopei-server", description="国培省级同步服务器")
    commands = parser.add_subparsers(dest="command", required=True)

    def with_db(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        default = os.environ.get(DB_ENV)
        sub.add_argument(
            "--db",
            type=Path,
            default=Path(default) if default else None,
            required=default is None,
            help=f"服务器数据库文件（或环境变量 {DB_ENV}）",
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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Imported late so that `--help` works without the server's dependencies installed.
    from server.app import add_county, create_app, issue_code
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
        else:
            try:
                print(issue_code(engine, args.code, valid_days=args.days))
            except LookupError as error:
                print(error, file=sys.stderr)
                return 2
    finally:
        engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
