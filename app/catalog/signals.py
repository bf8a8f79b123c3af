"""What the catalog tells other domains in-process, inside the transaction that changed it.

Integrations get the same news as outbox events (``product.created``, ``product.updated``);
these signals carry the loaded rows, in batches, for reactions that must be fast on a
100,000-row import (labels made for every new product at every location).
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# sender: the list of new products
products_added = _signals.signal("catalog:products-added")
# sender: the list of new locations
locations_added = _signals.signal("catalog:locations-added")
# sender: the product; ``fields``: the names of the fields whose value changed
product_changed = _signals.signal("catalog:product-changed")
# Asked (app.core.hooks.answer). sender: the product. Answer: its current labels, for its staff page.
labels_of = _signals.signal("catalog:labels-of")
