"""Certificate serials and the signed QR text: what a verifier without a network accepts and refuses."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from guopei_common.certificate_signing import (
    NOT_A_CERTIFICATE,
    PREFIX,
    REVOKED,
    TAMPERED,
    UNKNOWN_KEY,
    VALID,
    CertificateClaims,
    Serial,
    certificate_identity,
    certificate_serial,
    device_segment,
    generate_key,
    identity_of,
    key_id,
    parse_serial,
    public_key_of,
    sign_payload,
    verify_payload,
)

COUNTY_KEY = generate_key()
COUNTY_PUBLIC = public_key_of(COUNTY_KEY)
OTHER_KEY = generate_key()
KEYS = {key_id(COUNTY_PUBLIC): COUNTY_PUBLIC}

CLAIMS = CertificateClaims(
    serial="522727-2026-00042",
    holder_name="罗春燕",
    masked_id_number="5227**********1234",
    project_code="GP2026-MW-0123",
    project_name="乡村小学语文骨干教师能力提升培训",
    hours=30,
    credits=3,
    issued_on=dt.date(2026, 12, 1),
)


# --- serials -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("county", "year", "sequence", "serial"),
    [
        ("522727", 2026, 42, "522727-2026-00042"),
        ("110101", 2000, 1, "110101-2000-00001"),
        ("820001", 2099, 99999, "820001-2099-99999"),
    ],
)
def test_serial_round_trip(county: str, year: int, sequence: int, serial: str) -> None:
    assert certificate_serial(county, year, sequence) == serial
    assert parse_serial(serial) == Serial(county, year, sequence)


@pytest.mark.parametrize(
    ("county", "year", "sequence"),
    [
        ("52272", 2026, 1),  # five digits
        ("5227270", 2026, 1),
        ("52272X", 2026, 1),
        ("５２２７２７", 2026, 1),  # full-width digits
        ("522700", 2026, 1),  # a prefecture, not a county
        ("022727", 2026, 1),
        ("522727", 1999, 1),
        ("522727", 10000, 1),
        ("522727", 2026, 0),
        ("522727", 2026, 100000),
    ],
)
def test_serial_refuses_bad_parts(county: str, year: int, sequence: int) -> None:
    with pytest.raises(ValueError):
        certificate_serial(county, year, sequence)


@pytest.mark.parametrize(
    "text",
    ["", "522727-2026-42", "522727-26-00042", "522727/2026/00042", "522700-2026-00042", "x522727-2026-00042"],
)
def test_parse_serial_refuses(text: str) -> None:
    with pytest.raises(ValueError, match=r"证书编号|行政区划"):
        parse_serial(text)


def test_parse_serial_tolerates_surrounding_blanks() -> None:
    assert parse_serial(" 522727-2026-00042\n") == Serial("522727", 2026, 42)


# --- keys ----------------------------------------------------------------------------------------


def test_keys() -> None:
    assert len(COUNTY_KEY) == 32 and len(COUNTY_PUBLIC) == 32
    assert public_key_of(COUNTY_KEY) == COUNTY_PUBLIC
    assert len(key_id(COUNTY_PUBLIC)) == 8
    assert key_id(COUNTY_PUBLIC) != key_id(public_key_of(OTHER_KEY))
    with pytest.raises(ValueError, match="32 字节"):
        public_key_of(b"short")


# --- signing and verifying -----------------------------------------------------------------------


def test_round_trip() -> None:
    text = sign_payload(CLAIMS, COUNTY_KEY)
    assert text.isascii() and text.startswith(PREFIX + ".")
    assert text.split(".")[2] == key_id(COUNTY_PUBLIC)
    result = verify_payload(text, KEYS)
    assert (result.valid, result.claims, result.reason) == (True, CLAIMS, VALID)


@pytest.mark.parametrize(("hours", "credits"), [(30.0, 3.0), (7.5, 0.7), (120, 12.5)])
def test_numbers_survive(hours: float, credits: float) -> None:
    claims = replace(CLAIMS, hours=hours, credits=credits)
    assert verify_payload(sign_payload(claims, COUNTY_KEY), KEYS).claims == claims


def test_scanner_whitespace_is_ignored() -> None:
    assert verify_payload(sign_payload(CLAIMS, COUNTY_KEY) + "\r\n", KEYS).valid


def _flip(text: str, index: int) -> str:
    replacement = "B" if text[index] != "B" else "C"
    return text[:index] + replacement + text[index + 1 :]


def test_every_changed_character_of_claims_or_signature_is_tampering() -> None:
    text = sign_payload(CLAIMS, COUNTY_KEY)
    _, payload, _, signature = text.split(".")
    claims_start = len(PREFIX) + 1
    signature_start = len(text) - len(signature)
    # Every character, including the last one of each part, whose spare bits base64 would ignore.
    for index in [*range(claims_start, claims_start + len(payload)), *range(signature_start, len(text))]:
        result = verify_payload(_flip(text, index), KEYS)
        assert (result.valid, result.claims, result.reason) == (False, None, TAMPERED), index


def test_changed_claims_resigned_by_another_key_are_refused() -> None:
    forged = sign_payload(replace(CLAIMS, hours=300), OTHER_KEY)
    # The forger cannot put the county's key id on it: the signature covers the key id.
    _, payload, _, signature = forged.split(".")
    relabelled = f"{PREFIX}.{payload}.{key_id(COUNTY_PUBLIC)}.{signature}"
    assert verify_payload(relabelled, KEYS).reason == TAMPERED
    assert verify_payload(forged, KEYS).reason == UNKNOWN_KEY


def test_another_countys_key_is_unknown() -> None:
    result = verify_payload(sign_payload(CLAIMS, OTHER_KEY), KEYS)
    assert (result.valid, result.claims, result.reason) == (False, None, UNKNOWN_KEY)
    both = {**KEYS, key_id(public_key_of(OTHER_KEY)): public_key_of(OTHER_KEY)}
    assert verify_payload(sign_payload(CLAIMS, OTHER_KEY), both).valid


def test_malformed_key_in_the_list_does_not_raise() -> None:
    text = sign_payload(CLAIMS, COUNTY_KEY)
    assert verify_payload(text, {key_id(COUNTY_PUBLIC): b"\x00"}).reason == UNKNOWN_KEY


def test_revoked_certificate() -> None:
    text = sign_payload(CLAIMS, COUNTY_KEY)
    revoked = {certificate_identity("522727-2026-00042", key_id(COUNTY_PUBLIC))}
    result = verify_payload(text, KEYS, revoked=revoked)
    # The claims are still shown, so the person sees which certificate was revoked.
    assert (result.valid, result.claims, result.reason) == (False, CLAIMS, REVOKED)
    assert identity_of(text) in revoked
    assert verify_payload(
        text, KEYS, revoked={certificate_identity("522727-2026-00043", key_id(COUNTY_PUBLIC))}
    ).valid


def test_revocation_keys_on_the_issuing_key_not_the_serial() -> None:
    """Two PCs of a county that both issued 522727-2026-00042 before device segments: revoking one
    leaves the other valid."""
    both = {**KEYS, key_id(public_key_of(OTHER_KEY)): public_key_of(OTHER_KEY)}
    mine, theirs = sign_payload(CLAIMS, COUNTY_KEY), sign_payload(CLAIMS, OTHER_KEY)
    revoked = {identity_of(mine)}
    assert verify_payload(mine, both, revoked=revoked).reason == REVOKED
    assert verify_payload(theirs, both, revoked=revoked).valid


@pytest.mark.parametrize(
    ("county", "year", "device", "sequence", "serial"),
    [
        ("522727", 2026, "D02", 42, "522727-2026-D02-00042"),
        ("522727", 2026, "D123", 1, "522727-2026-D123-00001"),
        ("110101", 2030, "LK7QDMA", 99999, "110101-2030-LK7QDMA-99999"),
    ],
)
def test_device_serials_round_trip(county: str, year: int, device: str, sequence: int, serial: str) -> None:
    assert certificate_serial(county, year, sequence, device=device) == serial
    assert parse_serial(serial) == Serial(county, year, sequence, device)


def test_device_segments() -> None:
    assert device_segment(device_number=2, device_id="x") == "D02"
    offline = device_segment(device_number=None, device_id="6f0c5a56-3c1e-4e63-9d0e-2a7f1c9b8e41")
    assert offline.startswith("L") and len(offline) == 7
    assert parse_serial(f"522727-2026-{offline}-00001").device == offline
    with pytest.raises(ValueError):
        certificate_serial("522727", 2026, 1, device="X9")


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "hello",
        "https://example.org/cert?id=1",
        "GPB1.4f0c2a5e-9a4b-4d8e-8b7a-1c2d3e4f5a6b.ABCDEF",  # a trainee badge
        "GPC1",
        "GPC1...",
        "GPC2.eyJ9.ABCDEFGH.AAAA",
        "gpc1.eyJ9.ABCDEFGH.AAAA",
        "GPC1.a.b.c.d",
        "\x00\xff",
    ],
)
def test_garbage_is_not_a_certificate(text: str) -> None:
    result = verify_payload(text, KEYS)
    assert (result.valid, result.claims, result.reason) == (False, None, NOT_A_CERTIFICATE)


@pytest.mark.parametrize(
    "text",
    [
        "GPC1.!!!.ABCDEFGH.AAAA",
        "GPC1.eyJ9.ABCDEFGH.AAAA",  # a signature far too short
        "GPC1.中文.ABCDEFGH.AAAA",
        "GPC1.eyJ9.ABCDEFGH." + "A" * 86,  # right length, wrong key id and signature
    ],
)
def test_broken_certificate_texts_never_raise(text: str) -> None:
    result = verify_payload(text, KEYS)
    assert not result.valid and result.claims is None
    assert result.reason in {TAMPERED, UNKNOWN_KEY}


def test_not_a_string_never_raises() -> None:
    assert verify_payload(None, KEYS).reason == NOT_A_CERTIFICATE  # type: ignore[arg-type]


def test_signed_text_that_is_not_claims_is_not_a_certificate() -> None:
    # What a registered key signs but is not GPC1 claims (e.g. a future format) is not accepted.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from guopei_common.certificate_signing import _b64encode

    kid = key_id(COUNTY_PUBLIC)
    signed = f"{PREFIX}.{_b64encode(b'{}')}.{kid}"
    signature = Ed25519PrivateKey.from_private_bytes(COUNTY_KEY).sign(signed.encode())
    result = verify_payload(f"{signed}.{_b64encode(signature)}", KEYS)
    assert (result.valid, result.reason) == (False, NOT_A_CERTIFICATE)


def test_long_project_name_stays_scannable() -> None:
    # A long real-world name (31 characters). Each Chinese character costs 4 characters of QR text;
    # about 400 characters is a version-15 QR at error correction M, still readable on a 3 cm print.
    claims = replace(
        CLAIMS,
        holder_name="欧阳晓燕",
        project_name="“国培计划”2026中西部项目乡村小学语文骨干教师能力提升培训",
        project_code="GP2026-MW-XX-0123",
        hours=120.5,
        credits=12.5,
    )
    text = sign_payload(claims, COUNTY_KEY)
    assert len(claims.project_name) == 31
    assert len(text) < 400
    assert verify_payload(text, KEYS).claims == claims


def test_full_id_number_is_refused() -> None:
    with pytest.raises(ValueError, match="遮蔽"):
        replace(CLAIMS, masked_id_number="522727198503010012")


def test_claims_need_a_valid_serial() -> None:
    with pytest.raises(ValueError):
        replace(CLAIMS, serial="42")
