"""The command line's exchange files (`guopei-desk exchange export|import`): the county's changes on a
USB stick between laptops, or to and from the province, when no link carries a sync. The exchange
password is asked for without echo, or read from GUOPEI_DESK_EXCHANGE_PASSWORD for scripts."""

from __future__ import annotations

import argparse
import getpass
import os
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.errors import UserInputError
from guopei_common.exchange_file import PASSWORD_ENV

if TYPE_CHECKING:
    from desktop.db.engine import Database


def add_parsers(commands: argparse._SubParsersAction) -> None:
    exchange = commands.add_parser(
        "exchange", help="交换文件：没有网络时，用U盘在本县电脑之间、与省级平台之间传递数据"
    )
    verbs = exchange.add_subparsers(dest="exchange_command", required=True)
    out = verbs.add_parser("export", help="把本机的修改写入加密、签名的交换文件（.gpx）")
    out.add_argument("--out", type=Path, required=True, help="交换文件路径，如 E:/平塘-一号机.gpx")
    out.add_argument(
        "--all", action="store_true", help="本机做过的全部修改（默认：未同步的，和上次导出之后的）"
    )
    into = verbs.add_parser("import", help="导入本县其他电脑或省级平台的交换文件")
    into.add_argument("file", type=Path, help="交换文件（.gpx）")
    into.add_argument(
        "--trust-device", action="store_true", help="文件来自本机尚未登记的设备：核对指纹后确认导入并记住它"
    )


def password() -> str:
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env:
        return from_env
    try:
        return getpass.getpass("本县的交换密码：")
    except EOFError:
        raise UserInputError(f"没有输入交换密码。在脚本中可用环境变量 {PASSWORD_ENV} 提供。") from None


def run(args: argparse.Namespace, db: Database) -> int:
    """Exit status 0 when done; a refused file raises (exit 2, nothing applied)."""
    from desktop.sync.exchange import describe_counts, export_exchange, import_exchange

    if args.exchange_command == "export":
        result = export_exchange(db, args.out, password=password(), everything=args.all)
        per_record = f"，每条 {result.bytes / result.records:.0f} 字节" if result.records else ""
        print(f"已写入 {result.path}：{describe_counts(result.counts)}；{result.bytes:,} 字节{per_record}")
        return 0
    result = import_exchange(db, args.file, password=password(), trust_device=args.trust_device)
    preview = result.preview
    source = "省级平台" if preview.kind == "province" else f"设备 {preview.device_id}"
    print(f"交换文件：来自{source}（指纹 {preview.fingerprint}），{preview.made_at} 导出")
    print(f"  内容：{describe_counts(preview.counts)}")
    if preview.imported_before:
        print("此文件已经导入过，没有任何改变。")
        return 0
    print(
        f"已导入：新增或更新 {result.applied:,} 条，本机已有 {result.same:,} 条，冲突 {result.conflicts:,} 条"
    )
    for loss in result.losses[:20]:
        print(f"  冲突：{loss['entity']} {loss['row_id']} {loss['field']}：{loss['rule']}")
    return 0
