"""The server's migrations build exactly the tables its models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from server.db import Base, create_server_engine
from tests.sync.conftest import BACKENDS, server_database


@pytest.mark.parametrize("backend", BACKENDS)
def test_migrations_match_the_models(backend: str, tmp_path: Path) -> None:
    with server_database(backend, tmp_path) as db:
        engine = create_server_engine(db)
        try:
            with engine.connect() as connection:
                differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
                counter = connection.execute(text("SELECT value FROM change_counter WHERE id = 1")).scalar()
            # Opening it again (a second server process, an admin command) finds nothing to do.
            create_server_engine(db).dispose()
        finally:
            engine.dispose()
    assert differences == []
    assert counter == 0
