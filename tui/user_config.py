"""hats' own config file, `config.toml` in the user config directory: what the HATS_* variables set,
for every run, and the app's keys.

    session_duration = 14400        # HATS_SESSION_DURATION
    refresh_margin = 300            # HATS_REFRESH_MARGIN
    prod_pattern = "prod|live"      # HATS_PROD_PATTERN
    backend = "file"                # HATS_BACKEND
    browser = "firefox-container"   # HATS_BROWSER

    [keymap]                        # binding id = keys, as Textual's keymaps take them
    renew = "ctrl+r"
    console = "o,ctrl+o"

A variable that is set wins over the file. The file is read only when it exists (a cached
`hats exec` pays a stat for it), parsed once a process, and every problem is one line
naming the file, the line and the key. Only tui/settings.py calls this module.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import NamedTuple

from .display import home_relative, printable
from .errors import ConfigError

FILE_NAME = "config.toml"
KEYS = {"session_duration": "HATS_SESSION_DURATION", "refresh_margin": "HATS_REFRESH_MARGIN",
        "prod_pattern": "HATS_PROD_PATTERN", "backend": "HATS_BACKEND", "browser": "HATS_BROWSER"}
TABLES = ("keymap",)


class UserConfigError(ConfigError):
    """config.toml cannot be read, or holds a key or value hats cannot use."""


class UserConfig(NamedTuple):
    path: Path | None = None
    values: Mapping[str, object] = MappingProxyType({})  # top-level key -> its value
    keymap: Mapping[str, str] = MappingProxyType({})  # binding id -> keys
    text: str = ""

    def where(self, key: str, table: str | None = None) -> str:
        """How a message names a key: `~/.config/hats/config.toml line 3: session_duration`."""
        line = line_of(self.text, key, table)
        at = f" line {line}" if line else ""
        return f"{shown_path(self.path)}{at}: {f'{table}.' if table else ''}{key}"


def default_path() -> Path:
    """config.toml in the platform's user config directory (tui/dirs.py)."""
    from .dirs import user_config_dir

    return user_config_dir() / FILE_NAME


_loaded: dict[tuple[str, int], UserConfig] = {}


def load(path: Path) -> UserConfig:
    """The file at `path`, or an empty config when there is none."""
    try:
        stat = path.stat()
    except OSError:
        return UserConfig()
    cache_key = (str(path), stat.st_mtime_ns)
    if cache_key not in _loaded:
        _loaded.clear()
        _loaded[cache_key] = _parse(path)
    return _loaded[cache_key]


def _parse(path: Path) -> UserConfig:
    import tomllib

    try:
        text = path.read_text(encoding="utf-8")
        data = tomllib.loads(text)
    except OSError as exc:
        raise UserConfigError(f"{shown_path(path)}: cannot be read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise UserConfigError(f"{shown_path(path)}: is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise UserConfigError(f"{shown_path(path)}: is not valid TOML: {exc}") from None
    values: dict[str, object] = {}
    keymap: dict[str, str] = {}
    config = UserConfig(path, values, keymap, text)
    for key, value in data.items():
        if key in TABLES:
            continue
        if key not in KEYS:
            raise UserConfigError(f"{config.where(key)}: no such setting; the settings are "
                                  f"{', '.join([*KEYS, *(f'[{table}]' for table in TABLES)])}")
        if isinstance(value, (dict, list)):
            raise UserConfigError(f"{config.where(key)}: takes one value, not a table or a list")
        values[key] = value
    table = data.get("keymap", {})
    if not isinstance(table, dict):
        raise UserConfigError(f"{config.where('keymap')}: is a table of binding id = \"keys\"")
    for binding, keys in table.items():
        if not isinstance(keys, str) or not keys.strip():
            raise UserConfigError(f"{config.where(binding, 'keymap')}: takes the keys as a string, "
                                  "like \"ctrl+r\" or \"r,f5\"")
        keymap[binding] = keys.strip()
    return config


def setting_text(value: object) -> str:
    """A value as the matching HATS_* variable would hold it: `true` and numbers as written in TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def line_of(text: str, key: str, table: str | None = None) -> int | None:
    """The line a key is set on, in the top level or in `[table]`; None when it cannot be told."""
    pattern = re.compile(rf"""^\s*(?:{re.escape(key)}|"{re.escape(key)}"|'{re.escape(key)}')\s*=""")
    current: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        header = re.match(r"^\s*\[\s*([^\]]+?)\s*\]", line)
        if header:
            current = header.group(1).strip("\"'")
        elif current == table and pattern.match(line):
            return number
    return None


def shown_path(path: Path | None) -> str:
    return FILE_NAME if path is None else printable(home_relative(str(path)))
