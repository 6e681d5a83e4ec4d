"""An operation says what it changed, read from the session: the caller never types the list."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import insert, select, update

from desktop import settings
from desktop.db import setting_values
from desktop.db.models import Project, Setting, Teacher
from desktop.db.outbox import insert_synced_rows
from desktop.services import projects, unit_of_work
from desktop.services.unit_of_work import Changes
from guopei_common.vocab import ProjectStatus


def test_a_status_change_reports_its_table_and_the_outbox(writable_demo):
    with writable_demo.read() as session:
        project_id = session.scalar(
            select(Project.id).where(Project.owner == "county", Project.status == ProjectStatus.DRAFT.value)
        )
    done = unit_of_work.change(writable_demo, projects.set_status, project_id, ProjectStatus.PUBLISHED)
    assert done.value is None
    assert done.changes.tables == {"projects", "outbox"}


def test_a_local_setting_changes_no_synced_table(writable_demo):
    done = unit_of_work.change(writable_demo, setting_values.store, settings.ATTENDANCE_GRACE_MINUTES, 5)
    assert done.changes.tables == {"settings"}
    assert not done.changes.touches("outbox", "projects")


def test_nothing_written_reports_nothing(writable_demo):
    done = unit_of_work.change(writable_demo, lambda session: session.scalar(select(Setting.key)))
    assert not done.changes
    assert done.changes == Changes()


def test_bulk_statements_and_rows_without_orm_objects_are_seen(writable_demo):
    def work(session) -> None:
        session.execute(update(Setting).where(Setting.key == "none").values(value=1))
        school_id = session.scalar(select(Teacher.school_id))
        insert_synced_rows(
            session,
            Teacher,
            [
                {
                    "id_number": "110101199003074514",
                    "name": "测试",
                    "gender": "1",
                    "birth_date": dt.date(1990, 3, 7),
                    "school_id": school_id,
                }
            ],
        )

    done = unit_of_work.change(writable_demo, work)
    assert done.changes.tables == {"settings", "teachers", "outbox"}


def test_a_refused_change_is_rolled_back(writable_demo):
    def work(session) -> None:
        session.add(Setting(key="half", value=1))
        session.flush()
        raise RuntimeError("refused")

    with pytest.raises(RuntimeError):
        unit_of_work.change(writable_demo, work)
    assert unit_of_work.read(writable_demo, lambda s: s.get(Setting, "half")) is None


def test_work_of_many_transactions_reports_every_table_it_wrote(writable_demo):
    """A sync opens transactions of its own and writes pulled rows straight on the connection."""

    def sync_like() -> str:
        with writable_demo.write() as session:
            session.connection().execute(insert(Setting.__table__).values(key="pulled", value=1))
        with writable_demo.write() as session:
            session.execute(update(Project).where(Project.code == "none").values(name="x"))
        return "done"

    done = unit_of_work.across(sync_like)
    assert done.value == "done"
    assert done.changes.tables == {"settings", "projects"}
    # Outside the block nothing is collected any more.
    assert unit_of_work.across(lambda: None).changes == Changes()
