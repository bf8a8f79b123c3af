"""A clerk of one store sees the members of that store; admins and unassigned staff see all."""

from __future__ import annotations

from tests.conftest import csrf_from


def _sign_in(app, make_staff, role, location_id=None):
    from app.extensions import db
    from app.staff import services

    user = services.create_staff(f"{role}{location_id}@example.com", role.title(), "correct-horse", role, location_id)
    db.session.commit()
    client = app.test_client()
    page = client.get("/staff/login")
    client.post(
        "/staff/login", data={"email": user.email, "password": "correct-horse", "csrf_token": csrf_from(page.text)}
    )
    return client


def test_clerks_see_only_members_known_at_their_store(
    app, make_staff, make_member, make_location, make_product, clerk_headers, db
):
    from app.members import codes

    pudong, jingan = make_location(code="PD"), make_location(code="JA")
    make_product()
    seen_in_pudong = make_member(login="pu@example.com", name="Pu Dong")
    seen_in_jingan = make_member(login="jing@example.com", name="Jing An")
    never_seen = make_member(login="no@example.com", name="No Where")
    # One shows a member code at Pudong, the other scans a label at Jing'an while signed in.
    code = codes.codes_ahead(seen_in_pudong)[0].code
    assert (
        app.test_client()
        .post("/api/v1/member-codes/redeem", json={"code": code, "location": "PD"}, headers=clerk_headers)
        .status_code
        == 200
    )
    phone = app.test_client()
    phone.post("/api/v1/session", json={"login": "jing@example.com", "password": "long-password"})
    label = app.test_client().get("/api/v1/labels?location=JA", headers=clerk_headers).json["items"][0]["code"]
    phone.get(f"/q/{label}")

    pudong_clerk = _sign_in(app, make_staff, "clerk", pudong.id)
    listed = pudong_clerk.get("/api/v1/members").json["items"]
    assert [m["id"] for m in listed] == [seen_in_pudong.id]
    assert pudong_clerk.get(f"/api/v1/members/{seen_in_jingan.id}").status_code == 404
    assert pudong_clerk.get(f"/staff/members/{seen_in_jingan.id}").status_code == 404
    assert (
        "Pu Dong" in pudong_clerk.get("/staff/members").text
        and "No Where" not in pudong_clerk.get("/staff/members").text
    )

    jingan_clerk = _sign_in(app, make_staff, "clerk", jingan.id)
    assert [m["id"] for m in jingan_clerk.get("/api/v1/members").json["items"]] == [seen_in_jingan.id]

    admin = _sign_in(app, make_staff, "admin", pudong.id)
    assert {m["id"] for m in admin.get("/api/v1/members").json["items"]} == {
        seen_in_pudong.id,
        seen_in_jingan.id,
        never_seen.id,
    }
