"""A database made by the first release opens, upgraded, in this one with its data intact."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from desktop.db.base import Base
from desktop.db.engine import DB_FILENAME, create_sqlite_engine, open_database
from desktop.db.migrate import alembic_config, upgrade_to_head

FIRST_REVISION = "0001"


def test_first_revision_database_upgrades_with_data_intact(tmp_path):
    engine = create_sqlite_engine(tmp_path / DB_FILENAME)
    upgrade_to_head(engine, FIRST_REVISION)
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO device (id, county_code, county_name, created_at, last_hlc) "
                "VALUES ('dev-1', '522727', '平塘县', '2026-01-01 08:00:00', '')"
            )
        )
        connection.execute(
            text(
                "INSERT INTO schools (id, hlc, origin, deleted, code, name, county_code, township, is_rural,"
                " stage, in_sanqu_sanzhou, in_contiguous_poverty_area) VALUES"
                " ('s-1', 'h', 'dev-1', 0, '2152272701', '克度镇中心小学', '522727', '克度镇', 1, '', 0, 1)"
            )
        )
        connection.execute(
            text(
                "INSERT INTO teachers (id, hlc, origin, deleted, id_number, name, gender, birth_date,"
                " ethnicity, school_id, stage, subject, title, role, backbone_level, phone, work_start_year,"
                " employment_status, emergency_contact, emergency_phone, note) VALUES"
                " ('t-1', 'h', 'dev-1', 0, '11010519491231002X', '刘䶮', '2', '1949-12-31', '01', 's-1',"
                " '', '', '', 'teacher', 'none', '', 1970, 'active', '', '', '')"
            )
        )
    engine.dispose()

    db = open_database(tmp_path)  # upgrades to head on open
    with db.engine.connect() as connection:
        version = connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        teacher = connection.execute(text("SELECT name, id_number, school_id FROM teachers")).one()
        school = connection.execute(text("SELECT name, in_contiguous_poverty_area FROM schools")).one()
    head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    assert version == head
    assert tuple(teacher) == ("刘䶮", "11010519491231002X", "s-1")
    with db.engine.connect() as connection:
        search = connection.execute(
            text("SELECT given_name, name_pinyin, name_initials, name_sort FROM teachers")
        ).one()
        by_digits = connection.execute(
            text("SELECT rowid FROM teacher_digits WHERE teacher_digits MATCH '\"1231002\"'")
        ).all()
    # 0002 back-filled the search columns and indexed the existing ID number.
    assert tuple(search) == ("䶮", "liuyan", "ly", "liu yan")
    assert len(by_digits) == 1
    assert tuple(school) == ("克度镇中心小学", 1)
    assert db.device.county_name == "平塘县"
    db.dispose()


def test_migrations_build_exactly_the_models_schema(tmp_path):
    engine = create_sqlite_engine(tmp_path / DB_FILENAME)
    upgrade_to_head(engine)
    inspector = inspect(engine)
    for table in Base.metadata.sorted_tables:
        columns = {column["name"] for column in inspector.get_columns(table.name)}
        assert columns == {column.name for column in table.columns}, table.name
    engine.dispose()


def test_a_full_county_goes_down_and_back_up_with_every_row(demo_dir, tmp_path):
    """Batch migrations copy tables; with a full county referencing them, nothing may be lost."""
    import shutil

    shutil.copytree(demo_dir, tmp_path / "county")
    path = tmp_path / "county" / DB_FILENAME
    counts_sql = (
        "SELECT (SELECT count(*) FROM projects), (SELECT count(*) FROM enrollments),"
        " (SELECT count(*) FROM attendance)"
    )
    engine = create_sqlite_engine(path)
    with engine.connect() as connection:
        before = tuple(connection.execute(text(counts_sql)).one())
    from alembic import command

    command.downgrade(alembic_config(engine), "0003")
    engine.dispose()
    db = open_database(tmp_path / "county")  # upgrades to head again
    with db.engine.connect() as connection:
        assert tuple(connection.execute(text(counts_sql)).one()) == before
        assert connection.execute(text("PRAGMA foreign_key_check")).all() == []
        assert connection.execute(text("PRAGMA foreign_keys")).scalar() == 1
    db.dispose()


def test_the_head_read_from_the_scripts_is_alembics(tmp_path):
    """open_database decides whether a migration is due without importing Alembic."""
    from desktop.db.migrate import current_revision, head_revision

    engine = create_sqlite_engine(tmp_path / DB_FILENAME)
    assert current_revision(engine) is None  # a new file
    assert head_revision() == ScriptDirectory.from_config(alembic_config(engine)).get_current_head()
    upgrade_to_head(engine, FIRST_REVISION)
    assert current_revision(engine) == FIRST_REVISION
    engine.dispose()
