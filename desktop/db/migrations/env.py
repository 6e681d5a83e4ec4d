"""Alembic environment: migrations run on the engine the application hands over."""

from alembic import context

from desktop.db import models  # noqa: F401 - registers every table on Base.metadata
from desktop.db.base import Base

# Tables that SQLite manages for us (the FTS5 index and its shadow tables) are not in the models.
UNMODELLED_PREFIXES = ("teacher_digits",)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name.startswith(UNMODELLED_PREFIXES))


engine = context.config.attributes["engine"]
with engine.connect() as connection:
    # SQLite changes a table by copying it (batch mode); with foreign keys enforced, dropping the old
    # copy of a referenced table fails. Enforcement is switched off for the migration — the pragma
    # only takes effect outside a transaction, hence on the raw connection before anything else — and
    # the keys are checked once it is done.
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=True,  # SQLite can only ALTER by copying the table
            include_object=include_object,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"数据库升级后外键检查未通过：{broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
