"""The sign-ins' tokens in the vault: reused while fresh, refreshed before they end, made once.

Concurrent runs share one sign-in. A refresh happens under a short lock, so
a rotated refresh token is spent once; a browser sign-in happens under the
sign-in's own lock, held by the run whose person is signing in, while the
others wait (and say so) and then take the token it made.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from ..credentials import utcnow
from ..display import printable
from ..errors import SignInNeeded
from ..locks import RunLock
from ..store.vault import Vault
from .config import SignIn
from .token import Token

if TYPE_CHECKING:
    from .flows import SignInView

REFRESH_WAIT_SECONDS = 30
SIGN_IN_WAIT_SECONDS = 660  # the browser's ten minutes (flows.SIGN_IN_SECONDS), and a minute more


class TokenKeeper:
    def __init__(self, vault: Vault, label: str = "hats", notify: Callable[[str], None] = lambda _: None,
                 clock: Callable[[], datetime] = utcnow):
        self.vault, self.label, self.notify, self.clock = vault, label, notify, clock

    def usable(self, target: SignIn) -> Token | None:
        token = self.vault.get_token(target.key)
        return token if token and token.is_usable(self.clock()) else None

    def token(self, target: SignIn, profile: str | None = None, refused: str | None = None) -> Token:
        """A usable token, refreshed if it must be; SignInNeeded when only a person can make one.

        `refused` is an access token the portal just refused: it is not used again.
        """
        token = self.usable(target)
        if token and token.access_token != refused:
            return token
        with self._lock(f"sso-refresh/{target.key}", "the IAM Identity Center token being refreshed"):
            token = self.vault.get_token(target.key)  # another run may have refreshed it meanwhile
            if token and token.access_token != refused and token.is_usable(self.clock()):
                return token
            if token and token.can_refresh(self.clock()):
                from . import calls  # botocore's clients: only a run that must refresh pays for them

                try:
                    new = calls.create_token(target, token.client, "refresh_token", profile,
                                             refreshToken=token.refresh_token or "")
                except SignInNeeded:
                    pass  # the refresh token was revoked or ran out: a person signs in again
                else:
                    token = token.refreshed(new.access_token, new.expires, new.refresh_token)
                    self.vault.put_token(target.key, token)
                    return token
            if token and refused and token.access_token == refused:
                self.vault.drop_token(target.key)  # dead: it must not show as signed in
        raise SignInNeeded(f"not signed in to {_name(target)}: run `hats sso login {_argument(target, profile)}`")

    def sign_in(self, target: SignIn, view: SignInView, profile: str | None = None,
                refused: str | None = None) -> Token:
        """A person signs in, once for every run that needs this sign-in now."""
        asking = RunLock.named(self.vault.lock_dir, f"sso-sign-in/{target.key}", self.label)
        if not asking.try_acquire():
            line = f"waiting for the sign-in to {_name(target)} in {{}}; Ctrl-C to stop"
            asking.wait_until_free(SIGN_IN_WAIT_SECONDS, f"the sign-in to {_name(target)}",
                                   announce=lambda holder: self.notify(line.format(holder)))
            token = self.usable(target)
            if token and token.access_token != refused:
                return token
            asking.acquire(SIGN_IN_WAIT_SECONDS, f"the sign-in to {_name(target)}")
        try:
            token = self.usable(target)  # made by a run that finished just before this one asked
            if token and token.access_token != refused:
                return token
            from .flows import sign_in

            client, new = sign_in(target, view, profile)
            token = Token(target.start_url, target.region, new.access_token, new.expires, client,
                          new.refresh_token, target.name)
            with self._lock(f"sso-refresh/{target.key}", "the IAM Identity Center token being stored"):
                self.vault.put_token(target.key, token)
            return token
        finally:
            asking.release()

    def sign_out(self, target: SignIn, profile: str | None = None) -> bool:
        """Logout at the portal (best effort: the token may be dead already), then drop the tokens."""
        token = self.vault.get_token(target.key)
        if token and token.is_usable(self.clock()):
            from . import calls

            try:
                calls.logout(target, token.access_token, profile)
            except SignInNeeded:
                pass  # refused: it was not valid any more, which is what logout wants
        return self.vault.drop_token(target.key)

    def _lock(self, name: str, waiting_for: str) -> RunLock:
        lock = RunLock.named(self.vault.lock_dir, name, self.label)
        lock.acquire(REFRESH_WAIT_SECONDS, waiting_for, quietly=2,
                     announce=lambda holder: self.notify(f"waiting for {waiting_for} in {holder}"))
        return lock


def _name(target: SignIn) -> str:
    return f"sso-session '{printable(target.name)}'" if target.name else f"{printable(target.start_url)}"


def _argument(target: SignIn, profile: str | None) -> str:
    """What `hats sso login` takes: the sso-session, or for the legacy form a profile that names the start URL."""
    return printable(target.name or profile or "")
