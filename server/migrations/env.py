"""Alembic environment of the server: migrations run on the engine the caller hands over."""

from alembic import context
from sqlalchemy import text

from server.db import Base

# Any constant: the key of the PostgreSQL advisory lock that serialises migrations, so that several
# server processes starting at once do not race to create the same tables.
MIGRATION_LOCK = 7_312_001

engine = context.config.attributes["engine"]
with engine.connect() as connection:
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
    try:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=not postgres,  # SQLite can only ALTER by copying the table
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()
    finally:
        if postgres:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()
