"""What the province sends to counties: projects it publishes, certificates it revokes, its policy
switches, and every county's certificate-signing public keys.

Projects and revocations are new versions of rows in the county's change feed, written like credit
review (server.credits): stamped later than the county's version (`stamp_after`), origin
PROVINCE_NODE, sequence numbers taken under the change counter lock; the county's next pull brings
them home. Policy and keys are not county rows: they live in their own tables and are served by
`GET /v1/policy` and `GET /v1/keys`, which the client reads at every sync."""

from __future__ import annotations

import datetime as dt
import json
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from guopei_common.certificate_signing import check_code, key_id, normalize_check_code
from guopei_common.conditions import Conditions
from guopei_common.protocol import PROVINCE_NODE, CountyKey, KeysResponse, PolicyResponse, stamp_after
from guopei_common.vocab import DeliveryMode, Labelled, Program, ProjectStatus, ProjectType
from server.db import County, CountyPolicy, Device, PublicKey, SyncedRow, lock_change_counter
from server.verification import certificate_rows

# Row ids of published projects are derived from county + code, so publishing the same project again
# (a corrected date, a larger quota) updates the county's row instead of adding a second one.
_PROJECT_NAMESPACE = uuid.UUID("0b6f5c1e-4d0a-5e8b-9c61-7f2d3a9e4b10")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def counties_of(engine: Engine, codes: Sequence[str] | None) -> list[str]:
    """The named counties (every one must exist), or all of them when `codes` is None."""
    with Session(engine) as session:
        known = list(session.scalars(select(County.code).order_by(County.code)))
    if codes is None:
        if not known:
            raise LookupError("还没有任何区县，请先 add-county")
        return known
    unknown = sorted(set(codes) - set(known))
    if unknown:
        raise LookupError(f"未知的区县代码：{'、'.join(unknown)}")
    return list(dict.fromkeys(codes))


# --- certificates ---------------------------------------------------------------------------------


def revoke_certificate(engine: Engine, serial: str, *, reason: str, code: str = "") -> str:
    """Revoke a certificate by its serial, and its check code where an old serial names two
    certificates (issued offline by two PCs before device segments); returns its county."""
    serial, reason = serial.strip(), reason.strip()
    if not reason:
        raise ValueError("撤销证书须写明原因")
    with Session(engine) as session, session.begin():
        counter = lock_change_counter(session)
        rows = [row for row in certificate_rows(session, serial) if not row.deleted]
        if code:
            typed = normalize_check_code(code)
            rows = [
                row
                for row in rows
                if check_code(json.loads(row.payload).get("verification_code", "")) == typed
            ]
        if not rows:
            raise LookupError(f"没有编号为 {serial} 的证书（区县同步上来之后才能撤销）")
        if len(rows) > 1:
            raise LookupError(f"编号 {serial} 对应 {len(rows)} 张证书，请用 --code 给出要撤销的那张的核验码")
        row = rows[0]
        payload = json.loads(row.payload)
        if payload.get("revoked") and payload.get("revoked_reason") == reason:
            return row.county_code  # already so: no new version, nothing for the county to pull
        row.hlc = stamp_after(row.hlc, wall_ms=time.time_ns() // 1_000_000)
        payload.update(revoked=True, revoked_reason=reason, hlc=row.hlc, origin=PROVINCE_NODE)
        counter.value += 1
        row.payload = _json(payload)
        row.origin = PROVINCE_NODE
        row.seq = counter.value
        # Indexed from now on, whatever wrote the row before (see verification.certificate_rows).
        row.natural_key = serial
        return row.county_code


# --- projects -------------------------------------------------------------------------------------

_REQUIRED = ("code", "name", "program", "project_type", "mode", "hours", "credits", "start_date", "end_date")
_OPTIONAL = ("quota", "topic", "institution", "chief_expert", "status", "conditions", "completion_rule")


def _choice(kind: type[Labelled], value: object, field: str) -> str:
    # The file may use the code ("guopei_midwest") or the label a person reads ("国培-中西部项目").
    text = str(value).strip()
    member = kind.from_label(text) if text not in {m.value for m in kind} else kind(text)
    if member is None:
        choices = "、".join(f"{m.value}（{m.label}）" for m in kind)
        raise ValueError(f"{field} 的值“{text}”不在可选范围内：{choices}")
    return member.value


def project_fields(spec: dict[str, Any]) -> dict[str, Any]:
    """The published project's columns from the JSON file, checked; ValueError names what is wrong."""
    if not isinstance(spec, dict):
        raise ValueError("项目文件应是一个 JSON 对象")
    missing = [name for name in _REQUIRED if spec.get(name) in (None, "")]
    if missing:
        raise ValueError(f"项目文件缺少字段：{'、'.join(missing)}")
    unknown = sorted(set(spec) - set(_REQUIRED) - set(_OPTIONAL))
    if unknown:
        # A misspelt field would otherwise be dropped without a word.
        raise ValueError(f"项目文件有不认识的字段：{'、'.join(unknown)}")
    try:
        start = dt.date.fromisoformat(str(spec["start_date"]))
        end = dt.date.fromisoformat(str(spec["end_date"]))
        hours, credits = float(spec["hours"]), float(spec["credits"])
        quota = int(spec.get("quota", 0))
    except (TypeError, ValueError):
        raise ValueError("日期应写成 2026-09-01，学时、学分、名额应是数字") from None
    if end < start:
        raise ValueError("结束日期不能早于开始日期")
    if hours <= 0 or credits < 0 or quota < 0:
        raise ValueError("学时应大于 0，学分、名额不能为负")
    code, name = str(spec["code"]).strip(), str(spec["name"]).strip()
    if len(code) > 40 or len(name) > 200:
        raise ValueError("项目代码最长 40 字，名称最长 200 字")
    conditions = spec.get("conditions") or {}
    if not isinstance(conditions, dict):
        raise ValueError("conditions 应是 JSON 对象")
    return {
        "code": code,
        "name": name,
        "program": _choice(Program, spec["program"], "program"),
        "project_type": _choice(ProjectType, spec["project_type"], "project_type"),
        "topic": str(spec.get("topic", "")).strip()[:50],
        "mode": _choice(DeliveryMode, spec["mode"], "mode"),
        "hours": hours,
        "credits": credits,
        "start_date": start.isoformat(),
        "end_date": end.isoformat(),
        "quota": quota,
        "institution": str(spec.get("institution", "")).strip(),
        "chief_expert": str(spec.get("chief_expert", "")).strip(),
        # Published projects open at "已发布" unless the file says otherwise.
        "status": _choice(ProjectStatus, spec.get("status", ProjectStatus.PUBLISHED.value), "status"),
        # Normalised as the desktop's eligibility engine reads it (unknown condition names dropped).
        "conditions": Conditions.from_dict(conditions).to_dict(),
        "completion_rule": spec.get("completion_rule") or {},
    }


def _county_project(session: Session, county_code: str, code: str) -> SyncedRow | None:
    row = session.scalar(
        select(SyncedRow).where(
            SyncedRow.entity == "project", SyncedRow.county_code == county_code, SyncedRow.natural_key == code
        )
    )
    if row is not None:
        return row
    # Rows pushed before natural keys were filled: few projects per county, a scan is cheap.
    for row in session.scalars(
        select(SyncedRow).where(
            SyncedRow.entity == "project",
            SyncedRow.county_code == county_code,
            SyncedRow.natural_key.is_(None),
        )
    ):
        if json.loads(row.payload).get("code") == code:
            return row
    return None


@dataclass(frozen=True)
class Published:
    county_code: str
    row_id: str
    new: bool  # False: the county's existing project of that code was updated


def publish_project(engine: Engine, spec: dict[str, Any], counties: Sequence[str] | None) -> list[Published]:
    """Write the project into each county's change feed as a province project (owner "province",
    read-only in the county's app), all counties in one transaction. `counties` None: every county."""
    fields = project_fields(spec)
    targets = counties_of(engine, counties)
    published: list[Published] = []
    with Session(engine) as session, session.begin():
        counter = lock_change_counter(session)
        wall_ms = time.time_ns() // 1_000_000
        for county_code in targets:
            row = _county_project(session, county_code, fields["code"])
            if row is None:
                row_id = str(uuid.uuid5(_PROJECT_NAMESPACE, f"{county_code}:{fields['code']}"))
                hlc = f"{wall_ms:015d}-00000-{PROVINCE_NODE}"
                payload: dict[str, Any] = {"publicity_start": None, "publicity_end": None}
            else:
                row_id, hlc = row.row_id, stamp_after(row.hlc, wall_ms=wall_ms)
                # Start from the county's version: what the county keeps on the project (its publicity
                # dates) survives a re-publication.
                payload = json.loads(row.payload)
            payload.update(
                fields,
                id=row_id,
                hlc=hlc,
                origin=PROVINCE_NODE,
                deleted=False,
                owner="province",
                county_code=county_code,
            )
            counter.value += 1
            values = {
                "county_code": county_code,
                "hlc": hlc,
                "origin": PROVINCE_NODE,
                "payload": _json(payload),
                "deleted": False,
                "seq": counter.value,
                "natural_key": fields["code"],
            }
            if row is None:
                session.add(SyncedRow(entity="project", row_id=row_id, **values))
            else:
                for key, value in values.items():
                    setattr(row, key, value)
            published.append(Published(county_code, row_id, row is None))
    return published


# --- policy ---------------------------------------------------------------------------------------


def set_policy(
    engine: Engine,
    counties: Sequence[str] | None,
    *,
    offline_training_suspended: bool | None = None,
    guopei_limit: int | None = None,
    cycle_years: int | None = None,
) -> list[str]:
    """Set the given switches (None: leave as it is) for the counties; returns the counties changed."""
    if offline_training_suspended is None and guopei_limit is None and cycle_years is None:
        raise ValueError("没有要设置的政策")
    if (guopei_limit is not None and guopei_limit < 1) or (cycle_years is not None and cycle_years < 1):
        raise ValueError("国培次数上限和周期年数应至少为 1")
    targets = counties_of(engine, counties)
    now = _now()
    with Session(engine) as session, session.begin():
        for county_code in targets:
            policy = session.get(CountyPolicy, county_code) or CountyPolicy(county_code=county_code)
            if offline_training_suspended is not None:
                policy.offline_training_suspended = offline_training_suspended
            if guopei_limit is not None:
                policy.guopei_limit = guopei_limit
            if cycle_years is not None:
                policy.cycle_years = cycle_years
            policy.updated_at = now
            session.add(policy)
    return targets


def policy_for(engine: Engine, county_code: str) -> PolicyResponse:
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        policy = session.get(CountyPolicy, county_code)
        if policy is None:
            return PolicyResponse()
        return PolicyResponse(
            offline_training_suspended=policy.offline_training_suspended,
            guopei_limit=policy.guopei_limit,
            cycle_years=policy.cycle_years,
            updated_at=policy.updated_at.isoformat(timespec="seconds") + "Z",
        )


# --- public keys ----------------------------------------------------------------------------------


def public_keys(engine: Engine) -> KeysResponse:
    """Every county's certificate-signing public keys: sent at registration and registered by hand.
    Keys of revoked devices stay: the certificates they signed before are still genuine."""
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        found: dict[str, CountyKey] = {}
        for county_code, public in session.execute(
            select(Device.county_code, Device.public_key).where(Device.public_key.is_not(None))
        ):
            kid = key_id(bytes.fromhex(public))
            found[kid] = CountyKey(county_code=county_code, key_id=kid, public_key=public)
        for key in session.scalars(select(PublicKey)):
            found[key.key_id] = CountyKey(
                county_code=key.county_code, key_id=key.key_id, public_key=key.public_key
            )
    return KeysResponse(keys=sorted(found.values(), key=lambda k: (k.county_code, k.key_id)))
