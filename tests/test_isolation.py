"""The suite keeps to itself: no test reaches the developer's keyring or Qt settings, and each run (each
xdist worker) has settings of its own."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keyring
from keyring.backends import fail
from PySide6.QtCore import QSettings

from desktop.sync.credentials import FILENAME, Credentials, load_credentials, save_credentials


def test_a_saved_token_goes_to_the_county_file_not_a_real_keyring(tmp_path: Path) -> None:
    assert isinstance(keyring.get_keyring(), fail.Keyring)
    save_credentials(tmp_path, Credentials("http://127.0.0.1:8700", "token-of-a-test"))
    assert "token-of-a-test" in (tmp_path / FILENAME).read_text(encoding="utf-8")
    assert load_credentials(tmp_path) == Credentials("http://127.0.0.1:8700", "token-of-a-test")


def test_processes_the_tests_start_have_no_keyring_either() -> None:
    backend = subprocess.run(
        [sys.executable, "-c", "import keyring; print(type(keyring.get_keyring()).__module__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert backend == "keyring.backends.fail"


def test_qt_settings_are_kept_in_this_runs_temporary_folder(qapp, tmp_path_factory) -> None:
    settings = QSettings()
    settings.setValue("test/isolation", 1)
    settings.sync()
    where = Path(settings.fileName()).resolve()
    assert where.is_file()
    assert where.is_relative_to(tmp_path_factory.getbasetemp().resolve())
    settings.remove("test/isolation")
