"""A real county's first day from the command line: `init --county`, the first roster import, and one
program per data directory."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import time

import openpyxl
import pytest
from sqlalchemy import func, select

from desktop.cli import main
from desktop.db.engine import DB_FILENAME, open_database
from desktop.db.instance_lock import LOCK_FILENAME, CountyAlreadyOpen, InstanceLock
from desktop.db.models import School, Teacher
from desktop.services.county_setup import centre_name
from guopei_common.idnumber import make_id_number


def roster_file(path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["姓名", "身份证号", "性别", "学校", "学段", "学科"])
    for day, (name, school) in enumerate([("罗春燕", "克度镇中心小学"), ("王丽", "通州镇中学")], start=1):
        birth = dt.date(1985, 3, day)
        number = make_id_number(region_code="522727", birth_date=birth, sequence=1, gender="2")
        sheet.append([name, number, "女", school, "小学", "语文"])
    workbook.save(path)
    return path


def test_init_county_builds_an_empty_county_that_the_roster_import_fills(tmp_path, capsys, qtbot):
    county = tmp_path / "county"
    assert main(["--data-dir", str(county), "init", "--county", "522727"]) == 0
    assert "平塘县（522727）" in capsys.readouterr().out

    db = open_database(county)
    with db.read() as session:
        assert (db.device.county_code, db.device.county_name) == ("522727", "平塘县")
        assert session.scalar(select(func.count()).select_from(Teacher)) == 0
        assert centre_name(session, db.device.county_name) == "平塘县教师发展中心"
    db.dispose()

    file = roster_file(tmp_path / "名单.xlsx")
    assert main(["--data-dir", str(county), "import", "teachers", str(file), "--create-schools"]) == 0

    from desktop.ui.context import AppContext
    from desktop.ui.main_window import MainWindow

    db = open_database(county)
    window = MainWindow(AppContext(db))
    qtbot.addWidget(window)
    window.show_page("teachers")
    assert window.pages["teachers"].model.rowCount() == 2
    assert "平塘县" in window.windowTitle()
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(School)) == 2
    db.dispose()


def test_init_refuses_a_folder_that_holds_a_county_and_changes_nothing(tmp_path, capsys):
    centre = ["--centre", "平塘县教师进修学校"]
    assert main(["--data-dir", str(tmp_path), "init", "--county", "522727", *centre]) == 0
    before = (tmp_path / DB_FILENAME).read_bytes()
    assert main(["--data-dir", str(tmp_path), "init", "--county", "522728"]) == 2
    assert "已有县区数据" in capsys.readouterr().err
    assert (tmp_path / DB_FILENAME).read_bytes() == before
    db = open_database(tmp_path)
    with db.read() as session:
        assert centre_name(session, db.device.county_name) == "平塘县教师进修学校"
    db.dispose()


def test_an_unknown_county_is_refused_with_the_nearest_names(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path / "c"), "init", "--county", "522799"]) == 2
    err = capsys.readouterr().err
    assert "没有“522799”" in err and "522727 贵州省黔南布依族苗族自治州平塘县" in err
    assert not (tmp_path / "c" / DB_FILENAME).exists()


def test_a_second_program_on_the_same_folder_is_told_who_has_it_open(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "init", "--county", "522727"]) == 0
    # The real window, in its own process, as a class teacher would have it open.
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    window = subprocess.Popen([sys.executable, "-m", "desktop.cli", "--data-dir", str(tmp_path)], env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            text = (tmp_path / LOCK_FILENAME).read_text(encoding="utf-8").strip()
            if "程序窗口" in text:
                break
            assert window.poll() is None, "the window exited early"
            time.sleep(0.2)
        assert json.loads(text)["what"] == "程序窗口"
        file = roster_file(tmp_path / "名单.xlsx")
        capsys.readouterr()
        assert main(["--data-dir", str(tmp_path), "import", "teachers", str(file), "--create-schools"]) == 2
        err = capsys.readouterr().err
        assert "已被打开：程序窗口" in err and str(os.getpid()) not in err
        # Reading is allowed beside the window.
        assert main(["--data-dir", str(tmp_path), "verify", "not-a-certificate"]) == 1
    finally:
        window.kill()
        window.wait()
    # The lock dies with its process: nothing stale is left to clear by hand.
    assert main(["--data-dir", str(tmp_path), "import", "teachers", str(file), "--create-schools"]) == 0


def test_the_lock_is_taken_once_per_folder(tmp_path):
    with InstanceLock(tmp_path, what="程序窗口"):
        with pytest.raises(CountyAlreadyOpen, match="程序窗口"):
            InstanceLock(tmp_path, what="命令 guopei-desk import").acquire()
        InstanceLock(tmp_path / "other", what="程序窗口").acquire().release()
    InstanceLock(tmp_path, what="命令 guopei-desk import").acquire().release()
