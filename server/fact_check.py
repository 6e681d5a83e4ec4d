"""The public check of a certificate printed before certificates were signed: no QR signature, so no
check code. It is checked by its serial and two facts printed on it, the holder's full name and the
issue date, and answered only when both match that certificate; otherwise (and for every signed
certificate, which is checked by its code) the answer is the one for a serial nobody issued. Such checks
count against a tighter limit per address than checks by code (server.ratelimit.FACT_LIMITS): a name
and a date are easier to guess than a code, and a person checks one or two certificates."""

from __future__ import annotations

import datetime as dt
import json
import re
import unicodedata

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from server.verification import PublicVerdict, _payload, certificate_rows, mask_name

BASIS = "facts"  # PublicVerdict.basis of an answer given by name and date


def _name(text: str) -> str:
    """A typed name as printed: full-width forms folded, spaces and the middle dot's variants ignored."""
    folded = unicodedata.normalize("NFKC", text)
    return re.sub(r"[\s·•・]", "", folded)


def typed_date(text: str) -> dt.date | None:
    """2026-12-01, 2026/12/1, 2026年12月1日 → the date; anything else → None."""
    parts = re.findall(r"\d+", unicodedata.normalize("NFKC", text))
    if len(parts) != 3:
        return None
    try:
        return dt.date(*(int(part) for part in parts))
    except ValueError:
        return None


def verify_by_facts(engine: Engine, serial: str, name: str, issued_on: str) -> PublicVerdict:
    """The unsigned certificate of `serial` whose holder is `name` and whose date is `issued_on`."""
    serial = serial.strip()[:40]
    wanted_name, wanted_date = _name(name)[:50], typed_date(issued_on[:30])
    with Session(engine.execution_options(readonly=True)) as session:
        rows = certificate_rows(session, serial) if serial and wanted_name and wanted_date else []
        for row in rows:
            certificate = json.loads(row.payload)
            if row.deleted or certificate.get("verification_code"):
                continue  # a signed certificate is checked by its code only
            if certificate.get("issued_on") != (wanted_date.isoformat() if wanted_date else None):
                continue
            teacher = _payload(session, "teacher", certificate["teacher_id"]) or {}
            if _name(str(teacher.get("name", ""))) != wanted_name:
                continue
            project = _payload(session, "project", certificate["project_id"]) or {}
            revoked = bool(certificate.get("revoked"))
            return PublicVerdict(
                serial=serial,
                status="revoked" if revoked else "valid",
                holder=mask_name(str(teacher.get("name", ""))),
                project=str(project.get("name", "")),
                issued_on=str(certificate["issued_on"]),
                revoked_reason=str(certificate.get("revoked_reason", "")) if revoked else "",
                basis=BASIS,
            )
    return PublicVerdict(serial, "unknown", "", "", "", "")
