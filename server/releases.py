"""The desktop version the province publishes (`guopei-server app-version 1.2.0 --notes …`) and serves
to county PCs (`GET /v1/app-version`), which show that a newer one exists. One row per version; the
latest published is the current one, so publishing an older version again (a withdrawn release) makes
it current."""

from __future__ import annotations

import datetime as dt
import re

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from guopei_common.protocol import AppReleaseResponse
from server.db import AppRelease

VERSION = re.compile(r"[0-9]{1,4}(\.[0-9]{1,4}){1,3}")
MAX_NOTES = 2000


def publish_release(engine: Engine, version: str, *, notes: str = "") -> AppReleaseResponse:
    """Make `version` the current desktop version (again, if it was published before)."""
    version, notes = version.strip(), notes.strip()
    if not VERSION.fullmatch(version):
        raise ValueError(f"版本号应写成 1.2.0 这样的数字，而不是“{version}”")
    if len(notes) > MAX_NOTES:
        raise ValueError(f"更新说明最多 {MAX_NOTES} 字，现在 {len(notes)} 字")
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        release = session.get(AppRelease, version) or AppRelease(version=version)
        release.notes = notes
        release.published_at = now
        session.add(release)
    return latest_release(engine)


def latest_release(engine: Engine) -> AppReleaseResponse:
    with Session(engine.execution_options(readonly=True)) as session, session.begin():
        release = session.scalar(
            select(AppRelease).order_by(AppRelease.published_at.desc(), AppRelease.version.desc()).limit(1)
        )
        if release is None:
            return AppReleaseResponse()
        return AppReleaseResponse(
            version=release.version,
            notes=release.notes,
            published_at=release.published_at.isoformat(timespec="seconds") + "Z",
        )
