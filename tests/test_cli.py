"""The `guopei-desk` command, run in-process with real folders."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QImage

from desktop.cli import main
from desktop.db.engine import DB_FILENAME


def test_demo_no_gui_builds_a_county_and_logs(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "demo", "--no-gui", "--teachers", "50"]) == 0
    assert (tmp_path / DB_FILENAME).exists()
    assert (tmp_path / "logs" / "guopei-desk.log").exists()
    assert "演示县已建立" in capsys.readouterr().out


def test_demo_refuses_to_overwrite_a_named_folder_without_replace(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "demo", "--no-gui", "--teachers", "50"]) == 0
    assert main(["--data-dir", str(tmp_path), "demo", "--no-gui", "--teachers", "50"]) == 2
    assert "--replace" in capsys.readouterr().err
    assert main(["--data-dir", str(tmp_path), "demo", "--no-gui", "--teachers", "50", "--replace"]) == 0


@pytest.mark.slow
def test_screenshot_renders_every_page_at_the_asked_size(demo_dir, tmp_path, capsys):
    out = tmp_path / "shots"
    assert main(["--data-dir", str(demo_dir), "screenshot", "--out", str(out), "--size", "1366x768"]) == 0
    written = sorted(out.glob("*.png"))
    assert written[0].name == "01-dashboard.png"
    image = QImage(str(written[0]))
    assert (image.width(), image.height()) == (1366, 768)


def test_missing_database_is_a_clear_message_not_a_traceback(tmp_path, capsys):
    assert main(["--data-dir", str(tmp_path), "export", "teachers", str(tmp_path / "t.xlsx")]) == 2
    assert "guopei-desk init --county" in capsys.readouterr().err


def test_screenshot_of_a_pc_without_a_county_shows_the_first_start_steps(tmp_path, capsys):
    out = tmp_path / "shots"
    new_pc = str(tmp_path / "new-pc")
    assert main(["--data-dir", new_pc, "screenshot", "--out", str(out), "--size", "1024x640"]) == 0
    names = [path.name for path in sorted(out.glob("*.png"))]
    assert names == [
        "01-first-start-choices.png",
        "02-first-start-connect.png",
        "03-first-start-offline.png",
        "04-first-start-restore.png",
    ]
    assert QImage(str(out / names[0])).width() == 1024
    assert not (tmp_path / "new-pc" / DB_FILENAME).exists()


def test_eligibility_prints_every_reason_and_exits_by_the_decision(demo_dir, capsys):
    from sqlalchemy import select

    from desktop.db.engine import open_database
    from desktop.db.models import Enrollment, Project, Teacher

    db = open_database(demo_dir)
    with db.read() as session:
        # Someone already in a project cannot apply to it again: a sure refusal.
        teacher, project = session.execute(
            select(Teacher.id_number, Project.code)
            .join(Enrollment, Enrollment.teacher_id == Teacher.id)
            .join(Project, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "applied")
        ).first()
    db.dispose()
    assert main(["--data-dir", str(demo_dir), "eligibility", "--teacher", teacher, "--project", project]) == 1
    out = capsys.readouterr().out
    assert "结论：不符合参训条件" in out and "✗ 已报名本项目" in out
    assert teacher not in out  # the ID number is masked
    assert (
        main(["--data-dir", str(demo_dir), "eligibility", "--teacher", teacher, "--project", "NO-SUCH"]) == 2
    )
    assert "没有编号为“NO-SUCH”的项目" in capsys.readouterr().err


def test_policy_switches_are_set_and_shown(tmp_path, capsys, monkeypatch):
    assert main(["--data-dir", str(tmp_path), "demo", "--no-gui", "--teachers", "50"]) == 0
    capsys.readouterr()
    # The demo county has accounts: a policy change needs its administrator.
    monkeypatch.setenv("GUOPEI_DESK_PASSWORD", "demo1234")
    admin = ["--user", "演示管理员"]
    assert (
        main(
            [
                "--data-dir",
                str(tmp_path),
                *admin,
                "policy",
                "--offline-training",
                "suspended",
                "--guopei-limit",
                "2",
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "暂停线下集中培训：是" in out and "每 3 年最多 2 次" in out
    assert main(["--data-dir", str(tmp_path), *admin, "policy", "--cycle-years", "0"]) == 2


def test_verify_exits_by_the_verdict(tmp_path, capsys):
    import datetime as dt

    from sqlalchemy import select

    from desktop.db.engine import open_database
    from desktop.db.models import Certificate, Enrollment
    from desktop.services import accounts, certificates

    assert main(["--data-dir", str(tmp_path), "demo", "--no-gui", "--teachers", "50"]) == 0
    db = open_database(tmp_path)
    accounts.login(db, "演示培训管理员", "demo1234")  # the demo county has accounts
    with db.write() as session:
        project_id = session.scalar(select(Enrollment.project_id).where(Enrollment.status == "completed"))
        certificate_id = certificates.issue_for_project(
            session, project_id, county_code="522727", issued_on=dt.date(2026, 12, 1)
        )[0]
        code = session.get(Certificate, certificate_id).verification_code
    db.dispose()
    capsys.readouterr()
    assert main(["--data-dir", str(tmp_path), "verify", code]) == 0
    out = capsys.readouterr().out
    assert "核验结果：有效" in out and "**********" in out
    assert main(["--data-dir", str(tmp_path), "verify", code[:-3] + "AAA"]) == 1
    assert "核验结果：签名无效" in capsys.readouterr().out


@pytest.mark.slow
def test_certificates_and_transcript_commands(demo_dir, tmp_path, capsys):
    import shutil
    import subprocess

    from sqlalchemy import func, select

    from desktop.db.engine import open_database
    from desktop.db.models import CreditEntry, Enrollment, Project, Teacher

    county = tmp_path / "county"
    shutil.copytree(demo_dir, county)
    db = open_database(county)
    with db.read() as session:
        code = session.scalar(
            select(Project.code)
            .join(Enrollment, Enrollment.project_id == Project.id)
            .where(Enrollment.status == "completed")
            .group_by(Project.id)
            .order_by(func.count().desc())
        )
        id_number = session.scalar(
            select(Teacher.id_number)
            .join(CreditEntry, CreditEntry.teacher_id == Teacher.id)
            .where(CreditEntry.status == "approved")
        )
    db.dispose()
    capsys.readouterr()
    assert (
        main(["--data-dir", str(county), "certificates", "--project", code, "--out", str(tmp_path / "out")])
        == 0
    )
    assert "新签发" in capsys.readouterr().out
    pdf = next((tmp_path / "out").glob("*.pdf"))
    pages = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    assert "Pages:" in pages
    out = tmp_path / "证明.pdf"
    assert main(["--data-dir", str(county), "transcript", "--teacher", id_number, "--out", str(out)]) == 0
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "学时学分证明" in text.replace(" ", "")
