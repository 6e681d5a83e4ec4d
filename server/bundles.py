"""Exchange files at the province (guopei_common.exchange_file), for a county whose link does not carry
a sync: `import-bundle` applies a county PC's file brought on a USB stick exactly as if that PC had
pushed it (its token's authorisation: only its county's rows, only its own changes, the same merge and
refusals, and the same op ids, so a later push of the same changes is answered "duplicate");
`export-bundle` writes the county's feed since that PC's position, with every county's keys and the
county's policy, signed with the province's own exchange key, for `guopei-desk exchange import`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import os
import sys
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from guopei_common import exchange_file
from guopei_common.certificate_signing import generate_key, public_key_of
from guopei_common.exchange_file import PASSWORD_ENV, PROVINCE_SIGNER, ExchangeHeader, ExchangeRefused
from guopei_common.protocol import MAX_PULL_LIMIT, PushBatch, expand_batch
from server.db import Device, ExchangeKey
from server.province import policy_for, public_keys
from server.service import Caller, SyncService


@dataclass
class BundleImport:
    device_id: str
    county_code: str
    outcomes: Counter[str] = field(default_factory=Counter)
    reasons: list[str] = field(default_factory=list)  # of refused ops, for the operator


def import_bundle(engine: Engine, data: bytes, *, password: str) -> BundleImport:
    """Apply a county PC's exchange file as that PC's pushes; ExchangeRefused when the file is not
    signed by the registered key of an active device of the county it names."""
    file = exchange_file.decode(data, password=password)
    header = file.header
    if header.kind != "county":
        raise ExchangeRefused("这是省级平台导出的交换文件，只能在区县的电脑上导入")
    with Session(engine) as session:
        device = session.get(Device, header.device_id)
        if (
            device is None
            or device.revoked
            or device.county_code != header.county_code
            or device.public_key != header.public_key.hex()
        ):
            raise ExchangeRefused(
                f"交换文件不是区县 {header.county_code} 已登记设备的签名（设备 {header.device_id}，"
                f"指纹 {header.fingerprint}）：该设备须先在省级平台注册，已拒绝"
            )
        caller = Caller(device.id, device.county_code)
    batches: list[PushBatch] = []
    try:
        for item in file.body["batches"]:
            batch = expand_batch(item)
            if batch.device_id != caller.id:
                raise ExchangeRefused("交换文件中有其他设备的修改，与签名设备不符，已拒绝")
            batches.append(batch)
    except (KeyError, TypeError, ValueError) as error:
        raise ExchangeRefused(f"交换文件的内容格式不对：{error}") from None
    result = BundleImport(caller.id, caller.county_code)
    service = SyncService(engine)
    for batch in batches:
        for answer in service.push(caller, batch).results:
            result.outcomes[answer.outcome] += 1
            if answer.outcome == "rejected":
                result.reasons.append(answer.reason)
    if header.cursor is not None:
        with Session(engine) as session, session.begin():
            device = session.get_one(Device, caller.id)
            device.exchange_cursor = max(device.exchange_cursor or 0, header.cursor)
    return result


@dataclass(frozen=True)
class BundleExport:
    since: int
    next_cursor: int
    counts: dict[str, int]
    bytes: int


def export_bundle(
    engine: Engine, county_code: str, device_id: str, *, password: str, since: int | None = None
) -> tuple[bytes, BundleExport]:
    """The county's feed after `since` (by default, where the device's last exchange file said it
    was), as the device would pull it, in a file signed with the province's exchange key."""
    with Session(engine) as session:
        device = session.get(Device, device_id)
        if device is None or device.county_code != county_code:
            raise LookupError(f"区县 {county_code} 没有设备 {device_id}（见 guopei-server devices）")
        start = since if since is not None else device.exchange_cursor or 0
    service = SyncService(engine)
    caller = Caller(device_id, county_code)
    changes: list[dict[str, Any]] = []
    cursor = start
    while True:
        page = service.pull(caller, cursor, MAX_PULL_LIMIT)
        changes += [change.model_dump() for change in page.changes]
        cursor = page.next_cursor
        if not page.has_more:
            break
    body = {
        "changes": changes,
        "since": start,
        "next_cursor": cursor,
        "keys": public_keys(engine).model_dump(),
        "policy": policy_for(engine, county_code).model_dump(),
    }
    counts = dict(Counter(change["entity"] for change in changes))
    private = _province_key(engine)
    header = ExchangeHeader(
        kind="province",
        county_code=county_code,
        device_id=PROVINCE_SIGNER,
        public_key=public_key_of(private),
        made_at=dt.datetime.now().isoformat(timespec="seconds"),
        counts=counts,
        file_id=os.urandom(16).hex(),
        cursor=cursor,
    )
    data = exchange_file.encode(header, body, private_key=private, password=password)
    return data, BundleExport(start, cursor, counts, len(data))


def _province_key(engine: Engine) -> bytes:
    """The province's exchange key, made on first use. A county PC remembers its fingerprint when it
    first imports a province file (after the operator compares it with the one the province gives)."""
    with Session(engine) as session, session.begin():
        row = session.scalar(select(ExchangeKey).where(ExchangeKey.id == 1))
        if row is None:
            row = ExchangeKey(id=1, private_key=generate_key().hex(), created_at=dt.datetime.now())
            session.add(row)
        return bytes.fromhex(row.private_key)


def province_fingerprint(engine: Engine) -> str:
    return exchange_file.fingerprint(public_key_of(_province_key(engine)))


# --- the command line -------------------------------------------------------------------------------


COMMANDS = {"import-bundle", "export-bundle"}


def run(engine: Engine, args: argparse.Namespace) -> int:
    password = os.environ.get(PASSWORD_ENV) or getpass.getpass("该县的交换密码：")
    try:
        if args.command == "import-bundle":
            done = import_bundle(engine, args.file.read_bytes(), password=password)
            counts = "，".join(f"{name} {count}" for name, count in sorted(done.outcomes.items()))
            print(f"已按设备 {done.device_id}（区县 {done.county_code}）的推送导入：{counts or '没有修改'}")
            for reason in done.reasons[:20]:
                print(f"  被拒绝：{reason}")
            return 1 if done.reasons else 0
        data, made = export_bundle(engine, args.county, args.for_device, password=password, since=args.since)
        args.out.write_bytes(data)
        print(
            f"已写入 {args.out}：变更 {made.since} → {made.next_cursor}，{sum(made.counts.values()):,} 条，"
            f"{made.bytes:,} 字节；省级交换密钥指纹 {province_fingerprint(engine)}"
        )
        return 0
    except (ExchangeRefused, LookupError, OSError) as error:
        print(f"错误：{error}", file=sys.stderr)
        return 2
