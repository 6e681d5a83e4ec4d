"""Alembic for the server's database, run by whoever opens it (`serve` and every admin command)."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine

from guopei_common import migrate

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> migrate.Config:
    return migrate.alembic_config(engine, MIGRATIONS_DIR)


def upgrade_to_head(engine: Engine, revision: str = "heads") -> None:
    # "heads": independent branches (two features adding their own tables) upgrade together.
    migrate.upgrade(engine, MIGRATIONS_DIR, revision)
