"""The layers point one way: the provincial server and the shared package never import the desktop app
or Qt (a provincial server installs `.[server]`, which has no PySide6)."""

from __future__ import annotations

import subprocess
import sys
import textwrap

# Imports every server module with `desktop` and `PySide6` made unimportable, the way a server install
# without the desktop extra would fail on them.
_IMPORT_SERVER_ALONE = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class Refuse:
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in {"desktop", "PySide6", "shiboken6"}:
                raise ImportError(f"the server imported {name}")
            return None

    sys.meta_path.insert(0, Refuse())
    import guopei_common, server
    for package in (guopei_common, server):
        for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in module.name:
                importlib.import_module(module.name)
    print("ok")
    """
)


def test_server_and_shared_package_import_without_desktop_or_qt() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _IMPORT_SERVER_ALONE], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "ok"
