"""What a trainee badge's QR code carries: the enrollment's identity and a short check code.

`GPB1.<enrollment id>.<check>` — the check code is derived from the enrollment and its project, so a
mistyped or truncated code, or a badge presented at another project's session, is refused instead
of checking in the wrong person. USB scanners type the text and press Enter, so it is plain ASCII.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from dataclasses import dataclass

from guopei_common.errors import RuleViolation

PREFIX = "GPB1"
CHECK_LENGTH = 6


class InvalidBadge(RuleViolation):
    """A scanned text that starts like a badge code but is not a whole one."""


@dataclass(frozen=True)
class BadgeCode:
    enrollment_id: str
    check: str

    def matches(self, project_id: str) -> bool:
        return self.check == check_code(self.enrollment_id, project_id)


def check_code(enrollment_id: str, project_id: str) -> str:
    digest = hashlib.sha256(f"{enrollment_id}|{project_id}".encode()).digest()
    return base64.b32encode(digest).decode()[:CHECK_LENGTH]


def badge_text(enrollment_id: str, project_id: str) -> str:
    return f"{PREFIX}.{enrollment_id}.{check_code(enrollment_id, project_id)}"


def looks_like_badge(text: str) -> bool:
    return text.strip().upper().startswith(PREFIX + ".")


def parse_badge(text: str) -> BadgeCode:
    """The badge's parts; InvalidBadge (in Chinese) when the text is not a whole badge code."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0].upper() != PREFIX:
        raise InvalidBadge("不是学员证二维码")
    try:
        enrollment_id = str(uuid.UUID(parts[1]))
    except ValueError:
        raise InvalidBadge("学员证二维码不完整或已损坏，请重新扫描或输入身份证号") from None
    check = parts[2].upper()
    if len(check) != CHECK_LENGTH:
        raise InvalidBadge("学员证二维码不完整或已损坏，请重新扫描或输入身份证号")
    return BadgeCode(enrollment_id, check)
