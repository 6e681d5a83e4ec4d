"""The exchange file (`.gpx`): what one county PC hands another, or the province, on a USB stick when
no link carries a sync; and what the province hands a county back. One format for both directions:

    b"GPX1" | salt (16) | log2 n, r, p (3 bytes) | nonce (12) | AES-256-GCM(plaintext)
    plaintext = header length (4, big-endian) | header (canonical JSON) | Ed25519 signature (64) | body

The key comes from the county's exchange password through scrypt; the associated data is everything
before the ciphertext, so the parameters cannot be changed either. The body is the gzip of a JSON value
(a county's ops as compact push batches, or the province's feed). The header names the county, the
signing device and its public key, when the file was made, how many records of each kind it holds, the
SHA-256 of the body and the signer's pull cursor; the signature covers the header, so the whole file is
the signer's. Personal data only ever leaves a PC encrypted (PIPL art. 51).

Which signers to believe is the reader's decision (a county PC's trusted devices, the province's list
of registered devices); this module only says who signed and that nothing was changed since.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import secrets
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from guopei_common.errors import UserError
from guopei_common.protocol import BadPayload, PayloadTooLarge, canonical_json, gzip_decode

MAGIC = b"GPX1"
FORMAT_VERSION = 1
SUFFIX = ".gpx"
PASSWORD_ENV = "GUOPEI_DESK_EXCHANGE_PASSWORD"
PROVINCE_SIGNER = "province"  # the header's device for a file the province wrote
# scrypt at n=2**15, r=8 (32 MiB, about a tenth of a second), as for backups; a file may ask for at
# most 2**20 (a damaged or hostile one must not exhaust memory).
_LOG_N, _R, _P = 15, 8, 1
_MAX_LOG_N, _MAX_R, _MAX_P = 20, 16, 4
_SALT, _NONCE, _SIGNATURE = 16, 12, 64
_PREAMBLE = len(MAGIC) + _SALT + 3 + _NONCE
_MAX_HEADER = 64 * 1024
MAX_FILE_BYTES = 64 * 1024 * 1024

NOT_EXCHANGE = "这不是国培交换文件（.gpx）"
WRONG_PASSWORD = "无法解密交换文件：交换密码不对，或文件已损坏、被改动"
BAD_SIGNATURE = "交换文件的签名无效：文件内容与签名不符，已拒绝"


class ExchangeRefused(UserError):
    """A file that cannot be read or is not to be believed; nothing of it was applied."""


@dataclass(frozen=True)
class ExchangeHeader:
    kind: str  # "county": a county PC's changes; "province": the province's feed for a county
    county_code: str
    device_id: str  # the signer: a county device's id, or PROVINCE_SIGNER
    public_key: bytes
    made_at: str  # ISO, the signer's clock
    counts: dict[str, int]  # records per entity
    file_id: str
    cursor: int | None = None  # the signer's position in the county's feed (county files), or its end
    body_sha256: str = ""

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_key)

    def as_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT_VERSION,
            "kind": self.kind,
            "county": self.county_code,
            "device": self.device_id,
            "public_key": self.public_key.hex(),
            "made_at": self.made_at,
            "counts": self.counts,
            "file_id": self.file_id,
            "cursor": self.cursor,
            "body_sha256": self.body_sha256,
        }

    @classmethod
    def from_json(cls, value: Any) -> ExchangeHeader:
        try:
            if value["format"] != FORMAT_VERSION or value["kind"] not in ("county", "province"):
                raise ValueError("format")
            counts = {str(name): int(count) for name, count in dict(value["counts"]).items()}
            cursor = value.get("cursor")
            return cls(
                kind=str(value["kind"]),
                county_code=str(value["county"]),
                device_id=str(value["device"]),
                public_key=bytes.fromhex(str(value["public_key"])),
                made_at=str(value["made_at"]),
                counts=counts,
                file_id=str(value["file_id"]),
                cursor=None if cursor is None else int(cursor),
                body_sha256=str(value["body_sha256"]),
            )
        except (KeyError, TypeError, ValueError):
            raise ExchangeRefused(f"{NOT_EXCHANGE}：文件头不完整") from None


@dataclass(frozen=True)
class ExchangeFile:
    header: ExchangeHeader
    body: Any = field(repr=False)


def fingerprint(public: bytes) -> str:
    """What a person compares by eye or reads out over the phone: 20 base32 characters of the key's
    SHA-256 in groups of four (`K7QD-3MXA-…`)."""
    text = base64.b32encode(hashlib.sha256(public).digest()).decode("ascii")[:20]
    return "-".join(text[i : i + 4] for i in range(0, 20, 4))


def _key(password: str, salt: bytes, log_n: int, r: int, p: int) -> bytes:
    if not password:
        raise ExchangeRefused("请输入本县的交换密码")
    return Scrypt(salt=salt, length=32, n=2**log_n, r=r, p=p).derive(password.encode("utf-8"))


def encode(header: ExchangeHeader, body: Any, *, private_key: bytes, password: str) -> bytes:
    """The bytes of an exchange file: `body` compressed, the header (with the body's hash) signed with
    `private_key` (raw Ed25519), all encrypted with `password`."""
    # Level 9: a file is written once and carried; its size, not the CPU, is what costs.
    packed = gzip.compress(canonical_json(body), compresslevel=9, mtime=0)
    signer = Ed25519PrivateKey.from_private_bytes(private_key)
    public = signer.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signed = ExchangeHeader(
        **{**header.__dict__, "public_key": public, "body_sha256": hashlib.sha256(packed).hexdigest()}
    )
    header_bytes = canonical_json(signed.as_json())
    plaintext = (
        struct.pack(">I", len(header_bytes)) + header_bytes + signer.sign(MAGIC + header_bytes) + packed
    )
    salt, nonce = secrets.token_bytes(_SALT), secrets.token_bytes(_NONCE)
    preamble = MAGIC + salt + bytes((_LOG_N, _R, _P)) + nonce
    sealed = AESGCM(_key(password, salt, _LOG_N, _R, _P)).encrypt(nonce, plaintext, preamble)
    return preamble + sealed


def decode(data: bytes, *, password: str) -> ExchangeFile:
    """The file's signed header and body; ExchangeRefused (in Chinese) for anything else: not an
    exchange file, a wrong password or changed bytes (AES-GCM cannot tell them apart), a signature
    that does not match the header, a body that does not match its hash."""
    if len(data) < _PREAMBLE + 16 or not data.startswith(MAGIC):
        raise ExchangeRefused(NOT_EXCHANGE)
    if len(data) > MAX_FILE_BYTES:
        raise ExchangeRefused(f"交换文件超过 {MAX_FILE_BYTES // (1024 * 1024)} MB，不是本程序写的")
    salt = data[len(MAGIC) : len(MAGIC) + _SALT]
    log_n, r, p = data[len(MAGIC) + _SALT : len(MAGIC) + _SALT + 3]
    if not (1 <= log_n <= _MAX_LOG_N and 1 <= r <= _MAX_R and 1 <= p <= _MAX_P):
        raise ExchangeRefused(f"{NOT_EXCHANGE}：加密参数不对")
    nonce = data[_PREAMBLE - _NONCE : _PREAMBLE]
    try:
        plaintext = AESGCM(_key(password, salt, log_n, r, p)).decrypt(
            nonce, data[_PREAMBLE:], data[:_PREAMBLE]
        )
    except InvalidTag:
        raise ExchangeRefused(WRONG_PASSWORD) from None
    (length,) = struct.unpack(">I", plaintext[:4])
    if length > _MAX_HEADER or len(plaintext) < 4 + length + _SIGNATURE:
        raise ExchangeRefused(f"{NOT_EXCHANGE}：文件头不完整")
    header_bytes = plaintext[4 : 4 + length]
    signature = plaintext[4 + length : 4 + length + _SIGNATURE]
    packed = plaintext[4 + length + _SIGNATURE :]
    try:
        header = ExchangeHeader.from_json(json.loads(header_bytes))
        Ed25519PublicKey.from_public_bytes(header.public_key).verify(signature, MAGIC + header_bytes)
    except (InvalidSignature, ValueError):
        raise ExchangeRefused(BAD_SIGNATURE) from None
    if hashlib.sha256(packed).hexdigest() != header.body_sha256:
        raise ExchangeRefused(BAD_SIGNATURE)
    try:
        body = gzip_decode(packed, max_compressed=MAX_FILE_BYTES, max_decompressed=8 * MAX_FILE_BYTES)
    except (BadPayload, PayloadTooLarge) as error:
        raise ExchangeRefused(f"交换文件的内容无法读取：{error}") from None
    return ExchangeFile(header, body)


def read(path: Path, *, password: str) -> ExchangeFile:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise ExchangeRefused(f"无法读取交换文件 {path}：{error.strerror or error}") from None
    return decode(data, password=password)
