"""The Identity Center calls hats makes, through botocore's `sso-oidc` and `sso` clients.

As in sts.py, botocore is imported inside the functions, and the clients come
from a botocore session, so AWS_ENDPOINT_URL_SSO_OIDC, AWS_ENDPOINT_URL_SSO,
AWS_ENDPOINT_URL and a profile's services section point them elsewhere exactly
as they do the AWS CLI. Every way a call fails is one line.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from ..credentials import Credentials, utcnow
from ..errors import ConfigError, SignInNeeded, SsoError, first_line
from .config import SignIn
from .token import Client

CONNECT_TIMEOUT_SECONDS = 3
READ_TIMEOUT_SECONDS = 10
CLIENT_NAME = "hats"
DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


class Pending(SsoError):
    """The device code is not approved yet (AuthorizationPendingException); SlowDown: poll less often."""

    def __init__(self, slow_down: bool = False):
        super().__init__("authorization pending")
        self.slow_down = slow_down


@dataclass(frozen=True)
class DeviceAuthorization:
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int


@dataclass(frozen=True)
class NewToken:
    access_token: str
    expires: datetime
    refresh_token: str | None


@dataclass(frozen=True)
class Account:
    account_id: str
    name: str
    email: str


def register_client(sign_in: SignIn, grant: str, redirect_uri: str | None = None, profile: str | None = None) -> Client:
    params: dict = {"clientName": CLIENT_NAME, "clientType": "public", "scopes": list(sign_in.scopes)}
    if grant == "authorization_code":
        params.update(grantTypes=["authorization_code", "refresh_token"], redirectUris=[redirect_uri],
                      issuerUrl=sign_in.start_url)
    answer = _call("sso-oidc", sign_in, profile, "register_client", params)
    expires = datetime.fromtimestamp(answer["clientSecretExpiresAt"], timezone.utc)
    return Client(answer["clientId"], answer["clientSecret"], expires, grant)


def start_device_authorization(sign_in: SignIn, client: Client, profile: str | None = None) -> DeviceAuthorization:
    answer = _call("sso-oidc", sign_in, profile, "start_device_authorization",
                   {"clientId": client.client_id, "clientSecret": client.client_secret, "startUrl": sign_in.start_url})
    return DeviceAuthorization(answer["deviceCode"], answer["userCode"], answer["verificationUri"],
                               answer.get("verificationUriComplete") or answer["verificationUri"],
                               int(answer.get("expiresIn") or 600), int(answer.get("interval") or 5))


def create_token(sign_in: SignIn, client: Client, grant: str, profile: str | None = None, **params: str) -> NewToken:
    """CreateToken for any grant: device_code, authorization_code (with the PKCE verifier) or refresh_token."""
    answer = _call("sso-oidc", sign_in, profile, "create_token",
                   {"clientId": client.client_id, "clientSecret": client.client_secret, "grantType": grant, **params})
    return NewToken(answer["accessToken"], utcnow() + timedelta(seconds=int(answer["expiresIn"])),
                    answer.get("refreshToken"))


def authorize_url(sign_in: SignIn, profile: str | None = None) -> str:
    """The authorization endpoint: /authorize on whatever sso-oidc endpoint botocore resolves."""
    return endpoint_url("sso-oidc", sign_in, profile).rstrip("/") + "/authorize"


def endpoint_url(service: str, sign_in: SignIn, profile: str | None = None) -> str:
    """Where hats calls `service` ("sso-oidc" or the portal, "sso") for a sign-in, as botocore resolves it."""
    return _client(service, sign_in, profile).meta.endpoint_url


PROBES = {  # a call each service refuses at once, made-up values and all: a refusal is an answer
    "sso-oidc": ("create_token", {"clientId": "hats-doctor", "clientSecret": "none", "grantType": DEVICE_GRANT,
                                  "deviceCode": "none"}),
    "sso": ("list_accounts", {"accessToken": "hats-doctor"}),
}


def answers(service: str, sign_in: SignIn, profile: str | None = None) -> str:
    """The endpoint of `service` for a sign-in, once it answered PROBES' call; SsoError when nothing answers."""
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(service, sign_in, profile)
    operation, params = PROBES[service]
    try:
        getattr(client, operation)(**params)
    except ClientError:
        pass
    except BotoCoreError as exc:
        raise SsoError(f"cannot get an answer from {client.meta.endpoint_url}: {first_line(exc)}") from None
    return client.meta.endpoint_url


def list_accounts(sign_in: SignIn, access_token: str, profile: str | None = None) -> list[Account]:
    pages = _pages("list_accounts", sign_in, profile, {"accessToken": access_token}, "accountList")
    return [Account(item["accountId"], item.get("accountName", ""), item.get("emailAddress", "")) for item in pages]


def list_account_roles(sign_in: SignIn, access_token: str, account_id: str, profile: str | None = None) -> list[str]:
    pages = _pages("list_account_roles", sign_in, profile, {"accessToken": access_token, "accountId": account_id},
                   "roleList")
    return [item["roleName"] for item in pages]


def get_role_credentials(sign_in: SignIn, access_token: str, account_id: str, role_name: str,
                         profile: str | None = None) -> Credentials:
    answer = _call("sso", sign_in, profile, "get_role_credentials",
                   {"accessToken": access_token, "accountId": account_id, "roleName": role_name})
    raw = answer["roleCredentials"]
    return Credentials(raw["accessKeyId"], raw["secretAccessKey"], raw["sessionToken"],
                       datetime.fromtimestamp(raw["expiration"] / 1000, timezone.utc))


def logout(sign_in: SignIn, access_token: str, profile: str | None = None) -> None:
    _call("sso", sign_in, profile, "logout", {"accessToken": access_token})


def _pages(operation: str, sign_in: SignIn, profile: str | None, params: dict, key: str) -> list[dict]:
    items: list[dict] = []
    while True:
        answer = _call("sso", sign_in, profile, operation, params)
        items += answer.get(key, [])
        if not answer.get("nextToken"):
            return items
        params = {**params, "nextToken": answer["nextToken"]}


def load_botocore() -> None:
    import botocore.session  # noqa: F401


def _client(service: str, sign_in: SignIn, profile: str | None):
    import botocore.session
    from botocore import UNSIGNED
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, InvalidRegionError

    session = botocore.session.Session()
    if profile and profile in session.available_profiles:
        session.set_config_variable("profile", profile)
    config = Config(connect_timeout=CONNECT_TIMEOUT_SECONDS, read_timeout=READ_TIMEOUT_SECONDS,
                    retries={"total_max_attempts": 2, "mode": "standard"}, signature_version=UNSIGNED)
    try:
        return session.create_client(service, region_name=sign_in.region, config=config)
    except InvalidRegionError:
        raise ConfigError(f"{_where(sign_in)}: sso_region '{sign_in.region}' is not an AWS region name") from None
    except ValueError as exc:
        raise ConfigError(f"the {service} endpoint for {_where(sign_in)} is not a URL hats can use: {exc}") from None
    except BotoCoreError as exc:  # botocore refuses the config file
        raise ConfigError(first_line(exc)) from None


def _call(service: str, sign_in: SignIn, profile: str | None, operation: str, params: dict) -> dict:
    from botocore.exceptions import BotoCoreError, ClientError

    client = _client(service, sign_in, profile)
    action = "".join(part.capitalize() for part in operation.split("_"))
    try:
        return getattr(client, operation)(**params)
    except ClientError as exc:
        raise _refusal(action, sign_in, exc.response) from None
    except BotoCoreError as exc:
        raise SsoError(f"{action} for {_where(sign_in)}: cannot get an answer from "
                       f"{client.meta.endpoint_url}: {first_line(exc)}") from None
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SsoError(f"{action} for {_where(sign_in)}: IAM Identity Center sent an answer hats cannot read "
                       f"({first_line(exc)})") from None


def _refusal(action: str, sign_in: SignIn, response: dict) -> SsoError:
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    message = " ".join(str(error.get("Message", "") or response.get("error_description", "")).split())
    if code in ("AuthorizationPendingException", "SlowDownException"):
        return Pending(slow_down=code == "SlowDownException")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    if code in ("UnauthorizedException", "InvalidGrantException", "ExpiredTokenException") or status == 401:
        return SignInNeeded(f"{action} for {_where(sign_in)} refused: {code or status}: "
                            f"{message or 'the sign-in is no longer valid'}")
    return SsoError(f"{action} for {_where(sign_in)} refused: {code or status}: {message or 'unknown error'}")


def _where(sign_in: SignIn) -> str:
    return f"sso-session '{sign_in.name}'" if sign_in.name else f"start URL {sign_in.start_url}"

