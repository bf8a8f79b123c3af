"""product search index: FTS5 trigram on SQLite, pg_trgm GIN on PostgreSQL

Revision ID: bd989e0a8372
Revises: e1a2b3c4d601
Create Date: 2026-12-07 23:05:00.000000

The same objects as app/shop/search_index.py makes after create_all (tests/shop/test_search.py
checks that both give the same schema); written out here so that this migration stays as it is.
"""
import sqlite3

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'bd989e0a8372'
down_revision = 'e1a2b3c4d601'
branch_labels = None
depends_on = None

SQLITE_TRIGGERS = (
    """CREATE TRIGGER products_fts_insert AFTER INSERT ON products BEGIN
  INSERT INTO products_fts(rowid, name, sku) VALUES (new.id, new.name, new.sku);
END""",
    """CREATE TRIGGER products_fts_delete AFTER DELETE ON products BEGIN
  INSERT INTO products_fts(products_fts, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku);
END""",
    """CREATE TRIGGER products_fts_update AFTER UPDATE OF name, sku ON products BEGIN
  INSERT INTO products_fts(products_fts, rowid, name, sku) VALUES ('delete', old.id, old.name, old.sku);
  INSERT INTO products_fts(rowid, name, sku) VALUES (new.id, new.name, new.sku);
END""",
)


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        if sqlite3.sqlite_version_info < (3, 34, 0):
            raise RuntimeError(f'Product search needs SQLite 3.34 or newer (FTS5 trigram); this is {sqlite3.sqlite_version}.')
        op.execute(
            "CREATE VIRTUAL TABLE products_fts USING fts5("
            "name, sku, content='products', content_rowid='id', tokenize='trigram')"
        )
        for ddl in SQLITE_TRIGGERS:
            op.execute(ddl)
        op.execute("INSERT INTO products_fts(products_fts) VALUES ('rebuild')")
    elif bind.dialect.name == 'postgresql':
        # One extension per database, in public where there is one (dropping another schema keeps it).
        where = sa.text("SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'")
        schema = bind.scalar(where)
        if schema is None:
            public = bind.scalar(sa.text("SELECT count(*) FROM pg_namespace WHERE nspname = 'public'"))
            op.execute('CREATE EXTENSION IF NOT EXISTS pg_trgm' + (' SCHEMA public' if public else ''))
            schema = bind.scalar(where)
        for column in ('name', 'sku'):
            op.execute(f'CREATE INDEX ix_products_{column}_trgm ON products USING gin ({column} {schema}.gin_trgm_ops)')


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'sqlite':
        for name in ('insert', 'delete', 'update'):
            op.execute(f'DROP TRIGGER IF EXISTS products_fts_{name}')
        op.execute('DROP TABLE IF EXISTS products_fts')
    elif bind.dialect.name == 'postgresql':
        op.execute('DROP INDEX IF EXISTS ix_products_name_trgm')
        op.execute('DROP INDEX IF EXISTS ix_products_sku_trgm')
