"""Where hats keeps secrets: long-term keys and cached sessions, in a keyring.

Every secret is one item in the store, named by what it is:

    key/PROFILE            the long-term access key of a base profile
    session/mfa/PROFILE    a GetSessionToken session of a base profile
    session/role/PROFILE   an AssumeRole session of a role profile
    index                  names, kinds and expiries (no secrets), for listing

The index exists because keyrings cannot enumerate their items.
"""

from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Protocol

from .credentials import Credentials, iso, parse_iso
from .errors import NoKeyError, VaultError
from .profiles import is_number

SERVICE = "hats"
UNLOCKED_SECONDS = 900  # like sudo's 15 minutes
BACKENDS = ("secret-service", "macos", "windows", "file")


class SecretStore(Protocol):
    where: str  # for messages: "the secret-service keyring", a file's path

    def get(self, name: str) -> str | None: ...
    def set(self, name: str, value: str) -> None: ...
    def delete(self, name: str) -> None: ...


@dataclass(frozen=True)
class CachedSession:
    """A session as cached: its credentials plus what it was made for."""

    kind: str  # "mfa" or "role"
    profile: str
    credentials: Credentials
    arn: str = ""
    fingerprint: str = ""
    base: str = ""  # the profile whose long-term key this session descends from

    @property
    def item(self) -> str:
        return f"session/{self.kind}/{self.profile}"

    def to_json(self) -> str:
        data = json.loads(self.credentials.to_json())
        data.update(kind=self.kind, profile=self.profile, arn=self.arn, fingerprint=self.fingerprint,
                    base=self.base)
        return json.dumps(data)

    @classmethod
    def from_json(cls, text: str) -> "CachedSession":
        data = json.loads(text)
        return cls(data["kind"], data["profile"], Credentials.from_json(text), data.get("arn", ""),
                   data.get("fingerprint", ""), data.get("base", ""))


@dataclass(frozen=True)
class SessionEntry:
    """What the index knows of a cached session: enough to list it, no secrets."""

    kind: str
    profile: str
    expiration: datetime
    arn: str


class Vault:
    """Long-term keys and sessions, over any SecretStore."""

    def __init__(self, store: SecretStore, lock_dir: Path | None = None):
        self.store = store
        self.lock_dir = lock_dir or default_state_dir() / "locks"

    # -- long-term keys -------------------------------------------------
    def get_key(self, profile: str) -> Credentials | None:
        return self._parsed(f"key/{profile}", Credentials.from_json)

    def require_key(self, profile: str) -> Credentials:
        key = self.get_key(profile)
        if key is None:
            raise NoKeyError(f"no key stored for profile '{profile}': run `hats add {profile}`")
        return key

    def set_key(self, profile: str, key: Credentials) -> None:
        """Store or replace a key; the sessions made with the old one go."""
        with self.index_lock():
            self.store.set(f"key/{profile}", key.to_json())
            index = self._read_index()
            index["keys"] = sorted(set(index["keys"]) | {profile})
            self._write_index(index)
        self.clear_sessions([profile])

    def remove_key(self, profile: str) -> bool:
        with self.index_lock():
            index = self._read_index()
            had = profile in index["keys"] or self.store.get(f"key/{profile}") is not None
            self.store.delete(f"key/{profile}")
            index["keys"] = [name for name in index["keys"] if name != profile]
            self._write_index(index)
        self.clear_sessions([profile])
        return had

    def profiles_with_keys(self) -> list[str]:
        return self._read_index()["keys"]

    # -- sessions -------------------------------------------------------
    def get_session(self, kind: str, profile: str) -> CachedSession | None:
        return self._parsed(f"session/{kind}/{profile}", CachedSession.from_json)

    def _parsed(self, item: str, parse):
        """An item read and parsed; anything unreadable is named, not a traceback."""
        text = self.store.get(item)
        if text is None:
            return None
        try:
            return parse(text)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise VaultError(f"item '{item}' in {self.store.where} is damaged") from None

    def put_session(self, session: CachedSession) -> None:
        with self.index_lock():
            self.store.set(session.item, session.to_json())
            index = self._read_index()
            index["sessions"][session.item] = {
                "kind": session.kind, "profile": session.profile, "arn": session.arn, "base": session.base,
                "expiration": iso(session.credentials.expiration),
            }
            self._write_index(index)

    def sessions(self) -> list[SessionEntry]:
        entries = self._read_index()["sessions"].values()
        return sorted(
            (SessionEntry(e["kind"], e["profile"], parse_iso(e["expiration"]), e.get("arn", ""))
             for e in entries if e.get("expiration")),
            key=lambda entry: (entry.profile, entry.kind))

    def lock(self) -> bool:
        """Forget a key kept unlocked between runs (the encrypted file's); whether there was one."""
        lock = getattr(self.store, "lock", None)
        return bool(lock and lock())

    def clear_sessions(self, profiles: list[str] | None = None) -> int:
        """Drop the cached sessions of these profiles and those made from their keys (all when None)."""
        with self.index_lock():
            index = self._read_index()
            doomed = [item for item, entry in index["sessions"].items()
                      if profiles is None or entry["profile"] in profiles or entry.get("base") in profiles]
            for item in doomed:
                self.store.delete(item)
                del index["sessions"][item]
            if doomed:
                self._write_index(index)
        return len(doomed)

    # -- the index and its lock -----------------------------------------
    def index_lock(self):
        return self._lock("index", timeout=30)

    def renewal_lock(self, profile: str):
        """Held while a profile's sessions are renewed, so concurrent runs wait and reuse."""
        safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in profile)
        return self._lock(f"renew-{safe}", timeout=300)

    def _lock(self, name: str, timeout: float):
        from filelock import FileLock

        self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        return FileLock(str(self.lock_dir / f"{name}.lock"), timeout=timeout)

    def _read_index(self) -> dict:
        return self._parsed("index", _index_from_json) or {"keys": [], "sessions": {}}

    def _write_index(self, index: dict) -> None:
        self.store.set("index", json.dumps(index, sort_keys=True))


def _index_from_json(text: str) -> dict:
    index = json.loads(text)
    index.setdefault("keys", [])
    index.setdefault("sessions", {})
    if not isinstance(index["keys"], list) or not all(
            isinstance(entry, dict) and isinstance(entry.get("profile"), str)
            for entry in index["sessions"].values()):
        raise ValueError("not an index")
    return index


class KeyringStore:
    """A SecretStore over a `keyring` backend, every failure a VaultError."""

    def __init__(self, backend, label: str):
        self.backend = backend
        self.label = label

    @property
    def where(self) -> str:
        return f"the {self.label} keyring"

    def get(self, name: str) -> str | None:
        return self._call("read", self.backend.get_password, SERVICE, name)

    def set(self, name: str, value: str) -> None:
        self._call("write", self.backend.set_password, SERVICE, name, value)

    def delete(self, name: str) -> None:
        from keyring.errors import PasswordDeleteError

        try:
            self._call("delete", self.backend.delete_password, SERVICE, name)
        except VaultError as exc:
            if not isinstance(exc.__cause__, PasswordDeleteError):
                raise

    def _call(self, verb: str, method, *args):
        from keyring.errors import KeyringLocked, PasswordDeleteError

        try:
            return method(*args)
        except KeyringLocked:
            raise VaultError(f"the {self.label} keyring is locked: unlock it and try again") from None
        except PasswordDeleteError as exc:
            raise VaultError(f"nothing to delete in the {self.label} keyring") from exc
        except Exception as exc:  # backends raise D-Bus, OS and their own errors alike
            raise self._failure(verb, exc) from None

    def _failure(self, verb: str, exc: Exception) -> VaultError:
        return VaultError(f"cannot {verb} the {self.label} keyring: {self._reason(exc)}")

    def _reason(self, exc: Exception) -> str:
        unreachable = isinstance(exc, (OSError, ValueError)) or type(exc).__name__ == "SecretServiceNotAvailableException"
        if self.label == "secret-service" and unreachable:
            address = os.environ.get("DBUS_SESSION_BUS_ADDRESS", "")
            return f"no D-Bus session bus at DBUS_SESSION_BUS_ADDRESS={address!r}"
        return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def default_state_dir() -> Path:
    from platformdirs import user_state_dir

    return Path(os.environ.get("HATS_STATE_DIR") or user_state_dir("hats"))


def file_store_path() -> Path:
    from platformdirs import user_data_dir

    return Path(os.environ.get("HATS_FILE_DIR") or user_data_dir("hats")) / "vault.json"


def open_vault(backend: str | None = None, passphrase=None) -> Vault:
    """The vault on the named backend, else HATS_BACKEND, else the platform's secure keyring.

    `passphrase` is asked for the encrypted file's passphrase when it is needed.
    """
    name = backend or os.environ.get("HATS_BACKEND") or _platform_backend()
    if name not in BACKENDS:
        raise VaultError(f"unknown keyring backend '{name}': choose one of {', '.join(BACKENDS)}")
    return Vault(_store(name, passphrase or _file_passphrase))


def _platform_backend() -> str:
    if sys.platform == "darwin":
        return "macos"
    if sys.platform == "win32":
        return "windows"
    return "secret-service" if _secret_service_available() else "file"


def _secret_service_available() -> bool:
    from .secretservice import available

    return available()


def _store(name: str, passphrase) -> SecretStore:
    if name == "file":
        from .filestore import EncryptedFileStore

        return EncryptedFileStore(file_store_path(), passphrase, _unlocked_seconds())
    if name == "secret-service":
        from .secretservice import SecretServiceStore

        return SecretServiceStore(SERVICE)
    if name == "macos":
        from keyring.backends.macOS import Keyring
    else:
        from keyring.backends.Windows import WinVaultKeyring as Keyring
    return KeyringStore(Keyring(), name)


def _unlocked_seconds() -> int:
    """How long the encrypted file's key stays unlocked after its last use; 0: ask every run."""
    value = os.environ.get("HATS_FILE_UNLOCKED_SECONDS", "")
    return int(value) if is_number(value) else UNLOCKED_SECONDS


def _file_passphrase() -> str:
    passphrase = os.environ.get("HATS_FILE_PASSPHRASE")
    if passphrase:
        return passphrase
    from .terminal import read_secret

    return read_secret(f"Passphrase for the encrypted keyring {file_store_path()}: ")
