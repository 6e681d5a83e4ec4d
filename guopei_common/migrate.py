"""Alembic, run from inside the application (no alembic.ini): the county's and the province's databases
are upgraded by whoever opens them, each with its own migrations directory."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine


def alembic_config(engine: Engine, migrations_dir: Path) -> Config:
    """Alembic's configuration in code: migrations in `migrations_dir`, run on `engine`."""
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, migrations_dir: Path, revision: str) -> None:
    command.upgrade(alembic_config(engine, migrations_dir), revision)
