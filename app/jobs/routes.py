"""The progress page of a job."""

from __future__ import annotations

from flask import render_template

from app.jobs import bp, services
from app.staff.auth import staff_page


@bp.get("/staff/jobs/<job_id>")
@staff_page()
def job_page(job_id: str):
    """Progress, then the outcome (a file to download, or the import's report)."""
    job = services.get_job(job_id)
    return render_template("jobs/job.html", job=job, title=services.title(job), state=services.job_json(job))
