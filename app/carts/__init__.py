"""Carts: one basket per member (or per kiosk session, or per guest), its units held at the store."""

from app.carts import events, kiosk_baskets, merging  # noqa: F401 - socket events, kiosk and merge reactions
