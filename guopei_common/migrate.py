"""Alembic, run from inside the application (no alembic.ini): the county's and the province's databases
are upgraded by whoever opens them, each with its own migrations directory.

Alembic is imported only when a migration runs: loading its machinery costs about 0.4 s, and the
county app starts far more often than its schema changes (desktop.db.migrate checks the revision
without it)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine

if TYPE_CHECKING:
    from alembic.config import Config


def alembic_config(engine: Engine, migrations_dir: Path) -> Config:
    """Alembic's configuration in code: migrations in `migrations_dir`, run on `engine`."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.attributes["engine"] = engine
    return config


def upgrade(engine: Engine, migrations_dir: Path, revision: str) -> None:
    from alembic import command

    command.upgrade(alembic_config(engine, migrations_dir), revision)
