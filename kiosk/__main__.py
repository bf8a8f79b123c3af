"""``python -m kiosk``: see ``kiosk.cli``."""

from kiosk.cli import main

raise SystemExit(main())
