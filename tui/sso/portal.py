"""What the portal offers a sign-in: its accounts and their roles, and a copy kept without secrets.

The app draws the tree from the copy in the state directory at once and
refreshes it in a worker; `hats sso list` and `populate` ask the portal.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from ..credentials import iso, parse_iso, utcnow
from ..files import write_atomically
from . import calls
from .config import SignIn


@dataclass(frozen=True)
class PortalAccount:
    account_id: str
    name: str
    email: str
    roles: tuple[str, ...]


@dataclass(frozen=True)
class Portal:
    sign_in: SignIn
    accounts: tuple[PortalAccount, ...]
    fetched: datetime

    def to_json(self) -> str:
        return json.dumps({"start_url": self.sign_in.start_url, "region": self.sign_in.region,
                           "fetched": iso(self.fetched), "accounts": [asdict(a) for a in self.accounts]})


def fetch(sign_in: SignIn, access_token: str, profile: str | None = None) -> Portal:
    """Every account and role the portal gives this token, every page of both lists."""
    accounts = []
    for account in sorted(calls.list_accounts(sign_in, access_token, profile), key=lambda a: (a.name, a.account_id)):
        roles = calls.list_account_roles(sign_in, access_token, account.account_id, profile)
        accounts.append(PortalAccount(account.account_id, account.name, account.email, tuple(sorted(roles))))
    return Portal(sign_in, tuple(accounts), utcnow())


def cache_path(state_dir: Path, sign_in: SignIn) -> Path:
    return state_dir / "sso" / f"{sign_in.key}.json"


def save(state_dir: Path, portal: Portal) -> None:
    """Kept for the app's next start: names and ids only. A failure to keep it costs nothing but speed."""
    path = cache_path(state_dir, portal.sign_in)
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(path, portal.to_json().encode())
    except OSError:
        pass


def cached(state_dir: Path, sign_in: SignIn) -> Portal | None:
    try:
        data = json.loads(cache_path(state_dir, sign_in).read_text(encoding="utf-8"))
        accounts = tuple(PortalAccount(a["account_id"], a["name"], a["email"], tuple(a["roles"]))
                         for a in data["accounts"])
        return Portal(sign_in, accounts, parse_iso(data["fetched"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
