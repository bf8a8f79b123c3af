"""Staff stock pages: levels of a location, receive/adjust/count/transfer, history, low stock."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField
from wtforms.validators import InputRequired, Length, Optional

from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.errors import DomainError, NotFound
from app.extensions import db
from app.scans import services as scans
from app.staff.auth import current_actor, staff_page
from app.stock import bp, scanning, services
from app.stock.models import StockLevel, StockMovement
from app.transaction import writes

PAGE_SIZE = 50
LOCATION_KEY = "stock.location"  # the clerk's location, remembered across stock pages
ACTIONS = {"receive": "Receive", "adjust": "Adjust", "count": "Count", "transfer": "Transfer"}


class MoveForm(FlaskForm):
    code = StringField(
        "Label, barcode or SKU",
        validators=[InputRequired(message="Scan or type a code."), Length(max=300)],
        description="Scan the shelf label's QR or the old barcode, or type the label code or SKU.",
    )
    location = SelectField("Location", validators=[Optional()])
    reference = StringField("Reference", validators=[Optional(), Length(max=120)], description="Delivery note, etc.")
    note = StringField("Note", validators=[Optional(), Length(max=255)])


class ReceiveForm(MoveForm):
    quantity = IntegerField("Quantity received", validators=[InputRequired()])


class AdjustForm(MoveForm):
    quantity = IntegerField(
        "Change", validators=[InputRequired()], description="Units to add, or a minus sign to take away (-2)."
    )


class CountForm(MoveForm):
    counted = IntegerField("Counted on the shelf", validators=[InputRequired()])


class TransferForm(MoveForm):
    location = SelectField("From", validators=[Optional()])
    target = SelectField("To", validators=[InputRequired(message="Choose where the units go.")])
    quantity = IntegerField("Quantity", validators=[InputRequired()])


FORMS: dict[str, type[MoveForm]] = {
    "receive": ReceiveForm,
    "adjust": AdjustForm,
    "count": CountForm,
    "transfer": TransferForm,
}


@dataclass(frozen=True)
class Row:
    """One product's level on a page (zeros when nothing ever moved there)."""

    product: Product
    location: Location
    on_hand: int = 0
    reserved: int = 0
    version: int = 0
    low_stock_at: int | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def low(self) -> bool:
        return self.low_stock_at is not None and self.available <= self.low_stock_at


def _row(product: Product, location: Location, level: StockLevel | None) -> Row:
    if level is None:
        return Row(product, location)
    return Row(product, location, level.on_hand, level.reserved, level.version, level.low_stock_at)


def _location_choices() -> list[tuple[str, str]]:
    return [(loc.code, f"{loc.name} ({loc.code})") for loc in catalog.all_locations()]


def _chosen_location(code: str | None) -> Location | None:
    """The location a page is about (given, else the remembered one, which it becomes); None if neither."""
    code = (code or "").strip() or session.get(LOCATION_KEY)
    if not code:
        return None
    try:
        location = catalog.get_location(code)
    except NotFound:
        if code == session.get(LOCATION_KEY):  # a remembered location that has gone since
            session.pop(LOCATION_KEY, None)
            return None
        raise
    if session.get(LOCATION_KEY) != location.code:
        session[LOCATION_KEY] = location.code
    return location


def _actor() -> str:
    actor = current_actor()
    return f"{actor.kind}:{actor.id} {actor.name}"[:80] if actor else ""


@bp.get("/staff/stock")
@staff_page()
def levels():
    """Stock levels at one location, live."""
    locations = catalog.all_locations()
    location = _chosen_location(request.args.get("location")) or (locations[0] if locations else None)
    q = (request.args.get("q") or "").strip()
    rows: list[Row] = []
    cursor = None
    if location is not None:
        products, cursor = catalog.list_products(None, q or None, None, request.args.get("cursor"), PAGE_SIZE)
        found = {level.product_id: level for level in services.levels(None, location)}
        rows = [_row(product, location, found.get(product.id)) for product in products]
    return render_template(
        "stock/levels.html", location=location, locations=locations, rows=rows, q=q, next_cursor=cursor
    )


@bp.route("/staff/stock/move", methods=["GET", "POST"])
@staff_page()
@writes
def move():
    """Receive, adjust, count or transfer one product: scan or type its code."""
    action = request.values.get("action", "receive")
    if action not in FORMS:
        raise NotFound("unknown_action", f"No stock action {action!r}; use one of {', '.join(ACTIONS)}.")
    form = FORMS[action]()
    choices = _location_choices()
    form.location.choices = [("", "The label's location")] + choices
    if isinstance(form, TransferForm):
        form.target.choices = [("", "Choose…")] + choices
    if request.method == "GET":
        _prefill(form)
    status = 200
    if form.validate_on_submit():
        try:
            sku, message = _apply(action, form)
            flash(message, "info")
            return redirect(url_for("stock.move", action=action, location=form.location.data, last=sku))
        except DomainError as error:
            form.form_errors.append(error.message)
            # The page exists; what was typed refers to nothing or conflicts with the stock.
            status = 409 if error.status == 409 else 422
    elif request.method == "POST":
        status = 422
    last = request.args.get("last") if request.method == "GET" else None
    return render_template("stock/move.html", form=form, action=action, actions=ACTIONS, last=last), status


def _prefill(form: MoveForm) -> None:
    """Fill the form from the query (links from other pages) and the remembered location."""
    if "location" in request.args:  # even empty: "the label's location" was chosen
        chosen = _chosen_location(request.args["location"]) if request.args["location"] else None
        form.location.data = chosen.code if chosen else ""
    else:
        form.location.data = session.get(LOCATION_KEY, "")
    form.code.data = request.args.get("code", "")
    if isinstance(form, TransferForm):
        form.target.data = request.args.get("target", "").upper()


def _apply(action: str, form: MoveForm) -> tuple[str, str]:
    """Call the stock service for the submitted form; the product's SKU and a success message."""
    scanned = scanning.resolve_scan(form.code.data)
    chosen = _chosen_location(form.location.data) if form.location.data else None
    location = scanning.location_for(scanned, chosen)
    product, actor = scanned.product, _actor()
    scans.record_scan(
        scanned.code, "staff", device=f"staff:{current_user.id}", product_id=product.id, location_id=location.id
    )
    what = f"{product.name} ({product.sku})"
    if isinstance(form, TransferForm):
        target = catalog.get_location(form.target.data)
        out, came = services.transfer(
            product, location, target, form.quantity.data, reference=form.reference.data or "", actor=actor
        )
        return product.sku, (
            f"Moved {form.quantity.data} × {what} from {location.code} to {target.code}. "
            f"Now {location.code}: {_level_text(out)}; {target.code}: {_level_text(came)}."
        )
    fields = {"reference": form.reference.data or "", "note": form.note.data or "", "actor": actor}
    if isinstance(form, CountForm):
        movement = services.record_movement(product, location, "count", counted=form.counted.data, **fields)
        change = f"{movement.delta:+d}" if movement.delta else "no change"
        return (
            product.sku,
            f"Counted {form.counted.data} × {what} at {location.code} ({change}). Now {_level_text(movement)}.",
        )
    movement = services.record_movement(product, location, action, form.quantity.data, **fields)
    verb = {"receive": "Received", "adjust": "Adjusted"}[action]
    amount = f"{movement.delta:+d}" if action == "adjust" else str(movement.delta)
    return product.sku, f"{verb} {amount} × {what} at {location.code}. Now {_level_text(movement)}."


def _level_text(movement: StockMovement) -> str:
    available = movement.on_hand_after - movement.reserved_after
    return f"{movement.on_hand_after} on hand, {available} available"


@bp.get("/staff/stock/low")
@staff_page()
def low():
    """Levels at or below their low-stock mark, at one location or all of them."""
    code = request.args.get("location", "")
    location = catalog.get_location(code) if code else None
    found = services.low_stock(location)
    products = catalog.products_by_id({level.product_id for level in found})
    places = {loc.id: loc for loc in catalog.all_locations()}
    rows = [_row(products[level.product_id], places[level.location_id], level) for level in found]
    offers = services.transfer_suggestions(found)
    suggested = {
        (products[pid].sku, places[lid].code): (places[offer.source_id], offer.quantity)
        for (pid, lid), offer in offers.items()
    }
    return render_template(
        "stock/low.html", rows=rows, location=location, locations=list(places.values()), suggested=suggested
    )


@bp.get("/staff/stock/<sku>")
@staff_page()
def history(sku: str):
    """A product's levels everywhere and its movements, newest first."""
    product = catalog.get_product(sku)
    code = request.args.get("location", "")
    location = catalog.get_location(code) if code else None
    before = request.args.get("before", type=int)
    query = services.movements(product, location)
    if before is not None:
        query = query.where(StockMovement.id < before)
    found = list(db.session.scalars(query.order_by(StockMovement.id.desc()).limit(PAGE_SIZE + 1)))
    older = found[PAGE_SIZE - 1].id if len(found) > PAGE_SIZE else None
    locations = catalog.all_locations()
    places = {loc.id: loc for loc in locations}
    levels_here = {level.location_id: level for level in services.levels(product, None)}
    return render_template(
        "stock/history.html",
        product=product,
        location=location,
        locations=locations,
        levels=[_row(product, loc, levels_here.get(loc.id)) for loc in locations],
        movements=[
            (m, places[m.location_id], _local_time(m.created_at, places[m.location_id])) for m in found[:PAGE_SIZE]
        ],
        older=older,
        newest=before is None,
    )


def _local_time(at: datetime, location: Location) -> tuple[str, str]:
    """A movement's date and time on the location's clock."""
    local = at.astimezone(ZoneInfo(location.timezone))
    return local.strftime("%Y-%m-%d"), local.strftime("%H:%M")
