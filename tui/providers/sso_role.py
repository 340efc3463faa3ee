"""An IAM Identity Center role: GetRoleCredentials with the sign-in's access token."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..errors import SignInNeeded
from .base import NewCredentials, Renewal

if TYPE_CHECKING:  # types only: a cached exec of any other profile never imports tui.sso
    from collections.abc import Callable

    from ..profiles import Profile
    from ..sso.config import SignIn, SsoRole
    from ..sso.keeper import TokenKeeper


class SignInRequired(Exception):
    """Only a person can make a token now: the caller lets its lock go and has them sign in.

    `refused` is the access token the portal refused, if it refused one.
    """

    def __init__(self, target: SignIn, reason: str, refused: str | None = None):
        super().__init__(reason)
        self.target, self.reason, self.refused = target, reason, refused


class SsoRoleProvider:
    def __init__(self, profile: Profile, role: SsoRole, keeper: Callable[[], TokenKeeper]):
        """`keeper` is asked for only when a token is needed: a cached role's run never imports the token code."""
        self.profile, self.role, self.keeper = profile, role, keeper

    def retrieve(self, renewal: Renewal | None = None) -> NewCredentials:
        target, refused = self.role.sign_in, None
        for _ in range(2):  # a token the portal refuses is refreshed once, else a person signs in
            try:
                token = self.keeper().token(target, self.profile.name, refused)
            except SignInNeeded as need:
                raise SignInRequired(target, str(need), refused) from None
            from ..sso import calls

            try:
                credentials = calls.get_role_credentials(target, token.access_token, self.role.account_id,
                                                         self.role.role_name, self.profile.name)
            except SignInNeeded:
                refused = token.access_token
                continue
            return NewCredentials(credentials, "")
        raise SignInRequired(target, f"IAM Identity Center refused the sign-in of profile '{self.profile.name}'",
                             refused)
