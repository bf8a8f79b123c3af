"""Oneshelf: one shelf, online and offline."""

from __future__ import annotations

import logging

from flask import Flask
from flask_smorest import Api

from app import extensions as ext
from app.config import Config
from app.core.schemas import ErrorOut


class OneshelfApi(Api):
    """flask-smorest, with our error format (``app.errors``) instead of its own."""

    ERROR_SCHEMA = ErrorOut  # the shape app.errors answers, in the document

    def _register_error_handlers(self) -> None:
        """Errors are handled app-wide in app.errors."""


def create_app(config: object | None = None) -> Flask:
    """Build the application."""
    app = Flask(__name__, template_folder="../templates", static_folder="../static")
    app.config.from_object(config or Config())
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")

    from app import models  # noqa: F401 - every table registered before migrations look
    from app.settlement import models as settlement_models  # noqa: F401 - merchants, entries, statements

    ext.db.init_app(app)
    ext.migrate.init_app(app, ext.db, directory=str(_root() / "migrations"), render_as_batch=True, compare_type=True)
    ext.csrf.init_app(app)
    # Flask-Limiter keeps the first app's key prefix for good; each app counts under its own.
    ext.limiter._key_prefix = ""
    ext.limiter.init_app(app)
    ext.login_manager.init_app(app)
    ext.login_manager.login_view = "staff.login"
    ext.login_manager.login_message = "Please sign in to see that page."
    ext.socketio.init_app(
        app,
        message_queue=app.config.get("REDIS_URL"),
        channel=app.config.get("SOCKETIO_CHANNEL", "oneshelf"),
        async_mode=app.config.get("SOCKETIO_ASYNC_MODE", "threading"),
    )
    from app.core import headers

    headers.init_app(app)  # around the Socket.IO middleware too, inside ProxyFix

    @ext.login_manager.user_loader
    def load_user(session_id: str):
        from app.settlement.access import visible_user
        from app.staff.services import load_session_user

        return visible_user(load_session_user(session_id))

    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)  # type: ignore[method-assign]

    from app import transaction

    transaction.init_app(app)
    from app.core.limits import init_app as init_limits

    init_limits(app)
    _register_blueprints(app)
    from app.jobs.queue import init_app as init_job_queue

    init_job_queue(app)
    _register_cli(app)

    from app.errors import register_error_handlers

    register_error_handlers(app)
    _register_template_helpers(app)
    return app


def _root():
    from app.config import ROOT

    return ROOT


def _register_blueprints(app: Flask) -> None:
    from app.analytics import bp as analytics_pages
    from app.analytics.api import api as analytics_api
    from app.carts.api import api as carts_api
    from app.catalog import bp as catalog_pages
    from app.catalog.api import api as catalog_api
    from app.core import bp as core
    from app.dashboard import bp as dashboard_pages
    from app.feedback import bp as feedback_pages
    from app.feedback.api import api as feedback_api
    from app.jobs import bp as job_pages
    from app.jobs.api import api as jobs_api
    from app.kiosks import bp as kiosk_pages
    from app.kiosks.api import api as kiosks_api
    from app.labels import bp as label_pages
    from app.labels.api import api as labels_api
    from app.members import bp as member_pages
    from app.members.api import api as members_api
    from app.members.api_identity import api as member_identity_api
    from app.orders import bp as order_pages
    from app.orders.api import api as orders_api
    from app.orders.fulfilment_api import api as fulfilment_api
    from app.orders.invoice_api import api as invoices_api
    from app.outbox.api import api as events_api
    from app.payments.api import api as payments_api
    from app.payments.routes import bp as payment_pages
    from app.payments.sandbox_provider import bp as sandbox_pay
    from app.returns import bp as return_pages
    from app.returns.api import api as returns_api
    from app.scans.api import api as scans_api
    from app.service import bp as service_pages
    from app.service.api import api as service_api
    from app.settlement import bp as settlement_pages
    from app.settlement import portal as merchant_portal
    from app.settlement.api import api as settlement_api
    from app.shop import bp as shop
    from app.shop.api import api as shop_api
    from app.staff import bp as staff
    from app.stock import bp as stock_pages
    from app.stock.api import api as stock_api
    from app.stock.reconcile_api import api as stock_reconcile_api
    from app.webhooks import bp as webhook_pages
    from app.webhooks.api import api as webhooks_api

    for blueprint in (
        core,
        staff,
        catalog_pages,
        label_pages,
        job_pages,
        stock_pages,
        member_pages,
        shop,
        kiosk_pages,
        service_pages,
        order_pages,
        return_pages,
        feedback_pages,
        analytics_pages,
        dashboard_pages,
        webhook_pages,
        settlement_pages,
        merchant_portal,
        payment_pages,
        sandbox_pay,  # the sandbox card provider's own pages: the outside world, served here
    ):
        app.register_blueprint(blueprint)
    api = OneshelfApi(
        app,
        spec_kwargs={
            "info": {"description": "Catalog, locations and QR shelf labels of a Oneshelf store."},
            "components": {
                "securitySchemes": {
                    "bearer": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": (
                            "An API key (osk_...) or a kiosk device token (osd_...). A key may be limited to scopes"
                            " (an operation's description names the scope it needs; 403 insufficient_scope without"
                            " it) and to locations (403 other_location anywhere else)."
                        ),
                    },
                    "member": {
                        "type": "apiKey",
                        "in": "cookie",
                        "name": "session",
                        "description": "A signed-in member's session (POST /api/v1/session); cookie writes need CSRF.",
                    },
                }
            },
            "security": [{"bearer": []}],
        },
    )
    from app.core.limits import BoundedIntegerConverter, id_param_schema

    api.register_converter(BoundedIntegerConverter, id_param_schema)
    for blueprint in (
        catalog_api,
        labels_api,
        jobs_api,
        stock_api,
        stock_reconcile_api,
        members_api,
        kiosks_api,
        member_identity_api,
        scans_api,
        carts_api,
        orders_api,
        fulfilment_api,
        invoices_api,
        payments_api,
        returns_api,
        events_api,
        webhooks_api,
        shop_api,
        service_api,
        feedback_api,
        analytics_api,
        settlement_api,
    ):
        api.register_blueprint(blueprint)
        # API writes authenticate with a bearer key, or prove CSRF in app.staff.auth.
        ext.csrf.exempt(blueprint)


def _register_cli(app: Flask) -> None:
    from app.analytics.cli import analytics_cli
    from app.demo import demo_command
    from app.jobs.cli import jobs_cli
    from app.kiosks.cli import devices_cli
    from app.settlement.cli import merchants_cli
    from app.staff.cli import keys_cli, staff_cli

    app.cli.add_command(staff_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(demo_command)
    app.cli.add_command(devices_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(analytics_cli)
    app.cli.add_command(merchants_cli)


def local_time(moment, timezone: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A stored UTC time shown in a location's time zone."""
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(timezone or "UTC")).strftime(fmt)


def _register_template_helpers(app: Flask) -> None:
    from markupsafe import Markup

    from app.labels.qr import qr_svg
    from app.members.auth import current_member
    from app.money import format_money

    app.jinja_env.filters["money"] = lambda product: format_money(product.price_amount, product.currency)
    app.jinja_env.filters["qr_svg"] = lambda data: Markup(qr_svg(data))
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.globals["current_member"] = current_member
    app.jinja_env.globals["public_base_url"] = app.config["PUBLIC_BASE_URL"]
