"""Migrations build the schema from empty on SQLite and PostgreSQL, and agree with the models."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect

from app import create_app
from app.config import TestConfig
from app.extensions import db
from app.shop.search_index import include_name  # the search index is the database's, not a model


def _migrated_app(url, instance):
    app = create_app(TestConfig(url, instance))
    return app


def _check(app):
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True, "include_name": include_name})
            diff = compare_metadata(context, db.metadata)
        tables = set(inspect(db.engine).get_table_names())
        assert {"products", "locations", "labels", "scans", "staff_users", "api_keys", "jobs"} <= tables
        assert diff == [], f"models and migrations differ: {diff}"
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        upgrade()
        db.engine.dispose()


def test_migrations_on_empty_sqlite(tmp_path):
    _check(_migrated_app(f"sqlite:///{tmp_path / 'm.db'}", tmp_path))


@pytest.mark.postgres
def test_migrations_on_empty_postgres(pg_schema_url, tmp_path):
    _check(_migrated_app(pg_schema_url, tmp_path))
