"""The update notice: the province publishes the current desktop version (`guopei-server app-version`),
and at its next sync a county PC with an older one says "有新版本 …" with the notes in the status area.
Against the real server, on SQLite and on PostgreSQL."""

from __future__ import annotations

import requests

from desktop import __version__
from desktop.db.engine import create_database
from desktop.db.models import Setting
from desktop.sync.app_release import APP_RELEASE_KEY, newer_release, version_key
from desktop.sync.client import SyncClient, register
from desktop.sync.credentials import Credentials, save_credentials
from desktop.ui.app import create_application
from desktop.ui.sync_status import SyncStatus
from desktop.ui.tasks import TaskRunner
from server.cli import main as server_cli
from tests.conftest import QuietContext
from tests.sync.conftest import OTHER_COUNTY

NOTES = "修正证书打印时的字体问题；新增教师调动申请。请向县教师发展中心索取安装包。"


def test_versions_compare_as_numbers():
    assert version_key("1.10.0") > version_key("1.9.3") > version_key("1.9")
    assert version_key("1.2") == version_key("1.2.0") and version_key("1.2.x") is None
    assert newer_release({"version": "1.2.0", "notes": "x"}, running="1.1.9").version == "1.2.0"
    assert newer_release({"version": "1.2.0"}, running="1.2") is None  # the same version
    assert newer_release({"version": "1.1.0"}, running="1.2.0") is None  # an older one
    assert newer_release({"version": None}, running="1.2.0") is None  # none published
    assert newer_release({"version": "测试版"}, running="1.2.0") is None
    assert newer_release(None) is None


def test_the_province_publishes_a_version_and_the_status_area_says_so(qtbot, server, tmp_path, capsys):
    db = create_database(tmp_path / "county", county_code=OTHER_COUNTY, county_name="罗甸县")
    token = register(db, server.url, server.code(OTHER_COUNTY))
    save_credentials(db.path.parent, Credentials(server.url, token))
    create_application([])
    status = SyncStatus(QuietContext(db), runner=TaskRunner(synchronous=True))
    qtbot.addWidget(status)

    assert server_cli(["app-version", "--db", server.db]) == 0
    assert "尚未发布" in capsys.readouterr().out
    status.sync_now()
    assert status.state.text().startswith("已同步")
    assert status.release.isHidden()

    assert server_cli(["app-version", "--db", server.db, "1.x"]) == 2
    assert "版本号" in capsys.readouterr().err
    newer = ".".join(str(part + 1) for part in version_key(__version__))  # 0.1.0 → 1.2
    assert server_cli(["app-version", "--db", server.db, newer, "--notes", NOTES]) == 0
    assert f"已发布桌面端 {newer}" in capsys.readouterr().out
    status.sync_now()
    assert not status.release.isHidden()
    assert status.release.text() == f"有新版本 {newer}：{NOTES[:19]}…"
    assert NOTES in status.release.toolTip() and "不会删除本县的数据" in status.release.toolTip()

    # The province publishes the version this PC runs (a withdrawn release): the notice goes away.
    assert server_cli(["app-version", "--db", server.db, __version__]) == 0
    status.sync_now()
    assert status.release.isHidden()
    with db.read() as session:
        stored = session.get(Setting, APP_RELEASE_KEY).value
    assert stored["version"] == __version__ and stored["published_at"].endswith("Z")
    db.dispose()


def test_the_version_is_only_for_registered_pcs(server, tmp_path):
    assert requests.get(f"{server.url}/v1/app-version", timeout=5).status_code == 401
    db = create_database(tmp_path / "county", county_code=OTHER_COUNTY, county_name="罗甸县")
    client = SyncClient(db, server.url, register(db, server.url, server.code(OTHER_COUNTY)))
    assert client.fetch_app_release() is not None
    db.dispose()
