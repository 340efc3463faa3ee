"""The local STS's IAM checks: keys IAM makes and deletes are the keys STS takes, MFA where AWS demands it.

A key made with CreateAccessKey works after `key_delay` seconds (IAM's changes take a moment
to reach STS) and one gone with DeleteAccessKey is refused, as AWS does. Session keys made
without MFA may not call IAM, and `require_mfa_for_iam` gives a user the usual policy that
denies everything without MFA.
"""
from __future__ import annotations

import time
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .wire import IAM_NS, Principal, error_xml, request_params, respond, text

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

IAM_WITHOUT_MFA = "Cannot call IAM APIs with session credentials that were not made with MFA"


class IamLayer:
    """The IAM half of LocalSTS, which provides `_principals`, `_iam` and `_forward`.

    Like AWS, GetSessionToken's keys made without MFA may not call IAM; role sessions may.
    """

    _principals: dict[str, Principal]

    if TYPE_CHECKING:
        def _iam(self, account: str, action: str, **form: str) -> ET.Element: ...
        def _forward(self, environ: WSGIEnvironment) -> tuple[str, list[tuple[str, str]], bytes]: ...

    def _iam_state(self) -> None:
        self.key_delay = 0.0  # seconds a key made by CreateAccessKey is refused, as IAM's changes propagate
        self.created_secrets: set[str] = set()  # the secrets CreateAccessKey handed out through the layer
        self._key_ready: dict[str, float] = {}  # key made by CreateAccessKey -> when STS starts taking it
        self._mfa_for_iam: set[str] = set()  # user ARNs whose IAM calls need MFA

    def require_mfa_for_iam(self, account_id: str, user: str) -> None:
        """The user may call IAM only with MFA: keys of an MFA session, as AWS's common policy demands."""
        self._mfa_for_iam.add(f"arn:aws:iam::{account_id}:user/{user}")

    def access_keys(self, account_id: str, user: str) -> list[str]:
        """The user's access key ids, as IAM's ListAccessKeys lists them."""
        reply = self._iam(account_id, "ListAccessKeys", UserName=user)
        return [element.text or "" for element in reply.iter(f"{IAM_NS}AccessKeyId")]

    def create_access_key(self, account_id: str, user: str) -> tuple[str, str]:
        """Another key for the user, working at once; returns (access_key_id, secret_access_key)."""
        key = self._iam(account_id, "CreateAccessKey", UserName=user)
        akid, secret = (text(key, f".//{IAM_NS}{tag}") for tag in ("AccessKeyId", "SecretAccessKey"))
        self._remember_user_key(account_id, user, akid)
        return akid, secret

    def _principal(self, akid: str) -> Principal | None:
        """Who a key belongs to; a key CreateAccessKey made just now is not known to STS yet."""
        ready = self._key_ready.get(akid)
        if ready is not None and time.monotonic() < ready:
            return None
        return self._principals.get(akid)

    def _iam_request(self, environ: WSGIEnvironment, start_response: StartResponse,
                     caller: Principal) -> Iterable[bytes]:
        """An IAM call, refused without MFA where AWS would; the keys it makes or deletes, kept track of."""
        params = request_params(environ)
        action = params.get("Action", "")
        user_session = caller.temporary and caller.user_arn is not None  # GetSessionToken's, not a role's
        if not caller.mfa and (user_session or caller.user_arn in self._mfa_for_iam):
            message = (IAM_WITHOUT_MFA if user_session else
                       f"User: {caller.arn} is not authorized to perform: iam:{action} with an explicit deny")
            return respond(start_response, "403 Forbidden", error_xml("AccessDenied", message, True))
        status, headers, body = self._forward(environ)
        if status.startswith("200") and action == "CreateAccessKey":
            self._remember_access_key(caller.account, ET.fromstring(body))
        elif status.startswith("200") and action == "DeleteAccessKey":
            self._principals.pop(params.get("AccessKeyId", ""), None)
        return respond(start_response, status, body, headers)

    def _remember_access_key(self, account: str, reply: ET.Element) -> None:
        akid, secret, name = (text(reply, f".//{IAM_NS}{tag}") for tag in ("AccessKeyId", "SecretAccessKey",
                                                                              "UserName"))
        self._remember_user_key(account, name, akid)
        self._key_ready[akid] = time.monotonic() + self.key_delay
        self.created_secrets.add(secret)

    def _remember_user_key(self, account: str, name: str, akid: str) -> None:
        user = self._iam(account, "GetUser", UserName=name)
        arn = text(user, f".//{IAM_NS}User/{IAM_NS}Arn")
        self._principals[akid] = Principal(account, arn, text(user, f".//{IAM_NS}User/{IAM_NS}UserId"),
                                           user_arn=arn)
