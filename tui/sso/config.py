"""The Identity Center settings of the AWS config, read as botocore's SSOProvider reads them.

A profile signs in through Identity Center when it has sso_account_id or
sso_role_name. Its start URL and region come from the `[sso-session NAME]` it
names in sso_session, or (the legacy form) from its own sso_start_url and
sso_region. No file, no keyring, no botocore here.
"""

from __future__ import annotations

import hashlib
import re
import shlex
from collections.abc import Mapping
from typing import NamedTuple

DEFAULT_SCOPES = ("sso:account:access",)
ACCOUNT_ID = re.compile(r"^\d{12}$")
ROLE_SETTINGS = ("sso_account_id", "sso_role_name")  # botocore: either makes a profile an SSO profile
SESSION_SETTINGS = ("sso_start_url", "sso_region")


class SignIn(NamedTuple):
    """One place to sign in: a start URL in a region. Every profile that names it shares one token."""

    start_url: str
    region: str
    scopes: tuple[str, ...] = DEFAULT_SCOPES
    name: str = ""  # the sso-session's name; "" for the legacy form

    @property
    def key(self) -> str:
        """The keyring item's name: the start URL and region, so both config forms share a sign-in."""
        return hashlib.sha256(f"{self.start_url}\n{self.region}".encode()).hexdigest()[:16]

    @property
    def label(self) -> str:
        return self.name or self.start_url


class SsoRole(NamedTuple):
    """What an SSO profile asks the portal for."""

    sign_in: SignIn
    account_id: str
    role_name: str


def sso_sessions(raw_config: Mapping[str, dict]) -> dict[str, SignIn | str]:
    """Each `[sso-session NAME]` of the config file: a SignIn, or the line that says what is wrong."""
    sessions: dict[str, SignIn | str] = {}
    for section, values in raw_config.items():
        if not section.startswith("sso-session"):
            continue
        name = _session_name(section)
        if name is not None:
            sessions[name] = _sign_in(name, values)
    return sessions


def _session_name(section: str) -> str | None:
    """The second of two shell words, as botocore's build_profile_map splits the header."""
    try:
        words = shlex.split(section)
    except ValueError:
        return None
    return words[1] if len(words) == 2 and words[0] == "sso-session" else None


def _sign_in(name: str, values: dict) -> SignIn | str:
    text = {key: value for key, value in values.items() if isinstance(value, str)}
    missing = [key for key in SESSION_SETTINGS if not text.get(key)]
    if missing:
        return f"sso-session '{name}' has no {' or '.join(missing)}"
    scopes = tuple(scope.strip() for scope in text.get("sso_registration_scopes", "").split(",") if scope.strip())
    return SignIn(text["sso_start_url"], text["sso_region"], scopes or DEFAULT_SCOPES, name)


def is_sso_profile(settings: Mapping[str, object]) -> bool:
    return any(key in settings for key in ROLE_SETTINGS)


def sso_role(profile: str, settings: Mapping[str, object], sessions: Mapping[str, SignIn | str]) -> SsoRole | str:
    """The profile's account, role and sign-in, or one line saying what its settings lack."""
    text = {key: value for key, value in settings.items() if isinstance(value, str)}
    session_name = text.get("sso_session")
    if session_name is not None:
        found = sessions.get(session_name)
        if found is None:
            return f"profile '{profile}' names sso_session '{session_name}', which is not in the config"
        if isinstance(found, str):
            return found
        clash = next((key for key, value in (("sso_start_url", found.start_url), ("sso_region", found.region))
                      if key in text and text[key] != value), None)
        if clash:
            return f"profile '{profile}': {clash} differs from that of sso-session '{session_name}'"
        sign_in: SignIn = found
    else:
        missing = [key for key in SESSION_SETTINGS if not text.get(key)]
        if missing:
            return f"profile '{profile}' signs in through IAM Identity Center but has no sso_session or {missing[0]}"
        sign_in = SignIn(text["sso_start_url"], text["sso_region"])
    missing = [key for key in ROLE_SETTINGS if not text.get(key)]
    if missing:
        return f"profile '{profile}' signs in through IAM Identity Center but has no {' or '.join(missing)}"
    if not ACCOUNT_ID.match(text["sso_account_id"]):
        return f"profile '{profile}': sso_account_id {text['sso_account_id']!r} is not a 12-digit account id"
    return SsoRole(sign_in, text["sso_account_id"], text["sso_role_name"])
