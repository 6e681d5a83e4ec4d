"""The .gpx format on its own: what it carries, and every way a changed file is refused."""

from __future__ import annotations

import json
import struct

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from guopei_common import exchange_file
from guopei_common.certificate_signing import generate_key, public_key_of
from guopei_common.exchange_file import (
    BAD_SIGNATURE,
    NOT_EXCHANGE,
    WRONG_PASSWORD,
    ExchangeHeader,
    ExchangeRefused,
    fingerprint,
)

KEY = generate_key()
HEADER = ExchangeHeader(
    kind="county",
    county_code="522727",
    device_id="01a2362e-daf1-74a1-ab7d-d4d504c900a0",
    public_key=b"",
    made_at="2026-12-02T09:00:00",
    counts={"attendance": 2},
    file_id="f1",
    cursor=12,
)
BODY = {"batches": [{"rows": ["张三", "李四"]}]}


def _reseal(data: bytes, change) -> bytes:
    """Decrypt with the password, change the plaintext, encrypt again: what someone who knows the
    password (but not the device's key) can do."""
    preamble = data[: exchange_file._PREAMBLE]
    salt = preamble[4:20]
    key = exchange_file._key("口令", salt, *preamble[20:23])
    nonce = preamble[-12:]
    plaintext = change(AESGCM(key).decrypt(nonce, data[exchange_file._PREAMBLE :], preamble))
    return preamble + AESGCM(key).encrypt(nonce, plaintext, preamble)


def test_round_trip_names_the_signer() -> None:
    data = exchange_file.encode(HEADER, BODY, private_key=KEY, password="口令")
    read = exchange_file.decode(data, password="口令")
    assert read.body == BODY and read.header.public_key == public_key_of(KEY)
    assert (read.header.counts, read.header.cursor) == ({"attendance": 2}, 12)
    assert read.header.fingerprint == fingerprint(public_key_of(KEY)) and len(read.header.fingerprint) == 24
    assert "张三".encode() not in data  # personal data only ever leaves encrypted


def test_changed_files_are_refused() -> None:
    data = exchange_file.encode(HEADER, BODY, private_key=KEY, password="口令")
    with pytest.raises(ExchangeRefused, match=WRONG_PASSWORD):
        exchange_file.decode(data, password="另一个口令")
    with pytest.raises(ExchangeRefused, match=NOT_EXCHANGE):
        exchange_file.decode(b"PK\x03\x04" + data[4:], password="口令")

    def other_county(plaintext: bytes) -> bytes:
        (length,) = struct.unpack(">I", plaintext[:4])
        header = json.loads(plaintext[4 : 4 + length])
        header["county"] = "522728"
        changed = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
        return struct.pack(">I", len(changed)) + changed + plaintext[4 + length :]

    with pytest.raises(ExchangeRefused, match=BAD_SIGNATURE):
        exchange_file.decode(_reseal(data, other_county), password="口令")

    def other_body(plaintext: bytes) -> bytes:
        return plaintext[:-1] + bytes([plaintext[-1] ^ 1])

    with pytest.raises(ExchangeRefused, match=BAD_SIGNATURE):
        exchange_file.decode(_reseal(data, other_body), password="口令")
