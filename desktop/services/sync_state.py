"""What the sync status area and the 同步 page show, read from this PC's database: the changes
waiting in the outbox, the clock skew and newest release the province reported, and what the last
syncs kept for a person to review (refused changes, lost conflicts, the province's conflict log,
transfers, rows set aside, divergence repairs)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop import settings
from desktop.db import setting_values
from desktop.db.models import OutboxEntry


@dataclass(frozen=True)
class SyncStatusFacts:
    waiting: int  # rows in the outbox
    clock_skew: int  # ms, as the last push measured it (0 before one)
    published_release: dict[str, Any]  # the newest desktop release the province published ({} if none)


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


def status_facts(session: Session) -> SyncStatusFacts:
    return SyncStatusFacts(
        waiting=session.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
        clock_skew=setting_values.value(session, settings.SYNC_CLOCK_SKEW_MS),
        published_release=setting_values.value(session, settings.APP_RELEASE),
    )


def review(session: Session) -> SyncReview:
    def kept(option: settings.Option[list]) -> list[dict[str, Any]]:
        return setting_values.value(session, option)

    return SyncReview(
        synced=setting_values.is_set(session, settings.SYNC_CURSOR),
        digest_checked=setting_values.is_set(session, settings.SYNC_DIGEST_CHECKED_AT),
        rejected=kept(settings.SYNC_REJECTED),
        conflicts=kept(settings.SYNC_CONFLICTS),
        province_log=kept(settings.SYNC_PROVINCE_CONFLICTS),
        repairs=kept(settings.SYNC_REPAIRS),
        transfers=kept(settings.SYNC_TRANSFERS),
        set_aside=kept(settings.SYNC_SET_ASIDE),
    )
