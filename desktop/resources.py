"""Where the files that ship with Guopei Desk are: the font, the code tables, the database migrations.

They live in three kinds of place, and code asks this module instead of building paths from its own
`__file__` (which points into a source tree only in a checkout):

- a checkout (`./dev.sh`, an editable install): `resources/` beside the `desktop/` package;
- an installed wheel: `resources/` is installed as data under `share/guopei-desk/` of the Python
  installation (`[tool.setuptools.data-files]` in pyproject.toml), the package's own files inside it;
- the PyInstaller bundle: everything unpacked below `sys._MEIPASS`, laid out as in a checkout
  (`installer/guopei-desk.spec`).
"""

from __future__ import annotations

import sys
import sysconfig
from functools import cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
SHARE_NAME = "guopei-desk"  # share/<SHARE_NAME>/resources in an installed wheel


class ResourcesMissing(RuntimeError):
    """The installation is incomplete: the files that ship with the program are not where they belong."""


def bundle_dir() -> Path | None:
    """The folder a PyInstaller bundle unpacked itself to, or None when running from Python."""
    frozen = getattr(sys, "_MEIPASS", None)
    return Path(frozen) if frozen else None


def resource_path(*parts: str) -> Path:
    """A file or folder of `resources/` (e.g. `resource_path("fonts", "wqy-zenhei.ttc")`), wherever
    this copy of the program runs from. Raises ResourcesMissing when the folder cannot be found."""
    return _resources_dir().joinpath(*parts)


def package_path(*parts: str) -> Path:
    """A data file or folder inside the `desktop` package that is read as a file, not imported (the
    Alembic migrations, which Alembic loads from their .py files)."""
    bundle = bundle_dir()
    base = bundle / "desktop" if bundle is not None else PACKAGE_DIR
    return base.joinpath(*parts)


@cache
def _resources_dir() -> Path:
    tried = _resource_candidates()
    for candidate in tried:
        if candidate.is_dir():
            return candidate
    searched = "；".join(str(path) for path in tried)
    raise ResourcesMissing(f"找不到程序自带的资源文件夹（字体、代码表），安装可能不完整。已查找：{searched}")


def _resource_candidates() -> list[Path]:
    bundle = bundle_dir()
    if bundle is not None:
        return [bundle / "resources"]
    checkout = PACKAGE_DIR.parent
    candidates = []
    # A checkout is recognised by its pyproject.toml, so that a stray top-level `resources` folder in
    # site-packages is never taken for ours.
    if (checkout / "pyproject.toml").is_file():
        candidates.append(checkout / "resources")
    # The data path of the installation scheme this package was installed with (venv, system, --user).
    schemes = [sysconfig.get_default_scheme(), sysconfig.get_preferred_scheme("user")]
    for scheme in dict.fromkeys(schemes):
        data = Path(sysconfig.get_path("data", scheme))
        candidates.append(data / "share" / SHARE_NAME / "resources")
    return candidates
