"""Where Guopei Desk keeps its files on this PC."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from desktop.resources import resource_path

APP_NAME = "GuopeiDesk"
CJK_FONT = resource_path("fonts", "wqy-zenhei.ttc")


def default_data_dir() -> Path:
    """The county database's folder in the platform's user-data directory."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_demo_dir() -> Path:
    """The demo county lives apart from real data, so building it never touches a real county."""
    return default_data_dir().parent / f"{APP_NAME}-demo"


def log_dir(data_dir: Path | None) -> Path:
    """Logs sit beside an explicit data directory, else in the platform's user log directory."""
    if data_dir is not None:
        return data_dir / "logs"
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
