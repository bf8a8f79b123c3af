"""The database's own index for finding products by name or SKU (kept by the database itself).

SQLite: an FTS5 table with the trigram tokenizer (any substring of three characters or more, in
any script, so "绿茶饮" and "olong" both match), filled and kept current by triggers on
``products``. PostgreSQL: pg_trgm GIN indexes on ``products.name`` and ``products.sku``, which
serve ``ILIKE '%...%'``.

These are not models: the migration makes them, and for databases built by ``create_all`` (the
tests) the listeners below make the same objects after the products table. Comparisons of
migrations with the models leave them out by name (``include_name``).

A later migration that rebuilds ``products`` on SQLite (batch mode: copy, drop, rename) drops
the triggers with the old table: it must call :func:`install_sqlite_triggers` again.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event, text
from sqlalchemy.engine import Connection

from app.catalog.models import Product

FTS_TABLE = "products_fts"
# FTS5 keeps its data in shadow tables named after the virtual table.
SQLITE_TABLES = frozenset({FTS_TABLE} | {f"{FTS_TABLE}_{part}" for part in ("data", "idx", "config", "docsize")})
POSTGRES_INDEXES = frozenset({"ix_products_name_trgm", "ix_products_sku_trgm"})
MIN_SQLITE = (3, 34, 0)  # the trigram tokenizer

SQLITE_TABLE_DDL = (
    f"CREATE VIRTUAL TABLE {FTS_TABLE} USING fts5("
    "name, sku, content='products', content_rowid='id', tokenize='trigram')"
)
# An external-content FTS table is told of every change: the old text out, the new text in.
SQLITE_TRIGGERS = (
    f"""CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
  INSERT INTO {FTS_TABLE}(rowid, name, sku) VALUES (new.id, new.name, new.sku);
END""",
    f"""CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku);
END""",
    f"""CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku ON products BEGIN
  INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku);
  INSERT INTO {FTS_TABLE}(rowid, name, sku) VALUES (new.id, new.name, new.sku);
END""",
)


def include_name(name: str | None, type_: str, parent_names: dict) -> bool:
    """For Alembic's comparisons: False for the search objects, which are not models."""
    if type_ == "table":
        return name not in SQLITE_TABLES
    if type_ == "index":
        return name not in POSTGRES_INDEXES
    return True


def check_sqlite() -> None:
    """Refuse, with the reason, a SQLite too old for the trigram tokenizer."""
    if sqlite3.sqlite_version_info < MIN_SQLITE:
        raise RuntimeError(
            f"Product search needs SQLite {'.'.join(map(str, MIN_SQLITE))} or newer (FTS5 trigram); "
            f"this Python has {sqlite3.sqlite_version}."
        )


def install_sqlite_triggers(connection: Connection) -> None:
    """The triggers that keep the FTS table in step with ``products`` (again, after a rebuild)."""
    for name in ("insert", "delete", "update"):
        connection.execute(text(f"DROP TRIGGER IF EXISTS products_fts_{name}"))
    for ddl in SQLITE_TRIGGERS:
        connection.execute(text(ddl))


TRGM_SCHEMA = text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")


def trgm_opclass(connection: Connection) -> str:
    """pg_trgm's GIN operator class, named with the schema the extension lives in (made once if missing).

    A new extension goes into ``public`` where there is one, not into the first schema of the
    search path: one database holding several schemas (tests, benchmarks) shares one extension
    that dropping any of those schemas leaves alone.
    """
    schema = connection.scalar(TRGM_SCHEMA)
    if schema is None:
        public = connection.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'"))
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm" + (" SCHEMA public" if public else "")))
        schema = connection.scalar(TRGM_SCHEMA)
    return f"{schema}.gin_trgm_ops"


def install(connection: Connection) -> None:
    """Make the search objects on this database and index the products already there."""
    if connection.dialect.name == "sqlite":
        check_sqlite()
        connection.execute(text(SQLITE_TABLE_DDL))
        install_sqlite_triggers(connection)
        connection.execute(text(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')"))
    elif connection.dialect.name == "postgresql":
        opclass = trgm_opclass(connection)
        for column in ("name", "sku"):
            connection.execute(
                text(f"CREATE INDEX ix_products_{column}_trgm ON products USING gin ({column} {opclass})")
            )


def remove(connection: Connection) -> None:
    """Drop the search objects (the PostgreSQL extension stays: others may use it)."""
    if connection.dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            connection.execute(text(f"DROP TRIGGER IF EXISTS products_fts_{name}"))
        connection.execute(text(f"DROP TABLE IF EXISTS {FTS_TABLE}"))
    elif connection.dialect.name == "postgresql":
        for index in sorted(POSTGRES_INDEXES):
            connection.execute(text(f"DROP INDEX IF EXISTS {index}"))


@event.listens_for(Product.__table__, "after_create")
def _after_products_created(target, connection: Connection, **kw) -> None:
    """``create_all`` builds what the migration builds."""
    install(connection)


@event.listens_for(Product.__table__, "before_drop")
def _before_products_dropped(target, connection: Connection, **kw) -> None:
    remove(connection)
