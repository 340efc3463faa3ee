"""A local STS for tests and the offline demo: a real moto server behind a thin checking layer.

moto serves STS, IAM and S3 for many accounts on 127.0.0.1 in a background thread, but
it takes any key, MFA code and duration.  The WSGI layer in front does what AWS does:
unknown keys are refused; a SerialNumber needs a current TOTP code (one step of slack);
a role's MFA condition holds only for a request with a code or for keys descended from
one (an MFA GetSessionToken or MFA AssumeRole, through chains); a role trusts only its
account; chaining is capped at 3600 s and no role exceeds its MaxSessionDuration.

Choices and moto quirks:
* Reusing an MFA code is allowed by default so tests need not wait 30 s between
  sign-ins; AWS refuses reuse, as does `reject_reused_codes=True`.
* moto's GetSessionToken gives everyone one fixed AKIA example key, so the layer swaps
  in a fresh ASIA key and answers GetCallerIdentity for it (the user's ARN, as AWS does).
* Requests reach moto with x-moto-account-id set to the caller's account, which keeps
  accounts apart.  S3 bucket names are global across accounts, as in AWS.
* moto's state is module-global and start() resets it: one LocalSTS per process at a time.
* IAM goes through the layer too (local_iam.py): keys IAM makes and deletes are the keys STS
  takes, and IAM asks for MFA where AWS does.
"""
from __future__ import annotations

import base64
import re
import secrets
import string
import threading
import time
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pyotp
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
from werkzeug.serving import WSGIRequestHandler
from werkzeug.test import Client

from .local_iam import IamLayer
from .serving import LoopbackServer, QuietHandler
from .wire import BAD_KEY, IAM_NS, STS_NS, Principal, request_params
from .wire import error_xml as _error_xml
from .wire import respond as _respond
from .wire import text as _text

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

BAD_CODE = "MultiFactorAuthentication failed with invalid MFA one time pass code. "
BAD_DEVICE = ("MultiFactorAuthentication failed, unable to validate MFA code.  "
              "Please verify your MFA serial number is valid and associated with this user.")
CHAIN_LIMIT = "The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining."
ROLE_LIMIT = "The requested DurationSeconds exceeds the MaxSessionDuration set for this role."


@dataclass
class Role:
    trusted_account: str
    require_mfa: bool
    max_session_duration: int


Refusal = tuple[str, str, str]  # HTTP status, AWS error code, message


def _dated_handler(sts: LocalSTS) -> type[WSGIRequestHandler]:
    class DatedHandler(QuietHandler):
        def date_time_string(self, timestamp: float | None = None) -> str:  # the Date header, skewed on demand
            return super().date_time_string((timestamp or time.time()) + sts.date_offset)

    return DatedHandler


def _random(alphabet: str, n: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


class LocalSTS(IamLayer, LoopbackServer):
    """moto on 127.0.0.1:port (0 = any free port), with AWS's STS checks in front.

    `calls` holds one dict per STS request, refused or not: action, access_key_id,
    role_arn, duration, serial (str or None), ok, error_code.
    """

    def __init__(self, host: str = "127.0.0.1", port: int = 0, reject_reused_codes: bool = False):
        super().__init__(host, port, "localsts")
        self.handler = _dated_handler(self)
        self.reject_reused_codes = reject_reused_codes
        self.date_offset = 0.0  # seconds the Date header of each answer is moved by (skew_date)
        self.calls: list[dict[str, Any]] = []
        self._principals: dict[str, Principal] = {}
        self._devices: dict[str, tuple[str, str]] = {}     # serial -> (secret, owner user ARN)
        self._roles: dict[str, Role] = {}
        self._used_codes: set[tuple[str, str]] = set()
        self._web_tokens: dict[str, str] = {}  # web identity token -> the role it may assume
        self._lock = threading.Lock()
        self._iam_state()
        self._moto = DomainDispatcherApplication(create_backend_app)
        self._admin = Client(self._moto)

    def start(self) -> LocalSTS:
        self._admin.post("/moto-api/reset")
        super().start()
        return self

    def __enter__(self) -> LocalSTS:
        return self.start()

    # ---- building the world (straight into moto, not through the checks) -------------------
    def _moto_call(self, service: str, account: str, method: str, path: str = "/", **form: str) -> bytes:
        auth = f"AWS4-HMAC-SHA256 Credential=AKIAADMIN/20200101/us-east-1/{service}/aws4_request, Signature=0"
        reply = self._admin.open(path, method=method, data=form or None,
                                 headers={"Authorization": auth, "x-moto-account-id": account})
        if reply.status_code != 200:
            raise RuntimeError(f"moto {service} {form.get('Action', path)}: {reply.get_data(as_text=True)}")
        return reply.get_data()

    def _iam(self, account: str, action: str, **form: str) -> ET.Element:
        return ET.fromstring(self._moto_call("iam", account, "POST", Action=action, Version="2010-05-08", **form))

    def create_user(self, account_id: str, name: str) -> tuple[str, str]:
        """An IAM user with long-term AKIA keys; returns (access_key_id, secret_access_key)."""
        self._iam(account_id, "CreateUser", UserName=name)
        return self.create_access_key(account_id, name)

    def create_mfa_device(self, account_id: str, user: str, name: str) -> tuple[str, str]:
        """A virtual MFA device enabled for `user`; returns (serial ARN, base32 TOTP secret)."""
        device = self._iam(account_id, "CreateVirtualMFADevice", VirtualMFADeviceName=name)
        serial = _text(device, f".//{IAM_NS}SerialNumber")
        secret = base64.b64decode(_text(device, f".//{IAM_NS}Base32StringSeed")).decode()
        totp = pyotp.TOTP(secret)
        self._iam(account_id, "EnableMFADevice", UserName=user, SerialNumber=serial,
                  AuthenticationCode1=totp.at(time.time() - 30), AuthenticationCode2=totp.now())
        self._devices[serial] = (secret, f"arn:aws:iam::{account_id}:user/{user}")
        return serial, secret

    def create_role(self, account_id: str, name: str, trusted_account_id: str,
                    require_mfa: bool = False, max_session_duration: int = 3600) -> str:
        """A role that arn:aws:iam::TRUSTED:root may assume (with MFA if asked); returns its ARN."""
        condition = ',"Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}' if require_mfa else ""
        policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRole",'
                  f'"Principal":{{"AWS":"arn:aws:iam::{trusted_account_id}:root"}}{condition}}}]}}')
        role = self._iam(account_id, "CreateRole", RoleName=name, AssumeRolePolicyDocument=policy,
                         MaxSessionDuration=str(max_session_duration))
        arn = _text(role, f".//{IAM_NS}Arn")
        self._roles[arn] = Role(trusted_account_id, require_mfa, max_session_duration)
        return arn

    def create_web_identity_role(self, account_id: str, name: str) -> str:
        """A role an OIDC identity assumes with AssumeRoleWithWebIdentity; returns its ARN."""
        policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithWebIdentity",'
                  f'"Principal":{{"Federated":"arn:aws:iam::{account_id}:oidc-provider/oidc.example"}}}}]}}')
        role = self._iam(account_id, "CreateRole", RoleName=name, AssumeRolePolicyDocument=policy)
        arn = _text(role, f".//{IAM_NS}Arn")
        self._roles[arn] = Role("web-identity", False, 3600)
        return arn

    def issue_web_identity_token(self, role_arn: str) -> str:
        """A token the OIDC provider would sign: good for AssumeRoleWithWebIdentity on `role_arn` only."""
        token = "eyJ" + _random(string.ascii_letters + string.digits, 120)
        self._web_tokens[token] = role_arn
        return token

    def create_bucket(self, account_id: str, name: str) -> None:
        self._moto_call("s3", account_id, "PUT", f"/{name}")

    def totp(self, serial: str, at: float | None = None) -> str:
        return pyotp.TOTP(self._devices[serial][0]).at(time.time() if at is None else at)

    def skew_date(self, seconds: float) -> None:
        """Answer with a Date header this far from the real time, as STS does to a client whose clock is off."""
        self.date_offset = seconds

    def count(self, action: str) -> int:
        return sum(1 for call in self.calls if call["action"] == action and call["ok"])

    def reset_calls(self) -> None:
        with self._lock:
            self.calls.clear()

    # ---- the checking layer ----------------------------------------------------------------
    def wsgi(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        match = re.search(r"Credential=([^/,\s]+)/[^/]*/[^/]*/([^/]+)/", environ.get("HTTP_AUTHORIZATION", ""))
        akid, service = match.groups() if match else ("", "")
        caller = self._principal(akid)
        if service == "sts" or not match:  # unsigned: AssumeRoleWithWebIdentity, or a refusal
            return self._sts(environ, start_response, akid, caller)
        if caller is None:
            if service == "iam":
                return _respond(start_response, "403 Forbidden", _error_xml("InvalidClientTokenId", BAD_KEY, True))
            body = _error_xml("InvalidAccessKeyId",
                              "The AWS Access Key Id you provided does not exist in our records.", False)
            return _respond(start_response, "403 Forbidden", body)
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = caller.account
        if service == "iam":
            return self._iam_request(environ, start_response, caller)
        return self._moto(environ, start_response)


    def _sts(self, environ: WSGIEnvironment, start_response: StartResponse, akid: str,
             caller: Principal | None) -> Iterable[bytes]:
        params = request_params(environ)
        action = params.get("Action", "")
        call = {"action": action, "access_key_id": akid, "role_arn": params.get("RoleArn"),
                "duration": params.get("DurationSeconds"),
                "serial": params.get("SerialNumber"), "ok": False, "error_code": None}
        with self._lock:
            self.calls.append(call)
        if action == "AssumeRoleWithWebIdentity":
            refusal, mfa = self._web_identity_refusal(params), False
        else:
            refusal, mfa = self._refusal(action, params, caller)
        if refusal:
            status, call["error_code"], message = refusal
            return _respond(start_response, status, _error_xml(refusal[1], message, True))
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = caller.account if caller else params["RoleArn"].split(":")[4]
        headers: list[tuple[str, str]] | None = None
        if action == "GetCallerIdentity" and caller and caller.user_arn and caller.temporary:
            status, body = "200 OK", self._session_identity(caller)
        else:
            status, headers, body = self._forward(environ)
        call["ok"] = status.startswith("200")
        if call["ok"]:
            body = self._remember(action, caller, mfa, body)
        else:
            call["error_code"] = ET.fromstring(body).findtext(f".//{STS_NS}Code") if body else None
        return _respond(start_response, status, body, headers)

    def _forward(self, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], bytes]:
        reply: dict[str, Any] = {}

        def start_response(status: str, headers: list[tuple[str, str]], *_: object) -> Any:
            reply.update(status=status, headers=headers)

        body = b"".join(self._moto(environ, start_response))
        return reply["status"], reply["headers"], body

    def _refusal(self, action: str, params: dict[str, str],
                 caller: Principal | None) -> tuple[Refusal | None, bool]:
        """(status, code, message) if AWS would refuse this call, else None; plus whether MFA was shown."""
        if caller is None:
            return ("403 Forbidden", "InvalidClientTokenId", BAD_KEY), False
        if action == "GetSessionToken" and caller.temporary:
            return ("403 Forbidden", "AccessDenied", "Cannot call GetSessionToken with session credentials"), False
        serial, mfa = params.get("SerialNumber"), False
        if serial and action in ("GetSessionToken", "AssumeRole"):
            problem = self._code_problem(serial, params.get("TokenCode", ""), caller)
            if problem:
                return ("403 Forbidden", "AccessDenied", problem), False
            mfa = True
        return (self._role_refusal(params, caller, mfa) if action == "AssumeRole" else None), mfa

    def _web_identity_refusal(self, params: dict[str, str]) -> Refusal | None:
        arn = params.get("RoleArn", "")
        if arn not in self._roles or self._roles[arn].trusted_account != "web-identity":
            return "403 Forbidden", "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity"
        if self._web_tokens.get(params.get("WebIdentityToken", "")) != arn:
            return "400 Bad Request", "InvalidIdentityToken", "The web identity token that was passed is invalid"
        if int(params.get("DurationSeconds") or 3600) > self._roles[arn].max_session_duration:
            return "400 Bad Request", "ValidationError", ROLE_LIMIT
        return None

    def _code_problem(self, serial: str, code: str, caller: Principal) -> str | None:
        secret, owner = self._devices.get(serial, (None, None))
        if secret is None or (caller.user_arn and owner != caller.user_arn):
            return BAD_DEVICE
        if not code or not pyotp.TOTP(secret).verify(code, valid_window=1):
            return BAD_CODE
        with self._lock:
            if self.reject_reused_codes and (serial, code) in self._used_codes:
                return BAD_DEVICE
            self._used_codes.add((serial, code))
        return None

    def _role_refusal(self, params: dict[str, str], caller: Principal, mfa_now: bool) -> Refusal | None:
        arn = params.get("RoleArn", "")
        role = self._roles.get(arn)
        if (role is None or role.trusted_account != caller.account
                or (role.require_mfa and not (mfa_now or caller.mfa))):
            return ("403 Forbidden", "AccessDenied",
                    f"User: {caller.arn} is not authorized to perform: sts:AssumeRole on resource: {arn}")
        duration = int(params.get("DurationSeconds") or 3600)
        if caller.temporary and duration > 3600:
            return "400 Bad Request", "ValidationError", CHAIN_LIMIT
        if duration > role.max_session_duration:
            return "400 Bad Request", "ValidationError", ROLE_LIMIT
        return None

    def _remember(self, action: str, caller: Principal | None, mfa_now: bool, body: bytes) -> bytes:
        """Record the keys a successful call hands out; give GetSessionToken a key of its own."""
        mfa = mfa_now or bool(caller and caller.mfa)
        if action in ("AssumeRole", "AssumeRoleWithWebIdentity"):
            root = ET.fromstring(body)
            arn = _text(root, f".//{STS_NS}Arn")
            self._principals[_text(root, f".//{STS_NS}AccessKeyId")] = Principal(
                arn.split(":")[4], arn, _text(root, f".//{STS_NS}AssumedRoleId"), temporary=True, mfa=mfa)
        elif action == "GetSessionToken" and caller:
            body = self._session_key(caller, mfa, body)
        return body

    def _session_key(self, caller: Principal, mfa: bool, body: bytes) -> bytes:
        """moto's GetSessionToken answer with a fresh ASIA key of the caller's in place of its fixed one."""
        root = ET.fromstring(body)
        new = {"AccessKeyId": "ASIA" + _random(string.ascii_uppercase + string.digits, 16),
               "SecretAccessKey": _random(string.ascii_letters + string.digits, 40),
               "SessionToken": "IQoJb3JpZ2luX2VjE" + _random(string.ascii_letters + string.digits, 200)}
        for tag, value in new.items():
            body = body.replace(_text(root, f".//{STS_NS}{tag}").encode(), value.encode())
        self._principals[new["AccessKeyId"]] = Principal(caller.account, caller.arn, caller.user_id,
                                                         user_arn=caller.user_arn, temporary=True, mfa=mfa)
        return body

    def _session_identity(self, caller: Principal) -> bytes:
        return (f'<GetCallerIdentityResponse xmlns="{STS_NS[1:-1]}"><GetCallerIdentityResult>'
                f"<Arn>{caller.arn}</Arn><UserId>{caller.user_id}</UserId><Account>{caller.account}</Account>"
                f"</GetCallerIdentityResult><ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId>"
                f"</ResponseMetadata></GetCallerIdentityResponse>").encode()

    def sso_role_credentials(self, account_id: str, permission_set: str, user_name: str,
                             duration: int = 3600) -> dict[str, str | int]:
        """What Identity Center hands out for a permission set: keys of the role it provisions in the
        account (AWSReservedSSO_<set>_<16 hex> under /aws-reserved/sso.amazonaws.com/, trusting only
        the SAML provider, so no key may AssumeRole into it), for a session named after the user.
        Returns AccessKeyId, SecretAccessKey, SessionToken and ExpirationMs (epoch milliseconds)."""
        from datetime import datetime
        from hashlib import sha256

        suffix = sha256(f"{account_id}/{permission_set}".encode()).hexdigest()[:16]
        name = f"AWSReservedSSO_{permission_set}_{suffix}"
        arn = f"arn:aws:iam::{account_id}:role/aws-reserved/sso.amazonaws.com/{name}"
        with self._lock:
            if arn not in self._roles:
                policy = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"sts:AssumeRoleWithSAML",'
                          f'"Principal":{{"Federated":"arn:aws:iam::{account_id}:saml-provider/'
                          'AWSSSO_local_DO_NOT_DELETE"}}]}')
                self._iam(account_id, "CreateRole", RoleName=name, Path="/aws-reserved/sso.amazonaws.com/",
                          AssumeRolePolicyDocument=policy, MaxSessionDuration="43200")
                self._roles[arn] = Role("saml:AWSSSO", False, 43200)
        reply = ET.fromstring(self._moto_call("sts", account_id, "POST", Action="AssumeRole", Version="2011-06-15",
                                              RoleArn=arn, RoleSessionName=user_name, DurationSeconds=str(duration)))
        keys = {tag: _text(reply, f".//{STS_NS}{tag}")
                for tag in ("AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration", "Arn", "AssumedRoleId")}
        self._principals[keys["AccessKeyId"]] = Principal(account_id, keys["Arn"], keys["AssumedRoleId"],
                                                          temporary=True)
        expires = datetime.fromisoformat(keys["Expiration"].replace("Z", "+00:00"))
        return {"AccessKeyId": keys["AccessKeyId"], "SecretAccessKey": keys["SecretAccessKey"],
                "SessionToken": keys["SessionToken"], "ExpirationMs": int(expires.timestamp() * 1000)}
