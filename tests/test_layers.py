"""The layers point one way: the provincial server and the shared package never import the desktop app
or Qt (a provincial server installs `.[server]`, which has no PySide6), and the desktop's UI never
reaches the database below the services."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

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


# The UI changes data only through operations (desktop.ui.operations.Op) and reads through services:
# no module of desktop/ui may reach the database layer or SQLAlchemy, even for a type hint.
_UI_MAY_NOT_IMPORT = ("sqlalchemy", "desktop.db")


def _imports(tree: ast.Module) -> list[tuple[int, str]]:
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.append((node.lineno, node.module))
            # `from desktop import db` names the layer as well as `import desktop.db` does.
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def test_ui_imports_neither_sqlalchemy_nor_the_database_layer() -> None:
    ui = Path(__file__).resolve().parents[1] / "desktop" / "ui"
    offending = [
        f"{path.name}:{line}: {name}"
        for path in sorted(ui.rglob("*.py"))
        for line, name in _imports(ast.parse(path.read_text(encoding="utf-8")))
        if any(name == layer or name.startswith(layer + ".") for layer in _UI_MAY_NOT_IMPORT)
    ]
    assert offending == []


def test_layer_scan_catches_each_way_of_importing_the_database() -> None:
    for source in (
        "import sqlalchemy",
        "from sqlalchemy.orm import Session",
        "from desktop import db",
        "from desktop.db.models import Project",
        "import desktop.db.engine",
    ):
        names = [name for _line, name in _imports(ast.parse(source))]
        assert any(n == layer or n.startswith(layer + ".") for n in names for layer in _UI_MAY_NOT_IMPORT)


def _transactions(tree: ast.Module) -> list[int]:
    """Lines that open a session on a database handle: `<...>.db.read()`, `db.write()` and the like."""

    def is_db(node: ast.expr) -> bool:
        return (isinstance(node, ast.Name) and node.id == "db") or (
            isinstance(node, ast.Attribute) and node.attr == "db"
        )

    return [
        node.lineno
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in {"read", "write", "write_without_foreign_keys"}
        and is_db(node.func.value)
    ]


def test_ui_opens_no_transaction_of_its_own() -> None:
    """Reads go through `AppContext.read`, writes through `desktop.ui.operations.Op`."""
    ui = Path(__file__).resolve().parents[1] / "desktop" / "ui"
    opened = [
        f"{path.name}:{line}"
        for path in sorted(ui.rglob("*.py"))
        for line in _transactions(ast.parse(path.read_text(encoding="utf-8")))
    ]
    assert opened == []
    assert _transactions(ast.parse("with self.context.db.write() as s: pass\nwith db.read() as s: pass")) == [
        1,
        2,
    ]
