"""Every HATS_* variable, read in one place and validated, and hats' config.toml behind them.

Each reader looks at the environment when it is called (cheap, and tests may
change it), then at config.toml (tui/user_config.py: session_duration,
refresh_margin, prod_pattern, backend, browser, [keymap]); `check` calls them
all at the start of a command, so a bad value stops the run in one line that
names the variable, or the file, line and key, before anything happens. An
empty variable counts as unset, except HATS_PROD_PATTERN, where empty turns
production marking off on purpose.

The app (tui/app/) and the demo (tui/sandbox/demo.py) read HATS_FILE_PASSPHRASE and
the demo's own variables themselves.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from . import user_config
from .display import printable
from .errors import ConfigError

# GetSessionToken with an IAM user's key: AWS accepts 900 s to 129600 s (36 h).
SESSION_SECONDS = 4 * 3600
MIN_SESSION_SECONDS, MAX_SESSION_SECONDS = 900, 129600
REFRESH_MARGIN_SECONDS, MAX_REFRESH_MARGIN_SECONDS = 300, 3000
UNLOCKED_SECONDS, MAX_UNLOCKED_SECONDS = 900, 7 * 24 * 3600  # like sudo's 15 minutes; at most a week
DEFAULT_PROD_PATTERN = "prod"


class SettingError(ConfigError):
    """A HATS_* variable (or the flag standing in for one) holds a value hats cannot use."""


def session_seconds() -> int:
    """HATS_SESSION_DURATION: how long an MFA session (GetSessionToken) lasts."""
    return _seconds("HATS_SESSION_DURATION", SESSION_SECONDS, MIN_SESSION_SECONDS, MAX_SESSION_SECONDS,
                    limits="AWS's {} s {} for an MFA session (GetSessionToken)")


def refresh_margin_seconds() -> int:
    """HATS_REFRESH_MARGIN: seconds before expiry a session counts as used up; less than a session."""
    margin = _seconds("HATS_REFRESH_MARGIN", REFRESH_MARGIN_SECONDS, 0, MAX_REFRESH_MARGIN_SECONDS)
    duration = session_seconds()
    if margin >= duration:
        label = _value("HATS_REFRESH_MARGIN")[1]
        raise SettingError(f"{label}{margin} is not less than the session duration of {duration} s "
                           "(HATS_SESSION_DURATION): every new session would count as used up at once")
    return margin


def file_unlocked_seconds() -> int:
    """HATS_FILE_UNLOCKED_SECONDS: idle seconds the encrypted file stays unlocked; 0 asks every run."""
    return _seconds("HATS_FILE_UNLOCKED_SECONDS", UNLOCKED_SECONDS, 0, MAX_UNLOCKED_SECONDS)


def prod_pattern() -> re.Pattern | None:
    """HATS_PROD_PATTERN as a case-insensitive regex; None when set empty (no account is production)."""
    pattern, label = _value("HATS_PROD_PATTERN")
    return compile_prod_pattern(DEFAULT_PROD_PATTERN if pattern is None else pattern, label)


def compile_prod_pattern(pattern: str, label: str = "HATS_PROD_PATTERN=") -> re.Pattern | None:
    """A broken pattern is refused: matching it as text, or not at all, would hide production."""
    if not pattern:
        return None
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise SettingError(f"{label}{_shown(pattern)} is not a valid regular expression ({exc}); "
                           "production accounts could not be marked") from None


def backend(flag: str | None = None) -> str | None:
    """The keyring backend named by --backend, else HATS_BACKEND; None: the platform's own."""
    from .store.backends import BACKENDS

    name, source = (flag, "--backend ") if flag is not None else _value("HATS_BACKEND")
    if not name:
        if flag is not None:
            raise SettingError(f"--backend is empty: choose one of {', '.join(BACKENDS)}")
        return None
    if name not in BACKENDS:
        raise SettingError(f"{source}{_shown(name)} is not a keyring backend: choose one of {', '.join(BACKENDS)}")
    return name


def file_passphrase() -> str | None:
    """HATS_FILE_PASSPHRASE: the encrypted file's passphrase, for machines with no one to type it."""
    return os.environ.get("HATS_FILE_PASSPHRASE") or None


def file_dir() -> str | None:
    """HATS_FILE_DIR: where the encrypted file lives; None: the platform's user data directory."""
    return os.environ.get("HATS_FILE_DIR") or None


def state_dir() -> str | None:
    """HATS_STATE_DIR: where lock files go; None: the platform's user state directory."""
    return os.environ.get("HATS_STATE_DIR") or None


def signin_url() -> str | None:
    """HATS_SIGNIN_URL: the federation endpoint for `hats login`; None: the partition's."""
    return os.environ.get("HATS_SIGNIN_URL", "").strip() or None


def sso_browser() -> str | None:
    """HATS_SSO_BROWSER: the command line (%s for the URL) an Identity Center sign-in opens in place of
    $BROWSER's; the console sign-in (`hats login`) keeps $BROWSER. None: $BROWSER or the platform's."""
    command = os.environ.get("HATS_SSO_BROWSER", "").strip()
    if not command:
        return None
    try:
        words = shlex.split(command)
    except ValueError as exc:
        raise SettingError(f"HATS_SSO_BROWSER={_shown(command)} is not a command line ({exc})") from None
    if not any("%s" in word for word in words):
        raise SettingError(f"HATS_SSO_BROWSER={_shown(command)} has no %s where the sign-in URL goes")
    return command


def browser() -> str | None:
    """HATS_BROWSER: how `hats login` opens the console for a profile without `hats_browser`; None: the system's."""
    name, label = _value("HATS_BROWSER")
    name = (name or "").strip()
    if not name:
        return None
    from .browsers import BROWSERS  # only then: every run checks the settings, a cached exec too

    if name not in BROWSERS:
        raise SettingError(f"{label}{_shown(name)} is not a way hats opens the console: "
                           f"choose one of {', '.join(BROWSERS)}")
    return name


def config_file() -> Path:
    """HATS_CONFIG_FILE: hats' own config.toml; else the one in the platform's user config directory."""
    chosen = os.environ.get("HATS_CONFIG_FILE", "").strip()
    return Path(os.path.expanduser(chosen)) if chosen else user_config.default_path()


def keymap() -> dict[str, str]:
    """config.toml's [keymap]: binding id -> keys, for the app's set_keymap."""
    return dict(user_config.load(config_file()).keymap)


def keymap_where(binding: str) -> str:
    """How a message names a binding of the [keymap] table: file, line and key."""
    return user_config.load(config_file()).where(binding, "keymap")


def check(backend_flag: str | None = None) -> None:
    """Read every setting once, so that a bad one fails the run before it does anything."""
    user_config.load(config_file())
    session_seconds()
    refresh_margin_seconds()
    file_unlocked_seconds()
    prod_pattern()
    backend(backend_flag)
    sso_browser()
    browser()


def source(name: str) -> str | None:
    """Where a setting is set: the variable, or config.toml's file, line and key; None when unset."""
    text, label = _value(name)
    return None if text is None else label.rstrip("= ")


def _value(name: str) -> tuple[str | None, str]:
    """The setting's text (None: unset) and how a message names it: the variable when it is set,
    else config.toml's key (`~/.config/hats/config.toml line 3: session_duration = `)."""
    text = os.environ.get(name)
    if text is not None and (text.strip() or name == "HATS_PROD_PATTERN"):
        return text, f"{name}="
    config = user_config.load(config_file())
    key = next((key for key, variable in user_config.KEYS.items() if variable == name), None)
    if key is not None and key in config.values:
        return user_config.setting_text(config.values[key]), f"{config.where(key)} = "
    return None, f"{name}="


def _seconds(name: str, default: int, low: int, high: int, limits: str | None = None) -> int:
    text, label = _value(name)
    text = (text or "").strip()
    if not text:
        return default
    span = f"a whole number of seconds from {low} to {high}"
    if not (text.isascii() and text.isdigit()):  # str.isdigit() alone says yes to '²'
        raise SettingError(f"{label}{_shown(text)} is not {span}")
    value = int(text)
    if value < low:
        reason = limits.format(low, "minimum") if limits else f"the minimum of {low} s"
        raise SettingError(f"{label}{value} is below {reason}: use {span}")
    if value > high:
        reason = limits.format(high, "maximum") if limits else f"the maximum of {high} s"
        raise SettingError(f"{label}{_shown(text) if len(text) > 20 else value} is above {reason}: use {span}")
    return value


def _shown(text: str) -> str:
    """A value as a message quotes it: escaped, and cut short when it is long."""
    text = printable(text)
    return f"'{text if len(text) <= 60 else text[:57] + '...'}'"
