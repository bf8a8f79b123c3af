"""Staff pages for members: search, detail, loyalty import, merge, outbox."""

from __future__ import annotations

import io
import time

from sqlalchemy import func, select

from app.members import services, verification
from app.members.models import Member, MemberMerge
from app.scans import services as scans
from tests.conftest import csrf_from


def test_search_and_detail(db, signed_in, make_member):
    mei = make_member(login="mei@example.com", name="Mei Lin")
    services.add_identifier(mei, "phone", "13800138000", verified=True)
    services.add_identifier(mei, "loyalty", "LC-1001", verified=True, source="loyalty-import")
    make_member(login="wang@example.com", name="Wang Fang")
    scans.record_scan("SCANNED-AT-STORE", "phone", member_id=mei.id)
    db.session.commit()
    client = signed_in("clerk")
    assert ">Members</a>" in client.get("/staff/").text
    listing = client.get("/staff/members?q=138-0013-8000")
    assert listing.status_code == 200 and "Mei Lin" in listing.text and "Wang Fang" not in listing.text
    assert "Mei Lin" in client.get("/staff/members?q=LC-1001").text
    assert "Wang Fang" in client.get("/staff/members?q=wang").text
    detail = client.get(f"/staff/members/{mei.id}")
    assert detail.status_code == 200
    assert "+8613800138000" in detail.text and "loyalty-import" in detail.text and "SCANNED-AT-STORE" in detail.text
    assert "Merge another member" not in detail.text  # clerks do not merge
    assert client.get("/staff/members/99999").status_code == 404


def _upload(client, text: str, mode: str = "all"):
    page = client.get("/staff/members/import")
    return client.post(
        "/staff/members/import",
        data={"file": (io.BytesIO(text.encode()), "members.csv"), "mode": mode, "csrf_token": csrf_from(page.text)},
        content_type="multipart/form-data",
    )


def test_loyalty_import_page(db, signed_in, make_member):
    online = make_member(login="mei@example.com")
    services.add_identifier(online, "phone", "13800138000", verified=True)
    db.session.commit()
    client = signed_in("admin")
    bad = _upload(client, "card_number,phone,name,points\nLC-1,13800138000,Mei,100\nLC-2,nope,X,5\n")
    assert bad.status_code == 422 and "Nothing was written" in bad.text
    assert "<td>3</td><td>LC-2</td><td>phone</td>" in bad.text
    assert db.session.scalar(select(Member).where(Member.points > 0)) is None
    good = _upload(client, "card_number,phone,name,points\nLC-1,13800138000,Mei,100\nLC-2,13900139000,Wang,5\n")
    assert good.status_code == 200, good.text
    assert "1 new members, 1 cards attached" in good.text
    assert db.session.get(Member, online.id).points == 100


def test_merge_page(db, signed_in, make_member):
    kept = make_member(login="mei@example.com", name="Mei Lin")
    dup = make_member(login="13800138000", name="Mei L.")
    services.add_identifier(dup, "loyalty", "LC-1001", verified=True)
    dup.points = 250
    db.session.commit()
    client = signed_in("admin")
    assert "Merge another member" in client.get(f"/staff/members/{kept.id}").text
    search = client.get(f"/staff/members/{kept.id}/merge?q=LC-1001")
    assert search.status_code == 200 and f"from={dup.id}" in search.text
    preview = client.get(f"/staff/members/{kept.id}/merge?from={dup.id}")
    assert preview.status_code == 200
    assert '<td>points</td><td class="num">250</td>' in preview.text
    assert '<td>identifiers</td><td class="num">2</td>' in preview.text
    done = client.post(
        f"/staff/members/{kept.id}/merge",
        data={"merged": dup.id, "confirm": "yes", "csrf_token": csrf_from(preview.text)},
    )
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/staff/members/{kept.id}")
    page = client.get(done.headers["Location"])
    assert "is merged into this one" in page.text and "LC-1001" in page.text
    record = db.session.scalar(select(MemberMerge))
    assert record.staff_user_id is not None and record.moved["points"] == 250
    # Merging it again is refused with a message; the preview says why.
    refused = client.get(f"/staff/members/{kept.id}/merge?from={dup.id}")
    assert "already merged" in refused.text
    assert "Merged into" in client.get(f"/staff/members/{dup.id}").text


def test_outbox_page_shows_codes(db, signed_in, make_member):
    member = make_member(login="mei@example.com")
    verification.request_reset("mei@example.com")
    db.session.commit()
    client = signed_in("admin")
    page = client.get("/staff/outbox")
    assert page.status_code == 200 and "mei@example.com" in page.text and "password reset code" in page.text
    assert member.id


def test_a_big_loyalty_file_imports_in_the_background(app, db, signed_in, jobs_worker):
    app.config["IMPORT_SYNC_LIMIT"] = 2
    client = signed_in("admin")
    started = _upload(client, "card_number,name,points\n" + "".join(f"LC-{n},Member {n},{n}\n" for n in range(5)))
    assert started.status_code == 302 and "/staff/members/import/" in started.headers["Location"]
    for _ in range(100):
        page = client.get(started.headers["Location"])
        if "Refresh" not in page.headers:
            break
        time.sleep(0.1)
    assert page.status_code == 200 and "5 new members" in page.text
    assert db.session.scalar(select(func.count(Member.id))) == 5
