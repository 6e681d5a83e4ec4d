"""What a county may not write whatever it pushes, as pure functions (no database), beside the merge
rules of server.merge: the province's decisions (credit review, certificate revocation, published
projects) and the facts a printed certificate carries.

Each answer is a `Refusal`: "rejected" for what no honest county PC sends (a credit it approved
itself, a serial of another county), "conflict" where a PC may simply not have pulled the province's
decision yet (it then gets the server's row at its next pull).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from guopei_common.certificate_signing import parse_serial

# Answers a county reads on its 同步 page. None says whether a row outside the county's scope exists:
# an id of another county's row is an unknown id there (server.push), and READ_ONLY names only rows the
# county may read anyway.
READ_ONLY = "该记录属于其他区县，本县只能查看"
TRANSFERRED_OUT = "该教师已调往其他区县，本县的记录只读"
TRANSFER_REQUESTED = "该教师属于其他区县，已提交调动申请"
TRANSFER_PENDING = "该教师的调动申请尚待省级审核，审核通过后请重新保存"
CREDIT_DECISION = "学分的审核结果（通过、退回）只能由省级平台给出"
PROVINCE_PROJECT = "省级项目只能由省级平台发布"
REVOKED = "证书已撤销，区县不能恢复、删除或改动撤销"
CERTIFICATE_ISSUED = "证书已签发：编号、持证人、报名、项目、日期和签名不能修改（有误请撤销后重新签发）"
SERIAL_OF_ANOTHER_COUNTY = "证书编号的区县代码不是本县的"
SERIAL_TAKEN = "证书编号已被另一张证书使用"

DECIDED_CREDIT = frozenset({"approved", "rejected"})
# What a printed certificate shows and its signed QR carries: once issued, these never change.
CERTIFICATE_FACTS = ("serial", "enrollment_id", "teacher_id", "project_id", "issued_on", "verification_code")

LABELS = {
    "school": "学校",
    "teacher": "教师",
    "project": "培训项目",
    "training_class": "班级",
    "session": "课次",
    "enrollment": "报名",
}


@dataclass(frozen=True)
class Refusal:
    outcome: Literal["rejected", "conflict"]
    reason: str


def province_owned(entity: str, current: dict[str, Any] | None, incoming: dict[str, Any]) -> Refusal | None:
    """Whether a county's version (`incoming`, complete) would create or change what is the province's.
    `current` is the server's row, or None for a new one."""
    if entity == "credit_entry" and incoming.get("status") in DECIDED_CREDIT:
        decided = current is not None and all(
            current.get(name) == incoming.get(name) for name in ("status", "status_reason")
        )
        if not decided:  # a decision the province did not make (a PC echoing one it pulled is fine)
            return Refusal("rejected", CREDIT_DECISION)
    new_province_project = current is None or current.get("owner") != "province"
    if entity == "project" and incoming.get("owner") == "province" and new_province_project:
        return Refusal("rejected", PROVINCE_PROJECT)
    if entity == "certificate" and current is not None:
        if current.get("revoked") and not current.get("deleted"):
            kept = incoming.get("revoked") and not incoming.get("deleted")
            if not kept or incoming.get("revoked_reason") != current.get("revoked_reason"):
                return Refusal("conflict", REVOKED)
        if any(incoming.get(name) != current.get(name) for name in CERTIFICATE_FACTS):
            return Refusal("rejected", CERTIFICATE_ISSUED)
    return None


def serial_refusal(serial: str, county_code: str) -> Refusal | None:
    """A serial names its county: a county issues only its own (522728 cannot print 522727-…)."""
    try:
        parsed = parse_serial(serial)
    except ValueError as error:
        return Refusal("rejected", str(error))
    if parsed.county_code != county_code:
        return Refusal("rejected", SERIAL_OF_ANOTHER_COUNTY)
    return None
