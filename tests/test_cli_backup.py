"""`guopei-desk backup-password | backup | backups | restore`, run in-process on real folders."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from desktop.cli import BACKUP_CURRENT_PASSWORD_ENV, BACKUP_PASSWORD_ENV, main
from desktop.db.backup import KEY_FILENAME, list_backups
from desktop.db.engine import DB_FILENAME, create_database, open_database
from desktop.db.models import School

PASSWORD = "县中心的备份密码"


@pytest.fixture
def county(tmp_path: Path) -> Path:
    data_dir = tmp_path / "county"
    db = create_database(data_dir, county_code="522727", county_name="平塘县")
    with db.write() as session:
        session.add(School(name="克度镇中心小学", county_code="522727"))
    db.dispose()
    return data_dir


def _school_names(data_dir: Path) -> set[str]:
    db = open_database(data_dir)
    try:
        with db.read() as session:
            return set(session.scalars(select(School.name)))
    finally:
        db.dispose()


def _add_school(data_dir: Path, name: str) -> None:
    db = open_database(data_dir)
    with db.write() as session:
        session.add(School(name=name, county_code="522727"))
    db.dispose()


def test_backup_without_a_password_says_how_to_set_one(county, capsys, monkeypatch):
    monkeypatch.delenv(BACKUP_PASSWORD_ENV, raising=False)
    assert main(["--data-dir", str(county), "backup"]) == 2
    assert "guopei-desk backup-password" in capsys.readouterr().err
    assert not (county / "backups").exists()


def test_backup_list_and_restore_round_trip(county, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(BACKUP_PASSWORD_ENV, PASSWORD)
    assert main(["--data-dir", str(county), "backup-password"]) == 0
    assert "备份密码已设置" in capsys.readouterr().out
    assert (county / KEY_FILENAME).exists()

    usb = tmp_path / "usb"
    usb.mkdir()
    assert main(["--data-dir", str(county), "backup", "--to", str(usb)]) == 0
    printed = capsys.readouterr()
    path = Path(printed.out.strip())
    assert path.parent == county / "backups" and path.exists()
    assert (usb / path.name).read_bytes() == path.read_bytes()
    assert "已备份并校验" in printed.err

    assert main(["--data-dir", str(county), "backups"]) == 0
    listing = capsys.readouterr().out
    assert path.name in listing and "已校验" in listing and "手动" in listing and "平塘县" in listing

    _add_school(county, "备份之后新增的学校")
    (county / "sync-credentials.json").write_text('{"server_url": "https://guopei.example"}')
    assert main(["--data-dir", str(county), "restore", str(usb / path.name)]) == 0
    out = capsys.readouterr().out
    assert "改名保留" in out and f"{DB_FILENAME}.replaced-" in out
    assert "还没有同步到省级平台的修改" in out and "guopei-desk sync" in out
    assert _school_names(county) == {"克度镇中心小学"}
    assert len(list(county.glob(f"{DB_FILENAME}.replaced-*"))) == 1


def test_restore_with_a_wrong_password_changes_nothing(county, capsys, monkeypatch):
    monkeypatch.setenv(BACKUP_PASSWORD_ENV, PASSWORD)
    assert main(["--data-dir", str(county), "backup-password"]) == 0
    assert main(["--data-dir", str(county), "backup"]) == 0
    path = Path(capsys.readouterr().out.strip().splitlines()[-1])
    _add_school(county, "恢复失败也不能丢")

    monkeypatch.setenv(BACKUP_PASSWORD_ENV, "not the password")
    assert main(["--data-dir", str(county), "restore", str(path)]) == 2
    assert "备份密码不正确" in capsys.readouterr().err
    assert "恢复失败也不能丢" in _school_names(county)
    assert list(county.glob(f"{DB_FILENAME}.replaced-*")) == []

    assert main(["--data-dir", str(county), "restore", str(county / "nowhere.gpbak")]) == 2
    assert "文件不存在" in capsys.readouterr().err


def test_restore_on_a_new_pc_stores_the_key_for_its_automatic_backups(county, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(BACKUP_PASSWORD_ENV, PASSWORD)
    assert main(["--data-dir", str(county), "backup-password"]) == 0
    assert main(["--data-dir", str(county), "backup"]) == 0
    path = Path(capsys.readouterr().out.strip().splitlines()[-1])

    new_pc = tmp_path / "new-pc"
    assert main(["--data-dir", str(new_pc), "restore", str(path)]) == 0
    out = capsys.readouterr().out
    assert "改名保留" not in out and "以后的自动备份将使用这份备份的密码" in out
    assert _school_names(new_pc) == {"克度镇中心小学"}
    assert main(["--data-dir", str(new_pc), "backup"]) == 0
    assert len(list_backups(new_pc / "backups")) == 1


def test_changing_the_password_needs_the_current_one(county, capsys, monkeypatch):
    monkeypatch.setenv(BACKUP_PASSWORD_ENV, PASSWORD)
    assert main(["--data-dir", str(county), "backup-password"]) == 0
    monkeypatch.setenv(BACKUP_PASSWORD_ENV, "另一个足够长的密码")
    monkeypatch.setenv(BACKUP_CURRENT_PASSWORD_ENV, "猜的密码不对吧")
    assert main(["--data-dir", str(county), "backup-password"]) == 2
    assert "当前备份密码不正确" in capsys.readouterr().err
    monkeypatch.setenv(BACKUP_CURRENT_PASSWORD_ENV, PASSWORD)
    assert main(["--data-dir", str(county), "backup-password"]) == 0
    assert "已有的备份仍需用原来的密码恢复" in capsys.readouterr().out
    monkeypatch.setenv(BACKUP_CURRENT_PASSWORD_ENV, "另一个足够长的密码")
    monkeypatch.setenv(BACKUP_PASSWORD_ENV, "短")
    assert main(["--data-dir", str(county), "backup-password"]) == 2
    assert "至少需要 8 个字符" in capsys.readouterr().err


def test_backup_to_an_unreachable_folder_keeps_the_backup_and_exits_2(county, tmp_path, capsys, monkeypatch):
    monkeypatch.setenv(BACKUP_PASSWORD_ENV, PASSWORD)
    assert main(["--data-dir", str(county), "backup-password"]) == 0
    missing = tmp_path / "U盘没插"
    assert main(["--data-dir", str(county), "backup", "--to", str(missing)]) == 2
    printed = capsys.readouterr()
    assert Path(printed.out.strip().splitlines()[-1]).exists()
    assert str(missing) in printed.err
