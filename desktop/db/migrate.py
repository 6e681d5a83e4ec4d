"""Alembic, run from inside the application: the database is upgraded on every start."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from desktop.resources import package_path

MIGRATIONS_DIR = package_path("db", "migrations")


def alembic_config(engine: Engine, migrations_dir: Path = MIGRATIONS_DIR) -> Config:
    """Alembic's configuration in code (no alembic.ini): migrations in `migrations_dir`, run on `engine`
    (the provincial server uses this with its own migrations)."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["engine"] = engine
    return config


def upgrade_to_head(engine: Engine, revision: str = "head") -> None:
    command.upgrade(alembic_config(engine), revision)
