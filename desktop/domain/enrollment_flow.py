"""The life of an enrollment: two-way selection (双向选择) and what follows it.

报名 applied → 录取 admitted (the undertaking institution, on merit) → 审核 approved (the education
bureau) → 公示 publicised → 参训 attending → 结业 completed / 未结业 not completed. On the way a trainee
may be 劝退 dismissed, not turn up (no-show), or withdraw for a special reason.
"""

from __future__ import annotations

import datetime as dt

from desktop.domain import policy_text
from guopei_common.errors import RuleViolation
from guopei_common.vocab import EnrollmentStatus as S
from guopei_common.vocab import IntegrityKind

TRANSITIONS: dict[S, frozenset[S]] = {
    S.APPLIED: frozenset({S.ADMITTED, S.WITHDRAWN, S.DISMISSED}),
    S.ADMITTED: frozenset({S.APPROVED, S.WITHDRAWN, S.DISMISSED}),
    S.APPROVED: frozenset({S.PUBLICISED, S.WITHDRAWN, S.DISMISSED}),
    S.PUBLICISED: frozenset({S.ATTENDING, S.NO_SHOW, S.WITHDRAWN, S.DISMISSED}),
    S.ATTENDING: frozenset({S.COMPLETED, S.NOT_COMPLETED, S.DISMISSED, S.WITHDRAWN}),
}
# A person must write down why (kept with the status history and shown to the sending school).
NEEDS_REASON = frozenset({S.DISMISSED, S.WITHDRAWN, S.NO_SHOW, S.NOT_COMPLETED})
# In 国培, these go into the integrity archive and bar the teacher for three years (六.).
INTEGRITY: dict[S, IntegrityKind] = {
    S.DISMISSED: IntegrityKind.DISMISSED,
    S.NO_SHOW: IntegrityKind.NO_SHOW,
    S.NOT_COMPLETED: IntegrityKind.NOT_COMPLETED,
}
BAN_YEARS = 3


class InvalidTransition(RuleViolation):
    def __init__(self, name: str, current: S, wanted: S) -> None:
        allowed = "、".join(s.label for s in sorted(TRANSITIONS.get(current, ()), key=list(S).index)) or "无"
        super().__init__(f"{name}目前为“{current.label}”，不能改为“{wanted.label}”（可改为：{allowed}）")


def check_transition(name: str, current: S, wanted: S, reason: str) -> None:
    if wanted not in TRANSITIONS.get(current, frozenset()):
        raise InvalidTransition(name, current, wanted)
    if wanted in NEEDS_REASON and not reason.strip():
        raise RuleViolation(f"将{name}改为“{wanted.label}”须填写原因")


def ban_until(project_end: dt.date) -> dt.date:
    """Three years from the project's end (29 February falls back to the 28th)."""
    try:
        return project_end.replace(year=project_end.year + BAN_YEARS)
    except ValueError:
        return project_end.replace(year=project_end.year + BAN_YEARS, day=28)


def arrival_refusal(publicity_end: dt.date | None, day: dt.date) -> str | None:
    """报到参训 waits until the 公示 period is over (the list may still change while it runs); None when
    the trainee may arrive on `day`. A project whose period was not recorded is not held back."""
    if publicity_end is None or day > publicity_end:
        return None
    return f"公示期至{publicity_end:%Y年%m月%d日}，公示结束后方可报到参训（{policy_text.PUBLICITY.cite()}）"
