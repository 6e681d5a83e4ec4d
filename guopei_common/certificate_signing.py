"""Certificates (结业证书) that can be checked without a network: serial numbers and a signed QR text.

Each county signs its certificates with its own Ed25519 key; the province publishes the public keys
by key id, and anyone holding that list (a school, an employer, another county) can check a
certificate's QR code offline. The QR text is

    GPC1.<claims>.<key id>.<signature>

where <claims> is the base64url of the claims as canonical JSON (sorted one-letter keys, no spaces,
UTF-8) and the signature covers the ASCII text before its last dot, so the version tag and the key
id are signed too. Base64 is written without padding and must be canonical, so that no two texts
carry the same signature.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

PREFIX = "GPC1"
KEY_ID_LENGTH = 8
# `522727-2026-00042` (before device segments; every certificate already printed keeps it) and
# `522727-2026-D02-00042` / `522727-2026-LK7QDM-00042` (see `device_segment`).
_SERIAL = re.compile(r"(\d{6})-(\d{4})-(?:(D\d{2,3}|L[A-Z2-7]{6})-)?(\d{5})")
_KEY_BYTES = 32
_SIGNATURE_BYTES = 64

VALID = "有效"
REVOKED = "证书已被撤销"
TAMPERED = "签名无效：内容被篡改"
UNKNOWN_KEY = "签发密钥未登记（可能是其他县或伪造的证书）"
NOT_A_CERTIFICATE = "不是结业证书二维码"


# --- serial numbers ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Serial:
    county_code: str
    year: int
    sequence: int
    device: str = ""  # "D02", "LK7QDM", or "" for a serial from before device segments


def device_segment(*, device_number: int | None, device_id: str) -> str:
    """The part of a serial that names the device issuing it, so that no two devices of a county can
    hand out the same serial, even offline.

    A device registered with the province has a number that the province gives once per county
    (D01, D02 …, never reused): short to type, and unique by construction. A device that has not been
    registered (started offline) has none yet; it uses L and six base32 characters of the SHA-256 of its
    own device id (a random UUID): 30 bits, so that two of a county's unregistered devices sharing one
    needs odds of about one in ten million for ten devices. The province refuses a second certificate
    under a serial it already holds, and verification keys on the serial and the issuing key together,
    so even then one certificate cannot stand for another."""
    if device_number is not None:
        if not 1 <= device_number <= 999:
            raise ValueError(f"设备编号应在 1 到 999 之间，收到 {device_number}")
        return f"D{device_number:02d}"
    digest = base64.b32encode(hashlib.sha256(device_id.encode("utf-8")).digest()).decode("ascii")
    return f"L{digest[:6]}"


def _check_serial_parts(county_code: str, year: int, sequence: int) -> None:
    if not (len(county_code) == 6 and county_code.isascii() and county_code.isdigit()):
        raise ValueError(f"县级行政区划代码应为 6 位数字（GB/T 2260），收到“{county_code}”")
    # PPCCDD: a county-level code never ends in 00 (that is a city or a province), provinces start 1–8.
    if county_code[0] not in "12345678" or county_code[4:] == "00":
        raise ValueError(f"“{county_code}”不是县级行政区划代码（GB/T 2260）")
    if not 2000 <= year <= 9999:
        raise ValueError(f"证书年份应为 2000 年以后的四位年份，收到 {year}")
    if not 1 <= sequence <= 99999:
        raise ValueError(f"证书流水号应在 1 到 99999 之间，收到 {sequence}")


def certificate_serial(county_code: str, year: int, sequence: int, *, device: str = "") -> str:
    """`522727-2026-D02-00042`: county code, year of issue, the issuing device (`device_segment`) and
    the sequence within that device's serials of the county and year. Without `device`, the form of
    serials printed before device segments (`522727-2026-00042`), kept for reading them back."""
    _check_serial_parts(county_code, year, sequence)
    if device and _SERIAL.fullmatch(f"{county_code}-{year:04d}-{device}-{sequence:05d}") is None:
        raise ValueError(f"证书编号中的设备段应如 D02 或 LK7QDM，收到“{device}”")
    middle = f"-{device}" if device else ""
    return f"{county_code}-{year:04d}{middle}-{sequence:05d}"


def parse_serial(text: str) -> Serial:
    """The parts of a serial, either form; ValueError (in Chinese) when it is not one."""
    match = _SERIAL.fullmatch(text.strip())
    if match is None:
        raise ValueError(
            f"证书编号格式应为“县代码-年份-设备-流水号”，如 522727-2026-D02-00042"
            f"（早期证书为 522727-2026-00042），收到“{text}”"
        )
    county_code, year, device, sequence = (
        match.group(1),
        int(match.group(2)),
        match.group(3) or "",
        int(match.group(4)),
    )
    _check_serial_parts(county_code, year, sequence)
    return Serial(county_code, year, sequence, device)


def certificate_identity(serial: str, kid: str) -> str:
    """What names one certificate: its serial with the id of the key that signed it. Revocation and
    verification key on this, never on the serial alone, which two certificates from before device
    segments may share (two offline PCs of a county both issued 522727-2026-00041)."""
    return f"{serial}/{kid}"


def identity_of(qr_text: str) -> str:
    """`certificate_identity` of a certificate QR text (not verified), or empty."""
    parts = qr_text.strip().split(".") if isinstance(qr_text, str) else []
    serial = serial_in(qr_text)
    return certificate_identity(serial, parts[2]) if serial and len(parts) == 4 else ""


# --- claims --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CertificateClaims:
    serial: str
    holder_name: str
    masked_id_number: str  # never the whole number: anyone who scans the certificate reads this
    project_code: str
    project_name: str
    hours: float
    credits: float
    issued_on: dt.date

    def __post_init__(self) -> None:
        parse_serial(self.serial)
        if "*" not in self.masked_id_number:
            raise ValueError("证书二维码中的身份证号必须遮蔽（如 5227**********1234）")


# One-letter keys keep the QR small enough to scan from a printed page; the mapping is fixed by GPC1.
_KEYS = {
    "serial": "s",
    "holder_name": "n",
    "masked_id_number": "i",
    "project_code": "c",
    "project_name": "p",
    "hours": "h",
    "credits": "r",
    "issued_on": "d",
}


def _compact_number(value: float) -> int | float:
    # `:g` drops a trailing ".0" (30 rather than 30.0) and float noise; ints print without a dot.
    number = float(f"{value:g}")
    return int(number) if number.is_integer() else number


def _claims_json(claims: CertificateClaims) -> bytes:
    values = {
        _KEYS["serial"]: claims.serial,
        _KEYS["holder_name"]: claims.holder_name,
        _KEYS["masked_id_number"]: claims.masked_id_number,
        _KEYS["project_code"]: claims.project_code,
        _KEYS["project_name"]: claims.project_name,
        _KEYS["hours"]: _compact_number(claims.hours),
        _KEYS["credits"]: _compact_number(claims.credits),
        _KEYS["issued_on"]: claims.issued_on.isoformat(),
    }
    text = json.dumps(values, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.encode("utf-8")


def _claims_from_json(data: bytes) -> CertificateClaims:
    """ValueError unless `data` holds exactly the GPC1 claims with the right types."""
    values = json.loads(data.decode("utf-8"))
    if not isinstance(values, dict) or set(values) != set(_KEYS.values()):
        raise ValueError("claims")
    fields = {name: values[key] for name, key in _KEYS.items()}
    for name in ("serial", "holder_name", "masked_id_number", "project_code", "project_name", "issued_on"):
        if not isinstance(fields[name], str):
            raise ValueError(name)
    for name in ("hours", "credits"):
        # bool is an int in Python; a JSON true is not a number of hours.
        if isinstance(fields[name], bool) or not isinstance(fields[name], int | float):
            raise ValueError(name)
        fields[name] = float(fields[name])
    fields["issued_on"] = dt.date.fromisoformat(fields["issued_on"])
    return CertificateClaims(**fields)


# --- keys ----------------------------------------------------------------------------------------


def generate_key() -> bytes:
    """A new raw 32-byte Ed25519 private key (kept by the county, never synced)."""
    return Ed25519PrivateKey.generate().private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())


def _private_key(private: bytes) -> Ed25519PrivateKey:
    if len(private) != _KEY_BYTES:
        raise ValueError(f"签发私钥应为 {_KEY_BYTES} 字节，收到 {len(private)} 字节")
    return Ed25519PrivateKey.from_private_bytes(private)


def public_key_of(private: bytes) -> bytes:
    return _private_key(private).public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def key_id(public: bytes) -> str:
    """A short name for a public key, printed on the QR so the verifier knows which key to use."""
    return base64.b32encode(hashlib.sha256(public).digest()).decode("ascii")[:KEY_ID_LENGTH]


# --- signing and verifying -----------------------------------------------------------------------


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode("ascii").rstrip("=")


def _b64decode(text: str) -> bytes:
    """Strict base64url without padding; ValueError for anything not written by `_b64encode`."""
    # binascii.Error and non-ASCII text both raise ValueError here.
    data = base64.b64decode(text + "=" * (-len(text) % 4), altchars=b"-_", validate=True)
    # The last character can carry unused bits; two spellings of the same bytes are not allowed.
    if _b64encode(data) != text:
        raise ValueError("base64")
    return data


def sign_payload(claims: CertificateClaims, private_key: bytes) -> str:
    """The QR text of a certificate: `GPC1.<claims>.<key id>.<signature>`, ASCII only."""
    key = _private_key(private_key)
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    signed = f"{PREFIX}.{_b64encode(_claims_json(claims))}.{key_id(public)}"
    return f"{signed}.{_b64encode(key.sign(signed.encode('ascii')))}"


# --- the public check's code ---------------------------------------------------------------------

CHECK_CODE_LENGTH = 8  # base32 characters: 40 bits, out of reach of guessing at a rate-limited endpoint


def check_code(qr_text: str) -> str:
    """The check code (核验码) printed beside the serial, e.g. `K7QD-3MXA`: derived from the QR's
    signature, which only the issuing county's key can make, so it cannot be guessed from a serial and
    every certificate already printed has one (anyone holding the paper can read it off its QR). The
    province's public check answers a serial only together with its code, so serials, which are
    sequential, cannot be walked. Empty for a text that is not a GPC1 certificate."""
    parts = qr_text.strip().split(".") if isinstance(qr_text, str) else []
    if len(parts) != 4 or parts[0] != PREFIX or not parts[3].isascii():
        return ""
    code = base64.b32encode(hashlib.sha256(parts[3].encode("ascii")).digest()).decode("ascii")
    return f"{code[:4]}-{code[4:CHECK_CODE_LENGTH]}"


def normalize_check_code(text: str) -> str:
    """A typed check code as `check_code` writes it: case, spaces and dashes ignored, and the digits a
    person reads for letters (0 for O, 1 for I; base32 has neither digit) taken as those letters."""
    cleaned = "".join(ch for ch in text.upper() if ch.isalnum()).replace("0", "O").replace("1", "I")
    return f"{cleaned[:4]}-{cleaned[4:]}" if len(cleaned) == CHECK_CODE_LENGTH else ""


def serial_in(qr_text: str) -> str:
    """The serial a certificate QR text claims (not verified: the province compares the whole check
    code against what it holds), or empty."""
    parts = qr_text.strip().split(".") if isinstance(qr_text, str) else []
    if len(parts) != 4 or parts[0] != PREFIX:
        return ""
    try:
        values = json.loads(_b64decode(parts[1]).decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return ""
    serial = values.get(_KEYS["serial"]) if isinstance(values, dict) else None
    return serial if isinstance(serial, str) else ""


@dataclass(frozen=True)
class Verification:
    valid: bool
    claims: CertificateClaims | None  # also given for a revoked certificate, to show which one it was
    reason: str  # Chinese, shown to the person who scanned


def verify_payload(
    text: str, public_keys: Mapping[str, bytes], *, revoked: Collection[str] = ()
) -> Verification:
    """Whether a scanned text is a genuine, unrevoked certificate; never raises for bad input.

    `public_keys` maps key ids to raw public keys (the province's list); `revoked` holds the
    `certificate_identity` (serial and key id) of revoked certificates.
    """
    if not isinstance(text, str):
        return Verification(False, None, NOT_A_CERTIFICATE)
    parts = text.strip().split(".")
    if len(parts) != 4 or parts[0] != PREFIX or not all(parts):
        return Verification(False, None, NOT_A_CERTIFICATE)
    _, payload, kid, signature_text = parts
    try:
        claims_json = _b64decode(payload)
        signature = _b64decode(signature_text)
    except ValueError:
        return Verification(False, None, TAMPERED)
    if len(signature) != _SIGNATURE_BYTES:
        return Verification(False, None, TAMPERED)

    public = public_keys.get(kid)
    if public is None:
        return Verification(False, None, UNKNOWN_KEY)
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, f"{PREFIX}.{payload}.{kid}".encode())
    except InvalidSignature:
        return Verification(False, None, TAMPERED)
    except (ValueError, TypeError):
        # A malformed entry in the key list: no certificate can be checked against it.
        return Verification(False, None, UNKNOWN_KEY)

    try:
        claims = _claims_from_json(claims_json)
    except ValueError:
        # Signed by a registered key yet not GPC1 claims: a text of another kind, not a certificate.
        return Verification(False, None, NOT_A_CERTIFICATE)
    if certificate_identity(claims.serial, kid) in revoked:
        return Verification(False, claims, REVOKED)
    return Verification(True, claims, VALID)
