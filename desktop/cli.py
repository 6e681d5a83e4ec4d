"""The `guopei-desk` command: the GUI by default, subcommands for headless work."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from desktop import __version__, build_info, cli_accounts, cli_exchange, cli_reports
from desktop.db.instance_lock import InstanceLock
from desktop.errors import GuopeiError, PermissionDenied

if TYPE_CHECKING:
    from desktop.db.engine import Database
from desktop.logs import setup_logging
from desktop.paths import default_data_dir, default_demo_dir, log_dir

log = logging.getLogger(__name__)

# Commands that only read may run beside an open window; every other one needs the county to itself.
READ_ONLY_COMMANDS = {"eligibility", "verify", "backups", "backup", "report"}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="guopei-desk", description="国培桌面端：县级教师培训管理")
    parser.add_argument("--data-dir", type=Path, help="数据目录（默认：本机用户数据目录）")
    parser.add_argument(
        "--version",
        action="version",
        version=f"guopei-desk {__version__}（{build_info()}）",
        help="显示版本和构建信息后退出",
    )
    cli_accounts.add_user_option(parser)
    commands = parser.add_subparsers(dest="command")
    cli_accounts.add_parsers(commands)

    demo = commands.add_parser("demo", help="建立演示县并打开程序")
    demo.add_argument("--no-gui", action="store_true", help="只建立演示数据，不打开窗口")
    demo.add_argument("--teachers", type=int, default=3000, help="教师人数（基准测试可用 200000）")
    demo.add_argument("--seed", type=int, default=20201, help="随机种子：同一种子得到同样的数据")
    demo.add_argument("--replace", action="store_true", help="数据目录中已有数据库时删除重建")

    init = commands.add_parser("init", help="在新电脑上建立本县数据：离线开始，或连接省级平台下载")
    init.add_argument("--county", metavar="代码", help="离线开始：县级行政区划代码（GB/T 2260），如 522727")
    init.add_argument("--centre", default="", metavar="名称", help="培训机构名称（默认：某某县教师发展中心）")
    init.add_argument("--server", metavar="地址", help="省级平台地址（与 --code 一起使用）")
    init.add_argument("--code", metavar="注册码", help="省级平台发给本县的一次性注册码")

    importer = commands.add_parser("import", help="从 Excel/CSV 导入")
    import_what = importer.add_subparsers(dest="what", required=True)
    teachers_in = import_what.add_parser("teachers", help="导入教师名单（.xlsx/.xls/.csv）")
    teachers_in.add_argument("file", type=Path)
    teachers_in.add_argument("--dry-run", action="store_true", help="只检查并报告，不写入")
    teachers_in.add_argument("--report", type=Path, help="把被拒绝的行及原因保存为 .xlsx")
    teachers_in.add_argument("--create-schools", action="store_true", help="自动新建名单中没有的学校")
    teachers_in.add_argument("--reserve-pool", metavar="原因", help="同时把导入的教师加入储备库")

    exporter = commands.add_parser("export", help="导出为 Excel")
    export_what = exporter.add_subparsers(dest="what", required=True)
    teachers_out = export_what.add_parser("teachers", help="导出教师名单")
    teachers_out.add_argument("out", type=Path)
    teachers_out.add_argument(
        "--filter", action="append", default=[], metavar="键=值", help="如 乡镇=克度镇、学段=小学"
    )
    teachers_out.add_argument("--query", default="", help="与搜索框相同：姓名、拼音、身份证号数字")
    teachers_out.add_argument(
        "--full-id", action="store_true", help="导出完整身份证号和手机号（记入审计日志）"
    )

    eligibility = commands.add_parser("eligibility", help="判断一名教师能否参加某项目，并列出全部理由")
    eligibility.add_argument("--teacher", required=True, metavar="身份证号")
    eligibility.add_argument("--project", required=True, metavar="项目编号")

    policy = commands.add_parser("policy", help="查看或设置省级政策开关（同步接通前由管理员按省厅通知设置）")
    policy.add_argument("--offline-training", choices=("suspended", "allowed"), help="暂停/恢复线下集中培训")
    policy.add_argument("--guopei-limit", type=int, help="周期内最多参加国培次数")
    policy.add_argument("--cycle-years", type=int, help="周期年数")

    certs = commands.add_parser("certificates", help="为项目的结业学员签发并打印结业证书")
    certs.add_argument("--project", required=True, metavar="项目编号")
    certs.add_argument("--out", required=True, type=Path, help="输出目录")
    certs.add_argument("--separate", action="store_true", help="另外为每名学员单独生成一个 PDF")

    transcript = commands.add_parser("transcript", help="打印教师的学时学分证明")
    transcript.add_argument("--teacher", required=True, metavar="身份证号")
    transcript.add_argument("--out", required=True, type=Path, help="输出的 PDF 文件")

    verify = commands.add_parser("verify", help="核验结业证书二维码（离线）")
    verify.add_argument("qrtext", help="扫描证书二维码得到的文字")
    commands.add_parser("public-key", help="打印本机的证书签名公钥（供省级登记）")

    commands.add_parser("sync", help="与省级平台同步一次：上传本机的修改，下载本县的变化")
    rebuild = commands.add_parser(
        "rebuild", help="数据库损坏时：旧文件改名保留，从省级平台重新下载本县全部数据"
    )
    rebuild.add_argument("--force", action="store_true", help="数据库检查正常时也重建")

    backup = commands.add_parser("backup", help="立即加密备份本县数据库，打印备份文件路径")
    backup.add_argument("--to", type=Path, metavar="DIR", help="本次另外复制一份到此文件夹（U 盘、网络共享）")
    backups = commands.add_parser("backups", help="列出备份：时间、大小、是否已校验、原因")
    backups.add_argument(
        "--folder", type=Path, metavar="DIR", help="列出此文件夹中的备份（默认：数据目录/backups）"
    )
    restore = commands.add_parser("restore", help="从备份恢复：先校验，当前数据库改名保留")
    restore.add_argument("file", type=Path, help="备份文件（.gpbak）")
    commands.add_parser("backup-password", help="设置或修改备份密码（修改需要当前密码）")

    cli_exchange.add_parsers(commands)
    cli_reports.add_parsers(commands)
    shot = commands.add_parser("screenshot", help="把每个页面（窗口大小）和每个对话框渲染为 PNG 后退出")
    shot.add_argument("--out", type=Path, required=True, help="输出目录")
    shot.add_argument("--size", default="1366x768", help="窗口大小，如 1366x768")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    data_dir: Path | None = args.data_dir
    log_path = setup_logging(log_dir(data_dir))
    folder = data_dir or (default_demo_dir() if args.command == "demo" else default_data_dir())
    try:
        with ExitStack() as held:
            if args.command not in READ_ONLY_COMMANDS:
                what = f"命令 guopei-desk {args.command}" if args.command else "程序窗口"
                held.enter_context(InstanceLock(folder, what=what))
            return _run_command(args, folder, log_path)
    except GuopeiError as error:
        print(f"错误：{error}", file=sys.stderr)
        hint = cli_accounts.refused_hint(args) if isinstance(error, PermissionDenied) else None
        if hint:
            print(hint, file=sys.stderr)
        return 2
    except Exception:
        log.exception("command failed: %s", args.command)
        print(f"程序出现意外错误，操作没有完成。详情已记录在日志文件：{log_path}", file=sys.stderr)
        return 3


def _run_command(args: argparse.Namespace, data_dir: Path, log_path: Path) -> int:
    """The command's work, in the data directory it applies to (the demo's own one by default)."""
    if args.command == "init":
        return _init(args, data_dir)
    if args.command == "demo":
        return _demo(args, data_dir, log_path)
    if args.command == "user":
        with _database(data_dir, args.user) as db:
            return cli_accounts.run(args, db)
    if args.command == "import":
        return _import_teachers(args, data_dir)
    if args.command == "export":
        return _export_teachers(args, data_dir)
    if args.command == "eligibility":
        return _eligibility(args, data_dir)
    if args.command == "policy":
        return _policy(args, data_dir)
    if args.command == "certificates":
        return _certificates(args, data_dir)
    if args.command == "transcript":
        return _transcript(args, data_dir)
    if args.command == "verify":
        return _verify(args, data_dir)
    if args.command == "public-key":
        return _public_key(data_dir)
    if args.command == "sync":
        return _sync(data_dir)
    if args.command == "rebuild":
        return _rebuild_from_server(args, data_dir)
    if args.command == "backup":
        return _backup_now(args, data_dir)
    if args.command == "backups":
        return _backup_list(args, data_dir)
    if args.command == "restore":
        return _backup_restore(args, data_dir)
    if args.command == "backup-password":
        return _backup_password(data_dir)
    if args.command == "screenshot":
        return _screenshot(args, data_dir)
    if args.command == "report":
        with _database(data_dir, args.user) as db:
            return cli_reports.run(args, db)
    if args.command == "exchange":
        with _database(data_dir, args.user) as db:
            return cli_exchange.run(args, db)
    return _run_gui(data_dir, log_path)


def _init(args: argparse.Namespace, data_dir: Path) -> int:
    if args.server or args.code:
        # --code alone may be the registration QR code's whole text, which holds the address too.
        if not args.code or args.county:
            print("错误：连接省级平台需要 --server 和 --code（不与 --county 同用）", file=sys.stderr)
            return 2
        return _init_from_server(args, data_dir)
    if not args.county:
        print(
            "错误：请给出 --county 区县代码（离线开始），或 --server 与 --code（连接省级平台）",
            file=sys.stderr,
        )
        return 2
    return _init_county(args, data_dir)


FIRST_ADMIN_HINT = (
    "建议建立管理员账户（之后需登录，修改和查看个人信息都有记录）：guopei-desk user add 账户名 --role 管理员"
)


def _init_county(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop.services.county_setup import init_county

    db = init_county(data_dir, args.county, centre_name=args.centre)
    db.dispose()
    print(f"已建立 {db.device.county_name}（{db.device.county_code}）的数据：{db.path}")
    print("下一步：导入教师名单，如 guopei-desk import teachers 名单.xlsx --create-schools")
    print(FIRST_ADMIN_HINT)
    return 0


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

    shown: list[int] = []

    def report(percent: int, message: str) -> None:
        if not shown or percent != shown[-1]:
            shown.append(percent)
            print(f"\r[{percent:3d}%] {message}", end="", flush=True)

    summary = build_demo_county(
        data_dir, teachers=args.teachers, seed=args.seed, progress=report, accounts=True
    )
    print()
    print(f"演示县已建立：{data_dir}")
    print(f"  学校 {summary.schools}，教师 {summary.teachers}，", end="")
    print(f"项目 {summary.projects}，报名 {summary.enrollments}")
    if args.no_gui:
        return 0
    return _run_gui(data_dir, log_path)


def _open_window(data_dir: Path, *, user: str | None = None):  # returns (QApplication, MainWindow)
    from desktop.db.engine import open_database
    from desktop.services.demo_county import log_in_demo_admin
    from desktop.ui.app import create_application
    from desktop.ui.context import AppContext
    from desktop.ui.main_window import MainWindow

    app = create_application(sys.argv[:1])
    db = open_database(data_dir)
    if user is not None:
        cli_accounts.log_in(db, user)
    else:
        log_in_demo_admin(db)  # a demo county's pages are shown as its administrator sees them
    return app, MainWindow(AppContext(db))


def _run_gui(data_dir: Path, log_path: Path) -> int:
    from desktop.ui.app import create_application
    from desktop.ui.errors import install_excepthook
    from desktop.ui.launcher import Launcher

    app = create_application(sys.argv[:1])
    install_excepthook(log_path)
    launcher = Launcher(data_dir, log_path=log_path)
    launcher.start()
    log.info("window opened on %s", data_dir)
    code = app.exec()
    launcher.close()
    return code


@contextmanager
def _database(data_dir: Path, user: str | None = None) -> Iterator[Database]:
    """The county database of a command, with `user` logged in (--user), closed however it ends."""
    from desktop.db.engine import open_database

    db = open_database(data_dir)
    try:
        cli_accounts.log_in(db, user)
        yield db
    finally:
        db.dispose()


def _import_teachers(args: argparse.Namespace, data_dir: Path) -> int:
    """Exit status 0 when every row was accepted, 1 when some were refused, 2 on an error."""
    import datetime as dt

    from desktop.services.roster_import import apply_teacher_import, preview_teacher_import, save_refused_rows

    today = dt.date.today()
    with _database(data_dir, args.user) as db:
        with db.read() as session:
            preview = preview_teacher_import(
                session, args.file, today=today, create_schools=args.create_schools
            )
        print(f"{args.file.name}：第 {preview.header.row} 行为表头，共 {len(preview.outcomes)} 行数据")
        print(preview.summary())
        for outcome in preview.refused[:50]:
            print(f"  第 {outcome.row} 行 {outcome.name}：{outcome.reason}")
        if len(preview.refused) > 50:
            print(f"  ……另有 {len(preview.refused) - 50} 行被拒绝，详见 --report 报告")
        if args.report and preview.refused:
            with db.write() as session:
                save_refused_rows(session, preview, args.report)
            print(f"被拒绝的行已保存到 {args.report}")
        if args.dry_run:
            print("（试运行：没有写入任何数据）")
        else:
            with db.write() as session:
                result = apply_teacher_import(
                    session,
                    preview,
                    county_code=db.device.county_code,
                    today=today,
                    reserve_pool_reason=args.reserve_pool,
                )
            print(f"已导入：新增 {result.created} 人，更新 {result.updated} 人，", end="")
            print(f"新建学校 {result.schools_created} 所")
        return 1 if preview.refused else 0


def _export_teachers(args: argparse.Namespace, data_dir: Path) -> int:
    import getpass

    from desktop.services.roster_export import export_teachers
    from desktop.services.roster_filters import parse_filters

    with _database(data_dir, args.user) as db, db.write() as session:
        flt = parse_filters(session, args.filter, query=args.query)
        count = export_teachers(session, flt, args.out, full_numbers=args.full_id, actor=getpass.getuser())
    masked = "（含完整身份证号，已记入审计日志）" if args.full_id else "（身份证号、手机号已脱敏）"
    print(f"已导出 {count} 人到 {args.out}{masked}")
    return 0


def _eligibility(args: argparse.Namespace, data_dir: Path) -> int:
    """Exit status 0 when eligible, 1 when not, 2 on an error (unknown teacher or project)."""
    from desktop.services.selection import check_eligibility, find_project, find_teacher
    from guopei_common.idnumber import mask_id_number

    with _database(data_dir) as db, db.read() as session:
        teacher = find_teacher(session, args.teacher)
        project = find_project(session, args.project)
        decision = check_eligibility(session, teacher.id, project.id)
        print(f"{teacher.name}（{mask_id_number(teacher.id_number)}）— {project.code} {project.name}")
    print("结论：" + ("符合参训条件" if decision.eligible else "不符合参训条件"))
    for reason in decision.reasons:
        print(f"  {'✓' if reason.met else '✗'} {reason.explained()}")
    return 0 if decision.eligible else 1


def _policy(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop.domain.eligibility import Policy
    from desktop.services import projects, selection

    with _database(data_dir, args.user) as db, db.write() as session:
        if args.offline_training:
            projects.set_offline_suspended(session, args.offline_training == "suspended")
        if args.guopei_limit is not None or args.cycle_years is not None:
            current = selection.policy(session)
            limit = args.guopei_limit if args.guopei_limit is not None else current.guopei_limit
            years = args.cycle_years if args.cycle_years is not None else current.cycle_years
            if limit < 1 or years < 1:
                print("错误：次数和年数都应至少为 1", file=sys.stderr)
                return 2
            selection.set_policy(session, Policy(guopei_limit=limit, cycle_years=years))
        suspended = projects.offline_suspended(session)
        rules = selection.policy(session)
    print(f"疫情防控期间暂停线下集中培训：{'是' if suspended else '否'}")
    print(f"国培参训限制：每 {rules.cycle_years} 年最多 {rules.guopei_limit} 次")
    return 0


def _certificates(args: argparse.Namespace, data_dir: Path) -> int:
    import datetime as dt

    from desktop.services import certificates
    from desktop.services.certificate_printing import print_certificates
    from desktop.services.selection import find_project

    with _database(data_dir, args.user) as db, db.write() as session:
        project = find_project(session, args.project)
        new = certificates.issue_for_project(
            session, project.id, county_code=db.device.county_code, issued_on=dt.date.today()
        )
        ids = [
            row.id for row in certificates.certificate_rows(session, project_id=project.id) if not row.revoked
        ]
        if not ids:
            print(f"“{project.name}”还没有结业学员，没有证书可打印", file=sys.stderr)
            return 1
        out = args.out / f"{project.code}-结业证书.pdf"
        pages = print_certificates(
            session,
            ids,
            out,
            county_name=db.device.county_name,
            per_trainee_dir=args.out / project.code if args.separate else None,
        )
    print(f"新签发 {len(new)} 张，共打印 {pages} 张：{out}")
    return 0


def _transcript(args: argparse.Namespace, data_dir: Path) -> int:
    import datetime as dt

    from desktop.services.certificate_printing import write_transcript
    from desktop.services.selection import find_teacher

    with _database(data_dir, args.user) as db, db.read() as session:
        teacher = find_teacher(session, args.teacher)
        pages = write_transcript(
            session, teacher.id, args.out, county_name=db.device.county_name, today=dt.date.today()
        )
    print(f"学时学分证明（{pages} 页）：{args.out}")
    return 0


def _verify(args: argparse.Namespace, data_dir: Path) -> int:
    """Exit status 0 when the certificate is valid, 1 when it is not (invalid, revoked, unknown key)."""
    from desktop.services.certificates import verify

    with _database(data_dir) as db, db.read() as session:
        verdict = verify(session, args.qrtext)
    print(f"核验结果：{verdict.reason}")
    if verdict.claims is not None:
        c = verdict.claims
        print(f"  证书编号：{c.serial}")
        print(f"  持证人：{c.holder_name}（{c.masked_id_number}）")
        print(f"  项目：{c.project_code} {c.project_name}")
        print(f"  学时/学分：{c.hours:g} / {c.credits:g}，发证日期：{c.issued_on}")
    return 0 if verdict.valid else 1


def _public_key(data_dir: Path) -> int:
    """The key is public; printing it is how a PC registered before keys travelled gets its
    certificates verified in other counties. The private key stays in the database."""
    from desktop.services.certificates import signing_key
    from guopei_common.certificate_signing import key_id, public_key_of

    with _database(data_dir) as db, db.write() as session:
        public = public_key_of(signing_key(session))
    print(public.hex())
    print(f"公钥编号：{key_id(public)}", file=sys.stderr)
    return 0


def _screenshot(args: argparse.Namespace, data_dir: Path) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from desktop.db.engine import DB_FILENAME
    from desktop.ui.app import create_application
    from desktop.ui.first_start import FirstStartPage
    from desktop.ui.screenshot import render_dialogs, render_first_start, render_lock_screens, render_pages

    try:
        width, height = (int(part) for part in args.size.lower().split("x"))
    except ValueError:
        print(f"错误：--size 应写成 宽x高，如 1366x768，而不是 {args.size}", file=sys.stderr)
        return 2
    if not (data_dir / DB_FILENAME).exists():
        # No county yet: what this PC shows is the first-start page.
        create_application(sys.argv[:1])
        page = FirstStartPage(data_dir)
        for path in render_first_start(page, args.out, width=width, height=height):
            print(path)
        return 0
    _, window = _open_window(data_dir, user=args.user)
    pages = render_pages(window, args.out, width=width, height=height)
    shots = pages + render_dialogs(window, args.out, first_index=len(pages) + 1)
    shots += render_lock_screens(window, args.out, first_index=len(shots) + 1)
    for path in shots:
        print(path)
    window.context.db.dispose()
    return 0


def _progress_printer() -> Callable[[int, str], None]:
    """Progress on one line that rewrites itself on a terminal; one line per step into a file or pipe."""
    shown: list[str] = []
    terminal = sys.stdout.isatty()

    def report(percent: int, message: str) -> None:
        line = f"[{percent:3d}%] {message}"
        if shown and line == shown[-1]:
            return
        if terminal:
            # Chinese characters take two columns: pad by twice the length that may remain.
            padding = " " * max(0, 2 * (len(shown[-1]) - len(line))) if shown else ""
            print(f"\r{line}{padding}", end="", flush=True)
        else:
            print(line, flush=True)
        shown.append(line)

    return report


RESUME_HINT = "已下载的部分已保存：再次运行同一命令（或 guopei-desk sync）即从中断处继续，不需要新的注册码。"


def _init_from_server(args: argparse.Namespace, data_dir: Path) -> int:
    """Register this new PC with the province and download its county; exit 2 when that could not be
    done (nothing left behind for a refused code; a cut download resumes when run again)."""
    from desktop.sync.client import SyncError
    from desktop.sync.first_pull import first_pull_pending, init_from_server

    try:
        result = init_from_server(data_dir, args.server, args.code, progress=_progress_printer())
    except (SyncError, KeyboardInterrupt) as error:
        print()
        print("错误：" + ("已中断" if isinstance(error, KeyboardInterrupt) else str(error)), file=sys.stderr)
        if first_pull_pending(data_dir):
            print(RESUME_HINT, file=sys.stderr)
        return 2
    print()
    resumed = "（从上次中断处继续）" if result.resumed else ""
    print(f"已建立 {result.county_name}（{result.county_code}）的数据{resumed}：{data_dir}")
    print(f"  下载 {result.total:,} 条，{result.pages} 页，{result.bytes_received / 1024:,.1f} KB，")
    print(f"  用时 {result.seconds:.1f} 秒；各县证书公钥 {result.keys_added} 个")
    print(FIRST_ADMIN_HINT)
    return 0


def _sync(data_dir: Path) -> int:
    """Push and pull once. Exit 0 when everything was sent and received, 1 when some changes were
    refused (listed), 2 when the PC is not registered or the province cannot be reached."""
    from desktop.db.engine import DB_FILENAME
    from desktop.sync.client import NotConnected, NotRegistered, SyncClient, SyncError
    from desktop.sync.credentials import load_credentials
    from desktop.sync.first_pull import ENTITY_LABELS, first_pull_pending, resume_first_pull

    credentials = load_credentials(data_dir)
    if credentials is None:
        print(
            "本机尚未在省级平台注册：请先运行 guopei-desk init --server 地址 --code 注册码，或在 同步 页注册",
            file=sys.stderr,
        )
        return 2
    if not (data_dir / DB_FILENAME).exists():
        print(
            f"数据目录 {data_dir} 中没有本县数据库：运行 guopei-desk init --server 地址 --code 注册码"
            " 继续下载，或 guopei-desk rebuild 从省级平台重建",
            file=sys.stderr,
        )
        return 2
    try:
        if first_pull_pending(data_dir):
            print("本机的首次下载尚未完成，从中断处继续…")
            resume_first_pull(data_dir, progress=_progress_printer())
            print()
        with _database(data_dir) as db:
            client = SyncClient(db, credentials.server_url, credentials.token)
            pushed, pulled = client.sync()
            report = client.last_pull
    except NotConnected as error:
        print(f"无法连接省级平台（{credentials.server_url}）：{error}", file=sys.stderr)
        print("本机的数据都在，待上传的修改会在下次同步时发送。", file=sys.stderr)
        return 2
    except (SyncError, NotRegistered) as error:
        print(f"同步没有完成：{error}", file=sys.stderr)
        return 2

    def label(entity: str) -> str:
        return ENTITY_LABELS.get(entity, entity)

    print(
        f"上传：发送 {pushed.sent:,} 条（新保存 {pushed.applied:,}，此前已收到 {pushed.duplicate:,}，"
        f"冲突 {len(pushed.conflicts):,}，被拒绝 {len(pushed.rejected):,}）"
    )
    print(f"下载：收到 {pulled:,} 条")
    if report is not None and report.check:
        print(f"校验：{report.check}")
    print(f"流量：发送 {client.traffic.sent / 1024:,.1f} KB，接收 {client.traffic.received / 1024:,.1f} KB")
    for conflict in pushed.conflicts:
        print(f"  冲突（省级平台保留了另一版本）：{conflict.reason or conflict.op_id}")
    for op in pushed.rejected:
        print(f"  被拒绝：{label(op.entity)} {op.row_id}：{op.reason}")
    if pushed.unsettled:
        print(f"另有 {pushed.unsettled:,} 条没有得到答复，留待下次同步。")
    return 1 if pushed.rejected or pushed.unsettled else 0


def _rebuild_from_server(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop.sync.client import SyncError
    from desktop.sync.first_pull import first_pull_pending, recover_from_server

    try:
        result = recover_from_server(data_dir, progress=_progress_printer(), force=args.force)
    except (SyncError, KeyboardInterrupt) as error:
        print()
        print("错误：" + ("已中断" if isinstance(error, KeyboardInterrupt) else str(error)), file=sys.stderr)
        if first_pull_pending(data_dir):
            print("已下载的部分已保存：再次运行 guopei-desk rebuild（或 guopei-desk sync）即从中断处继续。")
        return 2
    print()
    pulled = result.pulled
    print(f"已从省级平台重建 {pulled.county_name}（{pulled.county_code}）的数据：下载 {pulled.total:,} 条")
    for path in result.set_aside:
        print(f"  原来的文件已改名保留：{path}")
    if result.unsent_changes:
        print(f"  注意：原文件中有 {result.unsent_changes:,} 条修改没有上传到省级平台，新数据库中没有它们。")
    if result.signing_key_kept is False:
        print(
            "  本机的证书签名密钥随原文件损坏，签发证书时将生成新密钥："
            "请运行 guopei-desk public-key，把公钥交省级平台登记（guopei-server register-key）。"
        )
    return 0


BACKUP_PASSWORD_ENV = "GUOPEI_DESK_BACKUP_PASSWORD"
BACKUP_CURRENT_PASSWORD_ENV = "GUOPEI_DESK_BACKUP_CURRENT_PASSWORD"


def _backup_now(args: argparse.Namespace, data_dir: Path) -> int:
    """Prints the backup's path on stdout (for scripts), the rest on stderr. Exit status 2 when the
    copy asked for with --to could not be made (the backup itself was)."""
    from desktop.services.backups import take_backup

    with _database(data_dir, args.user) as db:
        outcome = take_backup(db, extra_folder=args.to)
    print(outcome.path)
    print(f"已备份并校验：{_backup_size(outcome.size)}，用时 {outcome.seconds:.1f} 秒", file=sys.stderr)
    failed_here = False
    for copy in outcome.copies:
        if copy.path is not None:
            print(f"  另存一份：{copy.path}", file=sys.stderr)
        else:
            print(f"  {copy.problem}", file=sys.stderr)
            failed_here = failed_here or copy.folder == args.to
    return 2 if failed_here else 0


def _backup_list(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop.db.backup import backups_dir, list_backups

    folder = args.folder or backups_dir(data_dir)
    found = list_backups(folder)
    if not found:
        print(f"{folder} 中没有备份")
        return 0
    print(f"{folder}：")
    for info in found:
        if info.problem is not None:
            print(f"  {'—':16}  {_backup_size(info.size):>9}  无法使用：{info.problem}  {info.path.name}")
            continue
        when = info.created_at.strftime("%Y-%m-%d %H:%M") if info.created_at else "—"
        verified = "已校验" if info.verified else "未通过检查"
        county = f"{info.county_name}（{info.county_code}）"
        size = _backup_size(info.size)
        print(f"  {when}  {size:>9}  {verified}  {info.reason_label:<6} {county}  {info.path.name}")
    return 0


def _backup_restore(args: argparse.Namespace, data_dir: Path) -> int:
    from desktop.errors import DatabaseCorrupt, DatabaseNotInitialised
    from desktop.services.backups import authorise_restore
    from desktop.sync.credentials import FILENAME as SYNC_CREDENTIALS
    from desktop.sync.first_pull import restore_and_catch_up

    try:
        with _database(data_dir, args.user) as db:
            operator = authorise_restore(db)
    except (DatabaseCorrupt, DatabaseNotInitialised):
        operator = None  # nothing to protect: a damaged or missing county is what a restore is for
    password = _password_from_env(BACKUP_PASSWORD_ENV) or _ask_password("备份密码：")
    outcome = restore_and_catch_up(args.file, password, data_dir, operator=operator)
    when = outcome.backup_created_at.strftime("%Y-%m-%d %H:%M")
    print(f"已恢复 {outcome.county_name}（{outcome.county_code}）{when} 的备份：{outcome.restored_from}")
    for path in outcome.set_aside:
        print(f"  原来的数据库已改名保留（没有删除）：{path}")
    if outcome.safety_backup is not None:
        print(f"  恢复前已另行备份原来的数据库：{outcome.safety_backup}")
    for message in outcome.messages:
        print(f"  {message}", file=sys.stderr)
    lost = outcome.lost_unsynced_changes
    print(
        f"注意：{when} 之后在本机所做、还没有同步到省级平台的修改，已不在本机数据库中"
        + (f"（原数据库中有 {lost:,} 条未同步的修改）。" if lost else "。")
    )
    if (data_dir / SYNC_CREDENTIALS).exists():
        print("本机已登记省级平台：请立即同步（guopei-desk sync），取回备份之后已同步的修改。")
    if outcome.key_stored:
        print("本机以后的自动备份将使用这份备份的密码加密。")
    return 0


def _backup_password(data_dir: Path) -> int:
    from desktop.db.backup import MIN_PASSWORD_LENGTH, has_backup_key, set_backup_password

    changing = has_backup_key(data_dir)
    current = None
    if changing:
        current = _password_from_env(BACKUP_CURRENT_PASSWORD_ENV) or _ask_password("当前的备份密码：")
    new = _password_from_env(BACKUP_PASSWORD_ENV)
    if new is None:
        new = _ask_password(f"新的备份密码（至少 {MIN_PASSWORD_LENGTH} 个字符）：")
        if _ask_password("再输入一次新的备份密码：") != new:
            print("错误：两次输入的密码不一致，密码没有修改。", file=sys.stderr)
            return 2
    set_backup_password(data_dir, new, current_password=current)
    print("备份密码已修改。已有的备份仍需用原来的密码恢复。" if changing else "备份密码已设置。")
    print("请把密码记在安全的地方：忘记密码，备份就无法恢复；有了密码，备份在任何电脑上都能恢复。")
    return 0


def _password_from_env(name: str) -> str | None:
    return os.environ.get(name) or None


def _ask_password(prompt: str) -> str:
    import getpass

    from desktop.errors import BackupPasswordError

    try:
        return getpass.getpass(prompt)
    except EOFError:
        raise BackupPasswordError(
            f"没有输入密码。在脚本中可用环境变量 {BACKUP_PASSWORD_ENV} 提供备份密码"
            f"（修改密码时，当前密码用 {BACKUP_CURRENT_PASSWORD_ENV}）。"
        ) from None


def _backup_size(size: int) -> str:
    return f"{size / 1024 / 1024:,.1f} MB" if size >= 1024 * 1024 else f"{size / 1024:,.0f} KB"


if __name__ == "__main__":
    sys.exit(main())
