"""The `.gpbak` file: an encrypted, compressed, streamed copy of a county database.

    b"GUOPEIBK" | header length (4 bytes, big-endian) | header (UTF-8 JSON) | chunk | chunk | ...
    chunk = ciphertext length (4 bytes, big-endian) | AES-256-GCM(zlib(≤ 1 MiB of the database))

The key comes from the backup password through scrypt (salt and n/r/p in the header). Each chunk's
nonce is a random 8-byte prefix (in the header) and the chunk's 4-byte index; its associated data is
the SHA-256 of everything before the first chunk, the index and a last-chunk flag, so a changed
header, reordered or missing chunks and a file cut short are all refused. Memory stays at a few MiB
whatever the database's size. The header itself needs no password: a folder of backups can be listed
with their time, county and reason on any PC.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
import struct
import unicodedata
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from desktop.errors import BackupDamaged, BackupPasswordError

MAGIC = b"GUOPEIBK"
FORMAT_VERSION = 1
CHUNK_SIZE = 1 << 20
# zlib level 3: on the demo county (92 MB) 1.3 s for 18.8 MB; level 6 takes twice as long for 10 %
# less, and the backup on closing the program is one a person waits for.
COMPRESSION_LEVEL = 3
# scrypt at n=2**15, r=8: 32 MiB and about a tenth of a second, once per password entered.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1
# A header may not ask for more than this (a damaged or hostile file must not exhaust memory).
_MAX_SCRYPT_N, _MAX_SCRYPT_R, _MAX_SCRYPT_P = 2**20, 16, 4
_MAX_HEADER = 64 * 1024
_MAX_CHUNK_CIPHERTEXT = 2 * CHUNK_SIZE + 1024
_KEY_CHECK_LABEL = b"guopei-desk backup key check"
_PREAMBLE = len(MAGIC) + 4


@dataclass(frozen=True)
class BackupKey:
    """An AES-256 key derived from the backup password, with what derived it."""

    salt: bytes
    n: int
    r: int
    p: int
    key: bytes = field(repr=False)

    @property
    def check(self) -> str:
        """Tells a wrong password from a damaged file, and reveals nothing about the key."""
        return hmac.new(self.key, _KEY_CHECK_LABEL, hashlib.sha256).hexdigest()[:32]


def derive_key(
    password: str, *, salt: bytes | None = None, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P
) -> BackupKey:
    salt = salt if salt is not None else secrets.token_bytes(16)
    # The same Chinese password typed through two input methods may differ in normalisation only.
    secret = unicodedata.normalize("NFC", password).encode("utf-8")
    key = Scrypt(salt=salt, length=32, n=n, r=r, p=p).derive(secret)
    return BackupKey(salt=salt, n=n, r=r, p=p, key=key)


def password_matches(key: BackupKey, password: str) -> bool:
    candidate = derive_key(password, salt=key.salt, n=key.n, r=key.r, p=key.p)
    return hmac.compare_digest(candidate.key, key.key)


@dataclass(frozen=True)
class BackupFacts:
    """What a backup says about itself, readable without the password."""

    created_at: dt.datetime  # local time, with its offset
    county_code: str
    county_name: str
    reason: str
    schema_revision: str  # Alembic revision of the copied database
    integrity: str  # PRAGMA integrity_check of the copy before it was written: "ok"
    plaintext_size: int


@dataclass(frozen=True)
class BackupHeader:
    facts: BackupFacts
    salt: bytes
    n: int
    r: int
    p: int
    key_check: str
    nonce_prefix: bytes
    digest: bytes  # SHA-256 of everything before the first chunk: bound into every chunk
    body_offset: int


def read_header(path: Path) -> BackupHeader:
    """The header of a backup file; needs no password. `BackupDamaged` when it is not one."""
    try:
        with path.open("rb") as handle:
            prefix = handle.read(_PREAMBLE)
            if len(prefix) < _PREAMBLE or not prefix.startswith(MAGIC):
                raise BackupDamaged(path, "不是国培桌面端的备份文件")
            (length,) = struct.unpack(">I", prefix[len(MAGIC) :])
            if length > _MAX_HEADER:
                raise BackupDamaged(path, "文件头长度异常")
            prefix += handle.read(length)
    except FileNotFoundError as error:
        raise BackupDamaged(path, "文件不存在") from error
    except OSError as error:
        raise BackupDamaged(path, f"无法读取（{error.strerror or type(error).__name__}）") from error
    return parse_header(path, prefix)


def parse_header(path: Path, prefix: bytes) -> BackupHeader:
    """Parse the bytes before the first chunk (magic, length, JSON) of the backup `path`."""
    try:
        values = json.loads(prefix[_PREAMBLE:].decode("utf-8"))
        if values["format"] != FORMAT_VERSION:
            raise BackupDamaged(path, f"备份格式版本 {values['format']} 较新，请升级国培桌面端")
        kdf = values["kdf"]
        facts = BackupFacts(
            created_at=dt.datetime.fromisoformat(values["created_at"]),
            county_code=str(values["county_code"]),
            county_name=str(values["county_name"]),
            reason=str(values["reason"]),
            schema_revision=str(values["schema_revision"]),
            integrity=str(values["integrity"]),
            plaintext_size=int(values["plaintext_size"]),
        )
        return BackupHeader(
            facts=facts,
            salt=_unb64(kdf["salt"]),
            n=int(kdf["n"]),
            r=int(kdf["r"]),
            p=int(kdf["p"]),
            key_check=str(values["key_check"]),
            nonce_prefix=_unb64(values["nonce_prefix"]),
            digest=hashlib.sha256(prefix).digest(),
            body_offset=len(prefix),
        )
    except (ValueError, KeyError, TypeError) as error:
        raise BackupDamaged(path, "文件头无法读取（已损坏）") from error


def unlock(path: Path, header: BackupHeader, password: str) -> BackupKey:
    """The key of a backup, from its password; `BackupPasswordError` when the password is wrong."""
    if not (header.n <= _MAX_SCRYPT_N and header.r <= _MAX_SCRYPT_R and header.p <= _MAX_SCRYPT_P):
        raise BackupDamaged(path, "文件头中的密钥参数异常")
    try:
        key = derive_key(password, salt=header.salt, n=header.n, r=header.r, p=header.p)
    except ValueError as error:  # parameters scrypt refuses
        raise BackupDamaged(path, "文件头中的密钥参数异常") from error
    if not hmac.compare_digest(key.check, header.key_check):
        raise BackupPasswordError("备份密码不正确（或文件头已被改动），没有恢复任何数据。")
    return key


def check_key(header: BackupHeader, key: BackupKey) -> None:
    """Refuse a stored key that is not the one this backup was sealed with."""
    if not hmac.compare_digest(key.check, header.key_check):
        raise BackupPasswordError("这份备份是用另一个备份密码加密的，请输入当时的密码。")


def write_sealed(source: BinaryIO, out: BinaryIO, *, key: BackupKey, facts: BackupFacts) -> str:
    """Write a backup of `source` to `out`: the header, then the sealed chunks. Returns the SHA-256
    of what was read from `source`, for checking the file once written."""
    nonce_prefix = secrets.token_bytes(8)
    prefix = _header_bytes(key, facts, nonce_prefix)
    header_digest = hashlib.sha256(prefix).digest()
    cipher = AESGCM(key.key)
    digest = hashlib.sha256()
    out.write(prefix)
    current = source.read(CHUNK_SIZE)
    index = 0
    while True:
        # Read one chunk ahead: the last chunk is sealed as last, so a file cut short is refused.
        following = source.read(CHUNK_SIZE) if len(current) == CHUNK_SIZE else b""
        last = not following
        digest.update(current)
        sealed = cipher.encrypt(
            _nonce(nonce_prefix, index),
            zlib.compress(current, COMPRESSION_LEVEL),
            _associated_data(header_digest, index, last),
        )
        out.write(struct.pack(">I", len(sealed)) + sealed)
        if last:
            return digest.hexdigest()
        current, index = following, index + 1


def _header_bytes(key: BackupKey, facts: BackupFacts, nonce_prefix: bytes) -> bytes:
    header = {
        "format": FORMAT_VERSION,
        "kdf": {"name": "scrypt", "salt": _b64(key.salt), "n": key.n, "r": key.r, "p": key.p},
        "key_check": key.check,
        "cipher": "AES-256-GCM",
        "compression": "zlib",
        "chunk_size": CHUNK_SIZE,
        "nonce_prefix": _b64(nonce_prefix),
        "created_at": facts.created_at.astimezone().isoformat(timespec="seconds"),
        "county_code": facts.county_code,
        "county_name": facts.county_name,
        "reason": facts.reason,
        "schema_revision": facts.schema_revision,
        "integrity": facts.integrity,
        "plaintext_size": facts.plaintext_size,
    }
    body = json.dumps(header, ensure_ascii=False).encode("utf-8")
    return MAGIC + struct.pack(">I", len(body)) + body


def decrypted_chunks(path: Path, header: BackupHeader, key: BackupKey) -> Iterator[bytes]:
    """The plaintext, chunk by chunk; `BackupDamaged` as soon as anything does not authenticate."""
    cipher = AESGCM(key.key)
    total = 0
    with path.open("rb") as handle:
        handle.seek(header.body_offset)
        pending = _read_sealed(handle, path)
        index = 0
        while pending is not None:
            following = _read_sealed(handle, path)
            try:
                compressed = cipher.decrypt(
                    _nonce(header.nonce_prefix, index),
                    pending,
                    _associated_data(header.digest, index, following is None),
                )
                chunk = zlib.decompress(compressed)
            except (InvalidTag, zlib.error):
                problem = f"第 {index + 1} 段数据校验失败（文件被截断、改动或损坏）"
                raise BackupDamaged(path, problem) from None
            total += len(chunk)
            yield chunk
            pending, index = following, index + 1
    if total != header.facts.plaintext_size:
        raise BackupDamaged(path, "数据长度与文件头不符")


def _read_sealed(handle: BinaryIO, path: Path) -> bytes | None:
    length_bytes = handle.read(4)
    if not length_bytes:
        return None
    if len(length_bytes) < 4:
        raise BackupDamaged(path, "文件在数据段中间结束（不完整）")
    (length,) = struct.unpack(">I", length_bytes)
    if length > _MAX_CHUNK_CIPHERTEXT:
        raise BackupDamaged(path, "数据段长度异常")
    sealed = handle.read(length)
    if len(sealed) < length:
        raise BackupDamaged(path, "文件在数据段中间结束（不完整）")
    return sealed


def _associated_data(digest: bytes, index: int, last: bool) -> bytes:
    return digest + struct.pack(">QB", index, int(last))


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _b64(value: bytes) -> str:
    return base64.b64encode(value).decode("ascii")


def _unb64(value: str) -> bytes:
    return base64.b64decode(value.encode("ascii"), validate=True)
