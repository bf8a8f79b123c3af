"""Staff pages for counts from outside systems: upload a count, read its drift report, apply lines."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from sqlalchemy import select
from wtforms import SelectField, StringField
from wtforms.validators import InputRequired

from app.catalog import services as catalog
from app.catalog.models import Location
from app.core.csvfiles import decode
from app.core.pagination import paginate, paginate_desc
from app.errors import DomainError
from app.extensions import db
from app.staff.auth import allowed_locations, require_at, staff_page
from app.stock import bp, reconcile
from app.stock.reconcile_api import actor_label, lines_json
from app.stock.snapshot_models import StockSnapshotLine
from app.transaction import writes

PAGE_SIZE = 100


class SnapshotForm(FlaskForm):
    location = SelectField("Location", validators=[InputRequired(message="Choose the location counted.")])
    taken_at = StringField(
        "Counted at",
        validators=[InputRequired(message="When was the count taken?")],
        description="The time of the count, on the location's clock.",
        render_kw={"type": "datetime-local"},
    )
    file = FileField("CSV file (sku,counted)", validators=[FileRequired()])


class ApplyForm(FlaskForm):
    """Only the CSRF token: the chosen SKUs come as checkboxes named ``sku``."""


def _taken_at(text: str, location: Location) -> datetime:
    """The form's local time, on the location's clock."""
    try:
        local = datetime.fromisoformat(text.strip())
    except ValueError:
        raise DomainError("invalid_taken_at", "Give the date and time of the count.") from None
    if local.tzinfo is None:
        local = local.replace(tzinfo=ZoneInfo(location.timezone))
    return reconcile.parse_taken_at(local)


@bp.route("/staff/stock/snapshots", methods=["GET", "POST"])
@staff_page()
@writes
def snapshots():
    """Upload a count for a location; the counts received, newest first."""
    form = SnapshotForm()
    locations = catalog.all_locations()
    form.location.choices = [(loc.code, f"{loc.name} ({loc.code})") for loc in locations]
    status = 200
    if form.validate_on_submit():
        try:
            location = catalog.get_location(form.location.data)
            require_at(location.id, location.code)
            rows = reconcile.rows_from_csv(decode(form.file.data.read()))
            checked = reconcile.check(location, _taken_at(form.taken_at.data, location), rows)
            if len(checked.counts) > reconcile.sync_limit():
                snapshot, _ = reconcile.start_snapshot_job(checked, actor_label())
                flash(f"Comparing {snapshot.rows} lines of {location.code} with our stock in the background.", "info")
                return redirect(url_for("stock.snapshot", snapshot_id=snapshot.id))
            snapshot = reconcile.record_snapshot(checked, actor_label())
            return redirect(url_for("stock.snapshot", snapshot_id=snapshot.id))
        except DomainError as error:
            form.form_errors.append(error.message)
            bad_lines = error.details.get("errors", []) if isinstance(error.details, dict) else []
            form.form_errors += [f"Line {line['line']}: {line['message']}" for line in bad_lines[:20]]
            status = 409 if error.status == 409 else 422
    elif request.method == "POST":
        status = 422
    rows, cursor = paginate_desc(
        reconcile.snapshots_query(allowed_locations()), reconcile.StockSnapshot.id, request.args.get("cursor"), 50
    )
    places = {loc.id: loc for loc in locations}
    return render_template("stock/snapshots.html", form=form, snapshots=rows, places=places, next_cursor=cursor), status


@bp.route("/staff/stock/snapshots/<int:snapshot_id>", methods=["GET", "POST"])
@staff_page()
@writes
def snapshot(snapshot_id: int):
    """A count's drift report; apply the chosen lines, or all of them."""
    form = ApplyForm()
    if form.validate_on_submit():
        found = reconcile.get_snapshot(snapshot_id)
        require_at(found.location_id)
        chosen = None if request.form.get("apply") == "all" else request.form.getlist("sku")
        try:
            if chosen == []:
                raise DomainError("nothing_chosen", "Tick the lines to apply, or apply all.")
            result = reconcile.apply(found, chosen, actor_label())
            flash(
                f"Applied {len(result['applied'])} line(s); {len(result['already_applied'])} already applied.", "info"
            )
            return redirect(url_for("stock.snapshot", snapshot_id=snapshot_id))
        except DomainError as error:
            db.session.rollback()  # the answer is a redirect, which the door would commit
            flash(error.message, "error")
            return redirect(url_for("stock.snapshot", snapshot_id=snapshot_id))
    found = reconcile.get_snapshot(snapshot_id)
    require_at(found.location_id)
    kind = "not_counted" if request.args.get("kind") == "not_counted" else "drift"
    lines, cursor = paginate(
        reconcile.lines_query(found, kind), StockSnapshotLine.id, request.args.get("cursor"), PAGE_SIZE
    )
    location = db.session.scalar(select(Location).where(Location.id == found.location_id))
    local = found.taken_at.astimezone(ZoneInfo(location.timezone)).strftime("%Y-%m-%d %H:%M")
    return render_template(
        "stock/snapshot.html",
        form=form,
        snapshot=found,
        location=location,
        taken_local=local,
        kind=kind,
        lines=lines_json(lines),
        next_cursor=cursor,
        threshold=reconcile.drift_threshold(),
    )
