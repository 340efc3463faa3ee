"""Loopback stand-ins for the EC2 instance metadata service and the container credentials endpoint.

moto has neither. Each serves one set of credentials the way AWS does, and
records the requests, so a test can check what botocore asked for:

* IMDSv2: PUT /latest/api/token first; every GET without that token is a 401.
  With `token_status` set to another status, the PUT gets that and GETs need no
  token (an instance that still allows IMDSv1); `delay` holds every answer back.
* The container endpoint: GET of its path with the Authorization token, else 403;
  with `failure` set, that (status, body) instead of the credentials.
"""

from __future__ import annotations

import json
import secrets
import time
from http.server import BaseHTTPRequestHandler

from ..credentials import Credentials, iso
from .loopback import StandInServer, reply

ROLE_PATH = "/latest/meta-data/iam/security-credentials/"


class _CredentialServer(StandInServer):
    def __init__(self, credentials: Credentials):
        if credentials.expiration is None:
            raise ValueError("the metadata endpoints hand out temporary credentials: give them an expiration")
        super().__init__()
        self.credentials = credentials
        self.expiration = credentials.expiration

    def _document(self) -> dict[str, str | None]:
        c = self.credentials
        return {"AccessKeyId": c.access_key_id, "SecretAccessKey": c.secret_access_key, "Token": c.session_token,
                "Expiration": iso(self.expiration)}


class InstanceMetadata(_CredentialServer):
    """IMDSv2 on loopback: point AWS_EC2_METADATA_SERVICE_ENDPOINT at `url`."""

    def __init__(self, credentials: Credentials, role: str = "ec2-instance-role", token_status: int = 200,
                 delay: float = 0):
        super().__init__(credentials)
        self.role = role
        self.tokens: set[str] = set()
        self.token_status = token_status
        self.delay = delay

    def answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        time.sleep(self.delay)
        if method == "PUT":
            if request.path != "/latest/api/token" or not request.headers.get("X-aws-ec2-metadata-token-ttl-seconds"):
                return reply(request, 400, "")
            if self.token_status != 200:
                return reply(request, self.token_status, "")
            token = secrets.token_urlsafe(24)
            self.tokens.add(token)
            return reply(request, 200, token)
        if self.token_status == 200 and request.headers.get("X-aws-ec2-metadata-token") not in self.tokens:
            return reply(request, 401, "")
        if request.path == ROLE_PATH:
            return reply(request, 200, self.role)
        if request.path == ROLE_PATH + self.role:
            document = {"Code": "Success", "LastUpdated": iso(self.expiration), "Type": "AWS-HMAC",
                        **self._document()}
            return reply(request, 200, json.dumps(document), "application/json")
        return reply(request, 404, "")


class ContainerEndpoint(_CredentialServer):
    """The ECS/EKS credentials endpoint: point AWS_CONTAINER_CREDENTIALS_FULL_URI at `full_uri`."""

    path = "/v2/credentials/task"

    def __init__(self, credentials: Credentials, failure: tuple[int, str] | None = None):
        super().__init__(credentials)
        self.token = secrets.token_urlsafe(24)
        self.failure = failure

    @property
    def full_uri(self) -> str:
        return self.url + self.path

    def answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        if method != "GET" or request.path != self.path:
            return reply(request, 404, "")
        if request.headers.get("Authorization") != self.token:
            return reply(request, 403, "")
        if self.failure:
            return reply(request, self.failure[0], self.failure[1], "application/json")
        return reply(request, 200, json.dumps(self._document()), "application/json")
