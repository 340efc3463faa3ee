"""The pages a person's browser sees during a sign-in: the PKCE authorize page and the device page.

Each asks the person to allow or deny (a form with hidden fields and two buttons, which the
scripted browser submits), unless `OIDC.approval` already says what they will do. A request
that is wrong before there is anywhere to redirect to is a 400 page of one line.
"""
from __future__ import annotations

import html
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

from tui.sandbox.oidc import OIDC, AuthCode, is_loopback_redirect, same_redirect


@dataclass
class Page:
    status: int
    html: str
    location: str | None = None


class BadRequest(Exception):
    pass


def _page(title: str, body: str = "", status: int = 200) -> Page:
    return Page(status, f"<!doctype html><title>{html.escape(title)}</title><h1>{html.escape(title)}</h1>{body}")


def _consent_form(action: str, fields: dict[str, str], question: str) -> Page:
    hidden = "".join(f'<input type="hidden" name="{html.escape(k)}" value="{html.escape(v)}">'
                     for k, v in fields.items())
    buttons = ('<button name="decision" value="allow">Allow</button>'
               '<button name="decision" value="deny">Deny</button>')
    return _page(question, f'<form method="post" action="{action}">{hidden}{buttons}</form>')


def _redirect(uri: str, **params: str | None) -> Page:
    query = urlencode({k: v for k, v in params.items() if v is not None})
    return Page(302, "", f"{uri}{'&' if '?' in uri else '?'}{query}")


class SignInPages:
    """GET /authorize and POST /consent (PKCE), GET and POST /device (the device flow)."""

    def __init__(self, oidc: OIDC):
        self.oidc = oidc
        self._pending: dict[str, dict[str, str]] = {}  # consent request id -> the authorize query

    def authorize(self, query: dict[str, str]) -> Page:
        try:
            self._check_authorize(query)
        except BadRequest as problem:
            return _page(f"Bad request: {problem}", status=400)
        if self.oidc.approval != "ask":
            return self._decide(query, self.oidc.approval)
        request_id = secrets.token_urlsafe(16)
        with self.oidc.lock:
            self._pending[request_id] = query
        return _consent_form("/consent", {"request": request_id}, "Allow hats to access your AWS accounts?")

    def consent(self, form: dict[str, str]) -> Page:
        with self.oidc.lock:
            query = self._pending.pop(form.get("request", ""), None)
        if query is None:
            return _page("Bad request: this sign-in request is unknown or was answered already", status=400)
        return self._decide(query, form.get("decision", ""))

    def _check_authorize(self, query: dict[str, str]) -> None:
        client = self.oidc.clients.get(query.get("client_id", ""))
        if client is None or time.time() >= client.expires_at:
            raise BadRequest("unknown client_id")
        if "authorization_code" not in client.grants:
            raise BadRequest("the client did not register the authorization_code grant")
        uri = query.get("redirect_uri", "")
        if not is_loopback_redirect(uri) or not any(same_redirect(r, uri) for r in client.redirect_uris):
            raise BadRequest("redirect_uri is not one the client registered")
        if query.get("response_type") != "code":
            raise BadRequest("response_type must be code")
        if not query.get("code_challenge") or query.get("code_challenge_method") != "S256":
            raise BadRequest("a code_challenge with code_challenge_method S256 is required")
        asked = set(query.get("scopes", "").replace(",", " ").split())
        if client.scopes and not asked <= set(client.scopes):
            raise BadRequest("scopes the client did not register")

    def _decide(self, query: dict[str, str], decision: str) -> Page:
        uri, state = query["redirect_uri"], query.get("state")
        if decision != "allow":
            return _redirect(uri, error="access_denied", state=state)
        code = secrets.token_urlsafe(32)
        with self.oidc.lock:
            self.oidc.codes[code] = AuthCode(query["client_id"], uri, query["code_challenge"], self.oidc.user_name,
                                             time.time() + self.oidc.timing.auth_code)
        return _redirect(uri, code=code, state=state)

    # ---- the device flow's verification page ---------------------------------------------
    def device(self, query: dict[str, str]) -> Page:
        user_code = query.get("user_code", "")
        if self.oidc.device_by_user_code(user_code) is None:
            return _page("Bad request: unknown or expired user code", status=400)
        if self.oidc.approval != "ask":
            return self.device_decision({"user_code": user_code, "decision": self.oidc.approval})
        return _consent_form("/device", {"user_code": user_code}, f"Allow the device showing {user_code}?")

    def device_decision(self, form: dict[str, str]) -> Page:
        with self.oidc.lock:
            device = self.oidc.device_by_user_code(form.get("user_code", ""))
            if device is None or device.decision is not None:
                return _page("Bad request: unknown, expired or answered user code", status=400)
            device.decision = "allow" if form.get("decision") == "allow" else "deny"
            device.user_name = self.oidc.user_name
        return _page("Request approved" if device.decision == "allow" else "Request denied")
