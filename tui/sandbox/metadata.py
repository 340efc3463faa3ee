"""Loopback stand-ins for the EC2 instance metadata service and the container credentials endpoint.

moto has neither. Each serves one set of credentials the way AWS does, and
records the requests, so a test can check what botocore asked for:

* IMDSv2: PUT /latest/api/token first; every GET without that token is a 401.
* The container endpoint: GET of its path with the Authorization token, else 403.
"""

from __future__ import annotations

import json
import secrets
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tui.credentials import Credentials, iso

ROLE_PATH = "/latest/meta-data/iam/security-credentials/"


class _Server:
    def __init__(self, credentials: Credentials):
        self.credentials = credentials
        self.requests: list[tuple[str, str]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def _handler(self):
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(("GET", self.path))
                server.answer(self, "GET")

            def do_PUT(self):
                server.requests.append(("PUT", self.path))
                server.answer(self, "PUT")

        return Handler

    def _document(self) -> dict:
        c = self.credentials
        return {"AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key, "Token": c.session_token,
                "Expiration": iso(c.expiration)}

    def answer(self, request, method: str) -> None:
        raise NotImplementedError


def reply(request, status: int, body: str | bytes, content_type: str = "text/plain") -> None:
    """One whole HTTP answer from a BaseHTTPRequestHandler."""
    data = body.encode() if isinstance(body, str) else body
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


class InstanceMetadata(_Server):
    """IMDSv2 on loopback: point AWS_EC2_METADATA_SERVICE_ENDPOINT at `url`."""

    def __init__(self, credentials: Credentials, role: str = "ec2-instance-role"):
        super().__init__(credentials)
        self.role = role
        self.tokens: set[str] = set()

    def answer(self, request, method: str) -> None:
        if method == "PUT":
            if request.path != "/latest/api/token" or not request.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return reply(request, 400, "")
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return reply(request, 200, token)
        if request.headers.get("X-aws-ec2-metadata-token") not in self.tokens:
            return reply(request, 401, "")
        if request.path == ROLE_PATH:
            return reply(request, 200, self.role)
        if request.path == ROLE_PATH + self.role:
            document = {"Code": "Success", "LastUpdated": iso(self.credentials.expiration), "Type": "AWS-HMAC",
                        **self._document()}
            return reply(request, 200, json.dumps(document), "application/json")
        return reply(request, 404, "")


class ContainerEndpoint(_Server):
    """The ECS/EKS credentials endpoint: point AWS_CONTAINER_CREDENTIALS_FULL_URI at `full_uri`."""

    path = "/v2/credentials/task"

    def __init__(self, credentials: Credentials):
        super().__init__(credentials)
        self.token = secrets.token_urlsafe(24)

    @property
    def full_uri(self) -> str:
        return self.url + self.path

    def answer(self, request, method: str) -> None:
        if method != "GET" or request.path != self.path:
            return reply(request, 404, "")
        if request.headers.get("Authorization") != self.token:
            return reply(request, 403, "")
        return reply(request, 200, json.dumps(self._document()), "application/json")
