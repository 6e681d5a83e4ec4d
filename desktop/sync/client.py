"""The desktop side of sync: push the outbox to the provincial server, pull the county's changes.

Runs on a worker thread (never the UI thread); every database change goes through `Database.write()`,
so a crash mid-sync leaves either the old state or the new one. Pulled rows are written with Core
statements, which bypass the ORM flush hook in desktop.db.outbox: they keep their own HLC and origin
and never enter the outbox, so nothing echoes back to the server.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ipaddress
import json
import logging
import socket
import urllib.parse
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import requests
from pydantic import ValidationError
from requests.adapters import HTTPAdapter
from sqlalchemy import Connection, Date, DateTime, Table, Time, delete, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError, StatementError
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.base import Base
from desktop.db.engine import Database
from desktop.db.models import Device, OutboxEntry, Setting
from desktop.domain.eligibility import Policy
from desktop.domain.hlc import Hlc
from desktop.errors import EnvironmentFailure, GuopeiError, UserInputError
from desktop.services import certificates, credits, projects, selection
from desktop.services.demo_county import is_demo_county
from desktop.services.training_cycle import set_training_cycle
from desktop.sync.app_release import APP_RELEASE_KEY
from desktop.sync.link_errors import CAPTIVE_PORTAL, link_problem
from desktop.sync.rekey import rekey, rekey_same_things
from desktop.sync.repair import RowKey, as_exclusions, local_digest, sweep_absent, unsettled_rows
from guopei_common.certificate_signing import key_id, public_key_of
from guopei_common.credit_rules import CreditRuleVersion
from guopei_common.digest import MAX_DIGEST_EXCLUDED, DigestRequest, DigestResponse, StreamDigest
from guopei_common.protocol import (
    DEFAULT_PULL_LIMIT,
    FINAL_OUTCOMES,
    MAX_BATCH_OPS,
    MAX_COMPRESSED_BYTES,
    PROTOCOL_HEADER,
    PROTOCOL_VERSION,
    AppReleaseResponse,
    BadPayload,
    Change,
    ConflictPage,
    DeviceNumberResponse,
    DeviceResponse,
    KeysResponse,
    OpResult,
    PayloadTooLarge,
    PolicyResponse,
    PolicyRulesResponse,
    PullPage,
    PushBatch,
    PushOp,
    PushResponse,
    RegisterRequest,
    RegisterResponse,
    TransferPage,
    compact_batch,
    expand_response,
    gzip_decode,
    gzip_encode,
    split_pin,
)
from guopei_common.schema import PayloadRefused, pulled_row
from guopei_common.training_cycle import TrainingCycle

CURSOR_KEY = settings.SYNC_CURSOR.key
KEY_COUNTIES_KEY = settings.KEY_COUNTIES.key  # key id → county code, from the province's key list
REJECTED_KEY = settings.SYNC_REJECTED.key
CONFLICTS_KEY = settings.SYNC_CONFLICTS.key
# The purge horizon this PC has accounted for (sent with every pull; see docs/sync-protocol.md).
HORIZON_KEY = settings.SYNC_HORIZON.key
HORIZON_HEADER = "X-Guopei-Horizon"
# Set while a snapshot (the whole county re-read after the server refused an expired cursor) is under
# way: an interrupted snapshot restarts from cursor 0, since its sweep needs every row of one full read.
SNAPSHOT_KEY = settings.SYNC_SNAPSHOT.key
# Set while this PC's first pull of its county is unfinished ({"own": bool, …}): set by register() for a
# PC that has never pulled, and by desktop.sync.first_pull (`guopei-desk init --server`, a database
# rebuilt from the province) with "own" (a rebuilt PC has lost its own rows: they come back too). Its
# pages are applied without enforcing foreign keys: the feed holds each row's latest version in the
# order of last change, so a row may come pages before a parent changed after it. pull() checks the
# references and removes the setting once it has read the feed to its end.
FIRST_PULL_KEY = settings.FIRST_PULL_PENDING.key
# Pulled rows this PC could not apply (a row that breaks its entity's schema or names a row it does not
# have), newest last: kept here and shown on the 同步 page instead of stopping every later pull.
SET_ASIDE_KEY = settings.SYNC_SET_ASIDE.key
MAX_SET_ASIDE = 2000
# Teacher transfers (调动申请) this county asked for, and those for its teachers, as of the last sync.
TRANSFERS_KEY = settings.SYNC_TRANSFERS.key
MISSING_PARENT = "它引用的记录在本机不存在（可能尚未同步到本机，或属于其他区县）"
# Divergence checks that found a difference and repaired it, newest last (for the 同步 page and support).
REPAIRS_KEY = settings.SYNC_REPAIRS.key
MAX_REPAIRS_KEPT = 20
# This PC's clock minus the server's, in ms, as measured at the last push (the status area warns when
# it is far off; the server clamps stamps from the far future).
CLOCK_SKEW_KEY = settings.SYNC_CLOCK_SKEW_MS.key
# The province's conflict log for this county (values that lost a merge), newest last, and where the
# next fetch starts.
CONFLICT_LOG_KEY = settings.SYNC_PROVINCE_CONFLICTS.key
CONFLICT_LOG_AFTER_KEY = settings.SYNC_PROVINCE_CONFLICTS_AFTER.key
CONFLICT_LOG_KEPT = 500
# The divergence check (count and hash per entity) runs at most this often, from sync().
DIGEST_EVERY = dt.timedelta(hours=6)
DIGEST_CHECKED_KEY = settings.SYNC_DIGEST_CHECKED_AT.key
BATCH_KEY = settings.SYNC_BATCH_SIZE.key
# Push batches adapt to the link (see SyncClient.push): a device starts small, doubles after every
# answered batch up to DEFAULT_BATCH (~200 KB of gzip) and halves after a cut or a timeout down to
# MIN_BATCH. The size is kept in settings, so the next sync starts where the link left it.
DEFAULT_BATCH = 500
FIRST_BATCH = 50
MIN_BATCH = 10
PUSH_ATTEMPTS = 4  # cuts in a row within one push before it gives up until the next sync
# Timeouts are stall timeouts, never totals: requests/urllib3 apply the read timeout to each socket
# read, and the connect timeout to the handshake and to each send() of an upload chunk. A slow link that
# keeps moving bytes therefore finishes however long it takes; one where nothing moves for this long is
# given up. The read timeout also covers the server applying a batch and the last SEND_BUFFER bytes of
# the upload draining from the kernel (16 KiB at 16 kbit/s: ~8 s).
TIMEOUT = (15, 60)  # (connect and per upload chunk, per read) seconds
UPLOAD_CHUNK = 4096  # bytes handed to the socket per send(): each must move within the connect timeout
# A small kernel send buffer: an upload's progress is then what the link really carried, not a copy
# into a multi-megabyte buffer whose draining nobody would see (and no timeout could tell from a stall).
SEND_BUFFER = 16 * 1024


log = logging.getLogger(__name__)


class SyncError(EnvironmentFailure):
    """Sync could not complete; the outbox and the cursor are as they were before the failed step."""


class NotConnected(SyncError):
    def __init__(self, detail: str = CAPTIVE_PORTAL) -> None:
        super().__init__(f"未连接到省级平台：{detail}")


class ServerRefused(SyncError):
    def __init__(self, status: int, detail: str, retry_after: float | None = None) -> None:
        message = f"省级平台拒绝了请求（{status}）：{detail}"
        if retry_after is not None:
            message = f"省级平台暂时繁忙（{status}），约 {max(1, round(retry_after))} 秒后再试：{detail}"
        super().__init__(message)
        self.status = status
        self.detail = detail
        self.retry_after = retry_after  # seconds the server asked us to wait (429/503), or None


@dataclass
class PullReport:
    """What the last pull did besides applying changes (`SyncClient.last_pull`; also logged)."""

    applied: int = 0
    snapshot: bool = False  # the cursor had expired (old tombstones purged): the county was re-read
    swept: int = 0  # local rows marked deleted after the snapshot, because the server no longer has them
    diverged: list[str] = field(default_factory=list)  # entities whose digest differed from the server's
    repaired: int = 0  # rows the repair pull changed
    check: str = ""  # the divergence check's outcome, in Chinese
    recovered: int = 0  # rows set aside earlier (sync.set_aside) that applied at this pull


class NotRegistered(GuopeiError):
    def __init__(self) -> None:
        super().__init__("本机尚未在省级平台注册，或注册已被撤销。请向省级管理员申请新的注册码。")


class DemoCountyRefused(UserInputError):
    def __init__(self) -> None:
        super().__init__(
            "这是演示县的数据库（虚构的教师和项目），不能在省级平台注册，以免演示数据混入真实数据。"
            "请在新的数据目录中用 guopei-desk init --server 地址 --code 注册码 建立本县数据。"
        )


@dataclass(frozen=True)
class RejectedOp:
    """A change the server refused for good. Kept (in settings, key sync.rejected) for a person to see."""

    op_id: str
    entity: str
    row_id: str
    reason: str
    payload: dict[str, Any]


@dataclass
class PushSummary:
    batches: int = 0
    sent: int = 0
    applied: int = 0
    duplicate: int = 0
    conflicts: list[OpResult] = field(default_factory=list)
    rejected: list[RejectedOp] = field(default_factory=list)
    unsettled: int = 0  # ops the server returned no final result for; they stay in the outbox
    clock_skew_ms: int | None = None  # this PC's clock minus the server's, at the last answer
    retries: int = 0  # batches re-sent smaller after a cut or a timeout
    batch_size: int = 0  # the size the next batch would have (also kept in settings)
    bytes_sent: int = 0  # request bodies as they travel (gzip)
    bytes_received: int = 0  # response bodies as they travel


@dataclass
class Traffic:
    """Body bytes on the wire (compressed as they travel, HTTP heads not counted) since `reset()`."""

    sent: int = 0
    received: int = 0

    def reset(self) -> None:
        self.sent = self.received = 0


class _Upload:
    """A request body handed to urllib3 as a file, so that it is sent UPLOAD_CHUNK bytes per send()
    (bytes are sent in one sendall(), whose timeout covers the whole body) and counted as it goes."""

    def __init__(self, data: bytes, traffic: Traffic) -> None:
        self._data = memoryview(data)
        self._position = 0
        self._traffic = traffic

    def __len__(self) -> int:  # requests sets Content-Length from it
        return len(self._data)

    def read(self, _size: int = -1) -> bytes:
        piece = bytes(self._data[self._position : self._position + UPLOAD_CHUNK])
        self._position += len(piece)
        self._traffic.sent += len(piece)
        return piece


class _SmallSendBuffer(HTTPAdapter):
    """Every new connection gets the small kernel send buffer (see SEND_BUFFER), and, when the
    registration QR pinned the province's certificate, must present exactly that certificate."""

    def __init__(self, send_buffer: int, pin: str | None = None) -> None:
        self.send_buffer = send_buffer  # before super().__init__(), which builds the pool manager
        self.pin = pin
        super().__init__()

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["socket_options"] = [
            (socket.IPPROTO_TCP, socket.TCP_NODELAY, 1),  # urllib3's default, which this replaces
            (socket.SOL_SOCKET, socket.SO_SNDBUF, self.send_buffer),
        ]
        if self.pin is not None:
            kwargs["assert_fingerprint"] = self.pin  # SHA-256 of the certificate the server presents
        super().init_poolmanager(*args, **kwargs)

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        if self.pin is not None:
            # Pinned: that one certificate is what is trusted, whoever signed it (a province may run
            # its own CA, which county PCs do not know). urllib3 compares the fingerprint itself.
            kwargs["verify"] = False
        return super().send(request, *args, **kwargs)


def _http_session(send_buffer: int, pin: str | None = None) -> requests.Session:
    http = requests.Session()
    adapter = _SmallSendBuffer(send_buffer, pin)
    http.mount("http://", adapter)
    http.mount("https://", adapter)
    return http


class InsecureAddress(UserInputError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"省级平台的地址须以 https:// 开头（加密连接），收到“{url}”。"
            "只有本机上的测试服务器（127.0.0.1、localhost）可以用 http://。"
        )


def _loopback(host: str | None) -> bool:
    if host is None:
        return False
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_transport(url: str) -> None:
    """Refuse (InsecureAddress) a plain http:// address to anywhere but this machine: over it the
    device token and the whole roster would travel in clear, to whoever answers (a forged QR code, a
    hotel's Wi-Fi)."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return
    if parts.scheme == "http" and _loopback(parts.hostname):
        return
    raise InsecureAddress(url)


def server_address(url: str) -> tuple[str, str | None]:
    """The province's address as requests are made to it, and the certificate fingerprint the
    registration QR pinned (in the address's fragment, see protocol.pinned_url), if any."""
    address, pin = split_pin(url)  # MalformedPin, a UserError, says what is wrong with it
    check_transport(address)
    return address.rstrip("/"), pin


def _pinned_session(http: requests.Session | None, pin: str | None, send_buffer: int) -> requests.Session:
    """`http` (a caller's session), or a new one; either way held to the pin when there is one."""
    if http is None:
        return _http_session(send_buffer, pin)
    if pin is not None:
        http.mount("https://", _SmallSendBuffer(send_buffer, pin))
    return http


def _models_by_entity() -> dict[str, type[Base]]:
    return {
        mapper.class_.__sync_entity__: mapper.class_
        for mapper in Base.registry.mappers
        if hasattr(mapper.class_, "__sync_entity__")
    }


def _converters(table: Table) -> dict[str, Callable[[str], Any]]:
    """Per column, how to turn the JSON text of a date/time back into what the column type accepts."""
    result: dict[str, Callable[[str], Any]] = {}
    for column in table.columns:
        # DateTime first: the SQLite dialect's Date refuses datetimes and the other way round.
        if isinstance(column.type, DateTime):
            result[column.key] = dt.datetime.fromisoformat
        elif isinstance(column.type, Date):
            result[column.key] = dt.date.fromisoformat
        elif isinstance(column.type, Time):
            result[column.key] = dt.time.fromisoformat
    return result


class SyncClient:
    def __init__(
        self,
        db: Database,
        base_url: str,
        token: str,
        *,
        batch_size: int = DEFAULT_BATCH,
        page_size: int = DEFAULT_PULL_LIMIT,
        http: requests.Session | None = None,
        timeout: tuple[float, float] = TIMEOUT,
        check_every: dt.timedelta = DIGEST_EVERY,
        send_buffer: int = SEND_BUFFER,
        on_page: Callable[[PullPage], None] | None = None,
    ) -> None:
        self.db = db
        # Called after each pulled page is saved (with its cursor), for progress; the pages then say how
        # many changes follow them. It may raise (Cancelled) to stop: the pull resumes from there.
        self.on_page = on_page
        self.check_every = check_every
        self.base_url, pin = server_address(base_url)
        self.token = token
        self.max_batch = max(MIN_BATCH, min(batch_size, MAX_BATCH_OPS))  # the cap of the adaptive size
        self.batch_size = self._saved_batch_size()  # the adaptive size, as the last push left it
        self.page_size = page_size
        self.timeout = timeout
        self.traffic = Traffic()
        self.http = _pinned_session(http, pin, send_buffer)
        self._models = _models_by_entity()
        self._converters = {entity: _converters(model.__table__) for entity, model in self._models.items()}

    # Push

    def push(self) -> PushSummary:
        """Send the outbox in seq order, batch by batch; delete each op once it has a final result.

        A batch cut off or timed out is sent again at half the size: the server answers "duplicate" for
        the ops it had already applied, so nothing is stored twice. After PUSH_ATTEMPTS cuts in a row
        the push gives up (NotConnected) and leaves the rest of the outbox for the next sync."""
        summary = PushSummary()
        sent, received = self.traffic.sent, self.traffic.received
        self.batch_size = self._saved_batch_size()
        after = 0
        cuts = 0
        try:
            while (batch := self.next_batch(after=after)) is not None:
                try:
                    response = self.send_batch(batch[0])
                except NotConnected:
                    cuts += 1
                    self._resize(max(MIN_BATCH, self.batch_size // 2))
                    if cuts >= PUSH_ATTEMPTS:
                        raise
                    summary.retries += 1
                    continue  # the same ops again (same `after`), fewer of them
                cuts = 0
                after = batch[1]
                self._settle(batch[0], response, summary)
                self._resize(min(self.max_batch, self.batch_size * 2))
        finally:
            summary.batch_size = self.batch_size
            summary.bytes_sent = self.traffic.sent - sent
            summary.bytes_received = self.traffic.received - received
        return summary

    def _saved_batch_size(self) -> int:
        size = int(self._setting(BATCH_KEY, FIRST_BATCH))
        return max(MIN_BATCH, min(self.max_batch, size))

    def _resize(self, size: int) -> None:
        if size != self.batch_size:
            self.batch_size = size
            with self.db.write() as session:
                _put_setting(session, BATCH_KEY, size)

    def next_batch(self, *, after: int = 0) -> tuple[PushBatch, int] | None:
        """The next batch of outbox ops with seq > `after`, and the last seq in it; None when done."""
        with self.db.read() as session:
            entries = session.scalars(
                select(OutboxEntry)
                .where(OutboxEntry.seq > after)
                .order_by(OutboxEntry.seq)
                .limit(self.batch_size)
            ).all()
        if not entries:
            return None
        ops = [
            PushOp.build(
                entry.op_id,
                entry.entity,
                entry.row_id,
                entry.hlc,
                json.loads(entry.payload),
                json.loads(entry.changed) if entry.changed else None,
            )
            for entry in entries
        ]
        batch = PushBatch(batch_id=str(uuid.uuid4()), device_id=self.db.device.device_id, ops=ops)
        return batch, entries[-1].seq

    def send_batch(self, batch: PushBatch) -> PushResponse:
        """POST one batch; changes nothing locally (push() settles the outbox afterwards)."""
        response = self._request(
            "POST",
            "/v1/push",
            # The compact form: a county's day of check-ins in a fraction of the bytes (protocol module).
            data=_Upload(gzip_encode(compact_batch(batch)), self.traffic),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        body = self._body(response)
        try:
            return expand_response(body, batch)
        except (ValidationError, ValueError) as error:
            raise SyncError(f"省级平台的推送答复无法解析：{error}") from None

    def _settle(self, batch: PushBatch, response: PushResponse, summary: PushSummary) -> None:
        ops = {op.op_id: op for op in batch.ops}
        final = [
            result for result in response.results if result.op_id in ops and result.outcome in FINAL_OUTCOMES
        ]
        rejected = [
            RejectedOp(
                result.op_id,
                ops[result.op_id].entity,
                ops[result.op_id].row_id,
                result.reason,
                ops[result.op_id].payload,
            )
            for result in final
            if "rejected" in (result.outcome, result.first_outcome)
        ]
        with self.db.write() as session:
            # Delete and record in one transaction: a crash between them would either lose a rejected
            # change or send it again forever.
            if final:
                session.execute(delete(OutboxEntry).where(OutboxEntry.op_id.in_([r.op_id for r in final])))
            if rejected:
                _append_setting(session, REJECTED_KEY, [vars(op) for op in rejected])
            conflicts = [r for r in final if "conflict" in (r.outcome, r.first_outcome)]
            if conflicts:
                _append_setting(
                    session,
                    CONFLICTS_KEY,
                    [
                        {
                            "op_id": r.op_id,
                            "entity": ops[r.op_id].entity,
                            "row_id": ops[r.op_id].row_id,
                            "reason": r.reason,
                            "payload": ops[r.op_id].payload,
                            "server_row": r.server_row,
                        }
                        for r in conflicts
                    ],
                )
            self._adopt_server_stamps(session, ops, final)
            if response.server_time_ms is not None:
                skew = self.db.clock.wall_ms() - response.server_time_ms
                _put_setting(session, CLOCK_SKEW_KEY, skew)
                summary.clock_skew_ms = skew
        summary.batches += 1
        summary.sent += len(batch.ops)
        summary.applied += sum(result.outcome == "applied" for result in final)
        summary.duplicate += sum(result.outcome == "duplicate" for result in final)
        # A conflict means the server kept a newer version; the next pull brings it here.
        summary.conflicts += [r for r in final if "conflict" in (r.outcome, r.first_outcome)]
        summary.rejected += rejected
        summary.unsettled += len(batch.ops) - len(final)

    def _adopt_server_stamps(self, session: Session, ops: dict[str, PushOp], results: list[OpResult]) -> None:
        """Where the server kept a row under another id (same natural key) or clamped its stamp, the
        local row follows, so that later edits and pulls meet the same row and stamp."""
        connection = session.connection()
        for result in results:
            op = ops[result.op_id]
            model = self._models.get(op.entity)
            if model is None:
                continue
            table = model.__table__
            if result.hlc is not None:
                connection.execute(
                    update(table).where(table.c.id == op.row_id, table.c.hlc == op.hlc).values(hlc=result.hlc)
                )
            if result.canonical_id is not None:
                rekey(connection, table, op.row_id, result.canonical_id)

    def rejected_ops(self) -> list[RejectedOp]:
        return [RejectedOp(**item) for item in self._setting(REJECTED_KEY, [])]

    # Pull

    def cursor(self) -> int:
        return int(self._setting(CURSOR_KEY, 0))

    last_pull: PullReport | None = None
    _first_pull = False  # pages are being applied under FIRST_PULL_KEY

    def pull(self) -> int:
        """Apply the county's changes since the saved cursor, page by page; the number of rows applied.

        Each page and the cursor after it are saved in one transaction, so an interrupted pull resumes
        where it stopped and never applies a page twice or skips one. A cursor the server refuses as
        expired (410: deletions older than it were purged) leads to a snapshot (see `_snapshot`)."""
        self.last_pull = report = PullReport()
        first = self._setting(FIRST_PULL_KEY, None)
        self._first_pull = first is not None
        try:
            if self._setting(SNAPSHOT_KEY, None) is not None:
                report.applied = self._snapshot()
            else:
                try:
                    own_too = isinstance(first, dict) and bool(first.get("own"))
                    report.applied = self._pull_from(self.cursor(), own_too=own_too)
                except ServerRefused as error:
                    if error.status != 410:
                        raise
                    log.warning("同步进度已过期，重新下载本县全部数据：%s", error.detail)
                    report.applied = self._snapshot()
        finally:
            self._first_pull = False
        if first is not None:
            self._finish_first_pull()
        if self._setting(SET_ASIDE_KEY, []):
            # A row set aside earlier may apply now (its parent has arrived since, say).
            report.recovered = self._retry_set_aside()
        return report.applied

    def _finish_first_pull(self) -> None:
        # Every row of the county is in: a reference still dangling was dangling on the server. Read
        # outside the write lock (a large county takes a while), so the check-in screen never waits.
        with self.db.read() as session:
            dangling = session.connection().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
        if dangling:
            tables = sorted({str(row[0]) for row in dangling})
            log.warning("首次下载后有 %d 条记录引用的记录不存在（%s）", len(dangling), "、".join(tables))
        with self.db.write() as session:
            session.execute(delete(Setting).where(Setting.key == FIRST_PULL_KEY))

    def _known_horizon(self) -> int:
        return int(self._setting(HORIZON_KEY, 0))

    def _pull_from(self, cursor: int, *, own_too: bool = False, seen: set[RowKey] | None = None) -> int:
        """Pull pages from `cursor` to the end of the feed; `seen` collects every row the pages held.

        A read from cursor 0 accounts for every purge up to the horizon the server reported with its
        first page (read before that page's rows, so it never claims a purge the page could miss); the
        pages after it, and later pulls, say so (`horizon`), and the server does not refuse their
        cursors for purges the read has already seen."""
        applied = 0
        horizon = None if cursor == 0 else self._known_horizon()
        while True:
            # Our own changes are left out of an ordinary pull (we have them); a snapshot needs them.
            params = {"cursor": cursor, "limit": self.page_size, "horizon": horizon or 0, "own": int(own_too)}
            if self.on_page is not None:
                params["remaining"] = 1  # a server from before it ignores the question
            response = self._request("GET", "/v1/pull", params=params)
            if horizon is None:
                horizon = int(response.headers.get(HORIZON_HEADER, "0") or 0)
            page = PullPage.model_validate(self._body(response))
            if page.next_cursor < cursor:
                raise SyncError(f"服务器返回的游标后退了（{cursor} → {page.next_cursor}）")
            if seen is not None:
                seen.update((change.entity, change.row_id) for change in page.changes)
            applied += self._apply_page(page, own_too=own_too, horizon=horizon)
            if self.on_page is not None:
                self.on_page(page)
            if page.has_more and page.next_cursor == cursor:
                raise SyncError(f"服务器的变更页没有前进（游标 {cursor}）")
            cursor = page.next_cursor
            if not page.has_more:
                if horizon > cursor:
                    # At the end of the feed, every seq up to the horizon was either read or purged (new
                    # changes get higher numbers): the cursor may move up to it, so that it is current.
                    with self.db.write() as session:
                        _put_setting(session, CURSOR_KEY, horizon)
                return applied

    def _snapshot(self) -> int:
        """Re-read the whole county from cursor 0, then mark deleted the local rows it no longer holds
        (repair.sweep_absent says which, and why). Our outbox went first (sync() pushes before pulling),
        so the snapshot already holds our own accepted changes."""
        with self.db.write() as session:
            _put_setting(session, SNAPSHOT_KEY, True)
        seen: set[RowKey] = set()
        # Own rows too: one of ours that another PC deleted comes back only as a tombstone, or not at all.
        applied = self._pull_from(0, own_too=True, seen=seen)
        tables = {entity: model.__table__ for entity, model in self._models.items()}
        with self.db.write() as session:
            swept = sweep_absent(session, tables, seen, unsettled_rows(session, REJECTED_KEY, SET_ASIDE_KEY))
            session.execute(delete(Setting).where(Setting.key == SNAPSHOT_KEY))
        log.warning(
            "已重新下载本县全部数据（%d 条变化），%d 条本机记录因服务器已删除而标记为删除", applied, swept
        )
        if self.last_pull is not None:
            self.last_pull.snapshot = True
            self.last_pull.swept = swept
        return applied + swept

    def _divergence_check_due(self) -> bool:
        """The check reads every row of the county on both ends (about 0.4 s for the 68,000 rows of a
        3,000-teacher county on this machine, so tens of seconds for the largest counties): it runs at
        most every `check_every`, not at every sync. A clock set back makes it due."""
        now = dt.datetime.now()
        checked = self._setting(DIGEST_CHECKED_KEY, None)
        if checked is not None:
            last = dt.datetime.fromisoformat(checked)
            if last <= now < last + self.check_every:
                return False
        with self.db.write() as session:
            _put_setting(session, DIGEST_CHECKED_KEY, now.isoformat(timespec="seconds"))
        return True

    def check_divergence(self) -> int:
        """Compare a count and hash per entity of this PC's rows with the server's (guopei_common.digest);
        where they differ, pull the county again from cursor 0 (last writer by HLC, as always) and record
        that it was needed (setting sync.repairs, the log, `last_pull`). The rows applied.

        Rows the server does not hold in their local version (outbox, refused) are left out on both
        sides. When the server's feed has moved past our cursor, pull first: a difference would prove
        nothing."""
        report = self.last_pull = self.last_pull or PullReport()
        tables = {entity: model.__table__ for entity, model in self._models.items()}
        applied = 0
        for _attempt in range(2):
            with self.db.read() as session:
                exclude = unsettled_rows(session, REJECTED_KEY, SET_ASIDE_KEY)
                local = local_digest(session, tables, exclude)
            if len(exclude) > MAX_DIGEST_EXCLUDED:
                report.check = f"未校验：待上传或被拒的记录超过 {MAX_DIGEST_EXCLUDED} 条"
                return applied
            try:
                response = self._request(
                    "POST",
                    "/v1/digest",
                    data=DigestRequest(exclude=as_exclusions(exclude)).model_dump_json(),
                    headers={"Content-Type": "application/json"},
                )
            except ServerRefused as error:
                if error.status not in (404, 405):
                    raise
                # A server from before the check: the pull itself succeeded, so the sync did too.
                report.check = "未校验：省级平台尚不支持数据校验"
                return applied
            remote = DigestResponse.model_validate(self._body(response))
            if remote.seq <= self.cursor():
                break
            applied += self._pull_from(self.cursor())
        else:
            report.check = "未校验：服务器上的数据仍在变化，下次同步再校验"
            return applied
        empty = StreamDigest()
        report.diverged = sorted(
            entity
            for entity in set(local) | set(remote.entities)
            if local.get(entity, empty) != remote.entities.get(entity, empty)
        )
        if not report.diverged:
            report.check = "与省级平台一致"
            return applied
        log.warning("本机数据与省级平台不一致（%s），重新下载本县数据修复", "、".join(report.diverged))
        # Own rows too: a row of ours damaged or lost here is restored from the server's copy.
        report.repaired = self._pull_from(0, own_too=True)
        report.check = f"发现不一致（{'、'.join(report.diverged)}），已重新下载修复"
        with self.db.write() as session:
            entry = {
                "at": dt.datetime.now().isoformat(timespec="seconds"),
                "entities": report.diverged,
                "rows": report.repaired,
            }
            _append_setting(session, REPAIRS_KEY, [entry], keep=MAX_REPAIRS_KEPT)
        return applied + report.repaired

    def _apply_page(self, page: PullPage, *, own_too: bool = False, horizon: int | None = None) -> int:
        own = self.db.device.device_id
        # Our own changes come back in the feed too; we have them already (or something newer). A
        # snapshot or repair applies them anyway (by HLC, so only where the local copy is older or gone).
        foreign = [change for change in page.changes if own_too or change.origin != own]
        return self._apply_changes(foreign, cursor=page.next_cursor, horizon=horizon)

    def _apply_changes(self, changes: list[Change], *, cursor: int | None, horizon: int | None = None) -> int:
        """Apply pulled rows (and save `cursor`) in one transaction; the number applied.

        A row that cannot be applied here (it fails its entity's schema, a constraint, or names a row
        this PC does not have) is set aside (setting sync.set_aside, shown on the 同步 page) instead of
        failing the page: one bad row must not stop this PC's sync for good. Set-aside rows are tried
        again at the end of every pull, and leave the list once they apply or a newer version does."""
        ready: list[tuple[Change, dict[str, Any]]] = []
        aside: dict[RowKey, tuple[Change, str]] = {}
        for change in changes:
            if change.entity not in self._models:
                continue  # an entity this version does not know: skip rather than stop syncing
            try:
                ready.append((change, self._row_values(change)))
            except (PayloadRefused, ValueError, TypeError) as error:
                aside[(change.entity, change.row_id)] = (change, str(error))
        try:
            self._write_rows(ready, aside, cursor=cursor, horizon=horizon, one_by_one=False)
        except IntegrityError as error:
            log.warning("有同步下来的记录无法写入本机，逐条重试并暂存出错的记录：%s", error.orig)
            excluded: dict[RowKey, tuple[Change, str]] = {}
            while True:
                try:
                    kept = [(change, values) for change, values in ready if _key(change) not in excluded]
                    aside |= self._write_rows(
                        kept, aside | excluded, cursor=cursor, horizon=horizon, one_by_one=True
                    )
                    break
                except _DanglingRows as dangling:
                    # Rolled back: written again without them (their children may then dangle in turn).
                    excluded |= {key: (change, MISSING_PARENT) for key, change in dangling.rows.items()}
            aside |= excluded
        if aside:
            log.warning("%d 条同步下来的记录暂存未应用（见同步页面）", len(aside))
        return len([change for change in changes if change.entity in self._models]) - len(aside)

    def _write_rows(
        self,
        ready: list[tuple[Change, dict[str, Any]]],
        aside: dict[RowKey, tuple[Change, str]],
        *,
        cursor: int | None,
        horizon: int | None,
        one_by_one: bool,
    ) -> dict[RowKey, tuple[Change, str]]:
        """One write transaction: the rows, the set-aside list, the clock, the cursor. With `one_by_one`
        each row goes in under a savepoint (one that fails a constraint is set aside) and the references
        are checked before commit (_DanglingRows rolls it all back); returns the rows set aside here."""
        failed: dict[RowKey, tuple[Change, str]] = {}
        # A first pull's pages may hold a row whose parent comes pages later (FIRST_PULL_KEY).
        checked = not self._first_pull
        writer = self.db.write if checked else self.db.write_without_foreign_keys
        with writer() as session:
            connection = session.connection()
            # A page may hold a child before its parent (rows from several devices); check foreign
            # keys at commit, when the whole page is in.
            connection.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
            if one_by_one:
                for change, values in ready:
                    connection.exec_driver_sql("SAVEPOINT pulled_row")
                    try:
                        self._upsert(connection, change.entity, [values])
                    except (IntegrityError, StatementError) as error:
                        connection.exec_driver_sql("ROLLBACK TO pulled_row")
                        failed[_key(change)] = (change, f"本机无法写入：{getattr(error, 'orig', error)}")
                    connection.exec_driver_sql("RELEASE pulled_row")
                written = [(change, values) for change, values in ready if _key(change) not in failed]
                if checked:
                    dangling = self._dangling(connection, written)
                    if dangling:
                        raise _DanglingRows(dangling)
            else:
                groups: dict[tuple[str, frozenset[str]], list[dict[str, Any]]] = {}
                for change, values in ready:
                    groups.setdefault((change.entity, frozenset(values)), []).append(values)
                for (entity, _columns), rows in groups.items():
                    rekey_same_things(connection, entity, self._models[entity].__table__, rows)
                for (entity, _columns), rows in groups.items():
                    self._upsert(connection, entity, rows, rekeyed=True)
                written = ready
            if written:
                self._merge_clock(session, (change.hlc for change, _values in written))
            self._keep_set_aside(session, [change for change, _ in written], aside | failed)
            if cursor is not None:
                _put_setting(session, CURSOR_KEY, cursor)
            if horizon is not None:
                _put_setting(session, HORIZON_KEY, horizon)
        return failed

    def _upsert(
        self, connection: Connection, entity: str, rows: list[dict[str, Any]], *, rekeyed: bool = False
    ) -> None:
        table = self._models[entity].__table__
        if not rekeyed:
            rekey_same_things(connection, entity, table, rows)
        statement = sqlite_insert(table)
        statement = statement.on_conflict_do_update(
            index_elements=["id"],
            set_={name: statement.excluded[name] for name in rows[0] if name != "id"},
            # Last writer by HLC: a local edit newer than the pulled one stays (and is pushed).
            where=statement.excluded.hlc > table.c.hlc,
        )
        connection.execute(statement, rows)

    def _dangling(
        self, connection: Connection, written: list[tuple[Change, dict[str, Any]]]
    ) -> dict[RowKey, Change]:
        """Rows just written whose references name no row here (foreign_key_check lists every dangling
        row of a table, also older ones from a first pull: only this write's count)."""
        mine = {_key(change): change for change, _values in written}
        found: dict[RowKey, Change] = {}
        for entity in {entity for entity, _row_id in mine}:
            table = self._models[entity].__table__
            rowids = [row[1] for row in connection.exec_driver_sql(f"PRAGMA foreign_key_check({table.name})")]
            for start in range(0, len(rowids), 500):
                chunk = rowids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                for (row_id,) in connection.exec_driver_sql(
                    f"SELECT id FROM {table.name} WHERE rowid IN ({marks})", tuple(chunk)
                ):
                    if (entity, row_id) in mine:
                        found[(entity, row_id)] = mine[(entity, row_id)]
        return found

    def _keep_set_aside(
        self, session: Session, applied: list[Change], aside: dict[RowKey, tuple[Change, str]]
    ) -> None:
        kept = session.get(Setting, SET_ASIDE_KEY)
        entries = list(kept.value) if kept is not None and isinstance(kept.value, list) else []
        done = {_key(change) for change in applied} | set(aside)
        if not entries and not aside:
            return
        now = dt.datetime.now().isoformat(timespec="seconds")
        entries = [entry for entry in entries if (entry["entity"], entry["row_id"]) not in done]
        entries += [{**change.model_dump(), "reason": reason, "at": now} for change, reason in aside.values()]
        _put_setting(session, SET_ASIDE_KEY, entries[-MAX_SET_ASIDE:])

    def set_aside(self) -> list[dict[str, Any]]:
        """Pulled rows this PC could not apply (newest last), for the 同步 page."""
        return list(self._setting(SET_ASIDE_KEY, []))

    def _retry_set_aside(self) -> int:
        """Try the set-aside rows again (a parent may have arrived since); those that now apply, or
        that a newer version already replaced, leave the list. Returns how many left it."""
        entries = self.set_aside()
        if not entries:
            return 0
        changes = []
        for entry in entries:
            try:
                changes.append(Change.model_validate({name: entry[name] for name in Change.model_fields}))
            except (KeyError, ValidationError):
                continue
        self._apply_changes(changes, cursor=None)
        return len(entries) - len(self.set_aside())

    def _row_values(self, change: Change) -> dict[str, Any]:
        """The row as the local table takes it; PayloadRefused (in Chinese) when it cannot be applied."""
        table = self._models[change.entity].__table__
        converters = self._converters[change.entity]
        values: dict[str, Any] = {}
        meta = {"id": change.row_id, "hlc": change.hlc, "origin": change.origin, "deleted": change.deleted}
        for key, value in pulled_row(change.entity, {**change.payload, **meta}).items():
            if key not in table.c:
                continue  # a column added by a newer version elsewhere
            convert = converters.get(key)
            values[key] = convert(value) if convert is not None and isinstance(value, str) else value
        # The feed's own fields are authoritative: the payload is what the origin device wrote.
        values.update(meta)
        return values

    def _merge_clock(self, session: Session, stamps: Iterable[str]) -> None:
        # So that an edit made after this pull sorts after what was pulled, even on a PC whose clock
        # is years behind; persisted in the same transaction, like the outbox hook does.
        self.db.clock.receive(Hlc.decode(max(stamps)))
        session.execute(update(Device).values(last_hlc=self.db.clock.last.encode()))

    # Province data: public keys and policy

    def fetch_province(self) -> int:
        """Store every county's certificate-signing public keys (so a certificate from a neighbouring
        county verifies offline here) and apply the province's policy for this county, in one
        transaction; returns how many keys were new here."""
        keys = KeysResponse.model_validate(self._body(self._request("GET", "/v1/keys")))
        policy = PolicyResponse.model_validate(self._body(self._request("GET", "/v1/policy")))
        rules = self._policy_rules()
        with self.db.write() as session:
            known = certificates.known_public_keys(session)
            added = 0
            for key in keys.keys:
                public = bytes.fromhex(key.public_key)
                # The key id is what a QR names; one that does not match its key would shadow nothing
                # useful and could confuse the verifier, so it is skipped.
                if len(public) != 32 or key_id(public) != key.key_id or key.key_id in known:
                    continue
                certificates.register_public_key(session, public)
                added += 1
            apply_policy(session, policy)
            # Which county each key is of: an exchange file is believed on the province's word only
            # from a device of this PC's own county (desktop.sync.exchange).
            _put_setting(session, KEY_COUNTIES_KEY, {key.key_id: key.county_code for key in keys.keys})
            if rules is not None:
                apply_policy_rules(session, rules)
        return added

    def _policy_rules(self) -> PolicyRulesResponse | None:
        """The province's level limits, credit rule versions and cycle; None from a server before them."""
        try:
            return PolicyRulesResponse.model_validate(self._body(self._request("GET", "/v1/policy/rules")))
        except ServerRefused as error:
            if error.status not in (404, 405):
                raise
            return None

    def fetch_conflicts(self) -> int:
        """Bring home the province's conflict log entries for this county that are new since the last
        sync (values of this county's records that lost a merge, on this PC or another), for the 同步
        page; the newest CONFLICT_LOG_KEPT are kept. Returns how many arrived."""
        after = self._setting(CONFLICT_LOG_AFTER_KEY, 0)
        page = ConflictPage.model_validate(
            self._body(self._request("GET", "/v1/conflicts", params={"after": after}))
        )
        if not page.conflicts and page.next_after == after:
            return 0
        with self.db.write() as session:
            notes = [note.model_dump() for note in page.conflicts]
            _append_setting(session, CONFLICT_LOG_KEY, notes, keep=CONFLICT_LOG_KEPT)
            _put_setting(session, CONFLICT_LOG_AFTER_KEY, page.next_after)
        return len(page.conflicts)

    def _setting(self, key: str, default: Any) -> Any:
        with self.db.read() as session:
            kept = session.get(Setting, key)
        return kept.value if kept is not None else default

    def sync(self) -> tuple[PushSummary, int]:
        """Push first, so that the pull's last-writer-wins sees our latest edits already on the server.
        `traffic` then holds the bytes of the whole sync."""
        self.traffic.reset()
        pushed, pulled = self.push(), self.pull()
        if self._divergence_check_due():
            pulled += self.check_divergence()
        self.fetch_province()
        self.fetch_device_number()
        self.fetch_conflicts()
        self.fetch_transfers()
        self.fetch_app_release()
        return pushed, pulled

    def fetch_device_number(self) -> int | None:
        """This PC's number within its county (the D02 of the serials it issues from now on), kept in
        settings; None from a server from before device numbers."""
        try:
            body = self._body(self._request("GET", "/v1/device-number"))
        except ServerRefused as error:
            if error.status not in (404, 405):
                raise
            return None
        number = DeviceNumberResponse.model_validate(body).number
        with self.db.write() as session:
            certificates.set_device_number(session, number)
        return number

    def fetch_transfers(self) -> int:
        """The teacher transfers (调动申请) this county asked for and those for its teachers, as the
        province holds them now (setting sync.transfers, for the 同步 page); how many are pending."""
        try:
            page = TransferPage.model_validate(self._body(self._request("GET", "/v1/transfers")))
        except ServerRefused as error:
            if error.status not in (404, 405):
                raise
            return 0  # a server from before transfers
        with self.db.write() as session:
            _put_setting(session, TRANSFERS_KEY, [note.model_dump() for note in page.transfers])
        return sum(note.status == "pending" for note in page.transfers)

    def fetch_app_release(self) -> AppReleaseResponse | None:
        """The desktop version the province published last, kept in setting APP_RELEASE_KEY for the
        status area to compare with this program's; None from a server from before app versions."""
        try:
            release = AppReleaseResponse.model_validate(self._body(self._request("GET", "/v1/app-version")))
        except ServerRefused as error:
            if error.status not in (404, 405):
                raise
            return None
        with self.db.write() as session:
            _put_setting(session, APP_RELEASE_KEY, release.model_dump())
        return release

    # HTTP

    def _request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {
            "Authorization": f"Bearer {self.token}",
            **kwargs.pop("headers", {}),
        }
        return _request(
            self.http, method, f"{self.base_url}{path}", headers=headers, timeout=self.timeout, **kwargs
        )

    def _body(self, response: requests.Response) -> Any:
        return _read_json(response, self.traffic)


class _DanglingRows(Exception):
    """Rows of a write whose references name no row here: the write is rolled back and made again
    without them (see SyncClient._apply_changes)."""

    def __init__(self, rows: dict[RowKey, Change]) -> None:
        super().__init__(f"{len(rows)} rows name missing rows")
        self.rows = rows


def _key(change: Change) -> RowKey:
    return (change.entity, change.row_id)


def apply_policy(session: Session, policy: PolicyResponse) -> None:
    """The province's switches over the county's own settings (those `guopei-desk policy` sets before
    sync is set up); a switch the province has not set leaves the county's value as it is."""
    if policy.offline_training_suspended is not None:
        projects.adopt_province_offline_suspended(session, policy.offline_training_suspended)
    if policy.guopei_limit is not None or policy.cycle_years is not None:
        current = selection.policy(session)
        selection.adopt_province_policy(
            session,
            Policy(
                guopei_limit=policy.guopei_limit if policy.guopei_limit is not None else current.guopei_limit,
                cycle_years=policy.cycle_years if policy.cycle_years is not None else current.cycle_years,
            ),
        )


def apply_policy_rules(session: Session, rules: PolicyRulesResponse) -> None:
    """The province's rules over the county's own; what the province has not set stays as it is. A
    credit rule version this release cannot read is left out (logged) rather than refusing the rest."""
    if rules.level_limits is not None:
        current = selection.policy(session)
        limits = Policy.from_dict(
            {"level_limits": {level: rule.model_dump() for level, rule in rules.level_limits.items()}}
        ).level_limits
        selection.adopt_province_policy(session, replace(current, level_limits=limits))
    if rules.credit_rules is not None:
        versions = []
        for value in rules.credit_rules:
            try:
                versions.append(CreditRuleVersion.from_dict(value))
            except (ValueError, TypeError, KeyError) as error:
                log.warning("省学分规则的一个版本无法读取，已跳过：%s", error)
        credits.set_rule_versions(session, versions)
    if rules.training_cycle is not None:
        try:
            set_training_cycle(session, TrainingCycle.from_dict(rules.training_cycle))
        except (ValueError, TypeError, KeyError) as error:
            log.warning("省培训周期无法读取，沿用原设置：%s", error)


def _append_setting(
    session: Session, key: str, items: list[dict[str, Any]], *, keep: int | None = None
) -> None:
    """Add `items` to the list kept under `key`; with `keep`, only the newest `keep` stay."""
    kept = session.get(Setting, key)
    earlier = list(kept.value) if kept is not None and isinstance(kept.value, list) else []
    combined = earlier + items
    _put_setting(session, key, combined[-keep:] if keep else combined)


def _put_setting(session: Session, key: str, value: Any) -> None:
    statement = sqlite_insert(Setting).values(key=key, value=value)
    session.execute(statement.on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def _request(
    http: requests.Session,
    method: str,
    url: str,
    *,
    timeout: tuple[float, float] = TIMEOUT,
    **kwargs: Any,
) -> requests.Response:
    headers = {PROTOCOL_HEADER: PROTOCOL_VERSION, "Accept-Encoding": "gzip", **kwargs.pop("headers", {})}
    check_transport(url)  # every request, whoever built the address
    try:
        # No redirects: a captive portal redirects to its login page, and a POST must not follow it.
        response = http.request(
            method, url, headers=headers, timeout=timeout, allow_redirects=False, stream=True, **kwargs
        )
    except requests.RequestException as error:
        raise NotConnected(link_problem(error)) from error
    if PROTOCOL_HEADER not in response.headers:
        response.close()
        raise NotConnected()
    if response.status_code == 401:
        response.close()
        raise NotRegistered()
    if response.status_code >= 400:
        try:
            detail = str(_read_json(response).get("detail", ""))
        except (SyncError, AttributeError):
            detail = ""
        retry_after = None
        if response.status_code in (429, 503):
            retry_after = parse_retry_after(response.headers.get("Retry-After", ""))
        raise ServerRefused(response.status_code, detail, retry_after)
    return response


def parse_retry_after(value: str, *, now: dt.datetime | None = None) -> float | None:
    """Retry-After as seconds to wait: either delta-seconds or an HTTP date (RFC 9110 10.2.3)."""
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None  # unreadable: the usual backoff applies
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def _read_json(response: requests.Response, traffic: Traffic | None = None) -> Any:
    """The body as JSON, read raw so that its size is capped before and after decompression (urllib3
    would inflate a gzip body of any size)."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in response.raw.stream(64 * 1024, decode_content=False):
            chunks.append(chunk)
            size += len(chunk)
            if traffic is not None:
                traffic.received += len(chunk)
            if size > MAX_COMPRESSED_BYTES:
                raise SyncError(f"省级平台的响应超过 {MAX_COMPRESSED_BYTES} 字节")
    except (requests.RequestException, OSError) as error:
        raise NotConnected(link_problem(error)) from error
    finally:
        response.close()
    raw = b"".join(chunks)
    try:
        if response.headers.get("Content-Encoding", "").lower() == "gzip":
            return gzip_decode(raw)
        if len(raw) > MAX_COMPRESSED_BYTES:
            raise PayloadTooLarge("response too large")
        return json.loads(raw)
    except (PayloadTooLarge, BadPayload, ValueError) as error:
        raise SyncError(f"省级平台的响应无法解析：{error}") from None


def register(db: Database, base_url: str, code: str, *, http: requests.Session | None = None) -> str:
    """Exchange a one-time registration code for this device's token (the caller stores it). A demo
    county is refused before anything is sent (DemoCountyRefused)."""
    with db.read() as session:
        if is_demo_county(session):
            raise DemoCountyRefused()
    with db.write() as session:
        # Made now if this device has not signed a certificate yet: the province hands it to every
        # county, so what this PC signs verifies offline elsewhere.
        public_key = public_key_of(certificates.signing_key(session)).hex()
    response = register_device(
        base_url,
        code=code,
        device_id=db.device.device_id,
        county_code=db.device.county_code,
        public_key=public_key,
        http=http,
    )
    with db.write() as session:
        if session.get(Setting, CURSOR_KEY) is None and session.get(Setting, FIRST_PULL_KEY) is None:
            # Its first pull reads the whole county (see FIRST_PULL_KEY); its own rows it has.
            _put_setting(session, FIRST_PULL_KEY, {"own": False})
    return response.device_token


def register_device(
    base_url: str,
    *,
    code: str,
    device_id: str,
    public_key: str | None,
    county_code: str | None = None,
    http: requests.Session | None = None,
) -> RegisterResponse:
    """POST /v1/register. Without `county_code` (a new PC with no database yet) the device takes the
    code's county, which the answer names."""
    request = RegisterRequest(
        code=code.strip().upper(), device_id=device_id, county_code=county_code, public_key=public_key
    )
    address, pin = server_address(base_url)
    response = _request(
        _pinned_session(http, pin, SEND_BUFFER),
        "POST",
        f"{address}/v1/register",
        data=request.model_dump_json(),
        headers={"Content-Type": "application/json"},
    )
    return RegisterResponse.model_validate(_read_json(response))


def device_identity(base_url: str, token: str, *, http: requests.Session | None = None) -> DeviceResponse:
    """GET /v1/device: the id and county the province knows this token's device by."""
    address, pin = server_address(base_url)
    response = _request(
        _pinned_session(http, pin, SEND_BUFFER),
        "GET",
        f"{address}/v1/device",
        headers={"Authorization": f"Bearer {token}"},
    )
    return DeviceResponse.model_validate(_read_json(response))
