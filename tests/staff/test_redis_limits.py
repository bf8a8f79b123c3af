"""With Redis, sign-in limits are shared by every server process."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from app.extensions import db
from app.staff import services
from tests.conftest import csrf_from, make_app, need_redis

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parents[2]

ATTEMPT = """
import json, sys
from tests.conftest import csrf_from, make_app
from pathlib import Path
url, instance, settings = sys.argv[1], Path(sys.argv[2]), json.loads(sys.argv[3])
app = make_app(url, instance, **settings)
with app.app_context():
    client = app.test_client()
    token = csrf_from(client.get("/staff/login").text)
    print(client.post("/staff/login", data={"email": "a@example.com", "password": "wrong", "csrf_token": token}).status_code)
"""


def test_two_processes_share_one_sign_in_limit(tmp_path):
    redis_url = need_redis()
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    settings = {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": redis_url,
        "SIGNIN_RATE_LIMIT": "4 per day",  # a day: a fixed window the slow subprocesses never straddle
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
    }
    app = make_app(url, tmp_path / "one", **settings)
    with app.app_context():
        services.create_staff("a@example.com", "A", "correct-horse", "admin")
        db.session.commit()

    def here() -> int:
        with app.app_context():
            client = app.test_client()
            token = csrf_from(client.get("/staff/login").text)
            status = client.post(
                "/staff/login", data={"email": "a@example.com", "password": "wrong", "csrf_token": token}
            ).status_code
            db.session.remove()
            return status

    def other_process() -> int:
        out = subprocess.run(
            [sys.executable, "-c", ATTEMPT, url, str(tmp_path / "two"), json.dumps(settings)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        return int(out.stdout.strip().splitlines()[-1])

    # Alternate between this process and another: the fifth attempt is refused wherever it lands.
    codes = [here(), other_process(), here(), other_process(), here()]
    assert codes == [401, 401, 401, 401, 429]
