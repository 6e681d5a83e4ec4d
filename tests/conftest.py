"""Shared fixtures: real SQLite files in temporary folders, one demo county per test session."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# No keyring: a registration in a test keeps its token in the county's file, never in the developer's
# own keyring (Secret Service, Windows Credential Manager). Set before keyring picks a backend, and
# inherited by the app's processes that tests start. tests/sync/test_credentials.py plugs in a keyring
# of its own where the keyring is the point.
os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

from desktop.db.engine import Database, create_database, open_database

# The demo county is built as if today were this day, so that tests see the same "today's sessions".
DEMO_TODAY = dt.date(2026, 11, 30)


@pytest.fixture(scope="session", autouse=True)
def _qt_settings_of_tests(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Window state that tests save goes to this run's own folder (one per xdist worker), never the
    developer's own settings nor those of a run beside it."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    folder = str(tmp_path_factory.mktemp("qsettings"))
    for form in (QSettings.Format.NativeFormat, QSettings.Format.IniFormat):
        QSettings.setPath(form, QSettings.Scope.UserScope, folder)


@pytest.fixture(autouse=True)
def _detach_log_file() -> Iterator[None]:
    """Commands set up a rotating log file in their data folder; each test's folder is its own."""
    yield
    import logging.handlers

    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h, logging.handlers.RotatingFileHandler)]:
        root.removeHandler(handler)
        handler.close()


@pytest.fixture
def empty_db(tmp_path: Path) -> Database:
    db = create_database(tmp_path / "county", county_code="522727", county_name="平塘县")
    yield db
    db.dispose()


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 3,000-teacher demo county, built once; tests that change it must copy it first."""
    from desktop.services.demo_county import build_demo_county

    data_dir = tmp_path_factory.mktemp("demo")
    build_demo_county(data_dir, teachers=3000, today=DEMO_TODAY)
    return data_dir


@pytest.fixture(scope="session")
def small_demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 300-teacher demo county (a third of the 3,000's size on disk, with classes under way today and
    draft credits), built once: a template for tests that copy a county many times. Copy it first."""
    from desktop.services.demo_county import build_demo_county

    data_dir = tmp_path_factory.mktemp("small-demo")
    build_demo_county(data_dir, teachers=300, today=DEMO_TODAY)
    return data_dir


@pytest.fixture
def demo_db(demo_dir: Path) -> Database:
    db = open_database(demo_dir)
    yield db
    db.dispose()


class QuietContext:
    """An AppContext that collects the messages a person would have seen, instead of opening modal
    boxes, and runs background work synchronously."""

    def __new__(cls, db: Database):  # built lazily so that Qt is imported only by UI tests
        from desktop.ui.context import AppContext
        from desktop.ui.tasks import TaskRunner

        class _Quiet(AppContext):
            def __init__(self) -> None:
                super().__init__(db, today=lambda: DEMO_TODAY, runner=TaskRunner(synchronous=True))
                self.messages: list[str] = []
                self.errors: list[BaseException] = []
                self.opened: list[Path] = []
                # What each confirmation asked, and the answer the next ones get (Yes unless a test
                # sets it to False, as a person pressing Cancel).
                self.confirmations: list[str] = []
                self.answer = True

            def inform(self, parent, title: str, text: str) -> None:
                self.messages.append(text)

            def confirm(self, parent, title: str, text: str, action: str) -> bool:
                self.confirmations.append(text)
                return self.answer

            def report_error(self, parent, error: BaseException) -> None:
                self.errors.append(error)

            def open_file(self, path: Path) -> None:
                self.opened.append(path)

        return _Quiet()


@pytest.fixture
def writable_demo(tmp_path: Path, demo_dir: Path) -> Database:
    """A copy of the demo county that a test may change."""
    import shutil

    shutil.copytree(demo_dir, tmp_path / "county")
    db = open_database(tmp_path / "county")
    yield db
    db.dispose()


@pytest.fixture
def tiny_mount(tmp_path: Path) -> Iterator[Callable[[Path, str], None]]:
    """Mount a small tmpfs where asked (needs root and mount rights; skipped elsewhere)."""
    mounted: list[Path] = []

    def mount(where: Path, options: str) -> None:
        where.mkdir(parents=True, exist_ok=True)
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)], capture_output=True, check=False
        )
        if result.returncode != 0:
            pytest.skip("cannot mount a tmpfs here: " + result.stderr.decode(errors="replace").strip())
        mounted.append(where)

    yield mount
    for where in reversed(mounted):
        subprocess.run(["umount", "--lazy", str(where)], check=False)  # even with a file left open
