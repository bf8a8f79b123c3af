"""What the scans domain asks the kiosks domain built on it."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Asked (app.core.hooks.answer). sender: a device filter as typed (a token prefix, or an id).
# Answer: the ids of the devices it names (a list, maybe empty).
devices_named = _signals.signal("scans:devices-named")
