"""The profile and sso-session names a TAB offers, kept in hats' state directory until the AWS files change.

Reading a config of 10,000 profiles costs a TAB about as much again as starting Python, so the names
read (their section headers, named as hats' own reader names them) are kept with the files' inode, size and times,
and read again only when one of those changes. Names are no secret.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

CACHE_FILE = "completion-names.json"
HEADER = re.compile(r"^\[(.+)\]", re.MULTILINE)  # configparser's SECTCRE, at the start of a line
KINDS = ("profiles", "sessions")


def names(kind: str) -> list[str]:
    """The names of one of KINDS; none at all if the files cannot be read, for a TAB shows no errors."""
    from ..profiles import config_path, credentials_path

    files = (config_path(), credentials_path())
    key = [[str(path), _signature(path)] for path in files]
    cache = _cache_path()
    kept = _kept(cache)
    if kept.get("key") != key or not all(isinstance(kept.get(each), list) for each in KINDS):
        kept = {"key": key, **_read(files)}
        _keep(cache, kept)
    return kept[kind]


def _signature(path: Path) -> list[int] | None:
    try:
        found = path.stat()
    except OSError:
        return None
    return [found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns]


def _read(files: tuple[Path, Path]) -> dict[str, list[str]]:
    """The names in the files' section headers, named as botocore names them: `[profile NAME]` and
    `[default]` in the config, every section of the credentials file, `[sso-session NAME]`. Only the
    headers are read (a tenth of reading every setting at 10,000 profiles), so a file with a bad line
    elsewhere still completes its names; `hats exec` is the one to say what is wrong with it."""
    from ..profiles import _profile_name
    from ..sso.config import _session_name

    config, credentials = (_headers(path) for path in files)
    profiles = [name for name in (section if section == "default" else _profile_name(section)
                                  for section in config if section.startswith(("profile", "default"))) if name]
    sessions = [name for name in map(_session_name, (section for section in config
                                                      if section.startswith("sso-session"))) if name]
    return {"profiles": list(dict.fromkeys([*profiles, *credentials])), "sessions": list(dict.fromkeys(sessions))}


def _headers(path: Path) -> list[str]:
    """The section names of an INI file, as configparser's SECTCRE reads a header line."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return []
    return HEADER.findall(text)


def _cache_path() -> Path:
    from ..dirs import default_state_dir

    return default_state_dir() / CACHE_FILE


def _kept(cache: Path) -> dict:
    try:
        kept = json.loads(cache.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return kept if isinstance(kept, dict) else {}


def _keep(cache: Path, kept: dict) -> None:
    from ..files import replace_quickly  # a cache: no fsync for a TAB to wait on

    try:
        cache.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        replace_quickly(cache, json.dumps(kept).encode())
    except OSError:
        pass  # a read-only state directory: every TAB reads the files
