"""What the local STS and its IAM layer share: who a key belongs to, and AWS's wire format."""
from __future__ import annotations

import io
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

STS_NS = "{https://sts.amazonaws.com/doc/2011-06-15/}"
IAM_NS = "{https://iam.amazonaws.com/doc/2010-05-08/}"
BAD_KEY = "The security token included in the request is invalid."


@dataclass
class Principal:
    """Who an access key belongs to, and what AWS would remember about how it was issued."""
    account: str
    arn: str                      # shown by GetCallerIdentity and in AccessDenied texts
    user_id: str
    user_arn: str | None = None   # the IAM user behind user keys and their sessions
    temporary: bool = False       # ASIA keys: AssumeRole from these is role chaining
    mfa: bool = False             # aws:MultiFactorAuthPresent for requests signed with it


def text(element: ET.Element, path: str) -> str:
    """An element's text that moto's answers always have."""
    found = element.findtext(path)
    if found is None:
        raise RuntimeError(f"moto answered without {path}")
    return found


def error_xml(code: str, message: str, sts: bool) -> bytes:
    """STS speaks the query protocol's ErrorResponse; S3 a bare <Error>."""
    error = f"<Error><Type>Sender</Type><Code>{code}</Code><Message>{message}</Message></Error>"
    if not sts:
        return f"<Error><Code>{code}</Code><Message>{message}</Message></Error>".encode()
    return (f'<ErrorResponse xmlns="{STS_NS[1:-1]}">{error}'
            f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>").encode()


def respond(start_response: StartResponse, status: str, body: bytes,
             headers: Iterable[tuple[str, str]] | None = None) -> list[bytes]:
    headers = [(k, v) for k, v in (headers or [("Content-Type", "text/xml")]) if k.lower() != "content-length"]
    start_response(status, headers + [("Content-Length", str(len(body)))])
    return [body]


def request_params(environ: WSGIEnvironment) -> dict[str, str]:
    """A query-protocol request's parameters; its body is put back for moto to read."""
    raw = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    environ["wsgi.input"] = io.BytesIO(raw)
    return dict(parse_qsl(environ.get("QUERY_STRING", ""))) | dict(parse_qsl(raw.decode()))
