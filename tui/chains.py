"""What a chain of profiles means for STS, worked out from the config alone.

Which hop's call carries the MFA code, whether the target is a chained role
(AWS caps those at an hour), what each cached session was made for, and the
chain as a person reads it in the app. No keyring, no STS.
"""

from __future__ import annotations

import hashlib
import json
import re
from enum import Enum
from typing import NamedTuple

from .errors import ConfigError
from .profiles import CHAIN_LIMIT_SECONDS, Profile, ProfileSet, credentials_path
from .sso.config import is_sso_profile

DEFAULT_ROLE_SECONDS = 3600
SSO_FINGERPRINTED = ("sso_session", "sso_account_id", "sso_role_name", "sso_start_url")


class BaseKind(Enum):
    """Where the first credentials of a chain come from."""

    KEY = "key"  # a long-term key: hats' keyring, else the profile's static keys
    PROCESS = "credential_process"
    SOURCE = "credential_source"  # the environment, EC2's metadata service or a container endpoint
    WEB_IDENTITY = "web_identity"  # AssumeRoleWithWebIdentity with a token file
    SSO = "sso"  # an IAM Identity Center role: GetRoleCredentials with the sign-in's token


def base_kind(chain: list[Profile]) -> BaseKind:
    """The source of chain[0], in the order botocore tries a profile's providers."""
    base = chain[0]
    if len(chain) > 1 and chain[1] is base and base.credential_source:
        return BaseKind.SOURCE
    if base.web_identity_token_file and base.role_arn:
        return BaseKind.WEB_IDENTITY
    if is_sso_profile(base.settings) and not (len(chain) > 1 and base.has_file_keys):
        return BaseKind.SSO  # botocore: a source profile's static keys come first, else SSO before any key
    if base.credential_process and not (base.has_file_keys and base.key_file == credentials_path()):
        return BaseKind.PROCESS  # botocore: credentials-file keys, then credential_process, then config-file keys
    return BaseKind.KEY


def mfa_hop(chain: list[Profile], serial: str | None) -> int | None:
    """Which hop's STS call carries the MFA code: 0 is the base user's GetSessionToken.

    A first role asking for more than the chain limit cannot come from a
    session, so it is assumed from the key with the code on that call. Only a
    long-term key can make an MFA session; from any other base the code goes
    with the first role.
    """
    if not serial:
        return None
    if base_kind(chain) is not BaseKind.KEY:
        return 1 if len(chain) > 1 else None
    if len(chain) > 1 and (chain[1].duration_seconds or DEFAULT_ROLE_SECONDS) > CHAIN_LIMIT_SECONDS:
        return 1
    return 0


def is_chained(profiles: ProfileSet, chain: list[Profile]) -> bool:
    """Whether the target role is assumed with temporary credentials (AWS's role chaining)."""
    if len(chain) < 2:
        return False
    if len(chain) > 2 or base_kind(chain) is not BaseKind.KEY:
        return True
    return mfa_hop(chain, profiles.mfa_serial_for(chain)) == 0


def fingerprint(chain: list[Profile]) -> str:
    """What a cached session was made for; a config edit makes it stale."""
    settings = [[hop.name, hop.role_arn, hop.external_id, hop.role_session_name, hop.duration_seconds,
                 hop.mfa_serial, *_source_settings(hop)] for hop in chain]
    return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


def _source_settings(hop: Profile) -> list[str]:
    """The settings of a base other than a key; absent ones add nothing, so older fingerprints hold."""
    sources = (hop.credential_process, hop.credential_source, hop.web_identity_token_file,
               *(hop.settings.get(key) for key in SSO_FINGERPRINTED))
    return [value for value in sources if isinstance(value, str) and value]


def base_fingerprint(base: Profile, serial: str | None) -> str:
    """A base user's session is made for its key and the MFA device it was made with."""
    return fingerprint([base]) + (serial or "")


def session_name(hop: Profile, base: Profile) -> str:
    """role_session_name, else the base profile's name: CloudTrail then says who it was."""
    if hop.role_session_name:
        return hop.role_session_name
    name = re.sub(r"[^\w+=,.@-]", "-", base.name)[:64]
    return name if len(name) >= 2 else f"hats-{name}"


class Hop(NamedTuple):
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
    sign_in: str | None = None  # an IAM Identity Center base: the sso-session (or start URL) it signs in with


def _sign_in_of(profiles: ProfileSet, base: Profile) -> str | None:
    try:
        return profiles.sso_role(base).sign_in.label
    except ConfigError:
        return None


def describe_chain(profiles: ProfileSet, chain: list[Profile], session_seconds: int) -> list[Hop]:
    serial = profiles.mfa_serial_for(chain)
    code_at = mfa_hop(chain, serial)
    base = chain[0]
    kind = base_kind(chain)
    principal = {BaseKind.KEY: "user (long-term key)", BaseKind.PROCESS: "credential_process",
                 BaseKind.SOURCE: f"credential_source {base.credential_source}",
                 BaseKind.WEB_IDENTITY: f"web identity, role {base.role_name}",
                 BaseKind.SSO: f"SSO role {base.settings.get('sso_role_name', '?')}"}[kind]
    made_for = session_seconds if serial and kind is BaseKind.KEY else None
    hops = [Hop(base.name, principal, base.account_id, base.role_arn if kind is BaseKind.WEB_IDENTITY else None,
                serial if code_at == 0 else None, None, None, made_for, code_at == 0,
                _sign_in_of(profiles, base) if kind is BaseKind.SSO else None)]
    for index, hop in enumerate(chain[1:], start=1):
        hops.append(Hop(hop.name, f"role {hop.role_name}", hop.account_id, hop.role_arn,
                        serial if code_at == index else None, hop.external_id, session_name(hop, base),
                        hop.duration_seconds or DEFAULT_ROLE_SECONDS, code_at == index))
    return hops
