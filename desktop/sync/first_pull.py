"""A county PC's first day: register with the province, create the county's database, pull the county.

And the way back for a registered PC whose database is damaged or lost: set the file aside (renamed,
never deleted), create a fresh database under the same device id and county, and pull everything again,
this PC's own earlier changes included.

Both are one pull of the county's change feed from cursor 0 (`SyncClient.pull`, own rows included
while the setting FIRST_PULL_KEY is there), preceded by the province's keys and policy. Each page and
its cursor are saved in one transaction, and the credentials are saved before the first page, so a
cut link or a Cancel is resumed by running the same command again (or any sync) without a new code.

No Qt here: the CLI calls these, a GUI background worker can too (`progress(percent, message)` and
`cancelled()` are called on the worker's thread, between pages).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import requests

from desktop.db.backup import RestoreOutcome, restore_backup
from desktop.db.engine import DB_FILENAME, Database, create_database, open_database, quick_check
from desktop.db.models import Setting
from desktop.domain.ids import new_id
from desktop.domain.roles import Operator
from desktop.errors import Cancelled, UserInputError
from desktop.services import certificates
from desktop.services.backups import record_restore
from desktop.services.county_setup import CountyExists
from desktop.sync.client import FIRST_PULL_KEY, NotRegistered, SyncClient, device_identity, register_device
from desktop.sync.credentials import FILENAME as CREDENTIALS_FILENAME
from desktop.sync.credentials import Credentials, load_credentials, save_credentials
from guopei_common.certificate_signing import generate_key, key_id, public_key_of
from guopei_common.protocol import DEFAULT_PULL_LIMIT, PullPage, parse_registration
from guopei_common.vocab import ENTITY_LABELS

Progress = Callable[[int, str], None]
CancelCheck = Callable[[], bool]

log = logging.getLogger(__name__)

PULL_START, PULL_END = 5, 99  # the share of the percentage the pages fill


class DatabaseSound(UserInputError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"数据库检查正常（{path}），不需要重建；重建会把本机尚未上传的修改留在旧文件中。"
            "如确定要重建，请加 --force。"
        )


@dataclass(frozen=True)
class FirstPullResult:
    data_dir: Path
    device_id: str
    county_code: str
    county_name: str
    resumed: bool  # an interrupted first pull was continued (no registration code was used)
    received: dict[str, int]  # changes received in this run, per entity
    pages: int
    bytes_received: int
    keys_added: int  # certificate-signing public keys of the province's counties stored here
    seconds: float

    @property
    def total(self) -> int:
        return sum(self.received.values())


@dataclass(frozen=True)
class RecoveryResult:
    pulled: FirstPullResult
    set_aside: tuple[Path, ...]  # the damaged files, renamed beside the new database
    # The certificate-signing key was read back from the damaged file (False: a new one will be made
    # at the next signing; None: this run only continued an interrupted rebuild, which decided it).
    signing_key_kept: bool | None
    unsent_changes: int | None  # changes in the damaged file's outbox (never reached the province)


def registration_parts(server: str | None, code: str) -> tuple[str, str]:
    """(server address, code) from what a person gave: an address and a code, or the registration QR
    code's whole text (`GPR1|address|code`) as the code, with or without the address."""
    scanned = parse_registration(code)
    if scanned is not None:
        url, code = scanned
        if server and server.strip().rstrip("/") != url.strip().rstrip("/"):
            raise UserInputError(f"注册二维码中的地址（{url}）与 --server 给出的地址（{server}）不同")
        return url.strip(), code.strip()
    if not server or not server.strip():
        raise UserInputError("请给出省级平台地址（--server），或把注册二维码的全部文字作为注册码")
    if not code.strip():
        raise UserInputError("请给出注册码")
    return server.strip(), code.strip()


def first_pull_pending(data_dir: Path) -> bool:
    """Whether the database in `data_dir` holds an unfinished first pull. Reads the file without
    changing it; a file that cannot be read says no."""
    path = data_dir / DB_FILENAME
    if not path.exists():
        return False
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            found = connection.execute("SELECT 1 FROM settings WHERE key = ?", (FIRST_PULL_KEY,)).fetchone()
        finally:
            connection.close()
    except sqlite3.Error:
        return False
    return found is not None


def init_from_server(
    data_dir: Path,
    server: str | None,
    code: str,
    *,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
    page_size: int = DEFAULT_PULL_LIMIT,
    http: requests.Session | None = None,
) -> FirstPullResult:
    """Register this new PC with the one-time `code` (it takes the code's county), create the county's
    database under the registered device id, save the credentials, and pull the whole county.

    Run again after a cut or a Cancel, it continues the pull where it stopped without using the code
    (spent at the first run). A data directory that holds a finished county is refused (CountyExists)
    and left as it was; a refused code leaves nothing behind."""
    report = progress or _silent
    url, code = registration_parts(server, code)
    path = data_dir / DB_FILENAME
    if path.exists():
        if not first_pull_pending(data_dir):
            raise CountyExists(path)
        return resume_first_pull(
            data_dir, progress=progress, cancelled=cancelled, page_size=page_size, http=http
        )
    saved = load_credentials(data_dir)
    if saved is not None:
        # Registered here before, database gone (a crash before it was made, or deleted): same device.
        try:
            return _rebuild(data_dir, saved, report, cancelled, page_size, http).pulled
        except NotRegistered:
            log.warning("保存的注册信息已失效，用新的注册码重新注册")
    report(0, "正在向省级平台注册本机…")
    private = generate_key()
    device_id = new_id()
    answer = register_device(
        url, code=code, device_id=device_id, public_key=public_key_of(private).hex(), http=http
    )
    credentials = Credentials(url, answer.device_token, device_id, answer.county_code, answer.county_name)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Before the database: the code is spent now, and what it bought must survive a crash from here on.
    save_credentials(data_dir, credentials)
    report(1, f"已注册：{answer.county_name}（{answer.county_code}），正在建立本县数据库…")
    db = _create(data_dir, credentials, signing_key=private)
    try:
        return _pull_county(db, credentials, report, cancelled, page_size, http, resumed=False)
    finally:
        db.dispose()


def resume_first_pull(
    data_dir: Path,
    *,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
    page_size: int = DEFAULT_PULL_LIMIT,
    http: requests.Session | None = None,
) -> FirstPullResult:
    """Continue an interrupted first pull (or rebuild) from its saved cursor, with the saved credentials."""
    credentials = load_credentials(data_dir)
    if credentials is None:
        raise UserInputError(
            f"数据目录 {data_dir} 中的首次下载没有完成，而本机的注册信息（{CREDENTIALS_FILENAME}）不见了。"
            "请删除该数据目录后，用新的注册码重新运行 guopei-desk init --server 地址 --code 注册码。"
        )
    db = open_database(data_dir)
    try:
        return _pull_county(db, credentials, progress or _silent, cancelled, page_size, http, resumed=True)
    finally:
        db.dispose()


def recover_from_server(
    data_dir: Path,
    *,
    progress: Progress | None = None,
    cancelled: CancelCheck | None = None,
    force: bool = False,
    page_size: int = DEFAULT_PULL_LIMIT,
    http: requests.Session | None = None,
) -> RecoveryResult:
    """Rebuild a registered PC's database from the province: the damaged file (with its -wal/-shm) is
    renamed aside with a timestamp, a new database is made under the same device id and county, and the
    whole county is pulled, this PC's own earlier changes included. Changes that never reached the
    province stay only in the set-aside file (`unsent_changes` says how many).

    The province is asked first (`GET /v1/device`): nothing is moved unless it answers. A database that
    passes its check is rebuilt only with `force` (DatabaseSound otherwise). An interrupted rebuild is
    continued, not set aside again."""
    credentials = load_credentials(data_dir)
    if credentials is None:
        raise UserInputError(
            f"本机没有保存的省级平台注册信息（{data_dir / CREDENTIALS_FILENAME}），无法从省级平台重建。"
            "请从备份恢复，或用新的注册码在新的数据目录中运行 guopei-desk init --server 地址 --code 注册码。"
        )
    path = data_dir / DB_FILENAME
    if path.exists() and quick_check(path) == "ok":
        if first_pull_pending(data_dir):
            pulled = resume_first_pull(
                data_dir, progress=progress, cancelled=cancelled, page_size=page_size, http=http
            )
            return RecoveryResult(pulled, (), signing_key_kept=None, unsent_changes=None)
        if not force:
            raise DatabaseSound(path)
    return _rebuild(data_dir, credentials, progress or _silent, cancelled, page_size, http)


def _rebuild(
    data_dir: Path,
    saved: Credentials,
    report: Progress,
    cancelled: CancelCheck | None,
    page_size: int,
    http: requests.Session | None,
) -> RecoveryResult:
    report(0, "正在向省级平台确认本机身份…")
    identity = device_identity(saved.server_url, saved.token, http=http)
    if saved.device_id is not None and saved.device_id != identity.device_id:
        raise UserInputError(
            f"注册信息中的设备编号（{saved.device_id}）与省级平台的记录（{identity.device_id}）不符，没有做任何改动"
        )
    credentials = Credentials(
        saved.server_url, saved.token, identity.device_id, identity.county_code, identity.county_name
    )
    save_credentials(data_dir, credentials)  # files from before kept no identity: they do from now on
    set_aside = _set_aside(data_dir)
    salvaged, unsent = _salvage(set_aside[0]) if set_aside else (None, None)
    if set_aside:
        log.warning("损坏的数据库已改名保存：%s", ", ".join(str(p) for p in set_aside))
    report(1, f"正在为 {identity.county_name}（{identity.county_code}）建立新的数据库…")
    db = _create(data_dir, credentials, signing_key=None)
    try:
        client = _client(db, credentials, report, cancelled, page_size, http)
        keys_added = client.fetch_province()
        kept = salvaged is not None and _keep_signing_key(db, salvaged)
        pulled = _pull_county(
            db, credentials, report, cancelled, page_size, http, resumed=False, client=client, keys=keys_added
        )
    finally:
        db.dispose()
    return RecoveryResult(pulled, set_aside, signing_key_kept=kept, unsent_changes=unsent)


def _create(data_dir: Path, credentials: Credentials, *, signing_key: bytes | None) -> Database:
    assert credentials.device_id and credentials.county_code and credentials.county_name
    # "own": this device's earlier changes too (a rebuilt PC has lost them; a new one has none).
    started = dt.datetime.now().isoformat(timespec="seconds")
    settings: dict[str, object] = {FIRST_PULL_KEY: {"own": True, "started_at": started}}
    if signing_key is not None:
        # The key whose public half the province received at registration.
        settings[certificates.KEY_SETTING] = signing_key.hex()
    return create_database(
        data_dir,
        county_code=credentials.county_code,
        county_name=credentials.county_name,
        device_id=credentials.device_id,
        settings=settings,
    )


class _PageProgress:
    """SyncClient.on_page: counts what arrived, says so, and stops at Cancel (the page is saved)."""

    def __init__(self, report: Progress, cancelled: CancelCheck | None) -> None:
        self.report = report
        self.cancelled = cancelled
        self.received: Counter[str] = Counter()
        self.pages = 0

    def check(self) -> None:
        if self.cancelled is not None and self.cancelled():
            raise Cancelled()

    def __call__(self, page: PullPage) -> None:
        self.pages += 1
        self.received.update(change.entity for change in page.changes)
        done = sum(self.received.values())
        percent = PULL_START
        if page.remaining is not None and done + page.remaining > 0:
            percent = PULL_START + (PULL_END - PULL_START) * done // (done + page.remaining)
        self.report(
            percent, f"正在下载本县数据：第 {self.pages} 页，已接收 {done:,} 条（{self.breakdown()}）"
        )
        self.check()

    def breakdown(self, most: int = 4) -> str:
        parts = [
            f"{ENTITY_LABELS.get(entity, entity)} {count:,}" for entity, count in self.received.most_common()
        ]
        return "、".join(parts[:most]) + (" …" if len(parts) > most else "") if parts else "无"


def _client(
    db: Database,
    credentials: Credentials,
    report: Progress,
    cancelled: CancelCheck | None,
    page_size: int,
    http: requests.Session | None,
) -> SyncClient:
    return SyncClient(
        db,
        credentials.server_url,
        credentials.token,
        page_size=page_size,
        http=http,
        on_page=_PageProgress(report, cancelled),
    )


def _pull_county(
    db: Database,
    credentials: Credentials,
    report: Progress,
    cancelled: CancelCheck | None,
    page_size: int,
    http: requests.Session | None,
    *,
    resumed: bool,
    client: SyncClient | None = None,
    keys: int | None = None,
) -> FirstPullResult:
    started = time.monotonic()
    client = client or _client(db, credentials, report, cancelled, page_size, http)
    pages = client.on_page
    assert isinstance(pages, _PageProgress)
    if keys is None:
        report(2, "正在读取省级政策和各县的证书公钥…")
        keys = client.fetch_province()
    client.fetch_device_number()  # the serials this PC issues carry it from its first certificate
    pages.check()
    report(PULL_START, "正在下载本县数据…" if not resumed else "正在从上次中断处继续下载本县数据…")
    client.pull()
    total = sum(pages.received.values())
    report(100, f"本县数据已下载完成：{total:,} 条（{pages.breakdown(most=len(ENTITY_LABELS))}）")
    return FirstPullResult(
        data_dir=db.path.parent,
        device_id=db.device.device_id,
        county_code=db.device.county_code,
        county_name=db.device.county_name,
        resumed=resumed,
        received=dict(pages.received),
        pages=pages.pages,
        bytes_received=client.traffic.received,
        keys_added=keys,
        seconds=time.monotonic() - started,
    )


def _set_aside(data_dir: Path) -> tuple[Path, ...]:
    """Rename the database and its -wal/-shm to `guopei-damaged-<time>.sqlite3[-wal|-shm]` (one name for
    the three, so the set-aside file still opens with its journal); the main file first in the answer."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    stem = f"guopei-damaged-{stamp}"
    number = 1
    while any((data_dir / f"{stem}.sqlite3{suffix}").exists() for suffix in ("", "-wal", "-shm")):
        number += 1
        stem = f"guopei-damaged-{stamp}-{number}"
    moved = []
    for suffix in ("", "-wal", "-shm"):
        source = data_dir / f"{DB_FILENAME}{suffix}"
        if source.exists():
            target = data_dir / f"{stem}.sqlite3{suffix}"
            source.rename(target)
            moved.append(target)
    return tuple(moved)


def _salvage(path: Path) -> tuple[bytes | None, int | None]:
    """What can still be read from a damaged database: its certificate-signing key and how many
    changes were waiting in its outbox. Best effort: whatever cannot be read is None."""
    if not path.name.endswith(".sqlite3"):
        return None, None
    key: bytes | None = None
    unsent: int | None = None
    try:
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error:
        return None, None
    try:
        try:
            row = connection.execute(
                "SELECT value FROM settings WHERE key = ?", (certificates.KEY_SETTING,)
            ).fetchone()
            if row is not None:
                key = bytes.fromhex(json.loads(row[0]))
        except (sqlite3.Error, ValueError, TypeError):
            key = None
        try:
            unsent = connection.execute("SELECT count(*) FROM outbox").fetchone()[0]
        except sqlite3.Error:
            unsent = None
    finally:
        connection.close()
    return key, unsent


def _keep_signing_key(db: Database, private: bytes) -> bool:
    """Take the key read back from the damaged file only if the province lists its public half (a key
    damaged in the file would sign certificates nobody can verify)."""
    try:
        public = public_key_of(private)
    except ValueError:
        return False
    with db.write() as session:
        if key_id(public) not in certificates.known_public_keys(session):
            return False
        session.add(Setting(key=certificates.KEY_SETTING, value=private.hex()))
    return True


def _silent(_percent: int, _message: str) -> None:
    pass


def restore_and_catch_up(
    path: Path, password: str, data_dir: Path, *, operator: Operator | None = None
) -> RestoreOutcome:
    """Restore a backup (`desktop.db.backup.restore_backup`) and have the next pull bring back what this
    PC synced after the backup: those are its own changes, which an ordinary pull leaves out. The
    restore is recorded in the restored database's audit log under `operator` (who was allowed it:
    `desktop.services.backups.authorise_restore`)."""
    outcome = restore_backup(path, password, data_dir)
    db = open_database(data_dir)
    try:
        with db.write() as session:
            if session.get(Setting, FIRST_PULL_KEY) is None:
                wanted = {"own": True, "restored": outcome.backup_created_at.isoformat()}
                session.add(Setting(key=FIRST_PULL_KEY, value=wanted))
        record_restore(db, operator, restored_from=path)
    finally:
        db.dispose()
    return outcome
