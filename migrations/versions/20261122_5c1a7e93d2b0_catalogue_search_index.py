"""catalogue search index

The index tables depend on the database: an FTS5 virtual table on SQLite, a tsvector column
with a GIN index on PostgreSQL. They are left out of the model comparison
(portal.core.db.include_in_migrations). After upgrading a database that already holds
Leistungen, run `flask --app wsgi catalog reindex`.

Revision ID: 5c1a7e93d2b0
Revises: 28f947724624
Create Date: 2026-11-22 20:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = "5c1a7e93d2b0"
down_revision = "28f947724624"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "catalog_search_term",
        sa.Column("term", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("term", name=op.f("pk_catalog_search_term")),
    )
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE catalog_search_fts USING fts5("
            "leistung_id UNINDEXED, name, keywords, body, tokenize = 'unicode61')"
        )
    else:
        op.execute(
            "CREATE TABLE catalog_search_document ("
            "leistung_id integer PRIMARY KEY REFERENCES catalog_leistung (id) ON DELETE CASCADE, "
            "vector tsvector NOT NULL)"
        )
        op.execute(
            "CREATE INDEX ix_catalog_search_document_vector "
            "ON catalog_search_document USING gin (vector)"
        )


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE catalog_search_fts")
    else:
        op.execute("DROP TABLE catalog_search_document")
    op.drop_table("catalog_search_term")
