"""No full ID number, phone or token reaches a log file, whatever fails (issue 14), and the files that
hold personal data are this user's only."""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
import stat
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError

from desktop.cli import main as desk
from desktop.db.backup import set_backup_password
from desktop.db.engine import create_database
from desktop.db.models import School, Teacher
from desktop.logs import LOG_FILENAME, setup_logging
from desktop.services.backups import take_backup
from guopei_common.idnumber import make_id_number

NUMBER = make_id_number(region_code="522727", birth_date=dt.date(1986, 4, 5), sequence=3, gender="2")
PHONE = "13912345678"
TOKEN = "Zk3q9vWm2Lr8Tt5Yp1Xc7Bn4Hs6Dd0Qa_-Ee"
FULL_ID = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
FULL_PHONE = re.compile(r"(?<!\d)1\d{10}(?!\d)")


def _log_text(folder: Path) -> str:
    return "\n".join(path.read_text(encoding="utf-8") for path in folder.rglob(f"{LOG_FILENAME}*"))


def test_the_failure_paths_leave_no_id_number_phone_or_token_in_the_log(tmp_path, capsys):
    from desktop.ui.errors import install_excepthook

    data_dir = tmp_path / "county"
    assert desk(["--data-dir", str(data_dir), "init", "--county", "522727"]) == 0
    logs = data_dir / "logs"

    # Import errors: a roster whose rows carry full numbers, one refused, the report unwritable.
    roster = tmp_path / "名单.csv"
    bad = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    roster.write_text(
        f"姓名,身份证号,学校/单位,手机\n王芳,{NUMBER},克度镇中心小学,{PHONE}\n李娟,{bad},克度镇中心小学,{PHONE}\n"
    )
    unwritable = tmp_path / "no-such-folder" / "sub" / "拒收.xlsx"
    desk(
        [
            "--data-dir",
            str(data_dir),
            "import",
            "teachers",
            str(roster),
            "--create-schools",
            "--report",
            str(unwritable),
        ]
    )
    capsys.readouterr()

    # A database error that quotes the row's parameters (as a failed pull did), logged by the sync code.
    db = create_database(tmp_path / "other", county_code="522727", county_name="平塘县")
    setup_logging(logs)
    try:
        with db.write() as session:
            school = School(name="克度镇中心小学", county_code="522727")
            session.add(school)
            session.flush()
            for _ in range(2):
                session.add(
                    Teacher(
                        name="王芳",
                        id_number=NUMBER,
                        gender="2",
                        birth_date=dt.date(1986, 4, 5),
                        school_id=school.id,
                        phone=PHONE,
                    )
                )
            session.flush()
    except IntegrityError as error:
        assert NUMBER in str(error) and PHONE in str(error)  # the text itself holds them
        logging.getLogger("desktop.sync.client").exception("pull failed: %s (token=%s)", error, TOKEN)
    finally:
        db.dispose()

    # Sync errors: the province cannot be reached (nothing registered, no server).
    assert desk(["--data-dir", str(data_dir), "sync"]) == 2
    setup_logging(logs)
    logging.getLogger("desktop.sync.client").warning("推送失败：%s", f"Authorization: Bearer {TOKEN}")

    # The crash dialog: an uncaught exception whose message quotes a teacher.
    shown: list[BaseException] = []
    previous = sys.excepthook
    install_excepthook(logs / LOG_FILENAME, present=shown.append)
    try:
        error = RuntimeError(f"无法处理 {NUMBER}（手机 {PHONE}）")
        sys.excepthook(RuntimeError, error, error.__traceback__)
    finally:
        sys.excepthook = previous
    assert shown == [error]

    text = _log_text(logs)
    assert "uncaught exception" in text and "pull failed" in text  # the paths did log
    assert NUMBER[:4] + "**********" + NUMBER[-4:] in text and PHONE[:3] + "****" + PHONE[-4:] in text
    assert FULL_ID.findall(text) == [] and FULL_PHONE.findall(text) == []
    assert TOKEN not in text


@pytest.mark.skipif(os.name != "posix", reason="modes are a POSIX matter; Windows keeps them in the profile")
def test_database_backups_and_logs_are_this_users_only(tmp_path):
    old = os.umask(0o022)
    try:
        data_dir = tmp_path / "county"
        db = create_database(data_dir, county_code="522727", county_name="平塘县")
        log_path = setup_logging(data_dir / "logs")
        logging.getLogger("test").warning("written")
        set_backup_password(data_dir, "backup-secret-1")
        outcome = take_backup(db)
        db.dispose()
    finally:
        os.umask(old)

    def mode(path: Path) -> int:
        return stat.S_IMODE(path.stat().st_mode)

    assert mode(data_dir) == 0o700 and mode(data_dir / "guopei.sqlite3") == 0o600
    assert mode(log_path.parent) == 0o700 and mode(log_path) == 0o600
    assert mode(outcome.path.parent) == 0o700 and mode(outcome.path) == 0o600
