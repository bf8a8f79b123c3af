"""Staff pages for members: search, loyalty import, merge, outbox."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, IntegerField, RadioField
from wtforms.validators import DataRequired

from app.errors import DomainError, NotFound
from app.extensions import db
from app.jobs import services as jobs
from app.members import bp, loyalty, merge, messages, services
from app.members.models import Member
from app.scans import services as scans
from app.staff.auth import current_actor, staff_page
from app.transaction import writes


class LoyaltyImportForm(FlaskForm):
    file = FileField("CSV file", validators=[FileRequired()])
    mode = RadioField(
        "If some rows are bad",
        choices=[("all", "Import nothing and show me the errors"), ("valid_only", "Import the good rows")],
        default="all",
    )


class MergeForm(FlaskForm):
    merged = IntegerField("Member to merge away", validators=[DataRequired()])
    confirm = HiddenField(default="yes")


def _member(member_id: int) -> Member:
    """The member row itself, merged or not, if this staff user may see it; else 404."""
    return services.member_for_staff(member_id, current_actor().store_id)


@bp.get("/staff/members")
@staff_page()
def staff_members():
    """Find members by id, e-mail, phone, loyalty card or name."""
    q = request.args.get("q", "").strip()
    found = merge.search_members(q, 100, current_actor().store_id)
    identifiers = {m.id: services.identifiers_of(m) for m in found}
    return render_template("members/staff/list.html", members=found, identifiers=identifiers, q=q)


@bp.get("/staff/members/<int:member_id>")
@staff_page()
def staff_member(member_id: int):
    """One member: identifiers, points, recent scans and merges."""
    member = _member(member_id)
    recent, _ = scans.member_history(member.id, None, 20)
    return render_template(
        "members/staff/detail.html",
        member=member,
        identifiers=services.identifiers_of(member),
        scans=recent,
        merges=merge.merges_of(member),
    )


@bp.route("/staff/members/import", methods=["GET", "POST"])
@staff_page("admin")
@writes
def import_members():
    """Upload the old POS's loyalty members as CSV; the result shows line by line.

    A file over IMPORT_SYNC_LIMIT rows is imported in the background (see import_progress).
    """
    form = LoyaltyImportForm()
    result = None
    if form.validate_on_submit():
        try:
            text = loyalty.decode(form.file.data.read())
            if loyalty.count_rows(text) > current_app.config["IMPORT_SYNC_LIMIT"]:
                job = loyalty.start_import_job(text, form.mode.data)
                return redirect(url_for("members.import_progress", job_id=job.id))
            result = loyalty.import_csv(text, form.mode.data)
        except DomainError as error:
            form.form_errors.append(error.message)
    failed = form.errors or form.form_errors or (result and not result["written"] and result["errors"])
    page = render_template("members/staff/import.html", form=form, columns=loyalty.COLUMNS, result=result)
    return page, 422 if failed else 200


@bp.get("/staff/members/import/<job_id>")
@staff_page("admin")
def import_progress(job_id: str):
    """A background loyalty import: progress (the page reloads itself), then the result."""
    job = jobs.get_job(job_id)
    if job.kind != "loyalty_import":
        raise NotFound("job_not_found", f"No loyalty import {job_id}.")
    state = jobs.job_json(job)
    page = render_template(
        "members/staff/import.html",
        form=LoyaltyImportForm(),
        columns=loyalty.COLUMNS,
        result=job.result if job.status == "done" else None,
        job=state,
    )
    running = job.status not in ("done", "failed")
    return page, 200, {"Refresh": "2"} if running else {}


@bp.route("/staff/members/<int:member_id>/merge", methods=["GET", "POST"])
@staff_page("admin")
@writes
def merge_member(member_id: int):
    """Merge another member into this one: choose, see what moves, confirm."""
    kept = _member(member_id)
    form = MergeForm()
    if form.validate_on_submit():
        merged = _member(form.merged.data)
        try:
            record = merge.merge(kept, merged, current_user._get_current_object())
        except DomainError as error:
            db.session.rollback()  # the answer is a redirect, which the door would commit
            flash(error.message, "error")
            return redirect(url_for("members.merge_member", member_id=kept.id))
        moved = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in record.moved.items() if isinstance(v, int) and v)
        flash(f"Member {merged.id} is merged into this one. Moved: {moved or 'nothing'}.", "info")
        return redirect(url_for("members.staff_member", member_id=kept.id))
    q = request.args.get("q", "").strip()
    candidates = [m for m in merge.search_members(q, 50) if m.id != kept.id] if q else []
    merged, moves, refusal = None, None, None
    if request.args.get("from", "").isdigit():
        merged = _member(int(request.args["from"]))
        try:
            moves = merge.preview(kept, merged)
        except DomainError as error:
            refusal = error.message
        form.merged.data = merged.id
    return render_template(
        "members/staff/merge.html",
        kept=kept,
        merged=merged,
        moves=moves,
        refusal=refusal,
        candidates=candidates,
        q=q,
        form=form,
        identifiers_of=services.identifiers_of,
    ), 422 if form.errors else 200


@bp.get("/staff/outbox")
@staff_page("admin")
def outbox():
    """Messages the development sender kept instead of sending: codes for members, newest first."""
    return render_template("members/staff/outbox.html", messages=messages.recent_outbox(100))
