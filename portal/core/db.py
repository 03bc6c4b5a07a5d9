"""Declarative base, naming convention and recurring column types."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from sqlalchemy import JSON, DateTime, Integer, MetaData, String, TypeDecorator, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.orm import DeclarativeBase, mapped_column, registry

# Constraint names must be stable across SQLite and PostgreSQL so migrations can refer to them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class UTCDateTime(TypeDecorator[dt.datetime]):
    """A timezone-aware UTC datetime on every database.

    SQLite stores no offset; this type refuses naive values on the way in and attaches UTC on the
    way out, so code never compares naive and aware datetimes.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(
        self,
        value: dt.datetime | None,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by TypeDecorator
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware UTC values")
        return value.astimezone(dt.UTC)

    def process_result_value(
        self,
        value: dt.datetime | None,
        dialect: Dialect,  # noqa: ARG002 - signature fixed by TypeDecorator
    ) -> dt.datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC)


intpk = Annotated[int, mapped_column(Integer, primary_key=True)]
created_at = Annotated[dt.datetime, mapped_column(UTCDateTime(), default=utcnow, nullable=False)]
str200 = Annotated[str, mapped_column(String(200))]


class Base(DeclarativeBase):
    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={dt.datetime: UTCDateTime()},
    )


def _is_sqlite(dbapi_connection: Any) -> bool:
    return type(dbapi_connection).__module__.startswith("sqlite3")


@event.listens_for(Engine, "connect")
def _sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:  # noqa: ARG001
    """Make SQLite behave like the production database where it matters.

    Foreign keys are enforced only when asked, per connection. The driver's own transaction
    handling breaks SAVEPOINT; SQLAlchemy's documented fix is to switch it off and emit BEGIN
    ourselves. WAL lets readers and one writer work at the same time (``make run`` is threaded).
    """
    if not _is_sqlite(dbapi_connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _sqlite_begin(connection: Any) -> None:
    """IMMEDIATE: take SQLite's single write lock at the start, waiting up to busy_timeout.

    A deferred transaction that read first and writes later fails at once ("database is
    locked") when another one wrote in between, whatever the timeout; two tabs submitting the
    same application hit exactly that. Taking the lock up front queues them instead. PostgreSQL
    needs none of this.
    """
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("BEGIN IMMEDIATE")


JSONType = JSON().with_variant(JSONB(), "postgresql")
"""JSON on SQLite, JSONB (indexable, compact) on PostgreSQL."""


def render_migration_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Render our column types in generated migrations without importing application code,
    which may change after the migration was written."""
    if type_ != "type":
        return False
    if isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if isinstance(obj, JSON) and "postgresql" in getattr(obj, "_variant_mapping", {}):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON().with_variant(postgresql.JSONB(), "postgresql")'
    return False


# Tables the models do not describe: full-text indexes whose shape depends on the database
# (an FTS5 virtual table and its shadow tables on SQLite, a tsvector table on PostgreSQL).
UNMANAGED_TABLE_PREFIXES = ("catalog_search_",)


def include_in_migrations(
    obj: Any,  # noqa: ARG001 - Alembic's include_object signature
    name: str | None,
    type_: str,
    reflected: bool,  # noqa: ARG001
    compare_to: Any,  # noqa: ARG001
) -> bool:
    """Leave the database-specific search tables out of autogenerate and the model check."""
    return not (type_ == "table" and (name or "").startswith(UNMANAGED_TABLE_PREFIXES))


def contains_pattern(text: str) -> str:
    """A LIKE pattern for "contains ``text``", with the wildcard characters taken out."""
    return "%" + text.replace("\\", "").replace("%", "").replace("_", "") + "%"
