"""A full disk or a read-only folder under the county database: a plain Chinese message that names the
cause and the folder, and nothing half-written (the transaction is rolled back)."""

from __future__ import annotations

import subprocess

import pytest
from sqlalchemy import func, select

from desktop.cli import main
from desktop.db.engine import create_database, open_database
from desktop.db.models import School
from desktop.errors import StorageFailure


def count_schools(db) -> int:
    with db.read() as session:
        return session.scalar(select(func.count()).select_from(School))


def test_a_full_disk_is_named_and_the_refused_change_leaves_nothing(tmp_path, tiny_mount):
    folder = tmp_path / "county"
    tiny_mount(folder, "size=1m")
    db = create_database(folder, county_code="522727", county_name="平塘县")
    with db.write() as session:
        session.add(School(name="平塘县第一中学", county_code="522727", township="平舟镇"))
    with pytest.raises(StorageFailure) as caught, db.write() as session:
        # One transaction larger than the disk: it fails, and none of it may stay.
        session.add_all(
            School(name=f"学校{i}" + "校" * 200, county_code="522727", township="平舟镇") for i in range(3000)
        )
    assert caught.value.cause == "disk_full"
    assert "磁盘空间已满" in str(caught.value) and str(folder) in str(caught.value)
    assert "没有写入" in str(caught.value)
    assert count_schools(db) == 1
    db.dispose()


def test_a_county_that_does_not_fit_on_the_disk_leaves_no_file(tmp_path, tiny_mount):
    folder = tmp_path / "county"
    tiny_mount(folder, "size=64k")
    with pytest.raises(StorageFailure, match="磁盘空间已满"):
        create_database(folder, county_code="522727", county_name="平塘县")
    assert list(folder.iterdir()) == []


def test_a_read_only_folder_is_named_not_taken_for_damage(tmp_path, tiny_mount, capsys):
    folder = tmp_path / "county"
    tiny_mount(folder, "size=8m")
    db = create_database(folder, county_code="522727", county_name="平塘县")
    db.dispose()
    remounted = subprocess.run(["mount", "-o", "remount,ro", str(folder)], capture_output=True, check=False)
    if remounted.returncode != 0:
        pytest.skip("cannot remount read-only here")
    assert main(["--data-dir", str(folder), "policy", "--guopei-limit", "2"]) == 2
    err = capsys.readouterr().err
    assert "只读" in err and str(folder) in err
    assert "意外错误" not in err
    # Never mistaken for a damaged database (which would send the person to restore over a sound file).
    with pytest.raises(StorageFailure, match="只读"):
        open_database(folder)
