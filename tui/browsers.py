"""How `hats login` opens the console sign-in URL: the system browser, or one kept apart per profile.

A profile's `hats_browser` (else HATS_BROWSER, else `default`) chooses:

* `default`: the system browser (Python's webbrowser), one cookie jar for every account.
* `firefox-container`: `firefox --new-tab ext+granted-containers:name=...&url=...&color=...&icon=...`,
  which Granted's Firefox extension turns into a container tab of the profile's own, in
  the account's colour: accounts side by side, each signed in (granted's exact format).
* `chrome`, `chromium`, `brave`: the browser with `--user-data-dir=<state dir>/browsers/<profile>`,
  a browser profile of the account's own.

The sign-in URL holds a sign-in token, good for 15 minutes. It goes to the
browser in argv only because that is how browsers take a URL: for those
seconds another local user may read it in the process list. hats never
prints or logs it (only `--stdout` prints it, on purpose).
"""

from __future__ import annotations

import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from .errors import ConfigError, HatsError

if TYPE_CHECKING:
    from .profiles import Profile

DEFAULT = "default"
FIREFOX_CONTAINER = "firefox-container"
CHROMIUMS = ("chrome", "chromium", "brave")
BROWSERS = (DEFAULT, FIREFOX_CONTAINER, *CHROMIUMS)
PROFILE_KEY = "hats_browser"
CONTAINER_SCHEME = "ext+granted-containers:"
CONTAINER_ICON = "fingerprint"
# The programs tried, in order: on PATH, then where macOS puts the app.
EXECUTABLES = {
    FIREFOX_CONTAINER: ("firefox", "/Applications/Firefox.app/Contents/MacOS/firefox"),
    "chrome": ("google-chrome", "google-chrome-stable", "chrome",
               "/Applications/Google Chrome.app/Contents/MacOS/Google Chrome"),
    "chromium": ("chromium", "chromium-browser", "/Applications/Chromium.app/Contents/MacOS/Chromium"),
    "brave": ("brave-browser", "brave", "/Applications/Brave Browser.app/Contents/MacOS/Brave Browser"),
}
# hats' account colours (tui/child/colors.py PALETTE) as the eight colours a Firefox container takes.
FIREFOX_COLORS = {
    "blue": "blue", "cyan": "turquoise", "green": "green", "lime": "green", "gold": "yellow",
    "orange": "orange", "pink": "pink", "magenta": "pink", "purple": "purple", "brown": "orange",
    "gray": "blue", "white": "blue", "red": "red",
}
FIREFOX_RGB = {  # Firefox's own container colours, for a `hats_color = #rrggbb`
    "blue": (0x37, 0xAD, 0xFF), "turquoise": (0x00, 0xC7, 0x9A), "green": (0x51, 0xCD, 0x00),
    "yellow": (0xFF, 0xCB, 0x00), "orange": (0xFF, 0x9F, 0x00), "red": (0xFF, 0x61, 0x3D),
    "pink": (0xFF, 0x4B, 0xDA), "purple": (0xAF, 0x51, 0xF5),
}


class BrowserError(HatsError):
    """The chosen browser cannot be found or started."""


@dataclass(frozen=True)
class Browser:
    """How one profile's console opens."""

    kind: str                   # one of BROWSERS
    profile: str
    executable: str | None      # None for the system browser
    container_color: str = "blue"

    @property
    def description(self) -> str:
        """Where the console opened, as the message after `hats login` says it."""
        if self.kind == DEFAULT:
            return "your browser"
        if self.kind == FIREFOX_CONTAINER:
            return f"a Firefox container of its own ({self.container_color})"
        return f"{self.kind} with a browser profile of its own"

    def command(self, url: str, state_dir: Path) -> list[str]:
        """The argv that opens `url`; for the Chromium family it names the profile's user data directory."""
        if self.executable is None:
            raise BrowserError("the system browser is opened by webbrowser, not by a command")
        if self.kind == FIREFOX_CONTAINER:
            return [self.executable, "--new-tab", container_url(url, self.profile, self.container_color)]
        return [self.executable, f"--user-data-dir={user_data_dir(state_dir, self.profile)}",
                "--no-first-run", "--no-default-browser-check", url]

    def open(self, url: str, state_dir: Path) -> None:
        if self.executable is None:
            import webbrowser

            if not webbrowser.open(url):
                raise BrowserError("no browser to open; use --stdout to print the sign-in URL")
            return
        import subprocess

        command = self.command(url, state_dir)
        try:
            if self.kind in CHROMIUMS:  # cookies of a signed-in console: the owner's only
                os.makedirs(user_data_dir(state_dir, self.profile), mode=0o700, exist_ok=True)
            # Its own session, no terminal: the browser outlives hats and never writes over the prompt.
            subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL, start_new_session=True)
        except OSError as failed:
            raise BrowserError(f"cannot open the console in {self.kind}: {failed.strerror or failed}") from None


def browser_for(profile: Profile) -> Browser:
    """The profile's browser, its program found: a bad choice or a missing program fails here, before sign-in."""
    from .child.colors import account_color, account_label

    kind = chosen_kind(profile)
    if kind == DEFAULT:
        return Browser(DEFAULT, profile.name, None)
    color = account_color(profile, profile.account_id, account_label(profile, profile.account_id))
    return Browser(kind, profile.name, _executable(kind), firefox_color(color.name))


def chosen_kind(profile: Profile) -> str:
    """The profile's `hats_browser`, else HATS_BROWSER, else the system browser."""
    from . import settings

    value = profile.settings.get(PROFILE_KEY)
    if isinstance(value, str) and value.strip():
        if value.strip() not in BROWSERS:
            raise ConfigError(f"profile '{profile.name}': {PROFILE_KEY} '{value.strip()}' is not one of "
                              f"{', '.join(BROWSERS)}")
        return value.strip()
    return settings.browser() or DEFAULT


def container_url(url: str, profile: str, color: str) -> str:
    """Granted's container link: the extension reads it with URLSearchParams, so every value is query-escaped."""
    fields = (("name", profile), ("url", url), ("color", color), ("icon", CONTAINER_ICON))
    return CONTAINER_SCHEME + "&".join(f"{key}={quote_plus(value, safe='')}" for key, value in fields)


def firefox_color(name: str) -> str:
    """A hats colour (a PALETTE name or #rrggbb) as the nearest Firefox container colour."""
    if name in FIREFOX_COLORS:
        return FIREFOX_COLORS[name]
    if re.match(r"^#[0-9a-fA-F]{6}$", name):
        rgb = tuple(int(name[i:i + 2], 16) for i in (1, 3, 5))
        return min(FIREFOX_RGB, key=lambda c: sum((a - b) ** 2 for a, b in zip(FIREFOX_RGB[c], rgb)))
    return "blue"


def user_data_dir(state_dir: Path, profile: str) -> Path:
    """<state dir>/browsers/<profile>, the name made safe for a directory (no '/', no '..')."""
    safe = re.sub(r"[^\w.@+=,-]", "-", profile, flags=re.ASCII).lstrip(".") or "profile"
    return state_dir / "browsers" / safe


def _executable(kind: str) -> str:
    for candidate in EXECUTABLES[kind]:
        found = candidate if os.path.isabs(candidate) and os.access(candidate, os.X_OK) else shutil.which(candidate)
        if found:
            return found
    names = ", ".join(c for c in EXECUTABLES[kind] if not os.path.isabs(c))
    program = "firefox" if kind == FIREFOX_CONTAINER else kind
    raise BrowserError(f"no {program} found to open the console (looked for {names} on PATH); "
                       "install it, choose another browser, or use --stdout to print the sign-in URL")
