"""The portal half of the local Identity Center: the sso API (accounts, roles, role credentials, Logout).

Every call carries the access token in x-amz-sso_bearer_token; an unknown, expired or
logged-out one is a 401 UnauthorizedException, as AWS answers.  Lists are paginated with
max_result / next_token, `page_size` at most per page, so a client must follow nextToken.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from tui.sandbox.oidc import OIDC, ApiError, SignIn

UNAUTHORIZED = "Session token not found or invalid"


class RoleMinter(Protocol):
    """What the portal needs of the local STS: credentials of an SSO permission set's role."""

    def sso_role_credentials(self, account_id: str, permission_set: str, user_name: str,
                             duration: int = 3600) -> dict: ...


def portal_error(status: int, error_type: str, message: str) -> ApiError:
    return ApiError(status, error_type, {"message": message})


@dataclass
class Account:
    account_id: str
    name: str
    email: str
    roles: dict[str, int] = field(default_factory=dict)  # permission set -> session duration (s)


@dataclass
class Portal:
    oidc: OIDC
    sts: RoleMinter | None = None
    page_size: int = 2
    accounts: dict[str, Account] = field(default_factory=dict)

    def _sign_in(self, headers) -> SignIn:
        sign_in = self.oidc.sign_in_of(headers.get("x-amz-sso_bearer_token", ""))
        if sign_in is None:
            raise portal_error(401, "UnauthorizedException", UNAUTHORIZED)
        return sign_in

    def _page(self, items: list[dict], query: dict[str, str], key: str) -> dict:
        token, limit = query.get("next_token", "0"), query.get("max_result", str(self.page_size))
        if not (token.isdigit() and limit.isdigit() and int(limit) > 0):
            raise portal_error(400, "InvalidRequestException", "Invalid next_token or max_result")
        start = int(token)
        end = start + min(int(limit), self.page_size)
        reply: dict = {key: items[start:end]}
        if end < len(items):
            reply["nextToken"] = str(end)
        return reply

    def _account(self, account_id: str, role: str | None = None) -> Account:
        account = self.accounts.get(account_id)
        if account is None or (role is not None and role not in account.roles):
            raise portal_error(403, "ForbiddenException", "No access")
        return account

    def list_accounts(self, query: dict[str, str], headers) -> dict:
        self._sign_in(headers)
        items = [{"accountId": a.account_id, "accountName": a.name, "emailAddress": a.email}
                 for a in self.accounts.values()]
        return self._page(items, query, "accountList")

    def list_account_roles(self, query: dict[str, str], headers) -> dict:
        self._sign_in(headers)
        account = self._account(query.get("account_id", ""))
        items = [{"roleName": role, "accountId": account.account_id} for role in account.roles]
        return self._page(items, query, "roleList")

    def get_role_credentials(self, query: dict[str, str], headers) -> dict:
        sign_in = self._sign_in(headers)
        role = query.get("role_name", "")
        account = self._account(query.get("account_id", ""), role)
        if self.sts is None:
            raise portal_error(500, "InternalServerException", "This Identity Center has no STS to mint credentials")
        minted = self.sts.sso_role_credentials(account.account_id, role, sign_in.user_name, account.roles[role])
        return {"roleCredentials": {"accessKeyId": minted["AccessKeyId"], "secretAccessKey": minted["SecretAccessKey"],
                                    "sessionToken": minted["SessionToken"], "expiration": minted["ExpirationMs"]}}

    def logout(self, query: dict[str, str], headers) -> dict:
        self._sign_in(headers).revoked = True
        return {}
