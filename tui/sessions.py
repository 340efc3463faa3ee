"""The STS engine: which calls to make for a profile, and what to cache.

For a chain base-user -> role1 -> role2 hats makes the fewest calls and asks
for the fewest MFA codes:

* a cached, fresh session for the target (or for the hop nearest to it) is
  reused; "fresh" means more than the refresh margin is left;
* when the chain carries an mfa_serial, one GetSessionToken with the code
  makes an MFA session for the base user, and every role is assumed from it
  while it lives, so one code unlocks them all;
* AWS caps chained sessions at one hour, so a first role asking for more is
  assumed straight from the long-term key, with the MFA code on that call.

Renewals for one base user happen under a file lock: concurrent runs wait
and then find the session the first one cached.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from . import settings
from .credentials import Credentials, utcnow
from .display import printable
from .errors import MfaCodeRejected, MfaError, VaultError
from .locks import RunLock
from .mfa import FixedToken, MfaSource, ProcessToken
from .profiles import CHAIN_LIMIT_SECONDS, Profile, ProfileSet
from .sts import MfaCode
from .vault import CachedSession, Vault

DEFAULT_ROLE_SECONDS = 3600
MFA_ATTEMPTS = 3
QUIET_WAIT_SECONDS = 2  # another run's STS calls: too short to be worth a line
RENEWAL_WAIT_SECONDS = 60  # the whole wait; STS calls time out within 10 s each, a chain makes a few
PROMPT_WAIT_SECONDS = 600  # the whole wait for a person at another run's prompt


@dataclass
class Policy:
    """How long sessions last and when they count as used up."""

    refresh_margin: timedelta = field(default_factory=lambda: timedelta(seconds=settings.refresh_margin_seconds()))
    session_seconds: int = field(default_factory=settings.session_seconds)
    clock: Callable[[], datetime] = utcnow

    def is_fresh(self, session: CachedSession | None, fingerprint: str) -> bool:
        return (session is not None and session.fingerprint == fingerprint
                and session.credentials.seconds_left(self.clock()) > self.refresh_margin.total_seconds())


class Engine:
    """Credentials for any profile, from the vault's keys and cache and from STS."""

    def __init__(self, profiles: ProfileSet, vault: Vault, mfa: MfaSource | None,
                 policy: Policy | None = None, notify: Callable[[str], None] = lambda _: None,
                 label: str = "hats"):
        self.profiles = profiles
        self.vault = vault
        self.mfa = mfa
        self.policy = policy or Policy()
        self.notify = notify
        self.label = label  # who this run is, for the runs that wait for it

    def cached(self, name: str) -> CachedSession | None:
        """The target's own cached session if it is fresh: no STS, no boto3."""
        return self._fresh_target(self.profiles.chain(name))

    def _fresh_target(self, chain: list[Profile]) -> CachedSession | None:
        target = chain[-1]
        session = self.vault.get_session(_kind(chain), target.name)
        wanted = fingerprint(chain) if len(chain) > 1 else base_fingerprint(target, target.mfa_serial)
        return session if self.policy.is_fresh(session, wanted) else None

    def credentials(self, name: str, renew: bool = False) -> CachedSession:
        """The target's session: cached if fresh, else renewed.

        The renewal lock is held for STS calls and cache writes only. When a
        code is needed it is asked with the lock let go, under the MFA device's
        lock, so other runs wait for that person (and say so) instead of
        asking their own, and then reuse the session made.
        """
        chain = self.profiles.chain(name)
        if not renew:
            session = self._fresh_target(chain)
            if session:
                return session
        from . import sts

        sts.load_botocore()  # before the lock, not while others wait for it
        while True:
            with self._renewal_lock(chain[0]):
                try:
                    return self._fresh_or_renewed(chain, renew, None)
                except _CodeNeeded as need:
                    serial, prompt = need.serial, self._mfa_source(chain)
                    asking = self._asking_lock(serial, prompt)
                    mine = asking is None or asking.try_acquire()
            if mine:
                try:
                    return self._renew_with_code(chain, renew, serial, prompt)
                finally:
                    if asking:
                        asking.release()
            self._wait_for_asker(asking, serial, prompt)
            renew = False  # that run just renewed: what it cached is what this one would make

    def _fresh_or_renewed(self, chain: list[Profile], renew: bool, code: MfaCode | None) -> CachedSession:
        if not renew:  # another run may have renewed while this one waited
            session = self._fresh_target(chain)
            if session:
                return session
        return self._renew(chain, renew, code)

    def _renew_with_code(self, chain: list[Profile], renew: bool, serial: str,
                         prompt: MfaSource) -> CachedSession:
        """Ask for a code with no lock held, then renew under the lock; a refused code is asked again."""
        refusal = None
        for attempt in range(MFA_ATTEMPTS):
            code = MfaCode(serial, prompt(serial, chain[-1].name, refusal))
            try:
                with self._renewal_lock(chain[0]):
                    return self._fresh_or_renewed(chain, renew, code)
            except MfaCodeRejected as refused:
                if attempt == MFA_ATTEMPTS - 1 or _has_own_code(prompt):
                    raise
                refusal = str(refused)
        raise AssertionError("unreachable")

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
            quietly, line = QUIET_WAIT_SECONDS, "waiting for the mfa_process of {}"
        else:
            quietly, line = 0.0, "waiting for the MFA code being typed in {}; Ctrl-C to stop"
        asking.wait_until_free(PROMPT_WAIT_SECONDS, f"the MFA code for {serial}", quietly=quietly,
                               announce=lambda holder: self.notify(line.format(holder)))

    # -- renewal ----------------------------------------------------------
    def _renew(self, chain: list[Profile], renew: bool, code: MfaCode | None) -> CachedSession:
        """Make the target's session, reusing fresh sessions of the hops before it.

        `renew` renews the target alone: the MFA session and earlier hops are
        reused while fresh, so renewing a role asks for no code. The target's
        own cached session was found stale, or is being renewed, by the caller.
        """
        roles = chain[1:]
        if not roles:
            return self._base_session(chain, renew, code)
        start, caller = self._nearest_cached_hop(chain[:-1])
        if caller is None:
            caller = self._first_caller(chain, code)
            if caller.kind == "role":
                start = 1
        for index in range(start, len(roles)):
            caller = self._assume(chain, index + 1, caller.credentials, None)
        return caller

    def _nearest_cached_hop(self, chain: list[Profile]) -> tuple[int, CachedSession | None]:
        """How many role hops are already done, and the session of the last of them."""
        for index in range(len(chain) - 1, 0, -1):
            session = self.vault.get_session("role", chain[index].name)
            if self.policy.is_fresh(session, fingerprint(chain[:index + 1])):
                return index, session
        return 0, None

    def _first_caller(self, chain: list[Profile], code: MfaCode | None) -> CachedSession:
        """What assumes the first role: an MFA session, the first role itself, or the key."""
        serial = self.profiles.mfa_serial_for(chain)
        if mfa_hop(chain, serial) == 1:
            return self._assume(chain, 1, self._long_term_key(chain[0]), _code_for(serial, code))
        if serial:
            return self._base_session(chain, False, code, serial=serial)
        return CachedSession("key", chain[0].name, self._long_term_key(chain[0]))

    def _base_session(self, chain: list[Profile], renew: bool, code: MfaCode | None,
                      serial: str | None = None) -> CachedSession:
        base = chain[0]
        serial = serial or base.mfa_serial
        wanted = base_fingerprint(base, serial)
        if not renew:
            session = self.vault.get_session("session", base.name)
            if self.policy.is_fresh(session, wanted):
                return session
        key = self._long_term_key(base)
        from . import sts

        credentials = sts.get_session_token(key, chain[-1].name, self.policy.session_seconds,
                                            _code_for(serial, code) if serial else None)
        session = CachedSession("session", base.name, credentials, arn=serial or "", fingerprint=wanted,
                                base=base.name)
        self._cache(session)
        return session

    def _assume(self, chain: list[Profile], index: int, caller: Credentials, code: MfaCode | None) -> CachedSession:
        hop = chain[index]
        from . import sts

        assumed = sts.assume_role(caller, chain[-1].name, hop.role_arn, session_name(hop, chain[0]),
                                  hop.duration_seconds, hop.external_id, code)
        session = CachedSession("role", hop.name, assumed.credentials, arn=assumed.arn,
                                fingerprint=fingerprint(chain[:index + 1]), base=chain[0].name)
        self._cache(session)
        return session

    def _cache(self, session: CachedSession) -> None:
        """Keep a new session; a keyring that cannot take it costs the cache, not the run.

        The MFA code is spent by now, so the fresh credentials are used either way.
        """
        try:
            self.vault.put_session(session)
        except VaultError as exc:
            self.notify(f"warning: the session for '{session.profile}' is used but not cached: {exc}")

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
        return self._long_term_key(self.profiles.get(name))

    def _long_term_key(self, base: Profile) -> Credentials:
        key = self.vault.get_key(base.name)
        if key:
            return key
        key = _file_key(base)
        if key:
            self.notify(f"using the key for '{base.name}' from {base.key_file}; "
                        f"move it into the keyring with `hats add {base.name}`")
            return key
        return self.vault.require_key(base.name)


class _CodeNeeded(Exception):
    """Raised under the renewal lock when the next STS call needs a code: the lock is let go to ask."""

    def __init__(self, serial: str):
        self.serial = serial


def _code_for(serial: str, code: MfaCode | None) -> MfaCode:
    if code is None or code.serial != serial:
        raise _CodeNeeded(serial)
    return code


def _has_own_code(source: MfaSource) -> bool:
    """--mfa-token and mfa_process: a refused code is final, no person can type another."""
    return isinstance(source, (FixedToken, ProcessToken))


def mfa_hop(chain: list[Profile], serial: str | None) -> int | None:
    """Which hop's STS call carries the MFA code: 0 is the base user's GetSessionToken.

    A first role asking for more than the chain limit cannot come from a
    session, so it is assumed from the key with the code on that call.
    """
    if not serial:
        return None
    if len(chain) > 1 and (chain[1].duration_seconds or DEFAULT_ROLE_SECONDS) > CHAIN_LIMIT_SECONDS:
        return 1
    return 0


@dataclass(frozen=True)
class Hop:
    """One step of a chain as a person reads it."""

    profile: str
    principal: str
    account: str | None
    role_arn: str | None
    mfa_serial: str | None
    external_id: str | None
    session_name: str | None
    duration: int | None
    needs_code: bool


def describe_chain(profiles: ProfileSet, chain: list[Profile], session_seconds: int) -> list[Hop]:
    serial = profiles.mfa_serial_for(chain)
    code_at = mfa_hop(chain, serial)
    base = chain[0]
    hops = [Hop(base.name, "user (long-term key)", base.account_id, None, serial if code_at == 0 else None,
                None, None, session_seconds if serial else None, code_at == 0)]
    for index, hop in enumerate(chain[1:], start=1):
        hops.append(Hop(hop.name, f"role {hop.role_name}", hop.account_id, hop.role_arn,
                        serial if code_at == index else None, hop.external_id, session_name(hop, base),
                        hop.duration_seconds or DEFAULT_ROLE_SECONDS, code_at == index))
    return hops


def is_chained(profiles: ProfileSet, chain: list[Profile]) -> bool:
    """Whether the target role is assumed with temporary credentials (AWS's role chaining)."""
    if len(chain) < 2:
        return False
    return len(chain) > 2 or mfa_hop(chain, profiles.mfa_serial_for(chain)) == 0


def _kind(chain: list[Profile]) -> str:
    return "role" if len(chain) > 1 else "session"


def fingerprint(chain: list[Profile]) -> str:
    """What a cached session was made for; a config edit makes it stale."""
    settings = [[hop.name, hop.role_arn, hop.external_id, hop.role_session_name,
                 hop.duration_seconds, hop.mfa_serial] for hop in chain]
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


def base_fingerprint(base: Profile, serial: str | None) -> str:
    """A base user's session is made for its key and the MFA device it was made with."""
    return fingerprint([base]) + (serial or "")


def session_name(hop: Profile, base: Profile) -> str:
    """role_session_name, else the base profile's name: CloudTrail then says who it was."""
    if hop.role_session_name:
        return hop.role_session_name
    name = re.sub(r"[^\w+=,.@-]", "-", base.name)[:64]
    return name if len(name) >= 2 else f"hats-{name}"


def _file_key(base: Profile) -> Credentials | None:
    """The profile's static keys, from the config or the credentials file, as botocore takes them."""
    if not base.has_file_keys:
        return None
    from .profiles import static_keys

    keys = static_keys(base.name)
    return Credentials(keys["aws_access_key_id"], keys["aws_secret_access_key"], keys.get("aws_session_token"))
