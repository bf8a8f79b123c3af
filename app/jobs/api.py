"""Job status and results."""

from __future__ import annotations

from flask import send_file
from flask_smorest import Blueprint

from app.errors import NotFound
from app.jobs import services
from app.staff.auth import require_api_role

api = Blueprint("jobs_api", __name__, url_prefix="/api/v1", description="Background jobs")


@api.route("/jobs/<job_id>")
@api.response(200, services.JobOut)
@require_api_role("clerk", scope="jobs:read")
def job_status(job_id: str):
    """Progress of a background job."""
    return services.job_json(services.get_job(job_id))


@api.route("/jobs/<job_id>/file")
@api.response(200, description="The file the job made (a PDF of labels).", content_type="application/pdf")
@require_api_role("clerk", scope="jobs:read")
def job_file(job_id: str):
    """Download what a finished job made."""
    job = services.get_job(job_id)
    path = services.job_path(job)
    if job.status != "done" or not job.file_name or not path.exists():
        raise NotFound("file_not_ready", "This job has no file (yet).")
    return send_file(path, mimetype="application/pdf", download_name=f"labels-{job.id[:8]}.pdf")
