"""`hats list`: every profile with its chain, key and sessions, as rows."""

from __future__ import annotations

from datetime import datetime

from .chains import BaseKind, base_kind
from .sso.config import is_sso_profile
from .credentials import iso
from .display import printable
from .errors import ConfigError
from .profiles import ProfileSet
from .recent import Recent
from .store.vault import Vault

COLUMNS = ("profile", "kind", "chain", "account", "mfa", "region", "key", "sessions")
ORPHAN_PROBLEM = "key in keyring, no profile in the config"


def profile_rows(profiles: ProfileSet, vault: Vault, now: datetime) -> list[dict]:
    """One row a profile, then one a stored key whose profile is not in the config (an orphan)."""
    keys = set(vault.profiles_with_keys())
    sessions = vault.sessions()
    rows = [_profile_row(profiles, profile, keys, sessions, now) for profile in sorted(profiles, key=lambda p: p.name)]
    for name in sorted(keys - {profile.name for profile in profiles}):
        rows.append({"profile": name, "kind": "orphan", "chain": [], "account": None, "alias": None, "mfa": None,
                     "region": None, "key": "keyring", "source": None, "sessions": _sessions(sessions, name, now),
                     "problem": ORPHAN_PROBLEM})
    return rows


def by_recent_use(rows: list[dict], recent: Recent, now: float) -> list[dict]:
    """The rows of used profiles first (the last one used, then by frecency), then the rest as they were."""
    ranked = {name: place for place, name in enumerate(recent.ranked((row["profile"] for row in rows), now))}
    return sorted(rows, key=lambda row: ranked.get(row["profile"], len(ranked)))


def _profile_row(profiles: ProfileSet, profile, keys: set[str], sessions, now: datetime) -> dict:
    try:
        chain, problem = profiles.chain(profile.name), None
    except ConfigError as error:
        chain, problem = [], str(error)
    return {
        "profile": profile.name,
        "kind": "role" if profile.is_role else "sso" if is_sso_profile(profile.settings) else "user",
        "chain": [hop.name for hop in chain],
        "account": profile.account_id,
        "alias": profile.account_alias,
        "mfa": profiles.mfa_serial_for(chain) if chain else profile.mfa_serial,
        "region": profile.region,
        "key": "keyring" if profile.name in keys else ("file" if profile.has_file_keys else None),
        "source": base_kind(chain).value if chain else None,  # where the chain's first credentials come from
        "sessions": _sessions(sessions, profile.name, now),
        "problem": problem,
    }


def _sessions(sessions, name: str, now: datetime) -> list[dict]:
    return [{"kind": s.kind, "expires": iso(s.expiration),
             "seconds_left": max(0, int((s.expiration - now).total_seconds()))}
            for s in sessions if s.profile == name]


def render_table(rows: list[dict]) -> str:
    """The rows as aligned text; every value from the config or the keyring shown escaped."""
    cells = [list(map(str.upper, COLUMNS))]
    for row in rows:
        account = " ".join(filter(None, (row["account"], row["alias"] and f"({row['alias']})"))) or "-"
        cells.append([printable(text) for text in (
            row["profile"], row["kind"], " > ".join(row["chain"]) or f"! {row['problem']}",
            account, _short_mfa(row["mfa"]), row["region"] or "-", _key_cell(row),
            ", ".join(f"{s['kind']} {_left(s['seconds_left'])}" for s in row["sessions"]) or "-",
        )])
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS) - 1)]
    return "".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths)) + "  " + line[-1] + "\n"
        for line in cells)


def _key_cell(row: dict) -> str:
    """Where the key is; for a chain that starts elsewhere, that source."""
    if row["key"] or row["source"] in (None, BaseKind.KEY.value):
        return row["key"] or "-"
    return row["source"]


def _short_mfa(serial: str | None) -> str:
    return serial.rsplit("/", 1)[-1] if serial else "-"


def _left(seconds: int) -> str:
    if seconds <= 0:
        return "expired"
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"
