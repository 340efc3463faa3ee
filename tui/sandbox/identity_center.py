"""A local IAM Identity Center for tests and the offline demo: sso-oidc and the sso portal on one URL.

moto serves neither service.  This server speaks their rest-json wire protocol as botocore's
models define it, so hats' real clients talk to it through `endpoint_url`:

    with LocalSTS() as sts, LocalIdentityCenter(sts) as idc:
        idc.add_account("222222222222", "dev", "dev@example.com")
        idc.add_role("222222222222", "AdministratorAccess")
        oidc = session.create_client("sso-oidc", region_name=idc.region, endpoint_url=idc.url)

OIDC: RegisterClient, StartDeviceAuthorization, CreateToken (device_code, authorization_code
with PKCE S256, refresh_token), and the browser pages (GET /authorize, GET /device).
Portal: ListAccounts, ListAccountRoles, GetRoleCredentials (minted by the LocalSTS, so the
keys work there), Logout.  Test controls: accounts and roles, `approval`, `timing`,
`user_name`, `expire_access_tokens()`, `revoke_all()`, and `calls` / `count()`.
No token or secret is ever logged.

For a hats (or aws) subprocess: AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO = `url`, the
sso-session's sso_start_url = `start_url` and sso_region = `region`, and
BROWSER="python -m tui.sandbox.browser %s" to click through the sign-in pages.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable

from werkzeug.wrappers import Request, Response

from tui.sandbox.oidc import OIDC, ApiError, Timing
from tui.sandbox.portal import Account, Portal, RoleMinter
from tui.sandbox.serving import LoopbackServer, QuietHandler
from tui.sandbox.signin_pages import Page, SignInPages

BEARER_HEADER = "x-amz-sso_bearer_token"
START_URL = "https://d-90000local.awsapps.com/start"


@dataclass
class Call:
    action: str           # an operation name, or "authorize", "consent", "device", "device-decision"
    ok: bool
    error: str | None     # the exception name (or "400" for a refused page)
    grant: str | None     # CreateToken only: device_code, authorization_code or refresh_token


class _Handler(QuietHandler):
    def make_environ(self):
        """werkzeug drops headers with an underscore in the name, and the portal's token comes in one."""
        environ = super().make_environ()
        token = self.headers.get(BEARER_HEADER)
        if token is not None:
            environ["HTTP_X_AMZ_SSO_BEARER_TOKEN"] = token
        return environ


class _Setting:
    """A setting kept on one of the server's parts (the OIDC state or the portal), read and set here."""

    def __init__(self, part: str):
        self.part = part

    def __set_name__(self, owner, name: str) -> None:
        self.name = name

    def __get__(self, server, owner=None):
        return getattr(getattr(server, self.part), self.name)

    def __set__(self, server, value) -> None:
        setattr(getattr(server, self.part), self.name, value)


def _json_body(request: Request) -> dict:
    raw = request.get_data()
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise ApiError(400, "InvalidRequestException", {"error": "invalid_request",
                                                        "error_description": "The body is not a JSON object"})
    return body


class LocalIdentityCenter(LoopbackServer):
    """sso-oidc and the portal on http://127.0.0.1:port (0 = a free port); one process may run several."""

    handler = _Handler
    start_url = _Setting("oidc")
    timing = _Setting("oidc")
    user_name = _Setting("oidc")
    page_size = _Setting("portal")

    def __init__(self, sts: RoleMinter | None = None, host: str = "127.0.0.1", port: int = 0,
                 start_url: str = START_URL, region: str = "eu-west-1", user_name: str = "jan",
                 page_size: int = 2, timing: Timing | None = None):
        super().__init__(host, port, "identity-center")
        self.region = region
        self.calls: list[Call] = []
        self.oidc = OIDC("", start_url, user_name, timing=timing or Timing())
        self.portal = Portal(self.oidc, sts, page_size)
        self.pages = SignInPages(self.oidc)
        self._route_table = self._routes()

    def start(self) -> "LocalIdentityCenter":
        super().start()
        self.oidc.url = self.url  # the device flow's verification URIs point here
        return self

    # ---- test controls ---------------------------------------------------------------------
    @property
    def approval(self) -> str:
        return self.oidc.approval

    @approval.setter
    def approval(self, mode: str) -> None:
        """What the person does on the next sign-in pages: "ask" (show Allow/Deny), "allow", "deny"."""
        if mode not in ("ask", "allow", "deny"):
            raise ValueError(f"approval is ask, allow or deny, not {mode!r}")
        self.oidc.approval = mode

    def add_account(self, account_id: str, name: str, email: str) -> None:
        self.portal.accounts[account_id] = Account(account_id, name, email)

    def add_role(self, account_id: str, permission_set: str, session_duration: int = 3600) -> None:
        """Assign the user `permission_set` in the account; its role sessions last `session_duration` s."""
        self.portal.accounts[account_id].roles[permission_set] = session_duration

    def expire_access_tokens(self) -> None:
        """Every access token issued so far stops working; refresh tokens still do."""
        self.oidc.expire_access_tokens()

    def revoke_all(self) -> None:
        """Every sign-in so far ends, as after an administrator's revocation: access and refresh tokens die."""
        self.oidc.revoke_all()

    def count(self, action: str, ok: bool | None = None, grant: str | None = None) -> int:
        return sum(1 for call in list(self.calls) if call.action == action and (ok is None or call.ok == ok)
                   and (grant is None or call.grant == grant))

    def reset_calls(self) -> None:
        self.calls.clear()

    # ---- the wire --------------------------------------------------------------------------
    def _routes(self) -> dict[tuple[str, str], tuple[str, Callable[[Request], Response]]]:
        api = self._api
        return {
            ("POST", "/client/register"): ("RegisterClient", api(lambda r: self.oidc.register_client(_json_body(r)))),
            ("POST", "/device_authorization"): ("StartDeviceAuthorization",
                                                api(lambda r: self.oidc.start_device_authorization(_json_body(r)))),
            ("POST", "/token"): ("CreateToken", api(lambda r: self.oidc.create_token(_json_body(r)))),
            ("GET", "/assignment/accounts"): ("ListAccounts", api(self._portal(self.portal.list_accounts))),
            ("GET", "/assignment/roles"): ("ListAccountRoles", api(self._portal(self.portal.list_account_roles))),
            ("GET", "/federation/credentials"): ("GetRoleCredentials",
                                                 api(self._portal(self.portal.get_role_credentials))),
            ("POST", "/logout"): ("Logout", api(self._portal(self.portal.logout))),
            ("GET", "/authorize"): ("authorize", self._page(lambda r: self.pages.authorize(dict(r.args)))),
            ("POST", "/consent"): ("consent", self._page(lambda r: self.pages.consent(dict(r.form)))),
            ("GET", "/device"): ("device", self._page(lambda r: self.pages.device(dict(r.args)))),
            ("POST", "/device"): ("device-decision", self._page(lambda r: self.pages.device_decision(dict(r.form)))),
        }

    @staticmethod
    def _portal(handler):
        return lambda request: handler(dict(request.args), request.headers)

    @staticmethod
    def _api(handler: Callable[[Request], dict]) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            try:
                return Response(json.dumps(handler(request)), 200, content_type="application/json")
            except ApiError as error:
                return Response(json.dumps(error.body), error.status, content_type="application/json",
                                headers={"x-amzn-ErrorType": error.error_type})
        return respond

    @staticmethod
    def _page(handler: Callable[[Request], Page]) -> Callable[[Request], Response]:
        def respond(request: Request) -> Response:
            page = handler(request)
            headers = {"Location": page.location} if page.location else {}
            return Response(page.html, page.status, content_type="text/html; charset=utf-8", headers=headers)
        return respond

    def wsgi(self, environ, start_response):
        request = Request(environ)
        action, handler = self._route_table.get((request.method, request.path), ("unknown", None))
        if handler is None:
            response = Response(json.dumps({"message": "Not found"}), 404, content_type="application/json")
        else:
            response = handler(request)
        self.calls.append(Call(action, response.status_code < 400, self._error_of(response),
                               self._grant_of(action, request)))
        return response(environ, start_response)

    @staticmethod
    def _error_of(response: Response) -> str | None:
        if response.status_code < 400:
            return None
        return response.headers.get("x-amzn-ErrorType") or str(response.status_code)

    @staticmethod
    def _grant_of(action: str, request: Request) -> str | None:
        if action != "CreateToken":
            return None
        try:
            grant = json.loads(request.get_data() or b"{}").get("grantType")
        except (ValueError, AttributeError):
            return None
        return grant.rsplit(":", 1)[-1] if isinstance(grant, str) else None
