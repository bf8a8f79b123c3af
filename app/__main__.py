"""``python -m app``: serve Oneshelf with websockets on HOST:PORT."""

from __future__ import annotations

from sqlalchemy import select

from app import create_app
from app.extensions import db, socketio
from app.jobs.queue import start_in_process
from app.kiosks.presence import start_watch


def _banner(app) -> None:
    """Say where to sign in and what a phone can open."""
    from app.demo import ADMIN, CLERK
    from app.labels.models import Label
    from app.labels.services import label_url
    from app.staff.models import StaffUser

    base = app.config["PUBLIC_BASE_URL"]
    with app.app_context():
        demo = {u.email for u in db.session.scalars(select(StaffUser))} & {ADMIN[0], CLERK[0]}
        label = db.session.scalar(select(Label).where(Label.retired_at.is_(None)).order_by(Label.id))
        print(f"\n  Oneshelf is serving on http://{app.config['HOST']}:{app.config['PORT']}")
        print(f"  Staff sign-in: {base}/staff/login")
        if demo:
            print(f"    admin: {ADMIN[0]} / {ADMIN[2]}    clerk: {CLERK[0]} / {CLERK[2]}")
        if label:
            print(f"  Phone page (what a shelf QR opens): {label_url(label.code)}")
        print("  Stop with Ctrl+C\n", flush=True)


def main() -> None:
    """Serve the app (threaded, websockets via simple-websocket)."""
    app = create_app()
    _banner(app)
    if app.config["JOBS_IN_PROCESS"]:
        # One command serves everything: the job runner's consumer runs in this process too.
        start_in_process(app)
    start_watch(app)
    socketio.run(
        app,
        host=app.config["HOST"],
        port=app.config["PORT"],
        allow_unsafe_werkzeug=True,
        use_reloader=False,
        log_output=False,
    )


if __name__ == "__main__":
    main()
