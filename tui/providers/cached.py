"""Cached: any provider's credentials kept in the vault, reused while fresh."""

from __future__ import annotations

from typing import Callable

from ..credentials import SessionKind
from ..errors import VaultError
from ..store.items import CachedSession
from ..store.vault import Vault
from .base import Provider, Renewal


class SessionCache:
    """The vault as a cache: what counts as fresh (the engine's policy), and where a failed write is said."""

    def __init__(self, vault: Vault, is_fresh: Callable[[CachedSession | None, str], bool],
                 notify: Callable[[str], None]):
        self.vault, self.is_fresh, self.notify = vault, is_fresh, notify

    def fresh(self, kind: SessionKind, profile: str, fingerprint: str) -> CachedSession | None:
        session = self.vault.get_session(kind, profile)
        return session if self.is_fresh(session, fingerprint) else None

    def keep(self, session: CachedSession) -> None:
        """A keyring that cannot take a session costs the cache, not the run: the code is spent by now."""
        try:
            self.vault.put_session(session)
        except VaultError as exc:
            self.notify(f"warning: the session for '{session.profile}' is used but not cached: {exc}")


class Cached:
    def __init__(self, inner: Provider, kind: SessionKind, profile: str, fingerprint: str, base: str,
                 cache: SessionCache):
        self.inner, self.kind, self.profile = inner, kind, profile
        self.fingerprint = fingerprint  # what the session was made for; a config edit makes it stale
        self.base = base  # the profile whose long-term key it descends from
        self.cache = cache

    def fresh(self) -> CachedSession | None:
        return self.cache.fresh(self.kind, self.profile, self.fingerprint)

    def retrieve(self, renewal: Renewal, force: bool = False) -> CachedSession:
        """The fresh cached session, else a new one from the provider inside; `force` skips the cache.

        Only credentials that expire are kept: a long-term key (a credential_process may print
        one) belongs in the keyring as a key, never in the session cache.
        """
        if not force:
            session = self.fresh()
            if session:
                return session
        issued = self.inner.retrieve(renewal)
        session = CachedSession(self.kind, self.profile, issued.credentials, arn=issued.arn,
                                fingerprint=self.fingerprint, base=self.base)
        if issued.credentials.expiration is not None:
            self.cache.keep(session)
        return session
