"""Staff pages for webhooks (admins only): endpoints, their delivery log, send again, rotate, enable."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField, URLField, widgets
from wtforms.validators import DataRequired, Length

from app.errors import DomainError
from app.outbox.catalogue import EVENT_TYPES
from app.staff.auth import staff_page
from app.transaction import writes
from app.webhooks import bp, services


class CheckboxesField(SelectMultipleField):
    """Several choices as a list of checkboxes."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EndpointForm(FlaskForm):
    url = URLField("URL", validators=[DataRequired(), Length(max=2000)])
    description = StringField("Description", validators=[Length(max=200)])
    events = CheckboxesField(
        "Events",
        choices=[(name, f"{name}: {text}") for name, text in EVENT_TYPES.items()],
        description="None ticked: every event.",
    )


def _form_action(message: str):
    """Redirect back to the endpoint's page with ``message`` flashed."""
    flash(message, "info")
    return redirect(url_for("webhooks.endpoint", endpoint_id=request.view_args["endpoint_id"]))


SECRET_ONCE = "webhook_secret_once"


def _show_secret_once(endpoint_id: int, secret: str):
    """Redirect to the endpoint's page, which shows ``secret`` on its next view only (reloading adds nothing)."""
    session[SECRET_ONCE] = {"endpoint": endpoint_id, "secret": secret}
    return redirect(url_for("webhooks.endpoint", endpoint_id=endpoint_id))


@bp.route("/staff/webhooks", methods=["GET", "POST"])
@staff_page("admin")
@writes
def endpoints():
    """List the endpoints and add one."""
    form = EndpointForm()
    status = 200
    if form.validate_on_submit():
        try:
            created = services.create_endpoint(form.url.data, form.events.data, form.description.data or "")
            flash(f"Endpoint {created.url} added.", "info")
            return _show_secret_once(created.id, created.secret)
        except DomainError as error:
            flash(error.message, "error")
            status = 422
    elif request.method == "POST":
        status = 400
    page = render_template(
        "webhooks/endpoints.html", form=form, endpoints=services.list_endpoints(), notices=services.notices()
    )
    return page, status


@bp.get("/staff/webhooks/<int:endpoint_id>")
@staff_page("admin")
def endpoint(endpoint_id: int):
    """One endpoint and its delivery log, newest first; a new secret once, right after it was made."""
    deliveries, cursor = services.list_deliveries(endpoint_id, request.args.get("cursor"), 50)
    once = session.pop(SECRET_ONCE, None)
    return render_template(
        "webhooks/endpoint.html",
        endpoint=services.get_endpoint(endpoint_id),
        deliveries=deliveries,
        next_cursor=cursor,
        event_types=EVENT_TYPES,
        new_secret=once["secret"] if once and once.get("endpoint") == endpoint_id else None,
    )


@bp.post("/staff/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry")
@staff_page("admin")
@writes
def retry_delivery(endpoint_id: int, delivery_id: int):
    """Send one delivery again."""
    services.retry_delivery(endpoint_id, delivery_id)
    return _form_action(f"Delivery {delivery_id} will be sent again shortly.")


@bp.post("/staff/webhooks/<int:endpoint_id>/rotate-secret")
@staff_page("admin")
@writes
def rotate_secret(endpoint_id: int):
    """Give the endpoint a new secret and show it once."""
    endpoint = services.rotate_secret(endpoint_id)
    secret = endpoint.secret
    return _show_secret_once(endpoint_id, secret)


@bp.post("/staff/webhooks/<int:endpoint_id>/enabled")
@staff_page("admin")
@writes
def set_enabled(endpoint_id: int):
    """Enable (clearing its failures) or disable an endpoint."""
    enable = request.form.get("enabled") == "1"
    services.update_endpoint(endpoint_id, enabled=enable)
    return _form_action("Endpoint enabled." if enable else "Endpoint disabled.")


@bp.post("/staff/webhooks/<int:endpoint_id>/delete")
@staff_page("admin")
@writes
def delete(endpoint_id: int):
    """Remove an endpoint and its delivery log."""
    url = services.get_endpoint(endpoint_id).url
    services.delete_endpoint(endpoint_id)
    flash(f"Endpoint {url} deleted.", "info")
    return redirect(url_for("webhooks.endpoints"))
