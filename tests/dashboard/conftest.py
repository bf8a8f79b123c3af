"""Dashboard fixtures: the order fixtures (a store with a labelled product, members with wallets)."""

from __future__ import annotations

from tests.orders import conftest as order_fixtures

store, shelf, shopper = order_fixtures.store, order_fixtures.shelf, order_fixtures.shopper
make_member, member_client = order_fixtures.make_member, order_fixtures.member_client
