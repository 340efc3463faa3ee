"""The local Identity Center behaves like AWS's where hats depends on it, seen through botocore's own
sso-oidc and sso clients: both sign-in flows (the PKCE one through the scripted $BROWSER), polling
rules, expiry, refresh, pagination, Logout, and role credentials that the local STS and the real
`aws` CLI accept."""
from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import threading
import time
import webbrowser
from functools import partial
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlencode, urlsplit
from urllib.request import HTTPRedirectHandler, ProxyHandler, build_opener

import pytest
from botocore.exceptions import ClientError

from tests.conftest import DEV, PROD
from tui.sandbox.identity_center import LocalIdentityCenter
from tui.sandbox.oidc import DEVICE_GRANT, Timing, s256

SANDBOX = "444444444444"  # an account only the portal knows
ROOT = Path(__file__).resolve().parents[1]
BROWSER = f"{sys.executable} -m tui.sandbox.browser %s"
SSO_ARN = re.compile(rf"arn:aws:sts::{DEV}:assumed-role/AWSReservedSSO_AdministratorAccess_[0-9a-f]{{16}}/jan")


@pytest.fixture
def idc(world, tmp_path, monkeypatch):
    """An Identity Center with three accounts (two per page), and botocore kept away from this machine's AWS setup."""
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    with LocalIdentityCenter(world.sts, timing=Timing(interval=1)) as center:
        for account, name in ((DEV, "dev"), (PROD, "prod"), (SANDBOX, "sandbox")):
            center.add_account(account, name, f"{name}@example.com")
        center.add_role(DEV, "AdministratorAccess")
        center.add_role(DEV, "ReadOnly")
        center.add_role(PROD, "ReadOnly")
        center.world, center.clients = world, {}
        yield center


def client(idc, service: str):
    """One botocore client per service and server: making one costs ~100 ms."""
    import botocore.session

    if service not in idc.clients:
        idc.clients[service] = botocore.session.Session().create_client(service, region_name=idc.region,
                                                                         endpoint_url=idc.url)
    return idc.clients[service]


def error_code(call) -> str:
    with pytest.raises(ClientError) as raised:
        call()
    return raised.value.response["Error"]["Code"]


def keep_secret(idc, reply: dict, *names: str) -> dict:
    """Hand the secrets a reply holds to the session's final scan for secrets on disk and in output."""
    idc.world.secrets.update(reply[name] for name in names if name in reply)
    return reply


def register(idc, **extra) -> dict:
    reply = client(idc, "sso-oidc").register_client(clientName="hats-test", clientType="public", **extra)
    return keep_secret(idc, reply, "clientSecret")


def pkce_client(idc) -> dict:
    return register(idc, scopes=["sso:account:access"], grantTypes=["authorization_code", "refresh_token"],
                    redirectUris=["http://127.0.0.1/oauth/callback"], issuerUrl=idc.start_url)


def token(idc, reg: dict, **grant) -> dict:
    reply = client(idc, "sso-oidc").create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"], **grant)
    return keep_secret(idc, reply, "accessToken", "refreshToken")


def start_device(idc, reg: dict) -> dict:
    return client(idc, "sso-oidc").start_device_authorization(
        clientId=reg["clientId"], clientSecret=reg["clientSecret"], startUrl=idc.start_url)


def poll_device(idc, reg: dict, device: dict, limit: float = 15, wait_first: bool = True) -> dict:
    """Poll at the interval the server gave, as a client must, until a token or another error comes."""
    deadline = time.monotonic() + limit
    while True:
        if wait_first:
            time.sleep(device["interval"])
        wait_first = True
        try:
            return token(idc, reg, grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])
        except ClientError as error:
            if error.response["Error"]["Code"] != "AuthorizationPendingException" or time.monotonic() > deadline:
                raise


def device_sign_in(idc, reg: dict | None = None) -> dict:
    reg = reg or register(idc, scopes=["sso:account:access"])
    idc.approval = "allow"
    device = start_device(idc, reg)
    no_redirects().open(device["verificationUriComplete"]).read()
    return poll_device(idc, reg, device, wait_first=False)  # approved already: the first poll may come at once


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def no_redirects():
    return build_opener(ProxyHandler({}), _NoRedirect)


def authorize_url(idc, reg: dict, redirect_uri: str, state: str, verifier: str, override: dict | None = None) -> str:
    query = {"response_type": "code", "client_id": reg["clientId"], "redirect_uri": redirect_uri, "state": state,
             "code_challenge": s256(verifier), "code_challenge_method": "S256", "scopes": "sso:account:access"}
    return f"{idc.url}/authorize?{urlencode({**query, **(override or {})})}"


def authorize(idc, url: str) -> tuple[int, dict]:
    """GET the authorize URL as a browser would, without following the redirect: (status, redirect query)."""
    try:
        reply = no_redirects().open(url)
        return reply.status, {}
    except HTTPError as reply:
        location = reply.headers.get("Location") or ""
        return reply.code, {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


class Loopback:
    """The client's side of the PKCE redirect: a listener on 127.0.0.1 that keeps the first callback query."""

    def __init__(self):
        self.query: dict = {}
        self.arrived = threading.Event()
        loopback = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                loopback.query = {k: v[0] for k, v in parse_qs(urlsplit(self.path).query).items()}
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"Signed in: you may close this window.")
                loopback.arrived.set()

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_port}/oauth/callback"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback():
    listener = Loopback()
    yield listener
    listener.close()


@pytest.fixture
def browser(monkeypatch, tmp_path):
    """$BROWSER is the scripted browser; returns the file it logs its requests to."""
    log = tmp_path / "browser.log"
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    monkeypatch.setenv("HATS_SANDBOX_BROWSER_LOG", str(log))
    return log


# ---- the authorization code flow with PKCE --------------------------------------------------
def test_pkce_sign_in_through_the_scripted_browser(idc, loopback, browser):
    reg, state, verifier = pkce_client(idc), secrets.token_urlsafe(16), secrets.token_urlsafe(48)
    url = authorize_url(idc, reg, loopback.redirect_uri, state, verifier)
    assert webbrowser.get(BROWSER).open(url)  # as hats opens it: Python's webbrowser running $BROWSER
    assert loopback.arrived.wait(15), browser.read_text() if browser.exists() else "the browser logged nothing"
    assert loopback.query["state"] == state
    reply = token(idc, reg, grantType="authorization_code", code=loopback.query["code"],
                  codeVerifier=verifier, redirectUri=loopback.redirect_uri)
    assert reply["tokenType"] == "Bearer" and reply["expiresIn"] == 3600 and reply["refreshToken"]
    assert [a["accountName"] for a in client(idc, "sso").list_accounts(accessToken=reply["accessToken"])
            ["accountList"]] == ["dev", "prod"]
    log = browser.read_text()
    assert "state=REDACTED" in log and "code=REDACTED" in log and "/consent 302" in log
    assert state not in log and loopback.query["code"] not in log


def test_pkce_denied_in_the_browser_redirects_with_access_denied(idc, loopback, browser, monkeypatch):
    monkeypatch.setenv("HATS_SANDBOX_BROWSER", "deny")
    reg = pkce_client(idc)
    assert webbrowser.get(BROWSER).open(authorize_url(idc, reg, loopback.redirect_uri, "s-1", "v" * 43))
    assert loopback.arrived.wait(15)
    assert loopback.query == {"error": "access_denied", "state": "s-1"}


def test_pkce_verifier_mismatch_is_refused_and_the_code_is_spent(idc, loopback):
    idc.approval = "allow"
    reg, verifier = pkce_client(idc), secrets.token_urlsafe(48)
    status, query = authorize(idc, authorize_url(idc, reg, loopback.redirect_uri, "s", verifier))
    assert status == 302 and query["state"] == "s"
    grant = {"grantType": "authorization_code", "code": query["code"], "redirectUri": loopback.redirect_uri}
    assert error_code(lambda: token(idc, reg, codeVerifier=verifier + "x", **grant)) == "InvalidGrantException"
    assert error_code(lambda: token(idc, reg, codeVerifier=verifier, **grant)) == "InvalidGrantException"


def test_a_code_only_works_for_its_client_and_redirect_uri(idc, loopback):
    idc.approval = "allow"
    reg, other, verifier = pkce_client(idc), pkce_client(idc), "v" * 43
    codes = [authorize(idc, authorize_url(idc, reg, loopback.redirect_uri, "s", verifier))[1]["code"] for _ in "ab"]
    elsewhere = loopback.redirect_uri.replace("/oauth/callback", "/other")
    assert error_code(lambda: token(idc, other, grantType="authorization_code", code=codes[0], codeVerifier=verifier,
                                    redirectUri=loopback.redirect_uri)) == "InvalidGrantException"
    assert error_code(lambda: token(idc, reg, grantType="authorization_code", code=codes[1], codeVerifier=verifier,
                                    redirectUri=elsewhere)) == "InvalidGrantException"


@pytest.mark.parametrize("override", [
    {"redirect_uri": "http://evil.example/cb"}, {"redirect_uri": "http://127.0.0.1:9/elsewhere"},
    {"code_challenge_method": "plain"}, {"code_challenge": ""}, {"response_type": "token"},
    {"client_id": "nobody"}, {"scopes": "sso:account:access admin:everything"}])
def test_a_bad_authorize_request_is_a_400_page_and_no_redirect(idc, override):
    idc.approval = "allow"
    url = authorize_url(idc, pkce_client(idc), "http://127.0.0.1:8400/oauth/callback", "s", "v" * 43, override)
    assert authorize(idc, url) == (400, {})


def test_registration_refuses_what_aws_refuses(idc):
    assert error_code(lambda: register(idc, redirectUris=["https://example.com/cb"], grantTypes=["authorization_code"])
                      ) == "InvalidRedirectUriException"
    assert error_code(lambda: register(idc, grantTypes=["password"])) == "UnsupportedGrantTypeException"
    assert error_code(lambda: register(idc, grantTypes=["authorization_code"], issuerUrl="https://d-other.awsapps.com/start",
                                       redirectUris=["http://127.0.0.1/cb"])) == "InvalidRequestException"


# ---- the device flow -------------------------------------------------------------------------
def test_device_sign_in_through_the_scripted_browser(idc, browser):
    reg = register(idc, scopes=["sso:account:access"])
    device = start_device(idc, reg)
    assert device["verificationUriComplete"] == f"{idc.url}/device?user_code={device['userCode']}"
    assert error_code(lambda: token(idc, reg, grantType=DEVICE_GRANT, deviceCode=device["deviceCode"])
                      ) == "AuthorizationPendingException"
    done = subprocess.run([sys.executable, "-m", "tui.sandbox.browser", device["verificationUriComplete"]],
                          timeout=10)
    assert done.returncode == 0  # the launcher returns at once; the visit goes on detached
    reply = poll_device(idc, reg, device)
    assert reply["accessToken"] and reply["refreshToken"]
    assert idc.count("device-decision", ok=True) == 1
    assert "POST" in browser.read_text()


def test_device_denied_in_the_browser_is_access_denied(idc, browser, monkeypatch):
    monkeypatch.setenv("HATS_SANDBOX_BROWSER", "deny")
    reg = register(idc)
    device = start_device(idc, reg)
    subprocess.run([sys.executable, "-m", "tui.sandbox.browser", "--foreground", device["verificationUriComplete"]],
                   timeout=10)
    with pytest.raises(ClientError) as raised:
        poll_device(idc, reg, device)
    assert raised.value.response["Error"]["Code"] == "AccessDeniedException"
    assert raised.value.response["error"] == "access_denied"


def test_polling_faster_than_the_interval_is_told_to_slow_down(idc):
    reg = register(idc)
    device = start_device(idc, reg)
    poll = {"grantType": DEVICE_GRANT, "deviceCode": device["deviceCode"]}
    assert error_code(lambda: token(idc, reg, **poll)) == "AuthorizationPendingException"
    assert error_code(lambda: token(idc, reg, **poll)) == "SlowDownException"
    time.sleep(device["interval"])
    assert error_code(lambda: token(idc, reg, **poll)) == "AuthorizationPendingException"
    assert idc.count("CreateToken", grant="device_code") == 3


def test_an_unanswered_device_code_expires(idc, browser, monkeypatch):
    monkeypatch.setenv("HATS_SANDBOX_BROWSER", "ignore")
    idc.timing.device_code = 2
    reg = register(idc)
    device = start_device(idc, reg)
    assert device["expiresIn"] == 2
    subprocess.run([sys.executable, "-m", "tui.sandbox.browser", device["verificationUriComplete"]], timeout=10)
    with pytest.raises(ClientError) as raised:
        poll_device(idc, reg, device)
    assert raised.value.response["Error"]["Code"] == "ExpiredTokenException"
    assert idc.count("device") == 0 and browser.read_text().startswith("IGNORED ")


def test_a_wrong_client_secret_is_an_invalid_client(idc):
    reg = register(idc)
    assert error_code(lambda: token(idc, {**reg, "clientSecret": "guess"}, grantType=DEVICE_GRANT,
                                    deviceCode="x")) == "InvalidClientException"


# ---- tokens: refresh, expiry, Logout ---------------------------------------------------------
def test_refresh_gives_a_new_access_token_and_rotates_the_refresh_token(idc):
    reg = register(idc, scopes=["sso:account:access"])
    first = device_sign_in(idc, reg)
    idc.expire_access_tokens()
    sso = client(idc, "sso")
    assert error_code(lambda: sso.list_accounts(accessToken=first["accessToken"])) == "UnauthorizedException"
    second = token(idc, reg, grantType="refresh_token", refreshToken=first["refreshToken"])
    assert second["refreshToken"] != first["refreshToken"]
    assert sso.list_accounts(accessToken=second["accessToken"])["accountList"]
    assert error_code(lambda: token(idc, reg, grantType="refresh_token", refreshToken=first["refreshToken"])
                      ) == "InvalidGrantException"


def test_short_lived_access_tokens_expire_on_their_own(idc):
    idc.timing.access_token = 1
    reply = device_sign_in(idc)
    assert reply["expiresIn"] == 1
    time.sleep(1.2)
    assert error_code(lambda: client(idc, "sso").list_accounts(accessToken=reply["accessToken"])
                      ) == "UnauthorizedException"


def test_no_refresh_token_without_the_grant_or_the_portal_scope(idc):
    assert "refreshToken" not in device_sign_in(idc, register(idc))
    assert "refreshToken" in device_sign_in(idc, register(idc, grantTypes=[DEVICE_GRANT, "refresh_token"]))


def test_logout_ends_the_sign_in_for_every_call(idc):
    reg = register(idc, scopes=["sso:account:access"])
    reply = device_sign_in(idc, reg)
    sso = client(idc, "sso")
    sso.logout(accessToken=reply["accessToken"])
    assert error_code(lambda: sso.list_accounts(accessToken=reply["accessToken"])) == "UnauthorizedException"
    assert error_code(lambda: sso.get_role_credentials(accessToken=reply["accessToken"], accountId=DEV,
                                                       roleName="ReadOnly")) == "UnauthorizedException"
    assert error_code(lambda: token(idc, reg, grantType="refresh_token", refreshToken=reply["refreshToken"])
                      ) == "InvalidGrantException"


def test_revoke_all_ends_every_sign_in(idc):
    reg = register(idc, scopes=["sso:account:access"])
    replies = [device_sign_in(idc, reg) for _ in "ab"]
    idc.revoke_all()
    calls = [partial(client(idc, "sso").list_accounts, accessToken=reply["accessToken"]) for reply in replies]
    assert [error_code(call) for call in calls] == ["UnauthorizedException"] * 2


# ---- the portal ------------------------------------------------------------------------------
def test_lists_come_in_pages_that_the_paginator_follows(idc):
    access = device_sign_in(idc)["accessToken"]
    sso = client(idc, "sso")
    first = sso.list_accounts(accessToken=access)
    assert len(first["accountList"]) == 2 and first["nextToken"]
    assert len(sso.list_accounts(accessToken=access, maxResults=1)["accountList"]) == 1
    accounts = [a for page in sso.get_paginator("list_accounts").paginate(accessToken=access)
                for a in page["accountList"]]
    assert accounts == [{"accountId": DEV, "accountName": "dev", "emailAddress": "dev@example.com"},
                        {"accountId": PROD, "accountName": "prod", "emailAddress": "prod@example.com"},
                        {"accountId": SANDBOX, "accountName": "sandbox", "emailAddress": "sandbox@example.com"}]
    idc.page_size = 1
    roles = [r["roleName"] for page in sso.get_paginator("list_account_roles").paginate(accessToken=access, accountId=DEV)
             for r in page["roleList"]]
    assert roles == ["AdministratorAccess", "ReadOnly"]
    assert idc.count("ListAccountRoles") == 2


def test_a_role_not_assigned_is_no_access(idc):
    access = device_sign_in(idc)["accessToken"]
    assert error_code(lambda: client(idc, "sso").get_role_credentials(
        accessToken=access, accountId=PROD, roleName="AdministratorAccess")) == "ForbiddenException"


def role_credentials(idc, role: str = "AdministratorAccess", account: str = DEV) -> dict:
    access = device_sign_in(idc)["accessToken"]
    reply = client(idc, "sso").get_role_credentials(accessToken=access, accountId=account, roleName=role)
    return keep_secret(idc, reply["roleCredentials"], "secretAccessKey", "sessionToken")


def test_role_credentials_are_the_aws_reserved_sso_role_to_the_aws_cli(idc, tmp_path):
    creds = role_credentials(idc)
    assert 3590 < creds["expiration"] / 1000 - time.time() <= 3600  # epoch milliseconds, as AWS sends
    for name in ("config", "credentials"):
        (tmp_path / name).write_text("")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_ENDPOINT_URL_STS": idc.world.sts.url,
           "AWS_CONFIG_FILE": str(tmp_path / "config"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
           "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ACCESS_KEY_ID": creds["accessKeyId"],
           "AWS_SECRET_ACCESS_KEY": creds["secretAccessKey"], "AWS_SESSION_TOKEN": creds["sessionToken"]}
    command = [shutil.which("aws")] if shutil.which("aws") else [sys.executable, "-m", "awscli"]
    done = subprocess.run([*command, "sts", "get-caller-identity", "--output", "json"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert SSO_ARN.fullmatch(json.loads(done.stdout)["Arn"]), done.stderr


def sts_client(idc, creds: dict):
    import botocore.session

    return botocore.session.Session().create_client(
        "sts", region_name="eu-west-1", endpoint_url=idc.world.sts.url, aws_access_key_id=creds["accessKeyId"],
        aws_secret_access_key=creds["secretAccessKey"], aws_session_token=creds["sessionToken"])


def test_a_role_that_trusts_the_account_can_be_chained_from_the_sso_role_for_an_hour(idc):
    sts = sts_client(idc, role_credentials(idc))
    hop = f"arn:aws:iam::{PROD}:role/prod-hop"  # trusts DEV; 2 h straight from long-term keys
    assumed = sts.assume_role(RoleArn=hop, RoleSessionName="jan", DurationSeconds=3600)
    idc.world.secrets.add(assumed["Credentials"]["SecretAccessKey"])
    assert assumed["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/prod-hop/jan"
    assert error_code(lambda: sts.assume_role(RoleArn=hop, RoleSessionName="jan", DurationSeconds=7200)
                      ) == "ValidationError"
    untrusting = f"arn:aws:iam::{PROD}:role/prod-admin"  # trusts PROD only
    assert error_code(lambda: sts.assume_role(RoleArn=untrusting, RoleSessionName="jan")) == "AccessDenied"


def test_a_browser_that_cannot_start_fails_in_one_line(browser, monkeypatch):
    monkeypatch.setenv("HATS_SANDBOX_BROWSER", "fail")
    done = subprocess.run([str(ROOT / "tui/sandbox/browser.py"), "http://127.0.0.1:9/authorize"],
                          capture_output=True, text=True, timeout=10)
    assert (done.returncode, done.stdout, len(done.stderr.splitlines())) == (1, "", 1)
    assert not browser.exists()  # it visited nothing


def iso(seconds_from_now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + seconds_from_now))


def test_botocores_own_sso_provider_refreshes_and_gets_role_credentials_here(idc, tmp_path):
    """The AWS CLI's SSO code (not hats') as the client: a cached token about to expire is refreshed
    with CreateToken, then GetRoleCredentials gives keys the local STS knows.  This test's tokens
    sit in the CLI's plaintext cache on purpose, so they are not handed to the secret scan."""
    oidc = client(idc, "sso-oidc")
    reg = oidc.register_client(clientName="aws-cli", clientType="public", scopes=["sso:account:access"])
    idc.approval = "allow"
    device = oidc.start_device_authorization(clientId=reg["clientId"], clientSecret=reg["clientSecret"],
                                             startUrl=idc.start_url)
    no_redirects().open(device["verificationUriComplete"]).read()
    signed_in = oidc.create_token(clientId=reg["clientId"], clientSecret=reg["clientSecret"], grantType=DEVICE_GRANT,
                                  deviceCode=device["deviceCode"])
    cache = tmp_path / ".aws/sso/cache" / f"{hashlib.sha1(b'corp').hexdigest()}.json"
    cache.parent.mkdir(parents=True)
    cache.write_text(json.dumps({
        "startUrl": idc.start_url, "region": idc.region, "accessToken": signed_in["accessToken"],
        "expiresAt": iso(300), "refreshToken": signed_in["refreshToken"], "clientId": reg["clientId"],
        "clientSecret": reg["clientSecret"], "registrationExpiresAt": iso(86400)}))
    (tmp_path / "config").write_text(f"""\
[profile admin]
sso_session = corp
sso_account_id = {DEV}
sso_role_name = AdministratorAccess
region = eu-west-1

[sso-session corp]
sso_start_url = {idc.start_url}
sso_region = {idc.region}
sso_registration_scopes = sso:account:access
""")
    env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), "AWS_CONFIG_FILE": str(tmp_path / "config"),
           "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"), "AWS_ENDPOINT_URL_STS": idc.world.sts.url,
           "AWS_ENDPOINT_URL_SSO": idc.url, "AWS_ENDPOINT_URL_SSO_OIDC": idc.url}
    command = [shutil.which("aws")] if shutil.which("aws") else [sys.executable, "-m", "awscli"]
    done = subprocess.run([*command, "sts", "get-caller-identity", "--profile", "admin", "--output", "json"],
                          env=env, capture_output=True, text=True, timeout=60)
    assert SSO_ARN.fullmatch(json.loads(done.stdout or "{}").get("Arn", "")), done.stderr
    assert idc.count("CreateToken", ok=True, grant="refresh_token") == 1
    assert idc.count("GetRoleCredentials", ok=True) == 1
    assert json.loads(cache.read_text())["accessToken"] != signed_in["accessToken"]
