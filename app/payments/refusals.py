"""The one answer to a request that still sends a card number to our server."""

from __future__ import annotations

from typing import Any

from app.errors import DomainError

CARD_ON_PROVIDER_PAGE = (
    "Card numbers are never sent to this shop: pay with method card and enter the card on the "
    "card provider's page (next_action.redirect_url in the answer)."
)


def refuse_card_number(data: Any) -> Any:
    """400 card_number_not_accepted if ``data`` (a request body or part of one) carries a card number."""
    if isinstance(data, dict) and "card_number" in data:
        raise DomainError("card_number_not_accepted", CARD_ON_PROVIDER_PAGE, status=400)
    return data
