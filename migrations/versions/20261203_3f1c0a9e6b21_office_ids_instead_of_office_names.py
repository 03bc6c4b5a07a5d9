"""office ids instead of office names; refund idempotency keys; asserted organisations

Applications, Postfach threads and form versions named their office by a text (the office's
URL name, or whatever a form definition said). They now hold the office's id. Each existing
name is looked up by the office's URL name, then by its key in its source; a name that matches
no office or several stops the migration with the rows it could not map, so no case silently
loses its office.

Revision ID: 3f1c0a9e6b21
Revises: 1707a2a929bb
Create Date: 2026-12-03 09:30:00

"""

import json

import sqlalchemy as sa
from alembic import op

revision = "3f1c0a9e6b21"
down_revision = "1707a2a929bb"
branch_labels = None
depends_on = None

OFFICE_FK = {"ondelete": "RESTRICT"}


class UnmappedOfficeError(RuntimeError):
    pass


def _office_ids(connection):
    """name → office id: by URL name first (what the rows stored), then by source key; a name
    that matches several offices is left out (and so reported)."""
    rows = connection.execute(
        sa.text("SELECT id, slug, source_id, published FROM catalog_office ORDER BY id")
    ).all()
    found = {}
    for column in ("slug", "source_id"):
        groups = {}
        for row in rows:
            groups.setdefault(getattr(row, column), []).append(row)
        for name, matches in groups.items():
            published = [m for m in matches if m.published] or matches
            if name not in found and len(published) == 1:
                found[name] = published[0].id
    return found


def _planned(connection):
    """(table, row id, office id) for every row that names an office; raises before any
    change when a name matches no office or several."""
    ids = _office_ids(connection)
    rows = []
    for table in ("application", "postfach_thread"):
        for row_id, name in connection.execute(
            sa.text(f"SELECT id, office FROM {table}")  # noqa: S608
        ).all():
            rows.append((table, row_id, name))
    for row_id, definition in connection.execute(
        sa.text("SELECT id, definition FROM form_version")
    ).all():
        data = json.loads(definition) if isinstance(definition, str) else definition
        rows.append(("form_version", row_id, str((data or {}).get("office", ""))))
    # A thread must have an office; an application or form version without one keeps none.
    unmapped = [
        f"{t} {i}: „{name}“"
        for t, i, name in rows
        if (name or t == "postfach_thread") and name not in ids
    ]
    if unmapped:
        raise UnmappedOfficeError(
            "Diese Zeilen nennen ein Amt, das es nicht (oder mehrfach) gibt; bitte das Amt "
            "anlegen oder die Zeile korrigieren und die Migration wiederholen:\n  "
            + "\n  ".join(unmapped)
        )
    return [(t, i, ids[name]) for t, i, name in rows if name]


def upgrade():
    connection = op.get_bind()
    planned = _planned(connection)  # before any change: a refusal leaves the schema as it was
    with op.batch_alter_table("application") as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("postfach_thread") as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
    with op.batch_alter_table("form_version") as batch_op:
        batch_op.add_column(sa.Column("office_id", sa.Integer(), nullable=True))
    for table, row_id, office_id in planned:
        connection.execute(
            sa.text(f"UPDATE {table} SET office_id = :office WHERE id = :id"),  # noqa: S608
            {"office": office_id, "id": row_id},
        )

    with op.batch_alter_table("application") as batch_op:
        batch_op.drop_index("ix_application_office")
        batch_op.drop_column("office")
        batch_op.create_index("ix_application_office_id", ["office_id"])
        batch_op.create_foreign_key(
            "fk_application_office_id_catalog_office", "catalog_office", ["office_id"], ["id"],
            **OFFICE_FK,
        )  # fmt: skip
    with op.batch_alter_table("postfach_thread") as batch_op:
        batch_op.drop_index("ix_postfach_thread_office")
        batch_op.drop_column("office")
        batch_op.alter_column("office_id", existing_type=sa.Integer(), nullable=False)
        batch_op.create_index("ix_postfach_thread_office_id", ["office_id"])
        batch_op.create_foreign_key(
            "fk_postfach_thread_office_id_catalog_office", "catalog_office", ["office_id"],
            ["id"], **OFFICE_FK,
        )  # fmt: skip
    with op.batch_alter_table("form_version") as batch_op:
        batch_op.create_index("ix_form_version_office_id", ["office_id"])
        batch_op.create_foreign_key(
            "fk_form_version_office_id_catalog_office", "catalog_office", ["office_id"], ["id"],
            **OFFICE_FK,
        )  # fmt: skip
    with op.batch_alter_table("payment_refund") as batch_op:
        batch_op.add_column(sa.Column("idempotency_key", sa.String(length=120), nullable=True))
        batch_op.create_unique_constraint("uq_payment_refund_idempotency_key", ["idempotency_key"])
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.add_column(sa.Column("asserted_organisation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_login_session_asserted_organisation_id_organisation", "organisation",
            ["asserted_organisation_id"], ["id"], ondelete="CASCADE",
        )  # fmt: skip
    # Logins that acted for an organisation asserted it at their organisation login.
    op.execute(
        "UPDATE login_session SET asserted_organisation_id = organisation_id "
        "WHERE kind = 'organisation'"
    )
    op.execute("UPDATE login_session SET organisation_id = NULL WHERE kind <> 'organisation'")


def _names(connection, table):
    return connection.execute(
        sa.text(
            f"SELECT t.id, o.slug FROM {table} t JOIN catalog_office o ON o.id = t.office_id"  # noqa: S608
        )
    ).all()


def downgrade():
    with op.batch_alter_table("login_session") as batch_op:
        batch_op.drop_constraint(
            "fk_login_session_asserted_organisation_id_organisation", type_="foreignkey"
        )
        batch_op.drop_column("asserted_organisation_id")
    with op.batch_alter_table("payment_refund") as batch_op:
        batch_op.drop_constraint("uq_payment_refund_idempotency_key", type_="unique")
        batch_op.drop_column("idempotency_key")
    connection = op.get_bind()
    for table, default in (("application", ""), ("postfach_thread", None)):
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(
                sa.Column("office", sa.String(length=100), nullable=True, server_default="")
            )
        for row_id, slug in _names(connection, table):
            connection.execute(
                sa.text(f"UPDATE {table} SET office = :slug WHERE id = :id"),  # noqa: S608
                {"slug": slug, "id": row_id},
            )
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_office_id_catalog_office", type_="foreignkey")
            batch_op.drop_index(f"ix_{table}_office_id")
            batch_op.drop_column("office_id")
            batch_op.alter_column(
                "office", existing_type=sa.String(length=100), nullable=False,
                server_default=default,
            )  # fmt: skip
            batch_op.create_index(f"ix_{table}_office", ["office"])
    with op.batch_alter_table("form_version") as batch_op:
        batch_op.drop_constraint("fk_form_version_office_id_catalog_office", type_="foreignkey")
        batch_op.drop_index("ix_form_version_office_id")
        batch_op.drop_column("office_id")
