"""What the sync status area and the 同步 page show, read from this PC's database: the changes
waiting in the outbox, the clock skew and newest release the province reported, and what the last
syncs kept for a person to review (refused changes, lost conflicts, the province's conflict log,
transfers, rows set aside, divergence repairs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop.db.models import OutboxEntry, Setting
from desktop.sync.app_release import APP_RELEASE_KEY
from desktop.sync.client import (
    CLOCK_SKEW_KEY,
    CONFLICT_LOG_KEY,
    CONFLICTS_KEY,
    CURSOR_KEY,
    DIGEST_CHECKED_KEY,
    REJECTED_KEY,
    REPAIRS_KEY,
    SET_ASIDE_KEY,
    TRANSFERS_KEY,
)


@dataclass(frozen=True)
class SyncStatusFacts:
    waiting: int  # rows in the outbox
    clock_skew: Any  # as the last sync stored it (desktop.sync.client), None before one
    published_release: Any  # the newest desktop release the province published, None if none


@dataclass(frozen=True)
class SyncReview:
    synced: bool  # a pull has completed at least once
    digest_checked: bool
    rejected: list[dict[str, Any]]
    conflicts: list[dict[str, Any]]
    province_log: list[dict[str, Any]]
    repairs: list[dict[str, Any]]
    transfers: list[dict[str, Any]]
    set_aside: list[dict[str, Any]]


def _value(session: Session, key: str) -> Any:
    setting = session.get(Setting, key)
    return setting.value if setting is not None else None


def status_facts(session: Session) -> SyncStatusFacts:
    return SyncStatusFacts(
        waiting=session.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
        clock_skew=_value(session, CLOCK_SKEW_KEY),
        published_release=_value(session, APP_RELEASE_KEY),
    )


def review(session: Session) -> SyncReview:
    def kept(key: str) -> list[dict[str, Any]]:
        return list(_value(session, key) or [])

    return SyncReview(
        synced=session.get(Setting, CURSOR_KEY) is not None,
        digest_checked=session.get(Setting, DIGEST_CHECKED_KEY) is not None,
        rejected=kept(REJECTED_KEY),
        conflicts=kept(CONFLICTS_KEY),
        province_log=kept(CONFLICT_LOG_KEY),
        repairs=kept(REPAIRS_KEY),
        transfers=kept(TRANSFERS_KEY),
        set_aside=kept(SET_ASIDE_KEY),
    )
