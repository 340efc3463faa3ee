"""The colour of an account, the same in the prompt and in the TUI.

A profile's `hats_color` (a name from PALETTE, or #rrggbb) is used as given.
Otherwise every account id gets one of ACCOUNT_COLORS, picked by a digest of
the id so it is the same in every process (Python's hash() is salted). None
of those is red: red means production.

An account is production when its label, profile name, alias or id matches
HATS_PROD_PATTERN (a case-insensitive regex, default `prod`; an empty value
turns the check off; an invalid one is refused, see settings.py). Production
is red unless the profile sets `hats_color`: an explicit colour is the user's
decision and wins, but the account stays `is_production`, so the shell's
warning is still printed.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from .. import settings
from ..profiles import Profile

# xterm-256 indices (16-255 only: 0-15 are redefined by every terminal theme).
PALETTE = {
    "blue": 33, "cyan": 44, "green": 71, "lime": 148, "gold": 178,
    "orange": 208, "pink": 211, "magenta": 170, "purple": 141, "brown": 137,
    "gray": 245, "white": 255, "red": 196,
}
ACCOUNT_COLORS = ("blue", "cyan", "green", "lime", "gold", "orange", "pink", "magenta", "purple", "brown")
PRODUCTION_COLOR = "red"
HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_CUBE_LEVELS = (0, 95, 135, 175, 215, 255)


@dataclass(frozen=True)
class AccountColor:
    name: str            # a PALETTE name, or "#rrggbb" as configured
    ansi: str            # SGR fragment for 256-colour terminals: "38;5;173"
    is_production: bool
    hex: str             # "#d7875f": what Rich and Textual styles take

    @property
    def sgr(self) -> str:
        """The escape sequence that switches the terminal to this colour."""
        return f"\x1b[{self.ansi}m"


def account_label(profile: Profile, account_id: str | None) -> str | None:
    """What the prompt calls the account: its alias, else its id."""
    return profile.account_alias or account_id


def account_color(profile: Profile, account_id: str | None, label: str | None,
                  prod_pattern: str | None = None) -> AccountColor:
    production = is_production(prod_pattern, label, profile.name, profile.account_alias, account_id)
    explicit = _configured(profile.color)
    if explicit:
        name, index, hex_value = explicit
    elif production:
        name, index, hex_value = _named(PRODUCTION_COLOR)
    else:
        name, index, hex_value = _named(stable_choice(account_id or label or profile.name))
    return AccountColor(name=name, ansi=f"38;5;{index}", is_production=production, hex=hex_value)


def is_production(pattern: str | None, *names: str | None) -> bool:
    """Whether any of `names` matches `pattern` (default: HATS_PROD_PATTERN)."""
    regex = settings.prod_pattern() if pattern is None else settings.compile_prod_pattern(pattern)
    return regex is not None and any(name and regex.search(name) for name in names)


def stable_choice(key: str) -> str:
    digest = hashlib.sha256(key.encode("utf-8")).digest()
    return ACCOUNT_COLORS[int.from_bytes(digest[:4], "big") % len(ACCOUNT_COLORS)]


def _configured(value: str | None) -> tuple[str, int, str] | None:
    """A valid `hats_color`, as (name, xterm index, hex); None if unset or unknown."""
    value = (value or "").strip().lower()
    if value in PALETTE:
        return _named(value)
    if HEX.match(value):
        rgb = tuple(int(value[i:i + 2], 16) for i in (1, 3, 5))
        return value, nearest_index(rgb), value
    return None


def _named(name: str) -> tuple[str, int, str]:
    index = PALETTE[name]
    return name, index, "#%02x%02x%02x" % index_rgb(index)


def index_rgb(index: int) -> tuple[int, int, int]:
    """The RGB that xterm gives a 256-colour index from 16 to 255."""
    if index >= 232:
        level = 8 + 10 * (index - 232)
        return level, level, level
    index -= 16
    return _CUBE_LEVELS[index // 36], _CUBE_LEVELS[index // 6 % 6], _CUBE_LEVELS[index % 6]


def nearest_index(rgb: tuple[int, ...]) -> int:
    """The 256-colour index closest to an RGB colour, for terminals without truecolor."""
    return min(range(16, 256), key=lambda i: sum((a - b) ** 2 for a, b in zip(index_rgb(i), rgb)))
