"""Payment fixtures: members, wallets with money in them, the wallet API, the ledger check."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

# Imported here so that the app fixture's create_all() makes the payment tables too.
from app.payments.models import Wallet, WalletEntry
from tests.orders.conftest import shelf, store  # noqa: F401 - a labelled product for card checkouts
from tests.payments.hosted import DECLINED, NO_FUNDS, PROCESSING_ERROR, VISA, top_up_by_card  # noqa: F401

OTHER_VALID = "5555 5555 5555 4444"

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@pytest.fixture(autouse=True)
def _close_gateway(app):
    """Close the sandbox gateway's own connections after each test."""
    yield
    from app.payments import gateway

    gateway.dispose()


@pytest.fixture
def make_member(db):
    """A member created through the sign-up rule, with a known password."""
    from app.members import services

    counter = iter(range(1, 10_000))

    def make(login=None, name="Mei Lin"):
        member = services.sign_up(login or f"payer{next(counter)}@example.com", "long-password", name)
        db.session.commit()
        return member

    return make


@pytest.fixture
def funded(db, make_member):
    """A member whose wallet was topped up with ``amount`` from the sandbox card."""
    counter = iter(range(1, 10_000))

    def make(amount=10_000, member=None):
        member = member or make_member()
        top_up_by_card(member, amount, VISA, f"fund-{member.id}-{next(counter)}")
        return member

    return make


@pytest.fixture
def wallet_api(app, make_member):
    """A test client signed in as a member, with the wallet API registered; returns (client, member)."""
    if "payments_api" not in app.blueprints:
        from app.extensions import csrf
        from app.payments.api import api as payments_api

        app.extensions["flask-smorest"]["apis"][""]["ext_obj"].register_blueprint(payments_api)
        csrf.exempt(payments_api)

    def sign_in(login="mei@example.com"):
        member = make_member(login=login)
        client = app.test_client()
        response = client.post("/api/v1/session", json={"login": login, "password": "long-password"})
        assert response.status_code == 200, response.json
        return client, member

    return sign_in


def wallet_agrees(db) -> None:
    """Every wallet's balance is the sum of its entries and the last entry's balance_after; never negative."""
    for wallet in db.session.scalars(select(Wallet).execution_options(populate_existing=True)):
        total = db.session.scalar(
            select(func.coalesce(func.sum(WalletEntry.amount), 0)).where(WalletEntry.wallet_id == wallet.id)
        )
        last = db.session.scalar(
            select(WalletEntry.balance_after).where(WalletEntry.wallet_id == wallet.id).order_by(WalletEntry.id.desc())
        )
        assert wallet.balance == total == (last or 0), (wallet.balance, total, last)
        assert wallet.balance >= 0
