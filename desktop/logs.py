"""The rotating log file. Personal data (身份证号, phone) and tokens are never passed to a logger on
purpose, and a filter on the handler masks what slips through anyway: an exception's text, such as a
SQLAlchemy error that quotes the row's parameters, an HTTP body, a URL with a token."""

from __future__ import annotations

import logging
import logging.handlers
import os
import re
import tempfile
from pathlib import Path

from desktop.private_files import PRIVATE_FILE, private_folder

LOG_FILENAME = "guopei-desk.log"

# An 18-character ID number (17 digits and a digit or X), an 11-digit mobile number, each standing alone.
_ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])")
_PHONE = re.compile(r"(?<!\d)(1\d{2})\d{4}(\d{4})(?!\d)")
# A token after its name (token=…, "device_token": "…", Authorization: Bearer …), and any long run
# of URL-safe characters (a token or key on its own); UUIDs and stamps have dashes every few characters.
_NAMED_TOKEN = re.compile(
    r"(?i)((?:token|password|secret|authorization|bearer)[\"']?\s*[:=]?\s*[\"']?(?:bearer\s+)?)"
    r"[A-Za-z0-9._~+/=-]{6,}"
)
_LONG_SECRET = re.compile(r"(?<![A-Za-z0-9_-])[A-Za-z0-9_-]{32,}(?![A-Za-z0-9_-])")
_ID_LIKE = re.compile(r"[0-9a-fA-F]{1,16}(-[0-9a-fA-F]{1,16}){2,}")


def _secret(match: re.Match[str]) -> str:
    run = match.group(0)
    # Ids and stamps (UUIDs, HLCs: hex in dash-separated groups) help support and are not secret.
    return run if _ID_LIKE.fullmatch(run) else "***"


def mask_personal_data(text: str) -> str:
    text = _NAMED_TOKEN.sub(r"\1***", text)
    text = _LONG_SECRET.sub(_secret, text)
    text = _ID_NUMBER.sub(r"\1**********\2", text)
    return _PHONE.sub(r"\1****\2", text)


class PersonalDataFilter(logging.Filter):
    """Masks ID numbers, phones and tokens in a record's message and exception text before any
    handler writes it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = mask_personal_data(record.getMessage())
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = mask_personal_data(record.exc_text)
        if record.stack_info:
            record.stack_info = mask_personal_data(record.stack_info)
        return True


class _PrivateRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """Every log file it opens (the first, and each after a rotation) is created with mode 0600."""

    def _open(self):
        descriptor = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, PRIVATE_FILE)
        return os.fdopen(descriptor, "a", encoding=self.encoding, errors=self.errors)


def setup_logging(directory: Path, *, level: int = logging.INFO) -> Path:
    """Log to `directory`, or, where it cannot be written (a full disk, a read-only folder), to the
    system's temporary folder: the program must still start and say what is wrong with the folder."""
    try:
        private_folder(directory)
        path = directory / LOG_FILENAME
        handler = _rotating(path)
    except OSError:
        path = Path(tempfile.gettempdir()) / LOG_FILENAME
        handler = _rotating(path)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(PersonalDataFilter())
    root = logging.getLogger()
    root.setLevel(level)
    for old in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    return path


def _rotating(path: Path) -> logging.Handler:
    handler = _PrivateRotatingFileHandler(path, maxBytes=2_000_000, backupCount=5, encoding="utf-8")
    if os.name == "posix":
        path.chmod(PRIVATE_FILE)  # a log file an older release made readable by others
    return handler
