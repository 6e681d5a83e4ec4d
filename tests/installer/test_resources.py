"""The resources helper finds the shipped files in a checkout, an installed wheel and a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop import __version__, build_info, resources
from desktop.cli import main


@pytest.fixture(autouse=True)
def _fresh_lookup():
    resources._resources_dir.cache_clear()
    yield
    resources._resources_dir.cache_clear()


def _fake_install(root: Path) -> None:
    (root / "fonts").mkdir(parents=True)
    (root / "fonts" / "wqy-zenhei.ttc").write_bytes(b"font")


def test_checkout_finds_resources_beside_the_package():
    font = resources.resource_path("fonts", "wqy-zenhei.ttc")
    assert font.is_file()
    assert font.parent.parent == resources.PACKAGE_DIR.parent / "resources"
    assert resources.package_path("db", "migrations", "env.py").is_file()


def test_frozen_bundle_finds_everything_below_meipass(tmp_path, monkeypatch):
    _fake_install(tmp_path / "resources")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert resources.resource_path("fonts", "wqy-zenhei.ttc") == tmp_path / "resources/fonts/wqy-zenhei.ttc"
    assert resources.package_path("db", "migrations") == tmp_path / "desktop/db/migrations"


def test_installed_wheel_finds_resources_in_the_schemes_data_path(tmp_path, monkeypatch):
    site = tmp_path / "lib/site-packages"
    (site / "desktop").mkdir(parents=True)
    (site / "resources").mkdir()  # some other distribution's top-level folder: not ours
    _fake_install(tmp_path / "share/guopei-desk/resources")
    monkeypatch.setattr(resources, "PACKAGE_DIR", site / "desktop")
    monkeypatch.setattr(resources.sysconfig, "get_path", lambda name, scheme=None: str(tmp_path))
    assert resources.resource_path("fonts") == tmp_path / "share/guopei-desk/resources/fonts"
    assert resources.package_path("db") == site / "desktop/db"


def test_missing_resources_name_every_place_searched(tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    with pytest.raises(resources.ResourcesMissing, match=str(tmp_path / "resources")):
        resources.resource_path("fonts")


def test_version_prints_version_and_build(capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["--version"])
    assert stopped.value.code == 0
    assert capsys.readouterr().out.strip() == f"guopei-desk {__version__}（{build_info()}）"


def test_bundle_reports_the_build_line_the_spec_wrote(tmp_path, monkeypatch):
    (tmp_path / "desktop").mkdir()
    (tmp_path / "desktop" / "BUILD").write_text("构建 2026-12-02 abc1234 linux-x86_64\n", encoding="utf-8")
    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    assert build_info() == "构建 2026-12-02 abc1234 linux-x86_64"
