"""结业证书: serial numbers unique across the province without asking the server, a QR code signed
with this county device's Ed25519 key, reprints recorded, revocation with a reason, and checking a
scanned certificate offline.

Serials are county code + year + issuing device + sequence (`522727-2026-D02-00042`): the device
segment (guopei_common.certificate_signing.device_segment) is the number the province gave this PC at
registration, or, before it has one, a tag derived from the device id; two PCs of a county therefore
never issue the same serial, online or offline. The next sequence is one past the highest serial of that
county, year and device in the certificates table — revoked and deleted ones included, and the table
is synced, so a reinstalled PC that has pulled its county's data back never reuses a number. Serials
printed before device segments (`522727-2026-00042`) stay valid; revocation and verification name a
certificate by its serial and issuing key together.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.models import Certificate, Device, Enrollment, Project, Setting, Teacher, TrainingClass
from desktop.domain.audit import AuditAction
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access, audit
from guopei_common.certificate_signing import (
    CertificateClaims,
    Verification,
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
from guopei_common.idnumber import mask_id_number
from guopei_common.vocab import EnrollmentStatus

KEY_SETTING = settings.SIGNING_KEY.key  # local only: the settings table is never synced
KNOWN_KEYS_SETTING = settings.CERTIFICATE_PUBLIC_KEYS.key  # key id → public key (hex), from the province
# The number the province gave this device (an int, set at registration and by every sync).
DEVICE_NUMBER_SETTING = settings.DEVICE_NUMBER.key


def signing_key(session: Session) -> bytes:
    """This device's private key, made on first use."""
    setting = session.get(Setting, KEY_SETTING)
    if setting is None:
        setting = Setting(key=KEY_SETTING, value=generate_key().hex())
        session.add(setting)
        session.flush()
    return bytes.fromhex(setting.value)


def known_public_keys(session: Session) -> dict[str, bytes]:
    """Keys that verify certificates here: this device's own, and those the province distributed."""
    keys = {}
    setting = session.get(Setting, KNOWN_KEYS_SETTING)
    if setting is not None:
        keys.update({kid: bytes.fromhex(value) for kid, value in setting.value.items()})
    own = session.get(Setting, KEY_SETTING)
    if own is not None:
        public = public_key_of(bytes.fromhex(own.value))
        keys[key_id(public)] = public
    return keys


def register_public_key(session: Session, public: bytes) -> str:
    setting = session.get(Setting, KNOWN_KEYS_SETTING)
    values = dict(setting.value) if setting else {}
    kid = key_id(public)
    values[kid] = public.hex()
    if setting is None:
        session.add(Setting(key=KNOWN_KEYS_SETTING, value=values))
    else:
        setting.value = values
    return kid


def device_number(session: Session) -> int | None:
    setting = session.get(Setting, DEVICE_NUMBER_SETTING)
    return int(setting.value) if setting is not None and setting.value is not None else None


def set_device_number(session: Session, number: int) -> None:
    setting = session.get(Setting, DEVICE_NUMBER_SETTING)
    if setting is None:
        session.add(Setting(key=DEVICE_NUMBER_SETTING, value=number))
    elif setting.value != number:
        setting.value = number


def serial_device(session: Session) -> str:
    """This PC's segment of the serials it issues (`D02`, or `LK7QDM` while it has no number)."""
    device = session.scalar(select(Device.id))
    return device_segment(device_number=device_number(session), device_id=str(device))


def next_sequence(session: Session, county_code: str, year: int, *, device: str = "") -> int:
    prefix = certificate_serial(county_code, year, 1, device=device)[:-5]
    serials = session.scalars(select(Certificate.serial).where(Certificate.serial.startswith(prefix)))
    return max((parse_serial(serial).sequence for serial in serials), default=0) + 1


def awaiting_certificates(session: Session, project_id: str) -> list[tuple[Enrollment, Teacher]]:
    """The completed trainees of the project who have no certificate yet, in pinyin order."""
    have = set(
        session.scalars(
            select(Certificate.enrollment_id).where(
                Certificate.project_id == project_id, Certificate.deleted.is_(False)
            )
        )
    )
    rows = session.execute(
        select(Enrollment, Teacher)
        .join(Teacher, Enrollment.teacher_id == Teacher.id)
        .where(Enrollment.project_id == project_id, Enrollment.status == EnrollmentStatus.COMPLETED.value)
        .order_by(Teacher.name_sort)
    )
    return [(enrollment, teacher) for enrollment, teacher in rows if enrollment.id not in have]


def issue_for_project(
    session: Session, project_id: str, *, county_code: str, issued_on: dt.date
) -> list[str]:
    """A certificate for every completed trainee of the project that has none; returns their ids."""
    access.require(session, Permission.CERTIFICATES)
    project = session.get_one(Project, project_id)
    private = signing_key(session)
    device = serial_device(session)
    sequence = next_sequence(session, county_code, issued_on.year, device=device)
    ids = []
    for enrollment, teacher in awaiting_certificates(session, project_id):
        serial = certificate_serial(county_code, issued_on.year, sequence, device=device)
        sequence += 1
        claims = CertificateClaims(
            serial=serial,
            holder_name=teacher.name,
            masked_id_number=mask_id_number(teacher.id_number),
            project_code=project.code,
            project_name=project.name,
            hours=project.hours,
            credits=project.credits,
            issued_on=issued_on,
        )
        certificate = Certificate(
            serial=serial,
            enrollment_id=enrollment.id,
            teacher_id=teacher.id,
            project_id=project.id,
            issued_on=issued_on,
            verification_code=sign_payload(claims, private),
        )
        session.add(certificate)
        session.flush()
        audit.record(
            session,
            AuditAction.CERTIFICATE_ISSUE,
            teacher_id=teacher.id,
            entity=Certificate.__sync_entity__,
            row_id=certificate.id,
            detail={"serial": serial, "project": project.name},
        )
        ids.append(certificate.id)
    return ids


def record_printed(session: Session, certificate_ids: Sequence[str]) -> None:
    """Every print is counted, so a second copy in circulation is known (补打记录)."""
    access.require(session, Permission.CERTIFICATES)
    for certificate_id in certificate_ids:
        certificate = session.get_one(Certificate, certificate_id)
        if certificate.revoked:
            raise UserInputError(f"证书 {certificate.serial} 已撤销，不能打印")
        certificate.print_count += 1
        audit.record(
            session,
            AuditAction.CERTIFICATE_PRINT,
            teacher_id=certificate.teacher_id,
            entity=Certificate.__sync_entity__,
            row_id=certificate.id,
            detail={"serial": certificate.serial, "count": certificate.print_count},
        )


def revoke(session: Session, serial: str, *, reason: str) -> None:
    access.require(session, Permission.REVOKE)
    if not reason.strip():
        raise UserInputError("撤销证书须填写原因")
    certificate = session.scalar(select(Certificate).where(Certificate.serial == serial.strip()))
    if certificate is None:
        raise UserInputError(f"没有编号为 {serial} 的证书")
    certificate.revoked = True
    certificate.revoked_reason = reason.strip()
    audit.record(
        session,
        AuditAction.CERTIFICATE_REVOKE,
        teacher_id=certificate.teacher_id,
        entity=Certificate.__sync_entity__,
        row_id=certificate.id,
        detail={"serial": certificate.serial, "reason": reason.strip()},
    )


def revoke_all(session: Session, serials: Sequence[str], *, reason: str) -> None:
    """Revoke several certificates for one reason, all or none."""
    for serial in serials:
        revoke(session, serial, reason=reason)


def verify(session: Session, text: str) -> Verification:
    """Check a scanned certificate QR against the keys known here and the revocations synced here
    (each named by serial and issuing key: another PC's certificate under the same old serial stays valid)."""
    codes = session.scalars(select(Certificate.verification_code).where(Certificate.revoked.is_(True)))
    revoked = {identity_of(code) for code in codes}
    return verify_payload(text.strip(), known_public_keys(session), revoked=revoked)


@dataclass(frozen=True)
class CertificateRow:
    id: str
    serial: str
    holder_name: str
    masked_id_number: str
    project_name: str
    issued_on: dt.date
    print_count: int
    revoked: bool
    revoked_reason: str
    class_name: str


def certificate_rows(
    session: Session, *, project_id: str | None = None, class_id: str | None = None
) -> list[CertificateRow]:
    """Certificates, newest first; of one project, or of one class of it (a class prints together)."""
    access.require(session, Permission.VIEW)
    query = (
        select(Certificate, Teacher.name, Teacher.id_number, Project.name, TrainingClass.name)
        .join(Teacher, Certificate.teacher_id == Teacher.id)
        .join(Project, Certificate.project_id == Project.id)
        .join(Enrollment, Certificate.enrollment_id == Enrollment.id)
        .outerjoin(TrainingClass, Enrollment.class_id == TrainingClass.id)
        .where(Certificate.deleted.is_(False))
        .order_by(Certificate.serial.desc())
    )
    if project_id is not None:
        query = query.where(Certificate.project_id == project_id)
    if class_id is not None:
        query = query.where(Enrollment.class_id == class_id)
    return [
        CertificateRow(
            c.id,
            c.serial,
            name,
            mask_id_number(id_number),
            project_name,
            c.issued_on,
            c.print_count,
            c.revoked,
            c.revoked_reason,
            class_name or "",
        )
        for c, name, id_number, project_name, class_name in session.execute(query)
    ]
