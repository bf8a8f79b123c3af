"""Staff pages for locations and products, import and export."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, request, send_from_directory, url_for
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, FloatField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.catalog import bp, images, importer, services, signals
from app.catalog.models import LOCATION_KINDS
from app.core import hooks
from app.errors import DomainError
from app.money import parse_amount, to_decimal_text
from app.staff.auth import staff_page
from app.transaction import writes


class LocationForm(FlaskForm):
    code = StringField("Code", validators=[DataRequired(), Length(max=32)])
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    kind = SelectField("Kind", choices=[(k, k.title()) for k in LOCATION_KINDS])
    address = StringField("Address", validators=[Optional(), Length(max=255)])
    latitude = FloatField("Latitude", validators=[Optional()])
    longitude = FloatField("Longitude", validators=[Optional()])
    timezone = StringField("Time zone", default="Asia/Shanghai", validators=[DataRequired()])


class ProductForm(FlaskForm):
    sku = StringField("SKU", validators=[DataRequired(), Length(max=64)])
    name = StringField("Name", validators=[DataRequired(), Length(max=200)])
    price = StringField("Price", validators=[DataRequired()], description="For example 12.50")
    currency = StringField("Currency", validators=[DataRequired(), Length(min=3, max=3)])
    barcode = StringField("Old barcode (EAN-13 / UPC-A)", validators=[Optional()])
    category = StringField("Category", validators=[Optional(), Length(max=80)])
    image = StringField(
        "Image", validators=[Optional(), Length(max=500)], description="Uploaded image address; empty for none"
    )
    image_file = FileField(
        "Upload an image",
        validators=[FileAllowed(["png", "jpg", "jpeg", "webp"], "A PNG, JPEG or WebP image.")],
        description="PNG, JPEG or WebP, at most 5 MB",
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=5000)])
    active = BooleanField("Sold now", default=True)


class ImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired()])
    mode = RadioField(
        "If some rows are bad",
        choices=[("all", "Import nothing and show me the errors"), ("valid_only", "Import the good rows")],
        default="all",
    )


@bp.route("/staff/locations", methods=["GET", "POST"])
@staff_page()
@writes
def locations():
    """Stores and warehouses; admins add new ones."""
    form = LocationForm()
    if form.validate_on_submit():
        _require_admin()
        try:
            location = services.create_location(
                form.code.data,
                form.name.data,
                form.kind.data,
                form.address.data or "",
                form.latitude.data,
                form.longitude.data,
                form.timezone.data.strip(),
            )
            flash(f"{location.name} added; every product has a label there now.", "info")
            return redirect(url_for("catalog.locations"))
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("catalog/locations.html", form=form, locations=services.all_locations()), status


def _require_admin() -> None:
    from flask_login import current_user

    if not current_user.is_admin:
        raise DomainError("forbidden", "Only admins can change the catalog.", status=403)


@bp.get("/staff/products")
@staff_page()
def products():
    """Search and list products."""
    q = request.args.get("q") or None
    category = request.args.get("category") or None
    items, cursor = services.list_products(category, q, None, request.args.get("cursor"), 50)
    return render_template(
        "catalog/products.html",
        products=items,
        next_cursor=cursor,
        q=q or "",
        category=category or "",
        categories=services.categories(),
    )


def _form_image(form: ProductForm) -> str:
    """The uploaded file's URL when one was sent, else the image field as typed."""
    upload = form.image_file.data
    if upload and getattr(upload, "filename", ""):
        return images.store_image(upload.stream.read(images.MAX_IMAGE_BYTES + 1), upload.mimetype)
    return form.image.data or ""


def _form_fields(form: ProductForm) -> dict:
    currency = form.currency.data.strip().upper()
    return {
        "name": form.name.data,
        "price_amount": parse_amount(form.price.data, currency),
        "currency": currency,
        "barcode": form.barcode.data or None,
        "category": form.category.data or "",
        "image": _form_image(form),
        "description": form.description.data or "",
        "active": form.active.data,
    }


@bp.route("/staff/products/new", methods=["GET", "POST"])
@staff_page("admin")
@writes
def new_product():
    """Add a product."""
    form = ProductForm()
    if request.method == "GET":
        form.currency.data = current_app.config["DEFAULT_CURRENCY"]
    if form.validate_on_submit():
        try:
            product = services.create_product(form.sku.data, **_form_fields(form))
            flash(f"{product.name} added with a label at every location.", "info")
            return redirect(url_for("catalog.product", sku=product.sku))
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("catalog/product_form.html", form=form, product=None), status


@bp.route("/staff/products/<sku>", methods=["GET", "POST"])
@staff_page()
@writes
def product(sku: str):
    """A product: edit it (admins) and see its labels."""
    product = services.get_product(sku)
    form = ProductForm(obj=None if request.method == "POST" else product)
    if request.method == "GET":
        form.price.data = to_decimal_text(product.price_amount, product.currency)
    if form.validate_on_submit():
        _require_admin()
        try:
            services.update_product(product, **_form_fields(form))
            flash("Saved.", "info")
            return redirect(url_for("catalog.product", sku=product.sku))
        except DomainError as error:
            form.form_errors.append(error.message)
    items = hooks.answer(signals.labels_of, product, default=[])
    status = 422 if form.errors or form.form_errors else 200
    return render_template("catalog/product_form.html", form=form, product=product, labels=items), status


@bp.route("/staff/products/import", methods=["GET", "POST"])
@staff_page("admin")
@writes
def import_products():
    """Upload a CSV of products; it runs as a job with progress."""
    form = ImportForm()
    if form.validate_on_submit():
        try:
            text = importer.decode(form.file.data.read())
            job = importer.start_import_job(text, form.mode.data)
            return redirect(url_for("jobs.job_page", job_id=job.id))
        except DomainError as error:
            form.form_errors.append(error.message)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("catalog/import.html", form=form, columns=importer.COLUMNS), status


@bp.get("/images/<name>")
def image(name: str):
    """An uploaded product image; its name is its content hash, so it may be cached for good."""
    if not images.IMAGE_NAME_RE.match(name):
        abort(404)
    response = send_from_directory(current_app.config["IMAGES_PATH"], name, max_age=31536000)
    response.cache_control.immutable = True
    return response


@bp.get("/staff/products/export.csv")
@staff_page()
def export_products():
    """Download every product as CSV."""
    return importer.export_response()
