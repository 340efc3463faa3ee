"""The engine: a profile's chain -> a stack of providers -> credentials, under the lock rules.

For a chain base-user -> role1 -> role2 hats makes the fewest calls and asks
for the fewest MFA codes:

* a cached, fresh session for the target (or for the hop nearest to it) is
  reused; "fresh" means more than the refresh margin is left;
* when the chain carries an mfa_serial, one GetSessionToken with the code
  makes an MFA session for the base user, and every role is assumed from it
  while it lives, so one code unlocks them all;
* AWS caps chained sessions at one hour, so a first role asking for more is
  assumed straight from the long-term key, with the MFA code on that call.

All three follow from the stack `_stack` builds (tui/providers). Renewals
for one base user happen under a file lock, held for STS calls and cache
writes only: concurrent runs wait and then find the session the first one
cached, and nobody waits behind a person typing a code.
"""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Callable

from . import settings
from .chains import BaseKind, base_fingerprint, base_kind, fingerprint, mfa_hop, session_name
from .credentials import Credentials, SessionKind, utcnow
from .display import printable
from .errors import MfaCodeRejected, MfaError, SignInNeeded
from .locks import RunLock
from .mfa import FixedToken, MfaSource, ProcessToken
from .profiles import Profile, ProfileSet
from .providers import (AssumeRoleProvider, Cached, CodeNeeded, CredentialSourceProvider, KeyProvider,
                        ProcessProvider, Provider, Renewal, SessionCache, SessionTokenProvider, SignInRequired,
                        SsoRoleProvider, WebIdentityProvider)
from .store.items import CachedSession
from .store.vault import Vault

if TYPE_CHECKING:
    from .sso.flows import SignInView
    from .sso.keeper import TokenKeeper

MFA_ATTEMPTS = 3
QUIET_WAIT_SECONDS = 2  # another run's STS calls: too short to be worth a line
RENEWAL_WAIT_SECONDS = 60  # the whole wait; STS calls time out within 10 s each, a chain makes a few
PROMPT_WAIT_SECONDS = 600  # the whole wait for a person at another run's prompt


class Policy:
    """How long sessions last and when they count as used up; the defaults are the settings'."""

    def __init__(self, refresh_margin: timedelta | None = None, session_seconds: int | None = None,
                 clock: Callable[[], datetime] = utcnow, process_stderr: Callable[[str], None] | None = None):
        self.refresh_margin = (timedelta(seconds=settings.refresh_margin_seconds()) if refresh_margin is None
                               else refresh_margin)
        self.session_seconds = settings.session_seconds() if session_seconds is None else session_seconds
        self.clock = clock
        # Where a credential_process's stderr goes: None leaves it on the person's terminal (the
        # command line); the app, whose screen owns the terminal, takes it a line at a time.
        self.process_stderr = process_stderr

    def is_fresh(self, session: CachedSession | None, fingerprint: str) -> bool:
        return (session is not None and session.fingerprint == fingerprint
                and session.credentials.seconds_left(self.clock()) > self.refresh_margin.total_seconds())


class Engine:
    """Credentials for any profile, from the vault's keys and cache and from STS."""

    def __init__(self, profiles: ProfileSet, vault: Vault, mfa: MfaSource | None,
                 policy: Policy | None = None, notify: Callable[[str], None] = lambda _: None,
                 label: str = "hats", sign_in_view: Callable[[], SignInView | None] = lambda: None):
        self.profiles = profiles
        self.vault = vault
        self.mfa = mfa
        self.policy = policy or Policy()
        self.notify = notify
        self.label = label  # who this run is, for the runs that wait for it
        self.cache = SessionCache(vault, self.policy.is_fresh, notify)
        self.sign_in_view = sign_in_view  # how a person signs in to Identity Center here, asked when one must

    @functools.cached_property
    def keeper(self) -> TokenKeeper:
        """Identity Center's tokens; made when an SSO profile is first asked for, so no other run imports tui.sso."""
        from .sso.keeper import TokenKeeper

        return TokenKeeper(self.vault, self.label, self.notify, self.policy.clock)

    def cached(self, name: str) -> CachedSession | None:
        """The target's own cached session if it is fresh: no STS, no boto3."""
        return self._stack(self.profiles.chain(name)).fresh()

    def credentials(self, name: str, renew: bool = False) -> CachedSession:
        """The target's session: cached if fresh, else renewed (`renew`: the target's own, regardless).

        The renewal lock is held for STS calls and cache writes only. When a
        code is needed it is asked with the lock let go, under the MFA device's
        lock, so other runs wait for that person (and say so) instead of
        asking their own, and then reuse the session made.
        """
        chain = self.profiles.chain(name)
        stack = self._stack(chain)
        if not renew:
            session = stack.fresh()
            if session:
                return session
        if _needs_no_sts(chain):
            return stack.retrieve(Renewal(), force=True)  # the cache was just read
        from . import sts

        sts.load_botocore()  # before the lock, not while others wait for it
        signed_in = False
        while True:
            sign_in = None
            with self._renewal_lock(chain[0]):
                try:
                    return stack.retrieve(Renewal(), force=renew)
                except SignInRequired as need:
                    sign_in = need
                except CodeNeeded as need:
                    serial, prompt = need.serial, self._mfa_source(chain)
                    asking = self._asking_lock(serial, prompt)
                    mine = asking is None or asking.try_acquire()
            if sign_in:
                self._sign_in(chain, sign_in, again=signed_in)
                signed_in = True
                continue
            if mine:
                try:
                    return self._renew_with_code(chain, stack, renew, serial, prompt)
                finally:
                    if asking:
                        asking.release()
            assert asking is not None  # not mine: another run holds the asking lock
            self._wait_for_asker(asking, serial, prompt)
            renew = False  # that run just renewed: what it cached is what this one would make

    def _stack(self, chain: list[Profile]) -> Cached:
        """The providers that make the target's session, outermost (the target's cache) returned."""
        base, target = chain[0], chain[-1].name
        serial = self.profiles.mfa_serial_for(chain)
        code_at = mfa_hop(chain, serial)
        caller = self._base(chain, serial, code_at)
        for index, hop in enumerate(chain[1:], start=1):
            role = AssumeRoleProvider(caller, hop, target, session_name(hop, base),
                                      serial if code_at == index else None)
            caller = Cached(role, SessionKind.ROLE, hop.name, fingerprint(chain[:index + 1]), base.name,
                            self.cache)
        assert isinstance(caller, Cached)
        return caller

    def _base(self, chain: list[Profile], serial: str | None, code_at: int | None) -> Provider:
        """The provider of the chain's first credentials, cached where they are worth keeping."""
        base, kind = chain[0], base_kind(chain)
        if kind is BaseKind.SOURCE:
            return CredentialSourceProvider(base.name, base.credential_source or "", chain[-1].name)
        if kind is BaseKind.PROCESS:
            process = ProcessProvider(base.name, base.credential_process or "", self.policy.process_stderr)
            return Cached(process, SessionKind.PROCESS, base.name, fingerprint([base]), base.name, self.cache)
        if kind is BaseKind.SSO:
            return Cached(SsoRoleProvider(base, self.profiles.sso_role(base), lambda: self.keeper), SessionKind.ROLE,
                          base.name, fingerprint([base]), base.name, self.cache)
        if kind is BaseKind.WEB_IDENTITY:
            return Cached(WebIdentityProvider(base, base.web_identity_token_file or ""), SessionKind.ROLE,
                          base.name, fingerprint([base]), base.name, self.cache)
        key = KeyProvider(base, self.vault, self.notify)
        if len(chain) > 1 and code_at != 0:
            return key
        return Cached(SessionTokenProvider(key, chain[-1].name, serial, self.policy.session_seconds),
                      SessionKind.MFA_SESSION, base.name, base_fingerprint(base, serial), base.name, self.cache)

    def _renew_with_code(self, chain: list[Profile], stack: Cached, renew: bool, serial: str,
                         prompt: MfaSource) -> CachedSession:
        """Ask for a code with no lock held, then renew under the lock; a refused code is asked again."""
        from .sts import MfaCode

        refusal = None
        for attempt in range(MFA_ATTEMPTS):
            code = MfaCode(serial, prompt(serial, chain[-1].name, refusal))
            try:
                with self._renewal_lock(chain[0]):
                    return stack.retrieve(Renewal(code), force=renew)
            except MfaCodeRejected as refused:
                if attempt == MFA_ATTEMPTS - 1 or _has_own_code(prompt):
                    raise
                refusal = str(refused)
        raise AssertionError("unreachable")

    def _sign_in(self, chain: list[Profile], need: SignInRequired, again: bool) -> None:
        """A person signs in (no lock of this run held), once a run, or the run ends saying how to."""
        view = None if again else self.sign_in_view()
        if view is None:
            raise SignInNeeded(need.reason)
        self.keeper.sign_in(need.target, view, chain[0].name, need.refused)

    def _renewal_lock(self, base: Profile) -> RunLock:
        """The base user's renewal lock; a wait longer than a moment is said, in one line."""
        lock = RunLock.named(self.vault.lock_dir, f"renew/{base.name}", self.label)
        waiting_for = f"sessions of '{printable(base.name)}' being renewed"
        lock.acquire(RENEWAL_WAIT_SECONDS, waiting_for, quietly=QUIET_WAIT_SECONDS,
                     announce=lambda holder: self.notify(f"waiting for {waiting_for} in {holder}"))
        return lock

    def _asking_lock(self, serial: str, prompt: MfaSource) -> RunLock | None:
        """The lock of whoever fetches a code for this device: a person, or mfa_process.

        --mfa-token has its code already and takes none. mfa_process runs take
        one of their own, so they wait for each other (one touch of the
        YubiKey) but never for a person.
        """
        if isinstance(prompt, FixedToken):
            return None
        kind = "mfa-process" if isinstance(prompt, ProcessToken) else "mfa"
        return RunLock.named(self.vault.lock_dir, f"{kind}/{serial}", self.label)

    def _wait_for_asker(self, asking: RunLock, serial: str, prompt: MfaSource) -> None:
        if isinstance(prompt, ProcessToken):
            quietly, line = float(QUIET_WAIT_SECONDS), "waiting for the mfa_process of {}"
        else:
            quietly, line = 0.0, "waiting for the MFA code being typed in {}; Ctrl-C to stop"
        asking.wait_until_free(PROMPT_WAIT_SECONDS, f"the MFA code for {serial}", quietly=quietly,
                               announce=lambda holder: self.notify(line.format(holder)))

    def _mfa_source(self, chain: list[Profile]) -> MfaSource:
        if isinstance(self.mfa, FixedToken):
            return self.mfa
        process = next((hop.mfa_process for hop in reversed(chain) if hop.mfa_process), None)
        if process:
            return ProcessToken(process)
        if self.mfa is None:
            raise MfaError(f"profile '{chain[-1].name}' needs an MFA code and there is no way to ask for one")
        return self.mfa

    def long_term_key(self, name: str) -> Credentials:
        """The key of a base profile: the keyring's, else the credentials file's."""
        return KeyProvider(self.profiles.get(name), self.vault, self.notify).retrieve().credentials


def _needs_no_sts(chain: list[Profile]) -> bool:
    """A credential_process with no role to assume: no STS call, so neither botocore nor the lock.

    The lock keeps concurrent runs from repeating STS calls; here two cold runs each run the
    process, as the AWS CLI runs it on every call, and no lock is held while the process may
    be asking its person for a touch or a password.
    """
    return len(chain) == 1 and base_kind(chain) is BaseKind.PROCESS


def _has_own_code(source: MfaSource) -> bool:
    """--mfa-token and mfa_process: a refused code is final, no person can type another."""
    return isinstance(source, (FixedToken, ProcessToken))
