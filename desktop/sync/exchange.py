"""Exchange files between the PCs of a county, and with the province, for the weeks without a link.

Export: this PC's own changes that a receiver may not have — every change the province has not yet
acknowledged (the outbox), and every row this PC made or changed since its last export (`everything`:
all of them) — as compact push batches in one signed, encrypted `.gpx` (guopei_common.exchange_file).

Import: a file of another PC of this county is checked (password, signature, county, a signer this PC
trusts) and merged with the province's rules (desktop.sync.exchange_apply); a file of the province
(`guopei-server export-bundle`) is applied as a pull would apply the same pages, with the province's
keys and policy. A signer this PC does not know yet is shown with its key fingerprint and, once the
operator confirms it, remembered. Nothing is applied from a file that fails any check, and a file
imported once is not applied again.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.base import Base
from desktop.db.engine import Database
from desktop.db.models import OutboxEntry, Setting
from desktop.db.outbox import to_json
from desktop.domain.audit import AUDIT_ENTITY, AuditAction
from desktop.domain.ids import op_id
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access, audit, certificates
from desktop.sync.client import CURSOR_KEY, KEY_COUNTIES_KEY, SyncClient, apply_policy
from desktop.sync.exchange_apply import ApplyReport, apply_ops
from guopei_common import exchange_file
from guopei_common.certificate_signing import key_id, public_key_of
from guopei_common.exchange_file import PROVINCE_SIGNER, ExchangeFile, ExchangeHeader, ExchangeRefused
from guopei_common.protocol import (
    ENTITIES,
    MAX_BATCH_OPS,
    Change,
    KeysResponse,
    PolicyResponse,
    PushBatch,
    PushOp,
    compact_batch,
    expand_batch,
)

TRUSTED_KEY = settings.EXCHANGE_TRUSTED_DEVICES.key  # device id → {"public_key", "fingerprint", "how", "at"}
IMPORTED_KEY = settings.EXCHANGE_IMPORTED.key  # file ids imported here, newest last
EXPORTED_KEY = settings.EXCHANGE_EXPORTED_HLC.key  # the highest stamp of this PC's rows in its last export
IMPORTED_KEPT = 1000

ENTITY_LABELS = {"attendance": "签到", "enrollment": "报名", "teacher": "教师"}


class UnknownDevice(UserInputError):
    """The file's signer is not known here; the operator may confirm it (`trust_device`)."""

    def __init__(self, header: ExchangeHeader) -> None:
        who = "省级平台" if header.device_id == PROVINCE_SIGNER else f"设备 {header.device_id}"
        super().__init__(
            f"交换文件来自本机尚未登记的{who}，密钥指纹 {header.fingerprint}。请与对方核对指纹；"
            "确认是本县的电脑（或省级平台）后再导入（命令行加 --trust-device），本机会记住它。"
        )
        self.header = header


@dataclass(frozen=True)
class ExportResult:
    path: Path
    counts: dict[str, int]
    bytes: int

    @property
    def records(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class Preview:
    """What a file holds, for the person deciding to import it."""

    kind: str
    county_code: str
    device_id: str
    fingerprint: str
    made_at: str
    counts: dict[str, int]
    trusted: bool  # the signer is known here (or the province's list names its key)
    imported_before: bool


@dataclass
class ImportResult:
    preview: Preview
    applied: int = 0
    same: int = 0
    conflicts: int = 0
    losses: list[dict[str, Any]] = field(default_factory=list)


# --- export -----------------------------------------------------------------------------------------


def export_exchange(
    db: Database, path: Path, *, password: str, everything: bool = False, now: dt.datetime | None = None
) -> ExportResult:
    """Write this PC's changes to `path` (see the module's docstring); returns what it holds. The file
    carries full personal data: only an operator allowed exchange files writes one, and it is audited."""
    with db.write() as session:
        access.require(session, Permission.EXCHANGE)
        private = certificates.signing_key(session)  # made now if this PC has signed nothing yet
    with db.read() as session:
        since = "" if everything else str(_setting(session, EXPORTED_KEY, ""))
        ops = _own_ops(session, db.device.device_id, since=since)
        cursor = _setting(session, CURSOR_KEY, None)
    device_id = db.device.device_id
    batches = [
        compact_batch(
            PushBatch(batch_id=str(uuid.uuid4()), device_id=device_id, ops=ops[i : i + MAX_BATCH_OPS])
        )
        for i in range(0, len(ops), MAX_BATCH_OPS)
    ]
    counts = dict(Counter(op.entity for op in ops))
    header = ExchangeHeader(
        kind="county",
        county_code=db.device.county_code,
        device_id=device_id,
        public_key=public_key_of(private),
        made_at=(now or dt.datetime.now()).isoformat(timespec="seconds"),
        counts=counts,
        file_id=str(uuid.uuid4()),
        cursor=None if cursor is None else int(cursor),
    )
    data = exchange_file.encode(header, {"batches": batches}, private_key=private, password=password)
    _write_file(path, data)
    with db.write() as session:
        audit.record(session, AuditAction.EXCHANGE_EXPORT, detail={"file": path.name, "rows": len(ops)})
        if ops:
            _put(
                session,
                EXPORTED_KEY,
                max([since, *(op.hlc for op in ops if op.payload.get("origin") == device_id)]),
            )
    return ExportResult(path, counts, len(data))


def _own_ops(session: Session, device_id: str, *, since: str) -> list[PushOp]:
    """Rows this PC made or changed since `since` (parents before children), then the outbox in the
    order the changes were made; each version once, under the op id its push would carry."""
    outbox = [
        PushOp.build(
            entry.op_id,
            entry.entity,
            entry.row_id,
            entry.hlc,
            json.loads(entry.payload),
            json.loads(entry.changed) if entry.changed else None,
        )
        for entry in session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))
    ]
    waiting = {op.op_id for op in outbox}
    rows: list[PushOp] = []
    for table in Base.metadata.sorted_tables:
        model = _synced_models().get(table.name)
        if model is None:
            continue
        found = session.execute(
            select(table).where(table.c.origin == device_id, table.c.hlc > since).order_by(table.c.hlc)
        ).mappings()
        for row in found:
            identity = op_id(model.__sync_entity__, row["id"], row["hlc"])
            if identity not in waiting:
                payload = json.loads(to_json(dict(row)))
                rows.append(PushOp.build(identity, model.__sync_entity__, row["id"], row["hlc"], payload))
    return rows + outbox


def _synced_models() -> dict[str, Any]:
    return {
        mapper.class_.__tablename__: mapper.class_
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__sync_entity__")
    }


def _write_file(path: Path, data: bytes) -> None:
    """Whole or not at all: a stick pulled out mid-write leaves the old file (or none), never half."""
    partial = path.with_name(path.name + ".part")
    try:
        with partial.open("wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise UserInputError(f"无法写入交换文件 {path}：{error.strerror or error}") from None


# --- import -----------------------------------------------------------------------------------------


def preview_exchange(db: Database, path: Path, *, password: str) -> Preview:
    """Read and check `path` (password, signature, county, not this PC's own) without applying it."""
    with db.read() as session:
        access.require(session, Permission.EXCHANGE)
    return _preview(db, exchange_file.read(path, password=password))


def import_exchange(db: Database, path: Path, *, password: str, trust_device: bool = False) -> ImportResult:
    """Apply `path` here (see the module's docstring). UnknownDevice when its signer is not known and
    `trust_device` is off; ExchangeRefused or UserInputError for a file that is refused. Either way
    nothing is applied."""
    with db.read() as session:
        access.require(session, Permission.EXCHANGE)
    file = exchange_file.read(path, password=password)
    preview = _preview(db, file)
    result = ImportResult(preview)
    if preview.imported_before:
        return result
    if not preview.trusted:
        if not trust_device:
            raise UnknownDevice(file.header)
        with db.write() as session:
            _trust(session, file.header, how="operator")
    county = file.header.kind == "county"
    report = apply_ops(db, _county_ops(file)) if county else _apply_province(db, file)
    result.applied, result.same, result.conflicts, result.losses = (
        report.applied,
        report.same,
        report.conflicts,
        report.losses,
    )
    with db.write() as session:
        imported = list(_setting(session, IMPORTED_KEY, []))
        _put(session, IMPORTED_KEY, [*imported, file.header.file_id][-IMPORTED_KEPT:])
        audit.record(session, AuditAction.EXCHANGE_IMPORT, detail={"file": path.name, "rows": result.applied})
    return result


def _preview(db: Database, file: ExchangeFile) -> Preview:
    header = file.header
    if header.county_code != db.device.county_code:
        raise ExchangeRefused(
            f"这是区县 {header.county_code} 的交换文件，本机属于区县 {db.device.county_code}，不能导入"
        )
    if header.device_id == db.device.device_id:
        raise ExchangeRefused("这是本机自己导出的交换文件，无需导入")
    with db.read() as session:
        trusted = _trusted(session, header)
        imported_before = header.file_id in set(_setting(session, IMPORTED_KEY, []))
    return Preview(
        kind=header.kind,
        county_code=header.county_code,
        device_id=header.device_id,
        fingerprint=header.fingerprint,
        made_at=header.made_at,
        counts=dict(header.counts),
        trusted=trusted,
        imported_before=imported_before,
    )


def _trusted(session: Session, header: ExchangeHeader) -> bool:
    """Known here: confirmed by the operator before (same key), or, for a county PC, its key is in the
    province's list as a key of this county. A known device signing with another key is refused."""
    known = dict(_setting(session, TRUSTED_KEY, {})).get(header.device_id)
    if known is not None:
        if known.get("public_key") != header.public_key.hex():
            raise ExchangeRefused(
                f"交换文件的签名密钥（指纹 {header.fingerprint}）与本机登记的该设备密钥（指纹 "
                f"{known.get('fingerprint')}）不同：文件可能是伪造的，已拒绝"
            )
        return True
    counties = dict(_setting(session, KEY_COUNTIES_KEY, {}))
    return header.kind == "county" and counties.get(key_id(header.public_key)) == header.county_code


def _trust(session: Session, header: ExchangeHeader, *, how: str) -> None:
    devices = dict(_setting(session, TRUSTED_KEY, {}))
    devices[header.device_id] = {
        "public_key": header.public_key.hex(),
        "fingerprint": header.fingerprint,
        "how": how,
        "at": dt.datetime.now().isoformat(timespec="seconds"),
    }
    _put(session, TRUSTED_KEY, devices)


def _county_ops(file: ExchangeFile) -> list[PushOp]:
    """The file's ops; refused whole when one was not made by the signer (a PC sends only its own).
    The signer's audit entries travel for the province (which keeps them); another PC does not keep
    them, so they are checked like the rest and left out."""
    body = file.body
    if not isinstance(body, dict) or not isinstance(body.get("batches"), list):
        raise ExchangeRefused("交换文件的内容格式不对")
    ops: list[PushOp] = []
    try:
        for item in body["batches"]:
            batch = expand_batch(item)
            if batch.device_id != file.header.device_id:
                raise ExchangeRefused("交换文件中有其他设备的修改，与签名设备不符，已拒绝")
            ops += batch.ops
    except ValueError as error:  # pydantic's ValidationError is a ValueError
        raise ExchangeRefused(f"交换文件的内容格式不对：{error}") from None
    for op in ops:
        known = op.entity in ENTITIES or op.entity == AUDIT_ENTITY
        if not known or op.payload.get("origin") != file.header.device_id:
            raise ExchangeRefused("交换文件中有其他设备的修改，与签名设备不符，已拒绝")
    return [op for op in ops if op.entity != AUDIT_ENTITY]


def _apply_province(db: Database, file: ExchangeFile) -> ApplyReport:
    """The province's feed for this county, applied as a pull applies its pages (last writer by HLC,
    rows it cannot apply set aside), with every county's keys and the policy; the cursor moves only
    when the file starts at or before this PC's, so that no change between them is skipped."""
    body = file.body
    try:
        changes = [Change.model_validate(change) for change in body["changes"]]
        since, end = int(body["since"]), int(body["next_cursor"])
        keys = KeysResponse.model_validate(body["keys"])
        policy = PolicyResponse.model_validate(body["policy"])
    except (KeyError, TypeError, ValueError) as error:
        raise ExchangeRefused(f"省级交换文件的内容格式不对：{error}") from None
    with db.read() as session:
        cursor = int(_setting(session, CURSOR_KEY, 0))
    # The pull's own code path; it makes no request (the address is never contacted).
    client = SyncClient(db, "http://127.0.0.1", "")
    mine = [change for change in changes if change.origin != db.device.device_id]
    applied = client._apply_changes(mine, cursor=max(cursor, end) if since <= cursor else None)
    with db.write() as session:
        known = certificates.known_public_keys(session)
        for key in keys.keys:
            public = bytes.fromhex(key.public_key)
            if len(public) == 32 and key_id(public) == key.key_id and key.key_id not in known:
                certificates.register_public_key(session, public)
        apply_policy(session, policy)
    return ApplyReport(applied=applied, same=len(changes) - applied)


def describe_counts(counts: dict[str, int]) -> str:
    """`签到 1,200 条，报名 40 条，教师 3 条，其他 5 条` for a preview or a summary."""
    parts = [f"{label} {counts.get(entity, 0):,} 条" for entity, label in ENTITY_LABELS.items()]
    others = sum(count for entity, count in counts.items() if entity not in ENTITY_LABELS)
    return "，".join([*parts, f"其他 {others:,} 条"])


def _setting(session: Session, key: str, default: Any) -> Any:
    kept = session.get(Setting, key)
    return kept.value if kept is not None else default


def _put(session: Session, key: str, value: Any) -> None:
    statement = sqlite_insert(Setting).values(key=key, value=value)
    session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))
