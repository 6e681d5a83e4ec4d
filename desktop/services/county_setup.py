"""Starting a real county without the province: the database for one GB/T 2260 county, and the name of
the centre that runs it (printed on notices and certificates' issuer line)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from desktop import settings
from desktop.db.engine import DB_FILENAME, Database, create_database
from desktop.db.models import Setting
from desktop.domain.divisions import find_county
from desktop.domain.roles import Permission
from desktop.errors import UserInputError
from desktop.services import access

CENTRE_NAME_KEY = settings.CENTRE_NAME.key


class CountyExists(UserInputError):
    def __init__(self, path: Path) -> None:
        super().__init__(
            f"数据目录 {path.parent} 中已有县区数据，没有做任何改动。"
            "与省级平台同步请运行 guopei-desk sync；数据库损坏时可运行 guopei-desk rebuild 从省级平台重建；"
            "如需另建一个县，请另选数据目录（--data-dir）。"
        )


def default_centre_name(county_name: str) -> str:
    return f"{county_name}教师发展中心"


def init_county(data_dir: Path, county_query: str, *, centre_name: str = "") -> Database:
    """Create the empty database of the county named by its code (or exact name) in `data_dir`.

    Refuses a directory that already holds a county, and an unknown county (with the nearest names),
    before anything is written."""
    path = data_dir / DB_FILENAME
    if path.exists():
        raise CountyExists(path)
    county = find_county(county_query)
    db = create_database(data_dir, county_code=county.code, county_name=county.name)
    with db.write() as session:
        set_centre_name(session, centre_name.strip() or default_centre_name(county.name))
    return db


def centre_name(session: Session, county_name: str) -> str:
    setting = session.get(Setting, CENTRE_NAME_KEY)
    return str(setting.value) if setting is not None else default_centre_name(county_name)


def set_centre_name(session: Session, name: str) -> None:
    access.require(session, Permission.POLICY)
    if not name.strip():
        raise UserInputError("请填写培训机构名称，如“平塘县教师发展中心”")
    setting = session.get(Setting, CENTRE_NAME_KEY)
    if setting is None:
        session.add(Setting(key=CENTRE_NAME_KEY, value=name.strip()))
    else:
        setting.value = name.strip()
