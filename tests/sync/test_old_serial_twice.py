"""Two certificates under one old serial (two offline PCs of a county before device segments, as the
issue found: both issued 522727-2026-00041): the province's public check and its revocation name a
certificate by its check code, so revoking one never makes the other read 已撤销."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from guopei_common.certificate_signing import CertificateClaims, check_code, generate_key, sign_payload
from server.admin import add_county
from server.db import SyncedRow, create_server_engine
from server.province import revoke_certificate
from server.verification import verify_serial

SERIAL = "522727-2026-00041"


def _certificate(name: str, key: bytes, seq: int) -> tuple[SyncedRow, str]:
    qr = sign_payload(
        CertificateClaims(SERIAL, name, "5227**********1234", "P1", "项目", 30, 3, dt.date(2026, 6, 1)), key
    )
    payload = {
        "id": f"cert-{seq}",
        "serial": SERIAL,
        "teacher_id": f"t-{seq}",
        "project_id": "p",
        "enrollment_id": f"e-{seq}",
        "issued_on": "2026-06-01",
        "verification_code": qr,
        "revoked": False,
        "revoked_reason": "",
    }
    row = SyncedRow(
        entity="certificate",
        row_id=payload["id"],
        county_code="522727",
        hlc=f"{seq:015d}-00000-pc{seq}",
        origin=f"pc{seq}",
        payload=json.dumps(payload, ensure_ascii=False),
        deleted=False,
        seq=seq,
        natural_key=SERIAL,
    )
    return row, check_code(qr)


def test_revoking_one_of_two_certificates_under_one_old_serial(tmp_path: Path) -> None:
    engine = create_server_engine(tmp_path / "province.sqlite3")
    try:
        add_county(engine, "522727", "平塘县")
        (first, first_code), (second, second_code) = (
            _certificate("罗春燕", generate_key(), 1),
            _certificate("王小明", generate_key(), 2),
        )
        with Session(engine) as session, session.begin():
            session.add_all([first, second])
        assert verify_serial(engine, SERIAL, first_code).status == "valid"
        assert verify_serial(engine, SERIAL, second_code).status == "valid"

        with pytest.raises(LookupError, match="核验码"):
            revoke_certificate(engine, SERIAL, reason="信息有误")  # which one?
        revoke_certificate(engine, SERIAL, reason="信息有误", code=first_code)
        assert verify_serial(engine, SERIAL, first_code).status == "revoked"
        assert verify_serial(engine, SERIAL, second_code).status == "valid"
    finally:
        engine.dispose()
