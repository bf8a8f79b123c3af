"""What the members domain tells the domains built on it."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Told, in the redeeming transaction. sender: the Member whose code was scanned; ``actor``: who scanned it
# (a kiosk device's actor greets the member on its screen).
code_redeemed = _signals.signal("members:code-redeemed")
