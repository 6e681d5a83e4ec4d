"""The county database's migrations: upgraded on every start."""

from __future__ import annotations

from sqlalchemy import Engine

from desktop.resources import package_path
from guopei_common import migrate

MIGRATIONS_DIR = package_path("db", "migrations")


def alembic_config(engine: Engine) -> migrate.Config:
    return migrate.alembic_config(engine, MIGRATIONS_DIR)


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    migrate.upgrade(engine, MIGRATIONS_DIR, revision)
