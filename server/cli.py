"""`guopei-server`: run the sync server and administer counties and registration codes."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sqlalchemy import Engine

DB_ENV = "GUOPEI_SERVER_DB"
# server.proxy.TRUSTED_PROXIES_ENV, repeated so that `--help` imports nothing
_TRUSTED_PROXIES_ENV = "GUOPEI_SERVER_TRUSTED_PROXIES"


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
    serve.add_argument(
        "--trusted-proxy",
        action="append",
        metavar="地址",
        help="反向代理的地址或网段（可多次给出）：只信任它们发来的 X-Forwarded-For"
        f"（或环境变量 {_TRUSTED_PROXIES_ENV}，逗号分隔）",
    )
    serve.add_argument("--tls-cert", metavar="证书.pem", help="直接以 HTTPS 服务（通常由 nginx 终止 TLS）")
    serve.add_argument("--tls-key", metavar="私钥.pem", help="与 --tls-cert 一起用")
    county = with_db(commands.add_parser("add-county", help="添加或改名一个区县"))
    county.add_argument("code")
    county.add_argument("name")
    code = with_db(commands.add_parser("issue-code", help="为区县生成一次性注册码"))
    code.add_argument("code", help="区县代码")
    code.add_argument("--days", type=int, default=7, help="有效天数")
    code.add_argument("--url", help="本服务器对区县的地址（与 --qr 一起用）")
    code.add_argument("--qr", metavar="文件.png", help="另存一张含地址和注册码的二维码，区县扫码即可注册")
    code.add_argument(
        "--pin-cert",
        metavar="证书.pem",
        help="把省级平台 HTTPS 证书的指纹写进二维码的地址：区县只接受这张证书（防冒充）",
    )
    credits = with_db(commands.add_parser("credits", help="审核区县提交的学分"))
    credits.add_argument("county", help="区县代码")
    action = credits.add_mutually_exclusive_group()
    action.add_argument("--approve", nargs="*", metavar="记录ID", help="通过（不写 ID 则通过全部已提交的）")
    action.add_argument("--reject", metavar="记录ID", help="退回一条")
    credits.add_argument("--reason", default="", help="退回原因")
    purge = with_db(commands.add_parser("purge-tombstones", help="清理早已删除的记录（墓碑）"))
    purge.add_argument(
        "--older-than-days", type=float, default=180, help="只清理删除时间早于这么多天的（默认 180）"
    )
    transfers = with_db(commands.add_parser("transfers", help="教师调动申请：列出、批准或驳回"))
    decision = transfers.add_mutually_exclusive_group()
    decision.add_argument("--approve", type=int, metavar="申请编号", help="批准")
    decision.add_argument("--reject", type=int, metavar="申请编号", help="驳回（须写 --reason）")
    transfers.add_argument("--reason", default="", help="驳回原因")
    transfers.add_argument("--all", action="store_true", help="也列出已处理的")
    conflicts = with_db(commands.add_parser("conflicts", help="查看合并冲突记录（落选的值）"))
    conflicts.add_argument("county", help="区县代码")
    conflicts.add_argument("--all", action="store_true", help="也列出已查看过的")
    conflicts.add_argument(
        "--reviewed", nargs="*", type=int, metavar="编号", help="标记为已查看（不写编号则全部）"
    )
    _province_commands(commands, with_db)
    release = with_db(commands.add_parser("app-version", help="发布桌面端的最新版本：各县同步后提示有新版本"))
    release.add_argument("version", nargs="?", help="版本号，如 1.2.0（不写则显示当前发布的版本）")
    release.add_argument("--notes", default="", help="更新说明，显示在各县程序的状态栏")
    bundle_in = with_db(
        commands.add_parser("import-bundle", help="导入区县用U盘带来的交换文件（如同该设备推送）")
    )
    bundle_in.add_argument("file", type=Path, help="交换文件（.gpx）")
    bundle_out = with_db(commands.add_parser("export-bundle", help="为区县的一台电脑导出省级数据的交换文件"))
    bundle_out.add_argument("county", help="区县代码")
    bundle_out.add_argument(
        "--for-device", required=True, metavar="设备ID", help="接收文件的设备（见 devices）"
    )
    bundle_out.add_argument("--out", type=Path, required=True, help="交换文件路径")
    bundle_out.add_argument("--since", type=int, help="从该变更序号之后（默认：该设备上次交换文件所到之处）")
    audit = with_db(commands.add_parser("audit", help="查看区县上报的审计记录：谁在何时对谁的记录做了什么"))
    audit.add_argument("county", help="区县代码")
    audit.add_argument("--teacher", metavar="身份证号", help="只列出与这名教师有关的记录")
    audit.add_argument("--action", metavar="操作", help="只列出这种操作，如 integrity（记入诚信档案）")
    return parser


def _province_commands(
    commands: Any, with_db: Callable[[argparse.ArgumentParser], argparse.ArgumentParser]
) -> None:
    """Devices, keys, and what the province sends to counties (server.admin, server.province)."""
    devices = with_db(commands.add_parser("devices", help="列出已注册的设备"))
    devices.add_argument("county", nargs="?", help="只列这个区县的（区县代码）")
    revoke = with_db(commands.add_parser("revoke-device", help="吊销设备：它的令牌立即失效"))
    revoke.add_argument("device_id", help="设备ID（见 devices）")
    key = with_db(commands.add_parser("register-key", help="手工登记区县的证书签名公钥"))
    key.add_argument("county", help="区县代码")
    key.add_argument("key", help="公钥文件，或公钥本身（十六进制或 base64，guopei-desk public-key 打印的）")
    cert = with_db(commands.add_parser("revoke-certificate", help="撤销一张结业证书"))
    cert.add_argument("serial", help="证书编号，如 522727-2026-D02-00042")
    cert.add_argument("--reason", required=True, help="撤销原因")
    cert.add_argument("--code", default="", help="核验码：早期编号（无设备段）被两张证书共用时指明哪一张")

    def with_counties(sub: argparse.ArgumentParser) -> argparse.ArgumentParser:
        target = sub.add_mutually_exclusive_group(required=True)
        target.add_argument("--counties", help="区县代码，逗号分隔，如 522727,522728")
        target.add_argument("--all", action="store_true", help="全部区县")
        return sub

    publish = with_counties(with_db(commands.add_parser("publish-project", help="向区县发布省级项目")))
    publish.add_argument("file", help="项目的 JSON 文件（字段见 docs/sync-protocol.md）")
    policy = with_counties(with_db(commands.add_parser("policy", help="设置区县的省级政策开关")))
    policy.add_argument("--offline-training", choices=("suspended", "allowed"), help="暂停/恢复线下集中培训")
    policy.add_argument("--guopei-limit", type=int, help="周期内最多参加国培次数")
    policy.add_argument("--cycle-years", type=int, help="周期年数")
    policy.add_argument(
        "--level-limit",
        action="append",
        default=[],
        metavar="层级=次数/年数",
        help="国培以外层级的参训次数限制，如 provincial=1/3（可重复）",
    )
    policy.add_argument(
        "--credit-rules", metavar="JSON", help="学分规则的一个版本：version、effective_from、rules"
    )
    policy.add_argument(
        "--training-cycle", metavar="JSON", help="培训周期：first_year、years、required_hours、categories"
    )


def _policy(engine: Engine, args: argparse.Namespace, counties: list[str] | None) -> None:
    """The switches (offline training, 国培 limit) and the rules (other levels' limits, credit rule
    versions, training cycle), each set only when given."""
    from guopei_common.credit_rules import CreditRuleVersion
    from guopei_common.training_cycle import TrainingCycle
    from server import policy_rules, province

    offline = None if args.offline_training is None else args.offline_training == "suspended"
    rules = args.level_limit or args.credit_rules or args.training_cycle
    if offline is not None or args.guopei_limit is not None or args.cycle_years is not None or not rules:
        done = province.set_policy(
            engine,
            counties,
            offline_training_suspended=offline,
            guopei_limit=args.guopei_limit,
            cycle_years=args.cycle_years,
        )
    if rules:
        credit_rules = args.credit_rules and CreditRuleVersion.from_dict(
            policy_rules.read_json_file(args.credit_rules, "学分规则")
        )
        cycle = args.training_cycle and TrainingCycle.from_dict(
            policy_rules.read_json_file(args.training_cycle, "培训周期")
        )
        done = policy_rules.set_rules(
            engine,
            counties,
            level_limits=dict(policy_rules.parse_level_limit(text) for text in args.level_limit) or None,
            credit_rules=credit_rules or None,
            training_cycle=cycle or None,
        )
    print(f"已为 {len(done)} 个区县设置政策，下次同步后生效")


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # Imported late so that `--help` works without the server's dependencies installed.
    from server import audit, bundles
    from server.admin import add_county, issue_code
    from server.db import create_server_engine

    if args.command == "serve":
        return _serve(args)
    engine = create_server_engine(args.db)
    try:
        if args.command == "add-county":
            add_county(engine, args.code, args.name)
            print(f"已添加区县 {args.code} {args.name}")
        elif args.command == "credits":
            return _credits(engine, args)
        elif args.command == "purge-tombstones":
            return _purge(engine, args.older_than_days)
        elif args.command == "conflicts":
            return _conflicts(engine, args)
        elif args.command == "app-version":
            return _app_version(engine, args)
        elif args.command == "transfers":
            return _transfers(engine, args)
        elif args.command in bundles.COMMANDS:
            return bundles.run(engine, args)
        elif args.command in audit.COMMANDS:
            return audit.run(engine, args)
        elif args.command in _PROVINCE_COMMANDS:
            return _province(engine, args)
        else:
            if (args.qr or args.pin_cert) and not args.url:
                print("生成二维码须同时给出 --url（区县访问本服务器的地址）", file=sys.stderr)
                return 2
            url = args.url
            if args.pin_cert:
                from guopei_common.protocol import pinned_url

                try:
                    url = pinned_url(args.url, _certificate_fingerprint(args.pin_cert))
                except (OSError, ValueError) as error:
                    print(f"错误：无法读取证书 {args.pin_cert}：{error}", file=sys.stderr)
                    return 2
            try:
                code = issue_code(engine, args.code, valid_days=args.days)
            except LookupError as error:
                print(error, file=sys.stderr)
                return 2
            print(code)
            if args.qr:
                _registration_qr(url, code, args.qr)
                print(f"二维码已保存：{args.qr}")
    finally:
        engine.dispose()
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.app import create_app
    from server.proxy import trusted_networks

    if bool(args.tls_cert) != bool(args.tls_key):
        print("--tls-cert 和 --tls-key 须一起给出", file=sys.stderr)
        return 2
    try:
        proxies = trusted_networks(args.trusted_proxy) if args.trusted_proxy else trusted_networks()
    except ValueError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    uvicorn.run(
        create_app(args.db, trusted_proxies=proxies),
        host=args.host,
        port=args.port,
        log_level="warning",
        # The app reads X-Forwarded-For itself, from the trusted proxies only (server.proxy); uvicorn's
        # own handling would believe any process on 127.0.0.1.
        proxy_headers=False,
        ssl_certfile=args.tls_cert,
        ssl_keyfile=args.tls_key,
    )
    return 0


def _certificate_fingerprint(path: str) -> str:
    """SHA-256 of a PEM certificate's DER form, in hex: what a pinned client compares."""
    import hashlib

    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import Encoding

    certificate = x509.load_pem_x509_certificate(Path(path).read_bytes())
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


def _transfers(engine: Engine, args: argparse.Namespace) -> int:
    from server.transfers import approve_transfer, list_transfers, reject_transfer

    try:
        if args.approve is not None:
            done = approve_transfer(engine, args.approve)
            print(
                f"已批准调动申请 {args.approve}：{done.from_county} → {done.to_county}，"
                f"随调的培训记录 {done.history} 条，两县下次同步后生效"
            )
            if done.left_out:
                print(f"另有 {done.left_out} 条记录未随调：其项目代码与调入县的另一项目相同")
        elif args.reject is not None:
            reject_transfer(engine, args.reject, reason=args.reason)
            print(f"已驳回调动申请 {args.reject}：{args.reason.strip()}")
        else:
            found = list_transfers(engine, include_decided=args.all)
            status = {"pending": "待审核", "approved": "已批准", "rejected": "已驳回"}
            for t in found:
                state = status.get(t.status, t.status) + (f"：{t.reason}" if t.reason else "")
                print(
                    f"#{t.id} {_local_time(t.created_at)} {t.name} {t.masked_id_number} "
                    f"{t.from_county} → {t.to_county}（设备 {t.requested_by}）{state}"
                )
            print(f"共 {len(found)} 条")
    except (LookupError, ValueError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    return 0


def _registration_qr(url: str, code: str, path: str) -> None:
    import qrcode

    from guopei_common.protocol import registration_text

    # Medium error correction and a generous border: it is printed or shown on a phone and scanned by
    # a cheap USB scanner.
    image = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=8, border=4)
    image.add_data(registration_text(url, code))
    image.make_image().save(path)


def _conflicts(engine: Engine, args: argparse.Namespace) -> int:
    from server.conflicts import list_conflicts, mark_reviewed

    if args.reviewed is not None:
        print(f"已标记 {mark_reviewed(engine, args.county, args.reviewed or None)} 条为已查看")
        return 0
    found = list_conflicts(engine, args.county, include_reviewed=args.all)
    for c in found:
        seen = "（已查看）" if c.reviewed else ""
        print(
            f"#{c.id} {c.recorded_at:%Y-%m-%d %H:%M} {c.entity} {c.row_id} {c.field}：保留“{c.kept}”，"
            f"未采用“{c.lost}”（来自 {c.lost_origin}）—— {c.rule}{seen}"
        )
    print(f"共 {len(found)} 条")
    return 0


def _app_version(engine: Engine, args: argparse.Namespace) -> int:
    from server.releases import latest_release, publish_release

    if args.version is None:
        current = latest_release(engine)
    else:
        try:
            current = publish_release(engine, args.version, notes=args.notes)
        except ValueError as error:
            print(f"错误：{error}", file=sys.stderr)
            return 2
        print(f"已发布桌面端 {current.version}，各县下次同步后提示有新版本（安装包仍需另行送达）")
    if current.version is None:
        print("尚未发布桌面端版本")
    else:
        print(f"当前版本：{current.version}（发布于 {current.published_at}）")
        if current.notes:
            print(f"更新说明：{current.notes}")
    return 0


def _purge(engine: Engine, older_than_days: float) -> int:
    from server.feed import purge_tombstones

    try:
        purged = purge_tombstones(engine, older_than_days)
    except ValueError as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    for county in purged:
        print(f"{county.county_code}：清理 {county.rows} 条，清理位置 {county.horizon}")
    print(f"共清理 {sum(county.rows for county in purged)} 条已删除记录")
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


_PROVINCE_COMMANDS = {
    "devices",
    "revoke-device",
    "register-key",
    "revoke-certificate",
    "publish-project",
    "policy",
}


def _local_time(value: dt.datetime | None) -> str:
    # Stored as naive UTC; shown in the server's local time, which is what the administrator reads.
    if value is None:
        return "从未"
    return value.replace(tzinfo=dt.UTC).astimezone().strftime("%Y-%m-%d %H:%M")


def _province(engine: Engine, args: argparse.Namespace) -> int:
    from server import admin, province

    # --all, or the commands without a choice of counties: None means every county.
    counties = (
        None if getattr(args, "all", True) else [c.strip() for c in args.counties.split(",") if c.strip()]
    )
    try:
        if args.command == "devices":
            found = admin.list_devices(engine, args.county)
            for d in found:
                state = "已吊销" if d.revoked else "有效"
                print(
                    f"{d.id}  {d.county_code}  注册 {_local_time(d.registered_at)}  "
                    f"最后在线 {_local_time(d.last_seen_at)}  {state}  公钥 {d.key_id or '未登记'}"
                )
            print(f"共 {len(found)} 台设备")
        elif args.command == "revoke-device":
            if not admin.revoke_device(engine, args.device_id):
                print(f"错误：没有设备 {args.device_id}", file=sys.stderr)
                return 2
            print(f"已吊销设备 {args.device_id}：它的下一次请求将被拒绝，需用新注册码重新注册")
        elif args.command == "register-key":
            kid = admin.register_key(engine, args.county, admin.parse_public_key(args.key))
            print(f"已登记区县 {args.county} 的公钥 {kid}，各区县下次同步后即可离线核验其证书")
        elif args.command == "revoke-certificate":
            county = province.revoke_certificate(engine, args.serial, reason=args.reason, code=args.code)
            print(f"已撤销证书 {args.serial.strip()}（区县 {county}），该县下次同步后生效")
        elif args.command == "publish-project":
            try:
                spec = json.loads(Path(args.file).read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
                raise ValueError(f"无法读取项目文件 {args.file}：{error}") from None
            done = province.publish_project(engine, spec, counties)
            new = sum(p.new for p in done)
            print(f"已向 {len(done)} 个区县发布项目 {spec['code']}（新增 {new}，更新 {len(done) - new}）")
        else:
            _policy(engine, args, counties)
    except (LookupError, ValueError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
