"""Domain events: recorded in the transaction that made them, published in order afterwards.

A service calls ``record("order.paid", ...)``: one row in the ``outbox`` table, and the
event's blinker signal sent at once, inside the same transaction, so that another domain's
reaction (moving a merged member's baskets, say) commits or rolls back with it. After the
commit, a publisher gives committed events their place in one sequence (``seq``), which is the
cursor of ``GET /api/v1/events`` and the order webhooks are delivered in.
"""
