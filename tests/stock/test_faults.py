"""A busy SQLite database: 503 with Retry-After, and nothing half-written."""

from __future__ import annotations

import sqlite3

from app.config import engine_options
from tests.conftest import make_app
from tests.stock.test_ledger import ledger_agrees


def test_locked_sqlite_answers_503_and_writes_nothing(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    app = make_app(url, tmp_path / "instance", SQLALCHEMY_ENGINE_OPTIONS=engine_options(url, sqlite_wait_seconds=0.2))
    with app.app_context():
        from app.catalog import services as catalog
        from app.extensions import db
        from app.staff import services as staff

        catalog.create_location("S1", "Store", "store")
        catalog.create_product("TEA-1", "Tea", 100, "CNY")
        _, key = staff.create_api_key("till", "clerk")
        db.session.commit()
        client = app.test_client()
        headers = {"Authorization": f"Bearer {key}"}
        body = {"sku": "TEA-1", "location": "S1", "reason": "receive", "delta": 5}

        blocker = sqlite3.connect(tmp_path / "busy.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")  # another writer holds the lock
        try:
            busy = client.post("/api/v1/stock/movements", json=body, headers=headers)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert busy.status_code == 503
        assert busy.headers["Retry-After"] == "1"
        assert busy.json["error"]["code"] == "busy"
        level = client.get("/api/v1/stock?sku=TEA-1&location=S1", headers=headers).json["items"][0]
        assert level["on_hand"] == 0 and level["version"] == 0
        ledger_agrees(db)
        retried = client.post("/api/v1/stock/movements", json=body, headers=headers)
        assert retried.status_code == 201 and retried.json["level"]["on_hand"] == 5
