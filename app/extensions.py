"""Extensions, created unbound and initialised in create_app()."""

from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_socketio import SocketIO
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect

from app.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
socketio = SocketIO()
login_manager = LoginManager()
csrf = CSRFProtect()


class ViewLimiter(Limiter):
    """Flask-Limiter with limits only where a view declares them (sign-in and code entry).

    Flask-Limiter also checks every request before it is dispatched, for app-wide and default
    limits; we have none, and that check cost each API call about a tenth of its time. The
    decorated views still check their own limits (Flask-Limiter's decorator does).
    """

    def _check_request_limit(self, callable_name: str | None = None, in_middleware: bool = True) -> None:
        if not in_middleware:
            super()._check_request_limit(callable_name=callable_name, in_middleware=in_middleware)


limiter = ViewLimiter(key_func=get_remote_address, default_limits=[])


def signin_limit() -> str:
    """The limit on sign-in and code-entry attempts per address (SIGNIN_RATE_LIMIT)."""
    from flask import current_app

    return current_app.config["SIGNIN_RATE_LIMIT"]
