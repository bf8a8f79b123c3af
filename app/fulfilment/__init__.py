"""Fulfilment: planning where an order's units come from (the router)."""
