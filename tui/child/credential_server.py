"""A loopback credential endpoint that renews itself, for commands that outlive a session.

The child gets no keys. It gets

    AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:PORT/
    AWS_CONTAINER_AUTHORIZATION_TOKEN=<random>

which every AWS SDK and the CLI read (botocore's ContainerProvider, the Go SDK's
endpointcreds, the JS SDK's fromHttp), and asks this server again whenever its
credentials near their expiry. Each request calls `provide()`; caching and
renewal are the engine's job, so a session renewed in another shell (or by
`hats exec --renew`) is what the next request gets.

The answer is the ECS container format:

    200 {"AccessKeyId", "SecretAccessKey", "Token", "Expiration": "...Z"}

and errors are JSON {"Message", "Code"}: the Go SDK reads `code`/`message`
(case-insensitively) and prints "Code: Message"; the JS SDK reads `Code` and
`Message`; botocore prints the raw body after "Received non 200 response N
from container metadata: ", so the message leads the body.

Nothing is written to stderr: the child owns the terminal, and a log line could
carry a secret. Only the standard library is imported here.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import socket
import socketserver
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable

from ..credentials import Credentials, iso, utcnow
from ..errors import HatsError, MfaError

# Credentials without an expiry (a long-term key) are served as if they expired
# this soon, so SDKs ask again now and then (botocore asks 15 minutes ahead).
STATIC_REFRESH = timedelta(hours=1)


class CredentialServer:
    """Serves `provide()`'s credentials on a random loopback port to holders of the token."""

    def __init__(self, provide: Callable[[], Credentials], host: str = "127.0.0.1", *,
                 profile: str | None = None):
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"the credential server listens on a loopback address only, not {host!r}")
        self.provide = provide
        self.host = host
        self.profile = profile
        self.token = ""
        self.url = ""
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ------------------------------------------------------
    def start(self) -> "CredentialServer":
        if self._server is not None:
            return self
        self.token = secrets.token_urlsafe(32)
        server_class = _Server6 if ":" in self.host else _Server
        server = server_class((self.host, 0), _Handler)
        server.owner = self
        port = server.server_address[1]
        self.url = f"http://[{self.host}]:{port}/" if ":" in self.host else f"http://{self.host}:{port}/"
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="hats-credential-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def __enter__(self) -> "CredentialServer":
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def env(self) -> dict[str, str]:
        """The variables that point an SDK at this server."""
        if self._server is None:
            raise RuntimeError("the credential server is not running")
        return {"AWS_CONTAINER_CREDENTIALS_FULL_URI": self.url,
                "AWS_CONTAINER_AUTHORIZATION_TOKEN": self.token}

    # -- one request ----------------------------------------------------
    def authorized(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(presented.encode(), self.token.encode())

    def answer(self) -> tuple[int, dict]:
        """Status and JSON body for an authorised GET."""
        try:
            with self._lock:
                credentials = self.provide()
        except HatsError as error:
            return 503, {"Message": self.explain(error), "Code": type(error).__name__}
        except Exception as error:  # never a traceback, never str(error): it may hold a secret
            return 500, {"Message": f"hats: the credential server failed ({type(error).__name__}); "
                                    f"{self._renew_hint()}", "Code": "InternalError"}
        expiration = credentials.expiration or utcnow() + STATIC_REFRESH
        return 200, {"AccessKeyId": credentials.access_key_id,
                     "SecretAccessKey": credentials.secret_access_key,
                     "Token": credentials.session_token,
                     "Expiration": iso(expiration)}

    def explain(self, error: HatsError) -> str:
        """The one line a user reads in the failing command's output."""
        message = f"hats: {error}"
        if isinstance(error, MfaError):  # the MFA session ended: a person must type a code
            message += f"; {self._renew_hint()}"
        return message

    def _renew_hint(self) -> str:
        profile = self.profile or "PROFILE"
        return f"run `hats exec --renew {profile} -- true` in any shell, then run the command again"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: CredentialServer

    def server_bind(self) -> None:
        # TCPServer.server_bind is enough; HTTPServer's adds a reverse DNS lookup.
        socketserver.TCPServer.server_bind(self)
        host, self.server_port = self.server_address[:2]
        self.server_name = str(host)  # getsockname() gives a str; the stub allows bytes

    def handle_error(self, request: object, client_address: object) -> None:
        """socketserver prints a traceback to stderr; a client hanging up is not news."""


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "hats"
    sys_version = ""
    # HTTP/1.0: one request a connection, so after stop() no kept-alive
    # connection goes on serving.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        owner = self.server.owner
        if not owner.authorized(self.headers.get("Authorization")):
            self._send(401, {"Message": "hats: this credential endpoint needs the Authorization token "
                                        "it gave the command", "Code": "Unauthorized"})
            return
        if self.path.split("?", 1)[0] != "/":
            self._send(404, {"Message": "hats: the credential endpoint answers on / only", "Code": "NotFound"})
            return
        self._send(*owner.answer())

    def _refuse_method(self) -> None:
        self._send(405, {"Message": f"hats: the credential endpoint answers GET only, not {self.command}",
                         "Code": "MethodNotAllowed"}, headers={"Allow": "GET"})

    def __getattr__(self, name: str) -> Callable[[], None]:
        # BaseHTTPRequestHandler looks up do_<METHOD>; every method but GET gets a 405.
        if name.startswith("do_"):
            return self._refuse_method
        raise AttributeError(name)

    def _send(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        """No access log: the child owns the terminal, and a line could carry a secret."""
