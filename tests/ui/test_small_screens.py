"""Every page fits the small screens counties have: 1,024×640, and 1366×768 at Windows' recommended
125 % scaling (about 1,093×614 logical pixels). A page wider than that is cut off there, not shrunk."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from desktop.ui.app import create_application
from desktop.ui.context import AppContext
from desktop.ui.main_window import MainWindow
from desktop.ui.screenshot import render_pages
from tests.conftest import DEMO_TODAY


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
