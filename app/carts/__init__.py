"""Carts: one basket per member (or per kiosk session, or per guest), its units held at the store."""

from app.carts import events  # noqa: F401 - registers the socket events
