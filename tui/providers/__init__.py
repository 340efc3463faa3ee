"""Credential providers: one source of credentials a module, stacked into chains.

A chain base-user -> role1 -> role2 becomes

    Cached(AssumeRole(Cached(AssumeRole(Cached(SessionToken(Key(user))), role1)), role2))

and asking the outermost provider for credentials walks inwards only as far
as the nearest fresh cached session. Which hop carries the MFA code, and
which sessions are cached, follow from how the stack is built (tui/engine.py).
"""

from .assume_role import AssumeRoleProvider
from .base import CodeNeeded, Issued, NewCredentials, Provider, Renewal
from .cached import Cached, SessionCache
from .key import KeyProvider
from .process import ProcessProvider
from .session_token import SessionTokenProvider
from .source import CredentialSourceProvider
from .sso_role import SignInRequired, SsoRoleProvider
from .web_identity import WebIdentityProvider

__all__ = ["AssumeRoleProvider", "Cached", "CodeNeeded", "CredentialSourceProvider", "Issued", "KeyProvider",
           "NewCredentials", "ProcessProvider", "Provider", "Renewal", "SessionCache", "SessionTokenProvider",
           "SignInRequired", "SsoRoleProvider", "WebIdentityProvider"]
