"""Every page fits the small screens counties have: 1,024×640, 1366×768 at Windows' recommended
125 % scaling (about 1,093×614 logical pixels) and at 150 % (911×512, with the narrow navigation). A
page wider than that is cut off there, not shrunk."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QStandardPaths
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication, QFrame

from desktop.db.engine import open_database
from desktop.domain.roles import Role
from desktop.services.demo_county import DEMO_PASSWORD, add_demo_accounts
from desktop.ui.app import create_application
from desktop.ui.context import AppContext
from desktop.ui.main_window import NAVIGATION_NARROW, MainWindow, page_specs
from desktop.ui.screenshot import render_pages
from desktop.ui.tasks import TaskRunner
from tests.conftest import DEMO_TODAY

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(("width", "height"), [(1024, 640), (1093, 614)])
def test_every_page_renders_at_exactly_the_screen_size(qtbot, demo_db, tmp_path, width, height):
    create_application([])
    window = MainWindow(AppContext(demo_db, today=lambda: DEMO_TODAY))
    qtbot.addWidget(window)
    written = render_pages(window, tmp_path, width=width, height=height)
    assert len(written) == len(window.specs)
    sizes = {path.name: (QImage(str(path)).width(), QImage(str(path)).height()) for path in written}
    assert set(sizes.values()) == {(width, height)}, sizes
    # Every page has been built by now: none of them may push the window wider or taller.
    hint = window.minimumSizeHint()
    assert hint.width() <= width and hint.height() <= height
    window.backup_on_close = False


def test_every_page_the_login_and_the_lock_fit_1366x768_at_150_percent(small_demo_dir, tmp_path):
    """1366×768 at 150 % leaves 911×512 logical pixels: with the narrow navigation every page, 审计
    included, and the login and lock screens fit. Another screen needs another QApplication: measured
    in a child process, on a county with accounts (so that it opens on the login screen)."""
    county = tmp_path / "county"
    shutil.copytree(small_demo_dir, county)
    config = tmp_path / "screen.json"
    config.write_text(json.dumps({"screens": [{"name": "s", "x": 0, "y": 0, "width": 1366, "height": 768}]}))
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={config}", "QT_SCALE_FACTOR": "1.5"}
    env.pop("QT_SCREEN_SCALE_FACTORS", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.ui.test_small_screens", str(county), str(tmp_path / "shots")],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["screen"] == [911, 512]
    assert found["navigation"] == NAVIGATION_NARROW
    assert "audit" in found["pages"] and len(found["pages"]) == len(page_specs())
    assert all(size == [911, 512] for size in found["pages"].values()), found["pages"]
    for view in ("login", "lock", "pages"):
        assert found["minimum"][view][0] <= 911 and found["minimum"][view][1] <= 512, found["minimum"]
    for view in ("login", "lock"):
        assert found[view]["size"] == [911, 512], found
        assert found[view]["box_inside"], found  # the form whole on screen, not cut at the right


def measure_at_this_screen(data_dir: Path, out_dir: Path) -> dict:
    """Log in through the login screen, render every page, lock: the sizes each came out at."""
    db = open_database(data_dir)
    with db.write() as session:
        add_demo_accounts(session)
    create_application([])
    context = AppContext(db, today=lambda: DEMO_TODAY, runner=TaskRunner(synchronous=True))
    window = MainWindow(context)
    window.backup_on_close = False
    screen = window.screen().availableGeometry()
    found: dict = {"screen": [screen.width(), screen.height()], "minimum": {}}
    window.resize(screen.width(), screen.height())
    window.show()

    def lock_screen_facts(view: str) -> None:
        QApplication.processEvents()
        assert window.screens.currentWidget() is window.lock_screen
        box = window.lock_screen.findChild(QFrame, "lockBox")
        hint = window.minimumSizeHint()
        found["minimum"][view] = [hint.width(), hint.height()]
        found[view] = {
            "size": [window.width(), window.height()],
            "box_inside": window.lock_screen.rect().contains(box.geometry()),
        }
        window.grab().save(str(out_dir / f"{view}.png"))

    out_dir.mkdir(parents=True)
    lock_screen_facts("login")
    window.lock_screen.password.setText(DEMO_PASSWORD)
    window.lock_screen.submit()
    assert context.db.operator is not None and context.db.operator.role == Role.ADMIN
    written = render_pages(window, out_dir, width=screen.width(), height=screen.height())
    ratio = window.devicePixelRatio()  # the PNGs are in the screen's pixels, 1.5 per logical one
    found["pages"] = {
        path.stem[3:]: [round(QImage(str(path)).width() / ratio), round(QImage(str(path)).height() / ratio)]
        for path in written
    }
    found["navigation"] = window.navigation.width()
    hint = window.minimumSizeHint()
    found["minimum"]["pages"] = [hint.width(), hint.height()]
    window.lock()
    lock_screen_facts("lock")
    context.db.dispose()
    return found


if __name__ == "__main__":
    QStandardPaths.setTestModeEnabled(True)  # the teachers page's column widths: never this user's
    print(json.dumps(measure_at_this_screen(Path(sys.argv[1]), Path(sys.argv[2]))))
