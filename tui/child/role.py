"""A child process in a role: its argv and environment, and what lives beside it.

Two ways to hand credentials over:

* static: the role's keys in the environment; `hats exec` then becomes the
  child (exec), so signals and the exit code need no relay;
* served: a loopback credential endpoint that renews the role from the cached
  MFA session, so a long command never sees its keys expire. It lives
  exactly as long as the child; subshells get it by default.

A subshell also gets the coloured prompt badge of its account.
"""

from __future__ import annotations

import os
from contextlib import ExitStack, contextmanager
from datetime import timedelta
from typing import Iterator, Mapping

from ..chains import DEFAULT_ROLE_SECONDS, mfa_hop
from ..credentials import SessionKind, iso
from ..engine import Engine, Policy
from .environment import child_environment
from ..profiles import Profile
from ..store.items import CachedSession

STATIC_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_CREDENTIAL_EXPIRATION")
# botocore asks a container endpoint again 15 minutes before expiry; renewing
# no later than that means it never gets the same, nearly spent, keys back.
SERVER_MARGIN = timedelta(minutes=15)


def user_shell(environ: Mapping[str, str], override: str | None = None) -> str:
    return override or environ.get("SHELL") or "/bin/sh"


@contextmanager
def role_child(engine: Engine, name: str, session: CachedSession, command: list[str] | None, *,
               serve: bool, shell: str | None = None,
               environ: Mapping[str, str] = os.environ) -> Iterator[tuple[list[str], dict[str, str]]]:
    """Yields (argv, env) for the child; the server and the shell's rc files last until the block ends."""
    chain = engine.profiles.chain(name)
    env = child_environment(environ, chain, session)
    with ExitStack() as stack:
        if serve:
            env = _served(stack, engine, name, env)
            horizon = renewable_until(engine, chain, session)
            env.pop("HATS_EXPIRES", None)
            if horizon:  # for prompts (starship reads AWS_CREDENTIAL_EXPIRATION); SDKs use the endpoint
                env["HATS_EXPIRES"] = env["AWS_CREDENTIAL_EXPIRATION"] = horizon
        if command:
            yield command, env
            return
        yield stack.enter_context(_subshell(chain, user_shell(environ, shell), env))


def _served(stack: ExitStack, engine: Engine, name: str, env: dict[str, str]) -> dict[str, str]:
    from .credential_server import CredentialServer

    # No MFA source: the server runs beside a child that owns the terminal, so
    # it must never prompt; mfa_process profiles still renew by themselves.
    renewer = Engine(engine.profiles, engine.vault, None,
                     Policy(refresh_margin=server_margin(engine, engine.profiles.chain(name)),
                            session_seconds=engine.policy.session_seconds, clock=engine.policy.clock))
    server = stack.enter_context(CredentialServer(lambda: renewer.credentials(name).credentials, profile=name))
    served = {key: value for key, value in env.items() if key not in STATIC_KEYS}
    served.update(server.env())
    return served


def server_margin(engine: Engine, chain: list[Profile]) -> timedelta:
    """SERVER_MARGIN, but at most a third of the shortest session the chain keeps, so a 15-minute
    session is not stale the moment it is made (it would be renewed, needing a code, on every request)."""
    lifetimes = [hop.duration_seconds or DEFAULT_ROLE_SECONDS for hop in chain[1:]]
    if mfa_hop(chain, engine.profiles.mfa_serial_for(chain)) == 0 or len(chain) == 1:
        lifetimes.append(engine.policy.session_seconds)
    return min(SERVER_MARGIN, timedelta(seconds=min(lifetimes) / 3))


def renewable_until(engine: Engine, chain: list[Profile], session: CachedSession) -> str | None:
    """Until when a served role renews without a code: the MFA session's end, when there is one."""
    serial = engine.profiles.mfa_serial_for(chain)
    hop = mfa_hop(chain, serial)
    if hop is None:
        return None  # renews from the long-term key for as long as it is stored
    if hop == 0:
        base = engine.vault.get_session(SessionKind.MFA_SESSION, chain[0].name)
        if base and base.credentials.expiration:
            return iso(base.credentials.expiration)
    return iso(session.credentials.expiration) if session.credentials.expiration else None


@contextmanager
def _subshell(chain: list[Profile], shell: str, env: dict[str, str]) -> Iterator[tuple[list[str], dict[str, str]]]:
    from .colors import account_color, account_label
    from .prompt import prepared_shell, prompt_env

    target = chain[-1]
    account = env.get("HATS_ACCOUNT")
    label = account_label(target, account)
    env = {**env, **prompt_env(target, label, account_color(target, account, label))}
    with prepared_shell(shell, env) as launch:
        yield launch
