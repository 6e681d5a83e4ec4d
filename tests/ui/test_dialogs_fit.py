"""Every dialog fits the screen it opens on, its button row on screen: at 800×800 (the offscreen
screen), at 1,024×640, and on a 1366×768 laptop at 150 % (911×512 logical pixels)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop.db.engine import open_database
from desktop.ui.app import create_application
from desktop.ui.context import AppContext
from desktop.ui.dialog_gallery import buttons_off_screen, sample_dialogs
from desktop.ui.main_window import MainWindow
from desktop.ui.tasks import TaskRunner
from tests.conftest import DEMO_TODAY

REPO = Path(__file__).resolve().parents[2]
EVERY_DIALOG = {
    "dialog-project",
    "dialog-schedule",
    "dialog-teacher",
    "dialog-teacher-file",
    "dialog-import",
    "dialog-school",
    "dialog-paper-sheet",
    "dialog-certificate-preview",
    "dialog-register",
    "dialog-backup-password",
}


def measure_every_dialog(window: MainWindow, scratch: Path) -> dict[str, dict]:
    """Open each dialog at the size it chooses; what did not fit, per dialog."""
    checkin = window.pages.get("checkin")
    if checkin is None:
        window.show_page("checkin")
        checkin = window.pages["checkin"]
    # The demo county's sessions are on DEMO_TODAY: the paper sheet is entered for one of them.
    checkin.clock = lambda: dt.datetime.combine(DEMO_TODAY, dt.time(9, 0))
    checkin.load_sessions()
    screen = window.screen().availableGeometry()
    found = {}
    for name, dialog in sample_dialogs(window, scratch):
        dialog.show()
        frame = dialog.frameGeometry()
        found[name] = {
            "fits": screen.contains(frame),
            "size": [frame.x(), frame.y(), frame.width(), frame.height()],
            "buttons_off_screen": buttons_off_screen(dialog),
        }
        dialog.done(0)
    found["screen"] = {"size": [screen.width(), screen.height()]}
    return found


def open_window(data_dir: Path) -> MainWindow:
    create_application([])
    context = AppContext(
        open_database(data_dir), today=lambda: DEMO_TODAY, runner=TaskRunner(synchronous=True)
    )
    window = MainWindow(context)
    window.backup_on_close = False
    window.show()
    return window


def assert_all_fit(found: dict[str, dict]) -> None:
    screen = found.pop("screen")
    assert set(found) == EVERY_DIALOG
    for name, facts in found.items():
        assert facts["fits"], (name, facts, screen)
        assert facts["buttons_off_screen"] == [], (name, facts, screen)


def own_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """Opening a teacher's file is written to the audit log: each test opens its own county."""
    shutil.copytree(demo_dir, tmp_path / "county")
    return tmp_path / "county"


def test_every_dialog_fits_the_offscreen_screen(qtbot, demo_dir, tmp_path):
    window = open_window(own_copy(demo_dir, tmp_path))
    qtbot.addWidget(window)
    found = measure_every_dialog(window, tmp_path)
    assert found["screen"]["size"] == [800, 800]
    assert_all_fit(found)
    window.context.db.dispose()


@pytest.mark.parametrize(
    ("screen", "scale", "logical"),
    [((1024, 640), "1", (1024, 640)), ((1366, 768), "1.5", (911, 512))],
)
def test_every_dialog_fits_small_and_scaled_screens(demo_dir, tmp_path, screen, scale, logical):
    """A screen of another size needs another QApplication: measured in a child process."""
    config = tmp_path / "screen.json"
    config.write_text(
        json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": screen[0], "height": screen[1]}]})
    )
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": scale}
    env.pop("QT_SCREEN_SCALE_FACTORS", None)
    county = own_copy(demo_dir, tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.test_dialogs_fit", str(county), str(tmp_path / "scratch")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["screen"]["size"] == list(logical)
    assert_all_fit(found)


if __name__ == "__main__":
    main_window = open_window(Path(sys.argv[1]))
    print(json.dumps(measure_every_dialog(main_window, Path(sys.argv[2])), ensure_ascii=False))
    main_window.context.db.dispose()
