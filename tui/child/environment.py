"""The child's environment: the role's credentials in, every other credential out."""

from __future__ import annotations

from collections.abc import Mapping

from ..credentials import iso
from ..display import printable
from ..profiles import Profile
from ..store.items import CachedSession

# Anything an SDK could pick credentials or a profile from, so the child
# sees only what hats gives it. botocore reads AWS_SECURITY_TOKEN before
# AWS_SESSION_TOKEN: a stale one left behind would win.
CREDENTIAL_VARIABLES = (
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
    "AWS_ACCESS_KEY", "AWS_SECRET_KEY", "AWS_CREDENTIAL_EXPIRATION",
    "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
    "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME", "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_AUTHORIZATION_TOKEN", "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
    "HATS_PROFILE", "HATS_ACCOUNT", "HATS_ROLE_ARN", "HATS_EXPIRES",
    # what an outer hats shell set for its prompt; HATS_DEPTH passes on so nesting counts
    "HATS_COLOR", "HATS_ACCOUNT_LABEL", "HATS_PRODUCTION", "HATS_EXPIRES_EPOCH", "AWS_VAULT",
    # hats' own secret: what it unlocks is the keyring, never the child's business
    "HATS_FILE_PASSPHRASE",
)


def child_environment(parent: Mapping[str, str], chain: list[Profile], session: CachedSession) -> dict[str, str]:
    env = {name: value for name, value in parent.items() if name not in CREDENTIAL_VARIABLES}
    credentials = session.credentials
    env["AWS_ACCESS_KEY_ID"] = credentials.access_key_id
    env["AWS_SECRET_ACCESS_KEY"] = credentials.secret_access_key
    if credentials.session_token:
        env["AWS_SESSION_TOKEN"] = credentials.session_token
    if credentials.expiration:
        env["AWS_CREDENTIAL_EXPIRATION"] = iso(credentials.expiration)
        env["HATS_EXPIRES"] = iso(credentials.expiration)
    region = chain_region(chain)
    if region:
        env["AWS_REGION"] = env["AWS_DEFAULT_REGION"] = region
    target = chain[-1]
    env["HATS_PROFILE"] = printable(target.name)  # shown by prompts: no ESC or bidi reaches a terminal raw
    account = target.account_id or next((hop.account_id for hop in chain if hop.account_id), None)
    if account:
        env["HATS_ACCOUNT"] = account
    if target.role_arn:
        env["HATS_ROLE_ARN"] = target.role_arn
    return env


def chain_region(chain: list[Profile]) -> str | None:
    """The target's region, else the nearest hop's that names one."""
    return next((hop.region for hop in reversed(chain) if hop.region), None)


def export_lines(env: Mapping[str, str], names: tuple[str, ...]) -> str:
    import shlex

    return "".join(f"export {name}={shlex.quote(env[name])}\n" for name in names if name in env)
