"""What the kiosk tells and asks the domains built on it (baskets, orders), without importing them.

Questions are asked with ``app.core.hooks.answer``; the basket and order domains answer.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Told, in the identifying transaction. sender: the KioskSession; ``member``: who was identified.
member_identified = _signals.signal("kiosks:member-identified")
# Asked. sender: the KioskSession; ``sku``, ``location``: one scanned unit for the basket of
# whoever is at the kiosk. Answer: {"cart", "added", "message"?} for the screen.
add_to_basket = _signals.signal("kiosks:add-to-basket")
# Asked. sender: the KioskSession. Answer: the basket (as the API shows it) of whoever is there.
basket_of = _signals.signal("kiosks:basket-of")
# Asked. sender: the Product. Answer: the products others bought with it (a list, maybe empty).
bought_together = _signals.signal("kiosks:bought-together")
