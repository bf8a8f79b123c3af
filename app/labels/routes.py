"""Staff pages: print labels and the reprint list."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField

from app.catalog import services as catalog
from app.errors import DomainError
from app.labels import bp, services
from app.staff.auth import staff_page
from app.transaction import writes

FORMAT_CHOICES = [("a4", "A4 sheet, 24 labels (70 x 37 mm)"), ("thermal-50x30", "Thermal printer, 50 x 30 mm")]


class PrintForm(FlaskForm):
    location = SelectField("Location")
    format = RadioField("Paper", choices=FORMAT_CHOICES, default="a4")


def _location_choices() -> list[tuple[str, str]]:
    return [(loc.code, f"{loc.name} ({loc.code})") for loc in catalog.all_locations()]


@bp.route("/staff/labels", methods=["GET", "POST"])
@staff_page()
@writes
def print_labels():
    """Choose a location and products; the PDF is made as a job with progress."""
    form = PrintForm()
    form.location.choices = _location_choices()
    if request.method == "GET" and request.args.get("location"):
        form.location.data = request.args["location"].upper()
    if form.validate_on_submit():
        skus = [s for s in request.form.getlist("sku") if s] or None
        try:
            found = services.labels_to_print(form.location.data, skus)
            job = services.start_print_job(found, form.format.data)
            return redirect(url_for("jobs.job_page", job_id=job.id))
        except DomainError as error:
            form.form_errors.append(error.message)
    preselected = request.args.getlist("sku")
    products, _ = catalog.list_products(active=True, limit=200)
    status = 422 if form.errors or form.form_errors else 200
    return render_template("labels/print.html", form=form, products=products, preselected=preselected), status


@bp.route("/staff/labels/reprint", methods=["GET", "POST"])
@staff_page()
@writes
def reprint():
    """Labels showing an old price or name; print them again in one go."""
    location = request.values.get("location") or None
    if request.method == "POST":
        fmt = request.form.get("format", "a4")
        found = services.reprint_list(location)
        if not found:
            flash("Nothing to reprint.", "info")
            return redirect(url_for("labels.reprint"))
        by_location: dict[str, list[str]] = {}
        for label in found:
            by_location.setdefault(label.location.code, []).append(label.product.sku)
        if len(by_location) > 1:
            raise DomainError("choose_location", "Choose one location to reprint for.", status=400)
        code, skus = next(iter(by_location.items()))
        job = services.start_print_job(services.labels_to_print(code, skus), fmt)
        return redirect(url_for("jobs.job_page", job_id=job.id))
    return render_template(
        "labels/reprint.html",
        labels=services.reprint_list(location),
        location=location,
        locations=catalog.all_locations(),
        formats=FORMAT_CHOICES,
    )


@bp.post("/staff/labels/<code>/replace")
@staff_page()
@writes
def replace(code: str):
    """Retire a damaged or lost label and issue a new code."""
    new = services.replace_label(services.resolve(code))
    flash(f"Label {code} retired; new label {new.code}. Print it and put it on the shelf.", "info")
    return redirect(url_for("catalog.product", sku=new.product.sku))
