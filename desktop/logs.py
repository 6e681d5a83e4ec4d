"""The rotating log file. Personal data (身份证号, phone) is never passed to a logger."""

from __future__ import annotations

import logging
import logging.handlers
import tempfile
from pathlib import Path

LOG_FILENAME = "guopei-desk.log"


def setup_logging(directory: Path, *, level: int = logging.INFO) -> Path:
    """Log to `directory`, or, where it cannot be written (a full disk, a read-only folder), to the
    system's temporary folder: the program must still start and say what is wrong with the folder."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / LOG_FILENAME
        handler = _rotating(path)
    except OSError:
        path = Path(tempfile.gettempdir()) / LOG_FILENAME
        handler = _rotating(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    return path


def _rotating(path: Path) -> logging.Handler:
    return logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
