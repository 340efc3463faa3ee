"""Signing in to Identity Center: the authorization code flow with PKCE, or the device flow.

PKCE (the default, as in the AWS CLI v2 since 2.22): a loopback listener on
127.0.0.1 and a random port is up before the browser opens the authorize URL;
the redirect brings back a code and the random state, which must match; the
code and the verifier buy the token. The device flow shows a URL and a code
for any browser, anywhere, and polls at the interval Identity Center gives.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlparse

from .. import settings
from ..errors import SignInNeeded, SsoError
from . import calls
from .config import SignIn
from .token import Client

SIGN_IN_SECONDS = 600  # how long a browser sign-in may take
CALLBACK_PATH = "/oauth/callback"


@dataclass
class SignInView:
    """How a sign-in talks to the person: where it shows the URL (and the device code), and whether it
    may open a browser. `cancelled` lets the app's Esc stop the wait."""

    show: Callable[[str, str | None], None]
    open_browser: bool = True
    device_code: bool = False
    cancelled: Callable[[], bool] = field(default=lambda: False)


def browser_available() -> bool:
    """Whether a browser can be opened here: HATS_SSO_BROWSER, $BROWSER, or a display that is not across SSH."""
    if settings.sso_browser() or os.environ.get("BROWSER"):
        return True
    if sys.platform == "darwin" or os.name == "nt":
        return True
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return False  # a console or an SSH session: webbrowser would find a text browser and take the terminal
    import webbrowser

    try:
        webbrowser.get()
    except webbrowser.Error:
        return False
    return True


def sign_in(target: SignIn, view: SignInView, profile: str | None = None) -> tuple[Client, calls.NewToken]:
    """PKCE, unless the device flow is asked for or no browser can be opened here.

    --no-browser keeps PKCE: the person opens the printed URL in a browser on this machine.
    """
    if view.device_code or (view.open_browser and not browser_available()):
        return device_flow(target, view, profile)
    return pkce_flow(target, view, profile)


def pkce_flow(target: SignIn, view: SignInView, profile: str | None = None) -> tuple[Client, calls.NewToken]:
    with _Listener() as listener:
        client = calls.register_client(target, "authorization_code", listener.redirect_uri, profile)
        verifier = secrets.token_urlsafe(64)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        state = secrets.token_urlsafe(32)
        url = calls.authorize_url(target, profile) + "?" + urlencode({
            "response_type": "code", "client_id": client.client_id, "redirect_uri": listener.redirect_uri,
            "state": state, "code_challenge": challenge, "code_challenge_method": "S256",
            "scopes": " ".join(target.scopes)})
        view.show(url, None)
        if view.open_browser:
            _open(url)
        code = listener.code_for(state, view.cancelled)
    token = calls.create_token(target, client, "authorization_code", profile, code=code, codeVerifier=verifier,
                               redirectUri=listener.redirect_uri)
    return client, token


def device_flow(target: SignIn, view: SignInView, profile: str | None = None) -> tuple[Client, calls.NewToken]:
    client = calls.register_client(target, "device_code", profile=profile)
    auth = calls.start_device_authorization(target, client, profile)
    view.show(auth.verification_uri_complete, auth.user_code)
    if view.open_browser and browser_available():
        _open(auth.verification_uri_complete)
    interval, deadline = max(auth.interval, 1), time.monotonic() + auth.expires_in
    while time.monotonic() < deadline:
        _sleep(interval, view.cancelled)
        try:
            return client, calls.create_token(target, client, calls.DEVICE_GRANT, profile, deviceCode=auth.device_code)
        except calls.Pending as pending:
            interval += 5 if pending.slow_down else 0  # RFC 8628: slow_down adds five seconds
        except SignInNeeded:
            break  # ExpiredTokenException: the code ran out
    raise SsoError(f"the sign-in code {auth.user_code} expired before it was approved: sign in again")


def _sleep(seconds: float, cancelled: Callable[[], bool]) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if cancelled():
            raise SsoError("the sign-in was cancelled")
        time.sleep(min(0.1, max(0.0, end - time.monotonic())))


def _open(url: str) -> None:
    """HATS_SSO_BROWSER, else the first browser only: webbrowser.open() would fall back to lynx, which
    takes the terminal."""
    import webbrowser

    try:
        webbrowser.get(settings.sso_browser()).open(url)
    except webbrowser.Error:
        pass  # the URL is shown: the person can open it by hand


class _Listener:
    """The loopback end of the redirect: one GET to CALLBACK_PATH on 127.0.0.1, a random port."""

    def __init__(self) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        answers: dict[str, str] = {}
        arrived = threading.Event()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path != CALLBACK_PATH:
                    self.send_error(404)
                    return
                query = {key: values[0] for key, values in parse_qs(url.query).items()}
                if not arrived.is_set():
                    answers.update(query)
                    arrived.set()
                failed = "error" in query or "code" not in query
                body = (b"<h1>hats: the sign-in did not finish</h1><p>Go back to the terminal.</p>" if failed else
                        b"<h1>hats: signed in</h1><p>You can close this tab and go back to the terminal.</p>")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:  # the query holds the code: log nothing
                pass

        self.answers, self.arrived = answers, arrived
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.redirect_uri = f"http://127.0.0.1:{self.server.server_port}{CALLBACK_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> _Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def code_for(self, state: str, cancelled: Callable[[], bool]) -> str:
        deadline = time.monotonic() + SIGN_IN_SECONDS
        while not self.arrived.wait(0.1):
            if cancelled():
                raise SsoError("the sign-in was cancelled")
            if time.monotonic() > deadline:
                raise SsoError(f"the browser sign-in did not finish within {SIGN_IN_SECONDS // 60} minutes")
        if not secrets.compare_digest(self.answers.get("state", ""), state):
            raise SsoError("the sign-in's answer came back with the wrong state: refused (try again)")
        if "error" in self.answers:
            raise SsoError(f"the sign-in was refused in the browser: {self.answers['error'][:100]}")
        if not self.answers.get("code"):
            raise SsoError("the sign-in's answer came back without a code")
        return self.answers["code"]
