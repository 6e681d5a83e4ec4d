"""Public certificate verification at the province: a serial and its check code → valid, revoked or
unknown, with the holder's name partly masked (anyone holding a certificate may check it; nobody
learns more than it shows).

The check code (certificate_signing.check_code) comes from the certificate's signature: without it a
serial answers "unknown" whether it exists or not, so the sequential serials cannot be walked to list
the province's certificates."""

from __future__ import annotations

import html
import json
from dataclasses import asdict, dataclass

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from guopei_common.certificate_signing import check_code, normalize_check_code, serial_in
from server.db import SyncedRow


@dataclass(frozen=True)
class PublicVerdict:
    serial: str
    status: str  # "valid", "revoked" or "unknown"
    holder: str  # e.g. "张*怡"
    project: str
    issued_on: str
    revoked_reason: str
    # What the answer rests on: "check_code", or "facts" for a certificate printed before signing,
    # checked by the holder's full name and the issue date (server.fact_check).
    basis: str = "check_code"

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def mask_name(name: str) -> str:
    """张三 → 张*, 张思怡 → 张*怡, 欧阳修文 → 欧**文."""
    if len(name) <= 2:
        return name[:1] + "*" * (len(name) - 1)
    return name[0] + "*" * (len(name) - 2) + name[-1]


def _payload(session: Session, entity: str, row_id: str) -> dict | None:
    row = session.get(SyncedRow, (entity, row_id))
    return json.loads(row.payload) if row is not None else None


def certificate_rows(session: Session, serial: str) -> list[SyncedRow]:
    """The certificate rows of this serial: by natural key (the serial; indexed), and, for rows written
    before natural keys were filled, by scanning only those rows that have none. More than one only for
    serials issued before device segments by two offline PCs of a county (522727-2026-00041 twice)."""
    if "\x00" in serial:
        return []  # names no certificate, and PostgreSQL cannot take it as a parameter
    rows = list(
        session.scalars(
            select(SyncedRow).where(SyncedRow.entity == "certificate", SyncedRow.natural_key == serial)
        )
    )
    for row in session.scalars(
        select(SyncedRow).where(SyncedRow.entity == "certificate", SyncedRow.natural_key.is_(None))
    ):
        if json.loads(row.payload).get("serial") == serial:
            rows.append(row)
    return rows


def verify_serial(engine: Engine, serial: str, code: str) -> PublicVerdict:
    """The certificate of `serial` whose check code is `code` (the check code comes from the
    certificate's own signature, so it names one certificate even where an old serial names two);
    otherwise the same answer as for a serial nobody issued."""
    serial = serial.strip()[:40]
    typed = normalize_check_code(code)
    with Session(engine.execution_options(readonly=True)) as session:
        rows = certificate_rows(session, serial) if serial and typed else []
        for row in rows:
            if row.deleted:
                continue
            certificate = json.loads(row.payload)
            if check_code(certificate.get("verification_code", "")) == typed:
                teacher = _payload(session, "teacher", certificate["teacher_id"]) or {}
                project = _payload(session, "project", certificate["project_id"]) or {}
                return PublicVerdict(
                    serial=serial,
                    status="revoked" if certificate.get("revoked") else "valid",
                    holder=mask_name(teacher.get("name", "")),
                    project=project.get("name", ""),
                    issued_on=str(certificate.get("issued_on", "")),
                    revoked_reason=certificate.get("revoked_reason", "")
                    if certificate.get("revoked")
                    else "",
                )
    return PublicVerdict(serial, "unknown", "", "", "", "")


def verify_scanned(engine: Engine, qr_text: str) -> PublicVerdict:
    """A scanned certificate QR text (GPC1…): its serial and check code, checked as above."""
    return verify_serial(engine, serial_in(qr_text), check_code(qr_text))


STATUS_TEXT = {
    "valid": "有效",
    "revoked": "已撤销",
    "unknown": "查无此证书（请核对证书编号和核验码；没有核验码的旧证书请填写持证人姓名和发证日期）",
}
BY_FACTS = "此证书签发于启用核验码之前，已按证书编号、持证人姓名和发证日期核验。"


def verification_page(verdict: PublicVerdict | None) -> str:
    """A plain page a phone can open: a box for the serial, and the answer."""
    answer = ""
    if verdict is not None:
        lines = [
            f"<h2>{html.escape(STATUS_TEXT[verdict.status])}</h2>",
            f"<p>证书编号：{html.escape(verdict.serial)}</p>",
        ]
        if verdict.status != "unknown":
            lines += [
                f"<p>持证人：{html.escape(verdict.holder)}</p>",
                f"<p>培训项目：{html.escape(verdict.project)}</p>",
                f"<p>发证日期：{html.escape(verdict.issued_on)}</p>",
            ]
        if verdict.revoked_reason:
            lines.append(f"<p>撤销原因：{html.escape(verdict.revoked_reason)}</p>")
        if verdict.status != "unknown" and verdict.basis == "facts":
            lines.append(f"<p>{BY_FACTS}</p>")
        answer = "\n".join(lines)
    return (
        '<!doctype html><html lang="zh-CN"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>结业证书核验</title></head><body><h1>国培结业证书核验</h1>"
        '<form method="get" action="/verify">'
        '<input name="serial" placeholder="证书编号，如 522727-2026-00042"> '
        '<input name="code" placeholder="核验码，如 K7QD-3MXA" size="12"> '
        "<br>没有核验码的旧证书，填写："
        '<input name="name" placeholder="持证人姓名" size="8"> '
        '<input name="issued_on" placeholder="发证日期，如 2026-12-01" size="14"> '
        f'<button type="submit">核验</button></form>{answer}</body></html>'
    )
