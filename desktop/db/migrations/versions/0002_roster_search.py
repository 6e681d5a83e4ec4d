"""roster search: name pinyin columns, trigram index of ID and phone digits, audit log

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from desktop.domain.pinyin import name_pinyin, split_name

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIST_ORDER_COLUMNS = ("name_sort", "name", "id_number", "employment_status", "deleted", "id")
SEARCH_COLUMNS = (("given_name", 50), ("name_pinyin", 200), ("name_initials", 50), ("name_sort", 250))

# An external-content FTS5 table over teachers' ID numbers and phones, kept current by triggers;
# the trigram tokenizer answers digit substrings of three or more characters without a table scan.
FTS_STATEMENTS = (
    "CREATE VIRTUAL TABLE teacher_digits USING fts5("
    "id_number, phone, content='teachers', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER teacher_digits_ai AFTER INSERT ON teachers BEGIN "
    "INSERT INTO teacher_digits(rowid, id_number, phone) VALUES (new.rowid, new.id_number, new.phone); END",
    "CREATE TRIGGER teacher_digits_ad AFTER DELETE ON teachers BEGIN "
    "INSERT INTO teacher_digits(teacher_digits, rowid, id_number, phone) "
    "VALUES ('delete', old.rowid, old.id_number, old.phone); END",
    "CREATE TRIGGER teacher_digits_au AFTER UPDATE OF id_number, phone ON teachers BEGIN "
    "INSERT INTO teacher_digits(teacher_digits, rowid, id_number, phone) "
    "VALUES ('delete', old.rowid, old.id_number, old.phone); "
    "INSERT INTO teacher_digits(rowid, id_number, phone) VALUES (new.rowid, new.id_number, new.phone); END",
    "INSERT INTO teacher_digits(teacher_digits) VALUES ('rebuild')",
)


def upgrade() -> None:
    with op.batch_alter_table("teachers") as batch_op:
        for name, length in SEARCH_COLUMNS:
            batch_op.add_column(sa.Column(name, sa.String(length), nullable=False, server_default=""))
            batch_op.create_index(f"ix_teachers_{name}", [name], unique=False)
        batch_op.create_index("ix_teachers_list_order", list(LIST_ORDER_COLUMNS), unique=False)

    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, name FROM teachers")).all()
    if rows:
        values = []
        for teacher_id, name in rows:
            reading = name_pinyin(name)
            values.append(
                {
                    "id": teacher_id,
                    "g": split_name(name)[1],
                    "p": reading.full,
                    "i": reading.initials,
                    "s": reading.sort_key,
                }
            )
        connection.execute(
            sa.text(
                "UPDATE teachers SET given_name = :g, name_pinyin = :p, name_initials = :i, name_sort = :s"
                " WHERE id = :id"
            ),
            values,
        )
    for statement in FTS_STATEMENTS:
        op.execute(statement)

    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=50), nullable=False),
        sa.Column("action", sa.String(length=50), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_log")),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    for trigger in ("teacher_digits_ai", "teacher_digits_ad", "teacher_digits_au"):
        op.execute(f"DROP TRIGGER {trigger}")
    op.execute("DROP TABLE teacher_digits")
    with op.batch_alter_table("teachers") as batch_op:
        batch_op.drop_index("ix_teachers_list_order")
        for name, _length in SEARCH_COLUMNS:
            batch_op.drop_index(f"ix_teachers_{name}")
            batch_op.drop_column(name)
