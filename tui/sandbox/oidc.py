"""The OIDC half of the local Identity Center: clients, sign-ins and tokens, as the sso-oidc API serves them.

Errors are what the service sends: HTTP 400 (401 for a bad client) with the exception's name
in x-amzn-ErrorType and {"error": ..., "error_description": ...} in the body.
The browser side of a sign-in (the authorize and device pages) is in signin_pages.py.
"""
from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlsplit

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
KNOWN_GRANTS = {DEVICE_GRANT, "authorization_code", "refresh_token"}
PORTAL_SCOPE = "sso:account:access"


class ApiError(Exception):
    """An error reply: the HTTP status, the exception name botocore reads from x-amzn-ErrorType, the body."""

    def __init__(self, status: int, error_type: str, body: dict):
        super().__init__(error_type)
        self.status, self.error_type, self.body = status, error_type, body


def oidc_error(error_type: str, error: str, description: str, status: int = 400) -> ApiError:
    return ApiError(status, error_type, {"error": error, "error_description": description})


@dataclass
class Timing:
    """Lifetimes and the device flow's polling interval, in seconds: short ones make tests quick."""
    interval: int = 1
    device_code: int = 600
    auth_code: int = 300
    access_token: int = 3600
    refresh_token: int = 90 * 86400
    client: int = 90 * 86400


@dataclass
class Client:
    client_id: str
    secret: str
    scopes: list[str]
    grants: set[str]
    redirect_uris: list[str]
    expires_at: float

    @property
    def gets_refresh_tokens(self) -> bool:
        return "refresh_token" in self.grants or PORTAL_SCOPE in self.scopes


@dataclass
class SignIn:
    """One person's sign-in: every access and refresh token made from it dies with it (Logout)."""
    user_name: str
    revoked: bool = False


@dataclass
class Token:
    sign_in: SignIn
    client_id: str
    expires_at: float

    def live(self) -> bool:
        return not self.sign_in.revoked and time.time() < self.expires_at


@dataclass
class DeviceAuthorization:
    client_id: str
    user_code: str
    expires_at: float
    decision: str | None = None       # "allow" or "deny", once the person chose
    user_name: str = ""
    last_poll: float = 0.0


@dataclass
class AuthCode:
    client_id: str
    redirect_uri: str
    challenge: str
    user_name: str
    expires_at: float


def _token(prefix: str, n: int = 160) -> str:
    return prefix + secrets.token_urlsafe(n)[:n]


def s256(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def same_redirect(registered: str, asked: str) -> bool:
    """RFC 8252 7.3: a loopback redirect matches whatever port the client listens on."""
    a, b = urlsplit(registered), urlsplit(asked)
    return (a.scheme, a.hostname, a.path) == (b.scheme, b.hostname, b.path) and (
        a.port == b.port or a.hostname == "127.0.0.1")


def is_loopback_redirect(uri: str) -> bool:
    parts = urlsplit(uri)
    return parts.scheme == "http" and parts.hostname == "127.0.0.1"


def _start_url(url: str) -> str:
    return url.split("#", 1)[0].rstrip("/")


@dataclass
class OIDC:
    """The state behind both halves of a sign-in, and the three sso-oidc operations."""
    url: str
    start_url: str
    user_name: str = "jan"
    approval: str = "ask"   # what the person does on the sign-in page: "ask" (the browser clicks), "allow", "deny"
    timing: Timing = field(default_factory=Timing)
    clients: dict[str, Client] = field(default_factory=dict)
    devices: dict[str, DeviceAuthorization] = field(default_factory=dict)   # by device code
    codes: dict[str, AuthCode] = field(default_factory=dict)
    access_tokens: dict[str, Token] = field(default_factory=dict)
    refresh_tokens: dict[str, Token] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    # ---- RegisterClient ------------------------------------------------------------------
    def register_client(self, body: dict) -> dict:
        if not body.get("clientName") or body.get("clientType") != "public":
            raise oidc_error("InvalidClientMetadataException", "invalid_client_metadata",
                             "clientName is required and clientType must be public")
        grants = set(body.get("grantTypes") or [])
        if grants - KNOWN_GRANTS:
            raise oidc_error("UnsupportedGrantTypeException", "unsupported_grant_type",
                             f"Unsupported grant types: {sorted(grants - KNOWN_GRANTS)}")
        redirects = list(body.get("redirectUris") or [])
        if not all(is_loopback_redirect(uri) for uri in redirects):
            raise oidc_error("InvalidRedirectUriException", "invalid_redirect_uri",
                             "A redirect URI must be http://127.0.0.1[:port]/path")
        if "authorization_code" in grants and not redirects:
            raise oidc_error("InvalidRequestException", "invalid_request",
                             "The authorization_code grant needs redirectUris")
        issuer = body.get("issuerUrl")
        if issuer is not None and _start_url(issuer) != _start_url(self.start_url):
            raise oidc_error("InvalidRequestException", "invalid_request", "Unknown issuerUrl")
        now = time.time()
        client = Client(_token("", 22), _token("eyJ", 300), list(body.get("scopes") or []), grants, redirects,
                        now + self.timing.client)
        with self.lock:
            self.clients[client.client_id] = client
        return {"clientId": client.client_id, "clientSecret": client.secret, "clientIdIssuedAt": int(now),
                "clientSecretExpiresAt": int(client.expires_at)}

    def client(self, client_id: str | None, secret: str | None = None, check_secret: bool = True) -> Client:
        found = self.clients.get(client_id or "")
        if found is None or (check_secret and found.secret != secret) or time.time() >= found.expires_at:
            raise oidc_error("InvalidClientException", "invalid_client", "Invalid client", status=401)
        return found

    # ---- StartDeviceAuthorization --------------------------------------------------------
    def start_device_authorization(self, body: dict) -> dict:
        client = self.client(body.get("clientId"), body.get("clientSecret"))
        if client.grants and DEVICE_GRANT not in client.grants:
            raise oidc_error("UnauthorizedClientException", "unauthorized_client",
                             "The client did not register the device_code grant")
        if _start_url(body.get("startUrl") or "") != _start_url(self.start_url):
            raise oidc_error("InvalidRequestException", "invalid_request", "Unknown startUrl")
        letters = "BCDFGHJKLMNPQRSTVWXZ"
        user_code = "".join(secrets.choice(letters) for _ in range(8))
        user_code = f"{user_code[:4]}-{user_code[4:]}"
        device_code = _token("", 80)
        with self.lock:
            self.devices[device_code] = DeviceAuthorization(client.client_id, user_code,
                                                            time.time() + self.timing.device_code)
        return {"deviceCode": device_code, "userCode": user_code, "verificationUri": f"{self.url}/device",
                "verificationUriComplete": f"{self.url}/device?user_code={user_code}",
                "expiresIn": self.timing.device_code, "interval": self.timing.interval}

    def device_by_user_code(self, user_code: str) -> DeviceAuthorization | None:
        live = (d for d in list(self.devices.values()) if d.user_code == user_code and time.time() < d.expires_at)
        return next(live, None)

    # ---- CreateToken ---------------------------------------------------------------------
    def create_token(self, body: dict) -> dict:
        client = self.client(body.get("clientId"), body.get("clientSecret"))
        grant = body.get("grantType")
        if grant == DEVICE_GRANT:
            user_name = self._device_grant(client, body.get("deviceCode") or "")
        elif grant == "authorization_code":
            user_name = self._code_grant(client, body)
        elif grant == "refresh_token":
            return self._refresh_grant(client, body.get("refreshToken") or "")
        else:
            raise oidc_error("UnsupportedGrantTypeException", "unsupported_grant_type", f"Unsupported {grant}")
        return self._tokens(client, SignIn(user_name))

    def _device_grant(self, client: Client, device_code: str) -> str:
        with self.lock:
            device = self.devices.get(device_code)
            if device is None or device.client_id != client.client_id:
                raise oidc_error("InvalidGrantException", "invalid_grant", "Invalid device code")
            now, last = time.time(), device.last_poll
            device.last_poll = now
            if now >= device.expires_at:
                raise oidc_error("ExpiredTokenException", "expired_token", "Device code has expired")
            if device.decision == "deny":
                raise oidc_error("AccessDeniedException", "access_denied", "The user denied the request")
            if now - last < self.timing.interval:
                raise oidc_error("SlowDownException", "slow_down", "Client is polling too fast")
            if device.decision is None:
                raise oidc_error("AuthorizationPendingException", "authorization_pending",
                                 "Authorization is still pending")
            del self.devices[device_code]  # a device code makes one token
            return device.user_name

    def _code_grant(self, client: Client, body: dict) -> str:
        if "authorization_code" not in client.grants:
            raise oidc_error("UnauthorizedClientException", "unauthorized_client",
                             "The client did not register the authorization_code grant")
        with self.lock:
            code = self.codes.pop(body.get("code") or "", None)  # single use, even when refused below
        if (code is None or code.client_id != client.client_id or time.time() >= code.expires_at
                or code.redirect_uri != body.get("redirectUri")):
            raise oidc_error("InvalidGrantException", "invalid_grant", "Invalid authorization code")
        if s256(body.get("codeVerifier") or "") != code.challenge:
            raise oidc_error("InvalidGrantException", "invalid_grant", "Code verifier does not match the challenge")
        return code.user_name

    def _refresh_grant(self, client: Client, refresh_token: str) -> dict:
        with self.lock:
            old = self.refresh_tokens.get(refresh_token)
            if old is None or old.client_id != client.client_id or old.sign_in.revoked:
                raise oidc_error("InvalidGrantException", "invalid_grant", "Invalid refresh token")
            if not old.live():
                raise oidc_error("ExpiredTokenException", "expired_token", "Refresh token has expired")
            del self.refresh_tokens[refresh_token]  # rotated: the old one is spent
        return self._tokens(client, old.sign_in)

    def _tokens(self, client: Client, sign_in: SignIn) -> dict:
        now = time.time()
        access = _token("aoa")
        reply = {"accessToken": access, "tokenType": "Bearer", "expiresIn": self.timing.access_token}
        with self.lock:
            self.access_tokens[access] = Token(sign_in, client.client_id, now + self.timing.access_token)
            if client.gets_refresh_tokens:
                reply["refreshToken"] = refresh = _token("aor")
                self.refresh_tokens[refresh] = Token(sign_in, client.client_id, now + self.timing.refresh_token)
        return reply

    # ---- what the portal and the test controls need --------------------------------------
    def sign_in_of(self, access_token: str) -> SignIn | None:
        token = self.access_tokens.get(access_token)
        return token.sign_in if token and token.live() else None

    def expire_access_tokens(self) -> None:
        with self.lock:
            for token in self.access_tokens.values():
                token.expires_at = min(token.expires_at, time.time())

    def revoke_all(self) -> None:
        with self.lock:
            for token in [*self.access_tokens.values(), *self.refresh_tokens.values()]:
                token.sign_in.revoked = True
