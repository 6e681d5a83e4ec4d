"""The `guopei-desk` command: the GUI by default, subcommands for headless work."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from desktop.errors import GuopeiError
from desktop.logs import setup_logging
from desktop.paths import default_data_dir, default_demo_dir, log_dir

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guopei-desk", description="国培桌面端：县级教师培训管理")
    parser.add_argument("--data-dir", type=Path, help="数据目录（默认：本机用户数据目录）")
    commands = parser.add_subparsers(dest="command")

    demo = commands.add_parser("demo", help="建立演示县并打开程序")
    demo.add_argument("--no-gui", action="store_true", help="只建立演示数据，不打开窗口")
    demo.add_argument("--teachers", type=int, default=3000, help="教师人数（基准测试可用 200000）")
    demo.add_argument("--seed", type=int, default=20201, help="随机种子：同一种子得到同样的数据")
    demo.add_argument("--replace", action="store_true", help="数据目录中已有数据库时删除重建")

    shot = commands.add_parser("screenshot", help="把每个页面渲染为 PNG 后退出")
    shot.add_argument("--out", type=Path, required=True, help="输出目录")
    shot.add_argument("--size", default="1366x768", help="窗口大小，如 1366x768")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data_dir: Path | None = args.data_dir
    log_path = setup_logging(log_dir(data_dir))
    try:
        if args.command == "demo":
            return _demo(args, data_dir or default_demo_dir(), log_path)
        if args.command == "screenshot":
            return _screenshot(args, data_dir or default_data_dir())
        return _run_gui(data_dir or default_data_dir(), log_path)
    except GuopeiError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2


def _demo(args: argparse.Namespace, data_dir: Path, log_path: Path) -> int:
    from desktop.db.engine import DB_FILENAME
    from desktop.services.demo_county import build_demo_county

    existing = data_dir / DB_FILENAME
    if existing.exists():
        # The default demo folder is ours to rebuild; a folder the user named might hold a real county.
        if not (args.replace or args.data_dir is None):
            print(f"错误：{data_dir} 中已有数据库。如确定要删除重建演示县，请加 --replace。", file=sys.stderr)
            return 2
        for name in (DB_FILENAME, f"{DB_FILENAME}-wal", f"{DB_FILENAME}-shm"):
            (data_dir / name).unlink(missing_ok=True)

    def report(percent: int, message: str) -> None:
        print(f"\r[{percent:3d}%] {message}", end="", flush=True)

    summary = build_demo_county(data_dir, teachers=args.teachers, seed=args.seed, progress=report)
    print()
    print(f"演示县已建立：{data_dir}")
    print(f"  学校 {summary.schools}，教师 {summary.teachers}，", end="")
    print(f"项目 {summary.projects}，报名 {summary.enrollments}")
    if args.no_gui:
        return 0
    return _run_gui(data_dir, log_path)


def _open_window(data_dir: Path):
    from desktop.db.engine import open_database
    from desktop.ui.app import create_application
    from desktop.ui.context import AppContext
    from desktop.ui.main_window import MainWindow

    app = create_application(sys.argv[:1])
    db = open_database(data_dir)
    return app, MainWindow(AppContext(db))


def _run_gui(data_dir: Path, log_path: Path) -> int:
    from desktop.ui.app import create_application
    from desktop.ui.errors import install_excepthook, show_error

    app = create_application(sys.argv[:1])
    install_excepthook(log_path)
    try:
        _, window = _open_window(data_dir)
    except GuopeiError as error:
        show_error(None, error, log_path=log_path)
        return 2
    log.info("main window opened on %s", data_dir)
    window.show()
    return app.exec()


def _screenshot(args: argparse.Namespace, data_dir: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.ui.screenshot import render_pages

    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
    except ValueError:
        print(f"错误：--size 应写成 宽x高，如 1366x768，而不是 {args.size}", file=sys.stderr)
        return 2
    _, window = _open_window(data_dir)
    for path in render_pages(window, args.out, width=width, height=height):
        print(path)
    window.context.db.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
