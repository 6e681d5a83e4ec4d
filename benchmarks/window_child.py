"""The process that benchmarks/roster.py starts cold: it opens a window as `guopei-desk` does, waits for
the first frame to be painted, prints "painted", then (memory) shows the teachers page scrolled to the
end and prints the process's resident memory. Mode "floor" does the same with a bare Qt window: the
part of a start and of the memory that is Python and Qt themselves.

    python benchmarks/window_child.py app|floor DATA_DIR
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def wait_painted(app, widget) -> None:
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QWidget

    painted = []

    class Watch(QObject):
        def eventFilter(self, watched, event) -> bool:
            if (
                event.type() == QEvent.Type.Paint
                and isinstance(watched, QWidget)
                and watched.window() is widget
            ):
                painted.append(watched)
            return False

    watch = Watch()
    app.installEventFilter(watch)
    deadline = time.monotonic() + 60
    while not painted and time.monotonic() < deadline:
        app.processEvents()
    app.processEvents()  # the rest of the frame
    app.removeEventFilter(watch)


def main() -> int:
    mode, data_dir = sys.argv[1], Path(sys.argv[2])
    if mode == "floor":
        from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

        app = QApplication(sys.argv[:1])
        window = QMainWindow()
        window.setCentralWidget(QLabel("国培桌面端"))
        window.resize(1366, 768)
        window.show()
        wait_painted(app, window)
        print("painted", flush=True)
        print(f"rss {rss_mib():.1f}", flush=True)
        return 0
    from desktop.ui.app import create_application
    from desktop.ui.launcher import Launcher

    app = create_application(sys.argv[:1])
    window = Launcher(data_dir).start()
    window.resize(1366, 768)
    wait_painted(app, window)
    print("painted", flush=True)
    window.show_page("teachers")
    page = window.pages["teachers"]
    page.table.scrollToBottom()
    wait_painted(app, window)
    print(f"rss {rss_mib():.1f}", flush=True)
    window.context.db.dispose()
    os._exit(0)  # no close event: closing would back the county up


if __name__ == "__main__":
    sys.exit(main())
