"""Security fixtures: a store with a shelf, kiosks and members (the order fixtures)."""

from tests.orders.conftest import (  # noqa: F401 - fixtures
    kiosk_screen,
    make_device,
    make_member,
    member_client,
    shelf,
    shopper,
    store,
)
