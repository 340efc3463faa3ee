"""The Vault: long-term keys and cached sessions over any SecretStore, and their index.

The index (see items.py) exists because not every keyring can enumerate its items. It holds
no secret, so a damaged one is rebuilt from the items where the store can list
them (the Secret Service, the encrypted file) and dropped where it cannot, with
one warning. A damaged session is no session: it is made again.
"""

from __future__ import annotations

import json
import sys
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterator, TypeVar

from ..dirs import default_state_dir  # noqa: F401 - where the vault's callers find it
from ..credentials import Credentials, SessionKind, iso, parse_iso
from ..errors import NoKeyError, VaultError
from .items import (KIND_VALUES, CachedSession, DamagedItemError, SecretStore, SessionEntry, SignInEntry, session_item,
                    token_item)

if TYPE_CHECKING:
    from filelock import BaseFileLock

    from ..sso.token import Token

Parsed = TypeVar("Parsed")


def print_warning(text: str) -> None:
    print(f"hats: warning: {text}", file=sys.stderr)


class Vault:
    """Long-term keys and sessions, over any SecretStore."""

    index_lock_seconds = 30.0  # a writer holds it well under a second

    def __init__(self, store: SecretStore, lock_dir: Path | None = None,
                 warn: Callable[[str], None] = print_warning):
        self.store = store
        self._lock_dir = lock_dir
        self.warn = warn  # one line, never a secret
        self._locks: dict[str, BaseFileLock] = {}
        self._index_repaired = False
        self._cache_failure: VaultError | None = None

    @property
    def lock_dir(self) -> Path:
        """Where the run locks live; found when first needed: platformdirs costs a cached exec 5 ms."""
        if self._lock_dir is None:
            self._lock_dir = default_state_dir() / "locks"
        return self._lock_dir

    # -- long-term keys -------------------------------------------------
    def get_key(self, profile: str) -> Credentials | None:
        try:
            return self._parsed(f"key/{profile}", Credentials.from_json)
        except DamagedItemError:
            raise VaultError(f"the key of profile '{profile}' in {self.store.where} is damaged: "
                             f"run `hats add {profile}` to replace it or `hats remove {profile}`") from None

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
            had = profile in index["keys"] or self._holds(f"key/{profile}")
            self.store.delete(f"key/{profile}")
            index["keys"] = [name for name in index["keys"] if name != profile]
            self._write_index(index)
        self.clear_sessions([profile])
        return had

    def profiles_with_keys(self) -> list[str]:
        return self._read_index()["keys"]

    # -- sessions -------------------------------------------------------
    def get_session(self, kind: SessionKind, profile: str) -> CachedSession | None:
        """The cached session; a damaged one counts as none, and is replaced when renewed."""
        return self._session(session_item(kind, profile))

    def _session(self, item: str) -> CachedSession | None:
        try:
            return self._parsed(item, CachedSession.from_json)
        except DamagedItemError:
            return None

    def _parsed(self, item: str, parse: Callable[[str], Parsed]) -> Parsed | None:
        """An item read and parsed; anything unreadable is a DamagedItemError, not a traceback."""
        text = self.store.get(item)
        if text is None:
            return None
        try:
            return parse(text)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DamagedItemError(item, self.store.where) from None

    def _holds(self, item: str) -> bool:
        try:
            return self.store.get(item) is not None
        except DamagedItemError:
            return True

    def put_session(self, session: CachedSession) -> None:
        """Cache a session. Every failure is a one-line VaultError.

        After one, the later sessions of this run are not tried: the caller has said caching
        failed, once, and a second try would wait on the same lock or disk again.
        """
        if self._cache_failure:
            return
        try:
            with self.index_lock():
                self.store.set(session.item, session.to_json())
                index = self._read_index()
                index["sessions"][session.item] = _session_entry(session)
                self._write_index(index)
        except VaultError as failure:
            self._cache_failure = failure
            raise

    def sessions(self) -> list[SessionEntry]:
        entries = self._read_index()["sessions"].values()
        return sorted(
            (SessionEntry(SessionKind(e["kind"]), e["profile"], parse_iso(e["expiration"]), e.get("arn", ""))
             for e in entries if e.get("expiration") and e.get("kind") in KIND_VALUES),
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

    # -- Identity Center sign-ins -----------------------------------------
    def get_token(self, key: str) -> Token | None:
        """A sign-in's tokens; a damaged item counts as none (the person signs in again)."""
        try:
            from ..sso.token import Token  # an Identity Center run only

            return self._parsed(token_item(key), Token.from_json)
        except DamagedItemError:
            return None

    def put_token(self, key: str, token: Token) -> None:
        with self.index_lock():
            self.store.set(token_item(key), token.to_json())
            index = self._read_index()
            index["sso"][key] = _token_entry(token)
            self._write_index(index)

    def drop_token(self, key: str) -> bool:
        with self.index_lock():
            index = self._read_index()
            had = index["sso"].pop(key, None) is not None or self._holds(token_item(key))
            self.store.delete(token_item(key))
            self._write_index(index)
        return had

    def sign_ins(self) -> list[SignInEntry]:
        return sorted((SignInEntry(key, e["start_url"], e["region"], e.get("session_name", ""),
                                   parse_iso(e["expiration"]), e.get("refreshable") is True)
                       for key, e in self._read_index()["sso"].items() if isinstance(e, dict) and "expiration" in e),
                      key=lambda entry: (entry.session_name, entry.start_url))

    # -- the index and its lock -----------------------------------------
    def index_lock(self) -> AbstractContextManager[None]:
        return self._lock("index", timeout=self.index_lock_seconds)

    @contextmanager
    def _lock(self, name: str, timeout: float) -> Iterator[None]:
        held = self._acquired(name, timeout)
        try:
            yield
        finally:
            if held:
                held.release()

    def _acquired(self, name: str, timeout: float) -> BaseFileLock:
        """The named file lock, taken; every failure a one-line VaultError.

        One FileLock object a name, so that taking it again inside itself does not wait on itself.
        """
        from filelock import FileLock, Timeout

        path = self.lock_dir / f"{name}.lock"
        try:
            if name not in self._locks:
                self.lock_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
                self._locks[name] = FileLock(str(path), timeout=timeout)
            self._locks[name].acquire(timeout=timeout)
            return self._locks[name]
        except Timeout:
            raise VaultError(f"another hats run held the lock {path} for {timeout:g} s: try again") from None
        except OSError as exc:
            raise VaultError(f"cannot take the lock {path}: {exc.strerror or exc}") from None

    def _read_index(self) -> dict:
        try:
            index = self._parsed("index", _index_from_json) or _empty_index()
        except DamagedItemError:
            return self._repaired_index()
        index.setdefault("sso", {})  # written before hats signed in to Identity Center
        return index

    def _write_index(self, index: dict) -> None:
        self.store.set("index", json.dumps(index, sort_keys=True))

    # -- repairing the index ----------------------------------------------
    def _repaired_index(self) -> dict:
        """The index made again from the items (or empty, where they cannot be listed), written back."""
        with self.index_lock():
            try:  # another run may have repaired it while this one waited
                return self._parsed("index", _index_from_json) or _empty_index()
            except DamagedItemError:
                pass
            names = getattr(self.store, "names", None)
            index = self._rebuilt_index(names()) if names else _empty_index()
            self._write_index(index)
        if not self._index_repaired:
            self._index_repaired = True
            done = ("rebuilt from its items, nothing is lost" if names else
                    "reset, as this keyring cannot list its items: keys still work, "
                    "`hats list` shows them once added again")
            self.warn(f"the index of {self.store.where} was damaged and is {done}")
        return index

    def _rebuilt_index(self, names: list[str]) -> dict:
        index = _empty_index()
        for name in sorted(names):
            if name.startswith("key/"):
                index["keys"].append(name.removeprefix("key/"))
            elif name.startswith("session/"):
                session = self._session(name)
                if session is None:
                    self.store.delete(name)  # unreadable: worth nothing, and no index entry would find it
                else:
                    index["sessions"][name] = _session_entry(session)
            elif name.startswith("sso/"):
                token = self.get_token(name.removeprefix("sso/"))
                if token is not None:
                    index["sso"][name.removeprefix("sso/")] = _token_entry(token)
        return index


def _empty_index() -> dict:
    return {"keys": [], "sessions": {}, "sso": {}}


def _token_entry(token: Token) -> dict:
    return {"start_url": token.start_url, "region": token.region, "session_name": token.session_name,
            "expiration": iso(token.expires), "refreshable": bool(token.refresh_token)}


def _session_entry(session: CachedSession) -> dict:
    """What the index keeps of a session: no secret."""
    assert session.credentials.expiration is not None  # only credentials that expire are cached
    return {"kind": session.kind.value, "profile": session.profile, "arn": session.arn, "base": session.base,
            "expiration": iso(session.credentials.expiration)}


def _index_from_json(text: str) -> dict:
    """The index as hats writes it; any other shape raises, and the index is rebuilt."""
    index = json.loads(text)
    if not isinstance(index["keys"], list) or not isinstance(index["sessions"], dict) or not all(
            isinstance(entry, dict) and isinstance(entry.get("profile"), str)
            for entry in index["sessions"].values()):
        raise ValueError("not an index")
    return index
