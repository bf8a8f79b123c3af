"""Analytics fixtures: the help-request stores, phones that scan their labels, and clerks."""

from __future__ import annotations

from tests.service import conftest as help_fixtures

stores, phone, label_code, clerk_of = (
    help_fixtures.stores,
    help_fixtures.phone,
    help_fixtures.label_code,
    help_fixtures.clerk_of,
)
