"""The county database's migrations: upgraded on every start where one is due.

Whether one is due is found without Alembic (desktop.db.engine imports it only then): the file's
revision from its `alembic_version` table, the newest from the migration scripts' own lines."""

from __future__ import annotations

import re
from functools import cache

from sqlalchemy import Engine
from sqlalchemy.exc import OperationalError

from desktop.resources import package_path
from guopei_common import migrate

MIGRATIONS_DIR = package_path("db", "migrations")
_REVISION = re.compile(r"^revision(?:\s*:\s*str)?\s*=\s*[\"'](\w+)[\"']", re.MULTILINE)
_DOWN_REVISION = re.compile(r"^down_revision(?:\s*:[^=\n]+)?\s*=\s*[\"'](\w+)[\"']", re.MULTILINE)


def alembic_config(engine: Engine) -> migrate.Config:
    return migrate.alembic_config(engine, MIGRATIONS_DIR)


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    migrate.upgrade(engine, MIGRATIONS_DIR, revision)


@cache
def head_revision() -> str:
    """The newest revision: the one no other script names as its down_revision (the chain is linear)."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = script.read_text(encoding="utf-8")
        if found := _REVISION.search(text):
            revisions.add(found.group(1))
        if found := _DOWN_REVISION.search(text):
            parents.add(found.group(1))
    heads = revisions - parents
    if len(heads) != 1:
        raise RuntimeError(f"迁移脚本应当只有一个最新版本，找到：{sorted(heads)}")
    return heads.pop()


def current_revision(engine: Engine) -> str | None:
    """The revision the file is at; None for a file Alembic never stamped."""
    with engine.execution_options(readonly=True).connect() as connection:
        try:
            return connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        except OperationalError:
            return None  # no such table
