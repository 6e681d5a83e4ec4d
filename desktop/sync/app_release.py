"""Whether the province has published a newer desktop version than the one running here.

At every sync the client stores what `GET /v1/app-version` answered (setting APP_RELEASE_KEY); the
status area compares it with this program's version and says "有新版本 1.2.0" with the notes. Nothing
is downloaded: the installer reaches a county on a USB stick, and a 2G link could not carry it anyway.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from desktop import __version__, settings

APP_RELEASE_KEY = settings.APP_RELEASE.key
_NUMBERS = re.compile(r"[0-9]+(\.[0-9]+)*")


@dataclass(frozen=True)
class NewerRelease:
    version: str
    notes: str

    @property
    def notice(self) -> str:
        return f"有新版本 {self.version}"


def version_key(text: str) -> tuple[int, ...] | None:
    """1.2 and 1.2.0 compare equal; None for anything that is not dotted numbers."""
    text = text.strip()
    if not _NUMBERS.fullmatch(text):
        return None
    numbers = [int(part) for part in text.split(".")]
    while len(numbers) > 1 and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)


def newer_release(stored: dict[str, Any] | None, running: str = __version__) -> NewerRelease | None:
    """The published release, when it is newer than `running`; None otherwise (none published, the
    same or an older one, or a version that does not read as numbers)."""
    if not stored or not stored.get("version"):
        return None
    published, current = version_key(str(stored["version"])), version_key(running)
    if published is None or current is None or published <= current:
        return None
    return NewerRelease(version=str(stored["version"]).strip(), notes=str(stored.get("notes") or "").strip())
