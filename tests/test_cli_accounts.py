"""guopei-desk user … and --user (issue 14): the first administrator needs no login, data-changing
commands need --user once an account exists, reading ones do not; refusals name the permission."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.cli import main as desk
from desktop.db.engine import open_database
from desktop.db.models import AuditEntry


@pytest.fixture
def county(tmp_path, capsys):
    data_dir = tmp_path / "county"
    assert desk(["--data-dir", str(data_dir), "init", "--county", "522727"]) == 0
    capsys.readouterr()
    return str(data_dir)


def run(county: str, *args: str) -> int:
    return desk(["--data-dir", county, *args])


def test_accounts_from_the_command_line(county, capsys, monkeypatch):
    # Before any account: the county works as before.
    assert run(county, "policy", "--guopei-limit", "2") == 0
    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "admin-pass-1")
    assert run(county, "user", "add", "张主任", "--role", "管理员") == 0
    monkeypatch.setenv("GUOPEI_DESK_NEW_PASSWORD", "check-pass-1")
    assert run(county, "--user", "张主任", "user", "add", "李签到", "--role", "签到员") == 0
    capsys.readouterr()

    assert run(county, "policy", "--guopei-limit", "1") == 2
    err = capsys.readouterr().err
    assert "请先登录：“修改政策开关”" in err and "--user" in err

    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "check-pass-1")
    assert run(county, "--user", "李签到", "policy", "--guopei-limit", "1") == 2
    assert "李签到（签到员）没有“修改政策开关”的权限" in capsys.readouterr().err
    assert run(county, "--user", "李签到", "user", "list") == 2
    assert "没有“管理账户”的权限" in capsys.readouterr().err

    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "wrong-pass-9")
    assert run(county, "--user", "张主任", "policy", "--guopei-limit", "1") == 2
    assert "账户名或密码不对" in capsys.readouterr().err

    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "admin-pass-1")
    assert run(county, "--user", "张主任", "policy", "--guopei-limit", "1") == 0
    assert run(county, "--user", "张主任", "user", "list") == 0
    listing = capsys.readouterr().out
    assert "张主任\t管理员" in listing and "李签到\t签到员" in listing

    monkeypatch.setenv("GUOPEI_DESK_NEW_PASSWORD", "check-pass-2")
    assert run(county, "--user", "张主任", "user", "passwd", "李签到") == 0
    assert run(county, "--user", "张主任", "user", "remove", "张主任") == 2
    assert "最后一个管理员" in capsys.readouterr().err
    assert run(county, "--user", "张主任", "user", "remove", "李签到") == 0
    assert "已删除账户 李签到" in capsys.readouterr().out


def test_reading_verbs_need_no_login(county, capsys, monkeypatch):
    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "admin-pass-1")
    assert run(county, "user", "add", "张主任", "--role", "admin") == 0
    monkeypatch.delenv("GUOPEI_DESK_PASSWORD")
    capsys.readouterr()
    assert run(county, "verify", "GPC1.not-a-certificate") == 1  # answered, not refused
    assert "请先登录" not in capsys.readouterr().err


def test_exchange_files_and_reports_from_the_command_line_need_the_permission(
    county, capsys, monkeypatch, tmp_path
):
    from guopei_common.exchange_file import PASSWORD_ENV as EXCHANGE_PASSWORD_ENV

    monkeypatch.setenv(EXCHANGE_PASSWORD_ENV, "exchange-pass-1")
    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "admin-pass-1")
    assert run(county, "user", "add", "张主任", "--role", "管理员") == 0
    for name, role in (("李签到", "签到员"), ("赵查询", "查询"), ("王培训", "培训管理员")):
        monkeypatch.setenv("GUOPEI_DESK_NEW_PASSWORD", f"{name}-pass-1")
        assert run(county, "--user", "张主任", "user", "add", name, "--role", role) == 0
    capsys.readouterr()
    out = tmp_path / "一号机.gpx"
    for name, role in (("李签到", "签到员"), ("赵查询", "查询")):
        monkeypatch.setenv("GUOPEI_DESK_PASSWORD", f"{name}-pass-1")
        assert run(county, "--user", name, "exchange", "export", "--out", str(out)) == 2
        assert f"{name}（{role}）没有“导入导出交换文件”的权限" in capsys.readouterr().err
        assert run(county, "--user", name, "exchange", "import", str(out)) == 2
        assert "没有“导入导出交换文件”的权限" in capsys.readouterr().err
    assert not out.exists()
    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "李签到-pass-1")
    assert run(county, "--user", "李签到", "report", "coverage", "--out", str(tmp_path / "r.xlsx")) == 2
    assert "李签到（签到员）没有“查看名单和报表”的权限" in capsys.readouterr().err
    assert run(county, "report", "coverage", "--out", str(tmp_path / "r.xlsx")) == 2
    assert "请先登录：“查看名单和报表”" in capsys.readouterr().err

    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "赵查询-pass-1")
    assert run(county, "--user", "赵查询", "report", "coverage", "--out", str(tmp_path / "r.xlsx")) == 0
    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "王培训-pass-1")
    assert run(county, "--user", "王培训", "exchange", "export", "--out", str(out)) == 0
    assert out.exists()
    db = open_database(Path(county))
    try:
        with db.read() as session:
            actors = session.scalars(select(AuditEntry.actor).where(AuditEntry.action == "exchange_export"))
            assert list(actors) == ["王培训"]
    finally:
        db.dispose()


def test_init_suggests_creating_the_first_administrator(tmp_path, capsys):
    assert desk(["--data-dir", str(tmp_path / "c"), "init", "--county", "522727"]) == 0
    assert "guopei-desk user add 账户名 --role 管理员" in capsys.readouterr().out
