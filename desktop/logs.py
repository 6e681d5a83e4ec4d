"""The rotating log file. Personal data (身份证号, phone) is never passed to a logger."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_FILENAME = "guopei-desk.log"


def setup_logging(directory: Path, *, level: int = logging.INFO) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOG_FILENAME
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    return path
