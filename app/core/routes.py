"""Health check and generated media (the home page is the web shop's, in app.shop)."""

from __future__ import annotations

from flask import current_app, jsonify, send_from_directory
from sqlalchemy import text

from app.core import bp
from app.extensions import db


@bp.get("/healthz")
def healthz():
    """200 with the database status when the database answers, 503 when it does not."""
    try:
        db.session.execute(text("SELECT 1"))
        database = {"status": "ok", "backend": db.engine.dialect.name}
        status = 200
    except Exception as error:  # noqa: BLE001 - any failure means "down"
        db.session.rollback()
        database = {"status": "down", "error": type(error).__name__}
        status = 503
    return jsonify({"status": "ok" if status == 200 else "degraded", "database": database}), status


@bp.get("/favicon.ico")
def favicon():
    """Browsers ask for it at the root."""
    return send_from_directory(current_app.static_folder, "favicon.ico", max_age=86400)


@bp.get("/media/<path:filename>")
def media(filename: str):
    """Product images and other generated files kept in instance/media."""
    return send_from_directory(current_app.config["MEDIA_PATH"], filename, max_age=3600)
