"""What other domains plug into staff, so that staff never imports them.

Staff sits below catalog, labels and kiosks: they register here when the app starts.

- bearer tokens: ``register_bearer("osd_", verify)`` -- a token with that prefix is given to
  ``verify(token)``, which answers the caller (an ``Actor``) or None (401 ``invalid_token``);
- the staff home page: ``register_home_tile(name, tile, order)`` -- ``tile()`` answers a
  ``HomeTile`` (or None to show nothing);
- locations: ``register_locations(resolve, choices)`` -- ``resolve(code)`` answers a location's
  id (or raises the owner's NotFound), ``choices()`` every location as ``(id, code, name)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from app.errors import DomainError

if TYPE_CHECKING:
    from app.staff.auth import Actor


@dataclass(frozen=True)
class Bearer:
    prefix: str
    verify: Callable[[str], Actor | None]
    # Named in the 401: "The <what> is unknown or revoked."
    what: str


@dataclass(frozen=True)
class HomeTile:
    """One tile of the staff home page: ``parts`` are (value, words) pairs, e.g. (3, "stores")."""

    url: str
    parts: tuple[tuple[Any, str], ...]
    warn: bool = False


@dataclass(frozen=True)
class _Locations:
    resolve: Callable[[str], int]
    choices: Callable[[], list[tuple[int, str, str]]]


_bearers: dict[str, Bearer] = {}
_tiles: dict[str, tuple[int, Callable[[], HomeTile | None]]] = {}
_locations: list[_Locations] = []


def register_bearer(prefix: str, verify: Callable[[str], Actor | None], what: str = "token") -> None:
    """Tokens starting with ``prefix`` are checked by ``verify`` (registering again replaces)."""
    _bearers[prefix] = Bearer(prefix, verify, what)


def bearer_for(token: str) -> Bearer | None:
    """The registered verifier of this token's prefix (the longest prefix that matches)."""
    matching = [b for p, b in _bearers.items() if token.startswith(p)]
    return max(matching, key=lambda b: len(b.prefix)) if matching else None


def register_home_tile(name: str, tile: Callable[[], HomeTile | None], order: int = 100) -> None:
    """Show ``tile()`` on the staff home page, tiles sorted by ``order`` then name."""
    _tiles[name] = (order, tile)


def home_tiles() -> list[HomeTile]:
    """The tiles of the staff home page, computed now."""
    tiles = (fn() for _, (_, fn) in sorted(_tiles.items(), key=lambda item: (item[1][0], item[0])))
    return [tile for tile in tiles if tile is not None]


def register_locations(resolve: Callable[[str], int], choices: Callable[[], list[tuple[int, str, str]]]) -> None:
    """Where staff finds locations (kept by catalog)."""
    _locations[:] = [_Locations(resolve, choices)]


def _provider() -> _Locations:
    if not _locations:
        raise DomainError("locations_unavailable", "No location directory is registered.")
    return _locations[0]


def location_id(code: str) -> int:
    """The id of the location with this code."""
    return _provider().resolve(code)


def location_choices() -> list[tuple[int, str, str]]:
    """Every location as (id, code, name)."""
    return _provider().choices()
