"""`hats sso populate`: a profile for each portal role the config lacks, appended, never edited in place.

Names are made from the account's name and the role, so they read well and
stay the same from one run to the next; a name already taken (by a profile,
or by another account of the same name) gets the account id added.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..files import write_atomically
from ..profiles import ProfileSet
from .config import SignIn
from .portal import Portal


@dataclass(frozen=True)
class NewProfile:
    name: str
    account_id: str
    role_name: str

    def text(self, session: str, region: str) -> str:
        return (f"[profile {self.name}]\nsso_session = {session}\nsso_account_id = {self.account_id}\n"
                f"sso_role_name = {self.role_name}\nregion = {region}\n")


def missing_profiles(profiles: ProfileSet, portal: Portal, prefix: str = "") -> list[NewProfile]:
    have = _roles_in_config(profiles, portal.sign_in)
    taken = set(profiles.profiles)
    wanted = [(account, role) for account in portal.accounts for role in account.roles
              if (account.account_id, role) not in have]
    plain = [f"{prefix}{_slug(account.name or account.account_id)}.{role}" for account, role in wanted]
    new = []
    for (account, role), name in zip(wanted, plain):
        if name in taken or plain.count(name) > 1:
            name = f"{prefix}{_slug(account.name or 'account')}-{account.account_id}.{role}"
        taken.add(name)
        new.append(NewProfile(name, account.account_id, role))
    return new


def _roles_in_config(profiles: ProfileSet, sign_in: SignIn) -> set[tuple[str, str]]:
    """(account, role) of every profile that already signs in to this start URL and region."""
    found = set()
    for profile in profiles:
        if "sso_account_id" not in profile.settings:
            continue
        try:
            role = profiles.sso_role(profile)
        except ConfigError:  # broken, but meant for this sign-in: it still claims its account and role
            settings = profile.settings
            if settings.get("sso_session") == sign_in.name or settings.get("sso_start_url") == sign_in.start_url:
                found.add((str(settings.get("sso_account_id")), str(settings.get("sso_role_name"))))
            continue
        if role.sign_in.key == sign_in.key:
            found.add((role.account_id, role.role_name))
    return found


def _slug(text: str) -> str:
    """A name a shell and the config file take as one word."""
    return re.sub(r"[^A-Za-z0-9_.@+=-]+", "-", text).strip("-").lower() or "account"


def append_profiles(config_file: Path, new: Iterable[NewProfile], session: str, region: str) -> None:
    """Append to the config file, atomically: the old bytes stay as they were, byte for byte."""
    try:
        old = config_file.read_bytes()
    except FileNotFoundError:
        old = b""
    blocks = "\n".join(profile.text(session, region) for profile in new)
    separator = b"" if not old else b"\n" if old.endswith(b"\n") else b"\n\n"
    config_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    write_atomically(config_file, old + separator + blocks.encode())
