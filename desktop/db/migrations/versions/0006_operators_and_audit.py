"""operators, roles and the audit trail (issue 14)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02

Operator accounts (name, role, scrypt hash, failed logins, lock), and the audit log's columns for who
(role, device), whose record (teacher, entity, row) and the id it travels to the province under.
"""

import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEW_AUDIT_COLUMNS = ("role", "device_id", "teacher_id", "entity", "row_id")


def upgrade() -> None:
    op.create_table(
        "operators",
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=300), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_operators")),
    )
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.add_column(sa.Column("id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("role", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("device_id", sa.String(length=36), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("teacher_id", sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column("entity", sa.String(length=40), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("row_id", sa.String(length=36), nullable=False, server_default=""))
    connection = op.get_bind()
    for (seq,) in connection.execute(sa.text("SELECT seq FROM audit_log")).all():
        connection.execute(
            sa.text("UPDATE audit_log SET id = :id WHERE seq = :seq"), {"id": str(uuid.uuid4()), "seq": seq}
        )
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.alter_column("id", existing_type=sa.String(length=36), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_audit_log_id"), ["id"])
        batch_op.create_index(op.f("ix_audit_log_at"), ["at"])
        batch_op.create_index(op.f("ix_audit_log_action"), ["action"])
        batch_op.create_index(op.f("ix_audit_log_teacher_id"), ["teacher_id"])


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch_op:
        batch_op.drop_index(op.f("ix_audit_log_teacher_id"))
        batch_op.drop_index(op.f("ix_audit_log_action"))
        batch_op.drop_index(op.f("ix_audit_log_at"))
        batch_op.drop_constraint(op.f("uq_audit_log_id"), type_="unique")
        batch_op.drop_column("id")
        for column in _NEW_AUDIT_COLUMNS:
            batch_op.drop_column(column)
    op.drop_table("operators")
