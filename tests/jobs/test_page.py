"""The job progress page says what the job does."""

from __future__ import annotations

import pytest

from app.db import begin_write
from app.jobs import services


@pytest.mark.parametrize(
    ("kind", "title"),
    [
        ("labels_pdf", "Printing labels"),
        ("product_import", "Importing products"),
        ("loyalty_import", "Importing loyalty members"),
        ("stock_snapshot", "Comparing a stock count"),
    ],
)
def test_the_page_is_titled_by_the_kind_of_job(db, client, signed_in, kind, title):
    signed_in("clerk")
    begin_write(db.session)
    job = services.create_job(kind, 10)
    db.session.commit()
    page = client.get(f"/staff/jobs/{job.id}")
    assert page.status_code == 200
    assert f"<title>{title}" in page.text
    assert f"<h1>{title}</h1>" in page.text
