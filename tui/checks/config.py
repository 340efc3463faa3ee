"""The AWS config and credentials files: found or not, readable, and every profile hats cannot use, with why.

The reasons are the ones the app and `hats list` give (the forest's broken profiles, the
sso-session problems): nothing here judges a profile by rules of its own.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import ConfigError
from ..forest import build_forest
from ..profiles import ProfileSet, config_path, credentials_path, load
from . import Finding, count, note, ok, problem

TOPIC = "config"


def config_findings() -> tuple[list[Finding], ProfileSet | None]:
    """The findings, and the profiles when the files could be read (the endpoint checks need them)."""
    findings = [_file("config file", config_path(), "hats has no profile to offer"),
                _file("credentials file", credentials_path(), "keys can live in the keyring")]
    try:
        profiles = load()
        broken = build_forest(profiles).broken
    except ConfigError as error:
        return [*findings, problem(TOPIC, str(error))], None
    findings += [problem(TOPIC, _about(name, reason)) for name, reason in broken.items()]
    findings += [problem(TOPIC, reason) for reason in profiles.sign_ins.values() if isinstance(reason, str)]
    if not broken:
        findings.append(ok(TOPIC, f"{count(len(profiles), 'profile')}, all usable" if profiles else "no profiles"))
    return findings, profiles


def _file(topic: str, path: Path, without: str) -> Finding:
    if path.exists():
        return ok(topic, str(path))
    return note(topic, f"{path} not found: {without}")


def _about(name: str, reason: str) -> str:
    """The reason, led by the profile's name unless it names the profile already."""
    return reason if reason.startswith(f"profile '{name}'") else f"profile '{name}': {reason}"
