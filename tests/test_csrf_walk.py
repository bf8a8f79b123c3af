"""Every write route refuses a cookie-authenticated caller that sends no CSRF token.

The walk takes every rule of the URL map with POST, PUT, PATCH or DELETE, fills its path
parameters with dummy values and sends the write without a token, as a page of another site
would: once from a staff admin signed in through the login form, once from a member signed in
with the session cookie, once from a kiosk screen signed in by its screen cookie
(``/kiosk?token=``). API routes get a JSON body with their required fields filled in (and
an Idempotency-Key), so validation lets the request reach its caller checks. Each must answer
400 "The CSRF token is missing." (or, for the allow-listed routes below, the refusal named
there), no table may gain or lose a row, and the caller is still signed in afterwards.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
CSRF_MISSING = "The CSRF token is missing."

# Staff-only API routes (a bearer key or a staff session): a member's or a kiosk screen's cookie
# is no staff session, so that caller is refused with 401 before anything is read or written.
STAFF_API = {
    ("DELETE", "/api/v1/stock/reservations/<int:reservation_id>"),
    ("DELETE", "/api/v1/webhooks/<int:endpoint_id>"),
    ("PATCH", "/api/v1/products/<sku>"),
    ("PATCH", "/api/v1/webhooks/<int:endpoint_id>"),
    ("POST", "/api/v1/exit-passes/use"),
    ("POST", "/api/v1/fulfilments/<int:fulfilment_id>/collect"),
    ("POST", "/api/v1/fulfilments/<int:fulfilment_id>/delivered"),
    ("POST", "/api/v1/fulfilments/<int:fulfilment_id>/pack"),
    ("POST", "/api/v1/fulfilments/<int:fulfilment_id>/pick"),
    ("POST", "/api/v1/fulfilments/<int:fulfilment_id>/ready"),
    ("POST", "/api/v1/fulfilments/<int:fulfilment_id>/ship"),
    ("POST", "/api/v1/fulfilments/collect"),
    ("POST", "/api/v1/kiosk/identify"),
    ("POST", "/api/v1/kiosk/pairing"),
    ("POST", "/api/v1/kiosk/sessions"),
    ("POST", "/api/v1/kiosk/sessions/current/end"),
    ("POST", "/api/v1/labels"),
    ("POST", "/api/v1/labels/<code>/replace"),
    ("POST", "/api/v1/locations"),
    ("POST", "/api/v1/member-codes/redeem"),
    ("POST", "/api/v1/members/<int:member_id>/merge"),
    ("POST", "/api/v1/members/import"),
    ("POST", "/api/v1/orders/<number>/counter-payment"),
    ("POST", "/api/v1/orders/<number>/refunds"),
    ("POST", "/api/v1/products"),
    ("POST", "/api/v1/products/import"),
    ("POST", "/api/v1/returns/<int:return_id>/receive"),
    ("POST", "/api/v1/returns/scan"),
    ("POST", "/api/v1/stock/movements"),
    ("POST", "/api/v1/stock/movements/batch"),
    ("POST", "/api/v1/stock/reservations"),
    ("POST", "/api/v1/stock/reservations/<int:reservation_id>/sell"),
    ("POST", "/api/v1/stock/snapshots"),
    ("POST", "/api/v1/stock/snapshots/<int:snapshot_id>/apply"),
    ("POST", "/api/v1/stock/transfers"),
    ("POST", "/api/v1/webhooks"),
    ("POST", "/api/v1/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/retry"),
    ("POST", "/api/v1/webhooks/<int:endpoint_id>/rotate-secret"),
    ("PUT", "/api/v1/products/<sku>/image"),
    ("POST", "/api/v1/merchants"),
    ("POST", "/api/v1/merchants/<int:merchant_id>/rates"),
    ("PUT", "/api/v1/merchants/<int:merchant_id>/products"),
    ("POST", "/api/v1/settlement-runs"),
}

# Member-only API routes: a staff session or a kiosk screen is no member, so that caller is
# refused with 401.
MEMBER_API = {
    ("DELETE", "/api/v1/members/me/addresses/<int:address_id>"),
    ("DELETE", "/api/v1/members/me/scans"),
    ("POST", "/api/v1/members/me/addresses"),
    ("DELETE", "/api/v1/session/all"),
    ("PATCH", "/api/v1/members/me"),
    ("POST", "/api/v1/members/me/identifiers"),
    ("POST", "/api/v1/members/me/identifiers/resend"),
    ("POST", "/api/v1/members/me/identifiers/verify"),
    ("POST", "/api/v1/members/me/wallet/topups"),
    ("POST", "/api/v1/orders/<number>/returns"),
    ("POST", "/api/v1/orders/<number_or_id>/invoice-request"),
}

# Public API forms that need no session (sign-up, sign-in, password reset): a cross-site request
# can do nothing a direct one could not; the walk's dummy credentials are refused (401/422).
PUBLIC_FORMS = {
    ("POST", "/api/v1/members"),
    ("POST", "/api/v1/password-resets"),
    ("POST", "/api/v1/password-resets/confirm"),
    ("POST", "/api/v1/session"),
}

# A cart id is the capability: the dummy cart "X" does not exist, so the route answers 404 before
# it asks who calls (a real cart's caller is checked, CSRF included, in app.carts.api._caller).
CART_ROUTES = {
    ("DELETE", "/api/v1/carts/<cart_id>/lines/<int:line_id>"),
    ("PATCH", "/api/v1/carts/<cart_id>/lines/<int:line_id>"),
    ("POST", "/api/v1/carts/<cart_id>/checkout"),
    ("POST", "/api/v1/carts/<cart_id>/lines"),
}

# Routes that need no CSRF token from a cookie caller: (method, rule) -> caller ("staff", "member",
# "kiosk" or "*" for all) -> (the statuses it may answer besides the CSRF refusal, why).
ALLOWED: dict[tuple[str, str], dict[str, tuple[set[int], str]]] = {
    **{route: {"member": ({401}, "staff-only API"), "kiosk": ({401}, "staff-only API")} for route in STAFF_API},
    **{route: {"staff": ({401}, "member-only API"), "kiosk": ({401}, "member-only API")} for route in MEMBER_API},
    **{route: {"*": ({401, 422}, "public form, no session needed")} for route in PUBLIC_FORMS},
    **{route: {"*": ({404}, "unknown cart")} for route in CART_ROUTES},
    # A payment provider's server calls it with no cookie of ours: its proof is the HMAC over
    # the body (tests/payments/test_hosted.py), not CSRF. The dummy provider "X" is unknown.
    ("POST", "/api/v1/payments/notifications/<provider>"): {"*": ({404}, "provider notification, signed")},
    # Signing out with no member signed in ends nothing (the staff session and the kiosk screen
    # are untouched); a signed-in member must prove CSRF (the member walk expects 400 here).
    ("DELETE", "/api/v1/session"): {
        "staff": ({204}, "no member session to end"),
        "kiosk": ({204}, "no member session to end"),
    },
}

# Only rules that the walk cannot reach at all (none yet: static is GET only, Socket.IO is no rule).
SKIPPED: set[str] = set()


def _dummy_url(rule) -> str:
    """The rule's path with ints as 1 and strings as "X"."""
    values = {}
    for name, converter in rule._converters.items():
        values[name] = 1 if "Integer" in type(converter).__name__ else "X"
    return rule.build(values, append_unknown=False)[1]


def _dummy_value(field):
    """A plausible value for one marshmallow field, so validation lets the request reach its caller checks."""
    from marshmallow import fields, validate

    for validator in getattr(field, "validators", []):
        if isinstance(validator, validate.OneOf):
            return list(validator.choices)[0]
    if isinstance(field, fields.Nested):
        inner = _dummy_body(field.schema)
        return [inner] if field.many else inner
    if isinstance(field, fields.List):
        return [_dummy_value(field.inner)]
    if isinstance(field, fields.Email):
        return "x@example.com"
    if isinstance(field, fields.URL):
        return "https://example.com/hook"
    if isinstance(field, fields.Boolean):
        return True
    if isinstance(field, fields.Number):
        return 1
    if isinstance(field, fields.Dict):
        return {}
    minimum = next((v.min for v in getattr(field, "validators", []) if isinstance(v, validate.Length) and v.min), 1)
    return "X" * max(minimum, 1)


def _dummy_body(schema) -> dict:
    return {field.data_key or name: _dummy_value(field) for name, field in schema.fields.items() if field.required}


def _json_body(app, rule, method: str) -> dict:
    """The route's JSON arguments with every required field filled in (empty for pages)."""
    view = app.view_functions[rule.endpoint]
    view = getattr(getattr(view, "view_class", None), method.lower(), view)
    for parameter in getattr(view, "_apidoc", {}).get("arguments", {}).get("parameters", []):
        if parameter["in"] == "json":
            return _dummy_body(parameter["schema"])
    return {}


def _write_routes(app) -> list[tuple[str, str, str, dict]]:
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule in SKIPPED:
            continue
        for method in WRITE_METHODS:
            if method in rule.methods:
                routes.append((method, rule.rule, _dummy_url(rule), _json_body(app, rule, method)))
    return sorted(routes, key=lambda route: route[:2])


def _row_counts(db) -> dict[str, int]:
    db.session.rollback()
    counts = {
        table.name: db.session.scalar(select(func.count()).select_from(table)) for table in db.metadata.sorted_tables
    }
    db.session.rollback()
    return counts


@pytest.fixture
def staff_cookie(signed_in):
    return signed_in("admin")


@pytest.fixture
def member_cookie(app, db):
    from app.members import services

    services.sign_up("mei@example.com", "long-password", "Mei Lin")
    db.session.commit()
    client = app.test_client()
    response = client.post("/api/v1/session", json={"login": "mei@example.com", "password": "long-password"})
    assert response.status_code == 200, response.json
    return client


@pytest.fixture
def kiosk_cookie(app, db, make_location):
    """A browser that is a kiosk screen: the device token given once, then only the screen cookie."""
    from app.kiosks import services

    location = make_location(code="SH-CSRF", name="CSRF walk store")
    _, token = services.create_device(location.code, "Kiosk 9", None)
    db.session.commit()
    client = app.test_client()
    assert client.get(f"/kiosk?token={token}").status_code == 302
    assert "Kiosk 9" in client.get("/kiosk").text
    return client


def _still_signed_in(caller: str, client) -> bool:
    """The walk did not sign the caller out (which would let the rest of it pass for the wrong reason)."""
    if caller == "staff":
        return client.get("/staff/products").status_code == 200
    if caller == "member":
        return client.get("/api/v1/members/me").status_code == 200
    return "Kiosk 9" in client.get("/kiosk").text


@pytest.mark.parametrize("caller", ["staff", "member", "kiosk"])
def test_every_cookie_write_needs_csrf(app, db, request, caller):
    client = request.getfixturevalue(f"{caller}_cookie")
    routes = _write_routes(app)
    assert len(routes) > 80  # the walk sees the whole app
    stale = set(ALLOWED) - {(method, rule) for method, rule, _, _ in routes}
    assert not stale, f"allowed routes that no longer exist: {sorted(stale)}"
    before = _row_counts(db)
    wrong = []
    for method, rule, url, body in routes:
        response = client.open(
            url, method=method, json=body, headers={"Accept": "application/json", "Idempotency-Key": "csrf-walk"}
        )
        allowed = ALLOWED.get((method, rule), {})
        allowance = allowed.get(caller) or allowed.get("*")
        message = (response.get_json(silent=True) or {}).get("error", {}).get("message")
        refused = response.status_code == 400 and message == CSRF_MISSING
        if allowance is not None:
            if not refused and response.status_code not in allowance[0]:
                wrong.append(f"{method} {rule}: {response.status_code} {message} (allowed {sorted(allowance[0])})")
        elif not refused:
            wrong.append(f"{method} {rule}: {response.status_code} {message}")
        after = _row_counts(db)
        changed = {name for name in after if after[name] != before[name]}
        if changed:
            wrong.append(f"{method} {rule}: wrote to {sorted(changed)}")
            before = after
    assert not wrong, "\n".join(wrong)
    assert _still_signed_in(caller, client), f"the {caller} was signed out by the walk"
