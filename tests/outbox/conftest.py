"""The order fixtures (a stocked shelf, a store) for event tests."""

from tests.orders.conftest import shelf, store  # noqa: F401
