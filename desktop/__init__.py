"""Guopei Desk (国培桌面端), the county teacher-training centre's desktop client."""

from __future__ import annotations

# The one place the version is written: pyproject.toml reads it, the installers stamp it on their files.
__version__ = "0.1.0"

BUILD_FILE = "BUILD"  # written into the bundle's desktop/ folder by installer/guopei-desk.spec


def build_info() -> str:
    """Which build this is: the line the installer build wrote (date, commit, platform), or, when
    running from Python (a checkout or an installed wheel), a note saying so."""
    from desktop.resources import bundle_dir, package_path

    if bundle_dir() is not None:
        try:
            return package_path(BUILD_FILE).read_text(encoding="utf-8").strip()
        except OSError:
            return "安装包，缺少构建信息"
    return "从 Python 环境运行，未打包"
