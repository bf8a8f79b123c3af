"""Cart fixtures: a store with kiosks, and members."""

from tests.kiosks.conftest import kiosk_screen, make_device, store  # noqa: F401 - fixtures
from tests.members.conftest import make_member, member_client  # noqa: F401 - fixtures
