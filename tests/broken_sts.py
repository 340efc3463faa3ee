"""Servers that are not a working STS: one that never answers, a closed port, and canned answers
(junk, HTML, XML missing its parts) that hats must turn into one clear line."""

from __future__ import annotations

import http.server
import socket
import threading

import pytest

STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"


class SilentServer:
    """Accepts TCP connections and never answers a byte."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(128)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)

    def close(self):
        self.sock.close()
        for connection in self.held:
            connection.close()


class CannedServer:
    """Answers every request with the same status, content type and body."""

    def __init__(self, status: int, body: bytes, content_type: str):
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class ClosedPort:
    """A port that refuses connections: bound, never listening, held for the whole case.

    Freeing it at once let a client's connect to it land on itself (TCP
    self-connect on an ephemeral port), or another socket take it.
    """

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()


def session_token_xml(result: str) -> bytes:
    return (f'<GetSessionTokenResponse xmlns="{STS_NS}">{result}<ResponseMetadata><RequestId>'
            "c0ffee</RequestId></ResponseMetadata></GetSessionTokenResponse>").encode()


def credentials_xml(**fields: str) -> str:
    inner = "".join(f"<{name}>{text}</{name}>" for name, text in fields.items())
    return f"<GetSessionTokenResult><Credentials>{inner}</Credentials></GetSessionTokenResult>"


SERVERS = {
    "silent": SilentServer,
    "closed": ClosedPort,
    "junk-text": lambda: CannedServer(200, b"junk", "text/plain"),
    "junk-html": lambda: CannedServer(200, b"<html><body><h1>Sign in to the proxy</h1></body></html>", "text/html"),
    "empty": lambda: CannedServer(200, b"", "text/xml"),
    "binary": lambda: CannedServer(200, b"\xff\xfe\x00\x01junk\x00", "application/octet-stream"),
    "no-result": lambda: CannedServer(200, session_token_xml(""), "text/xml"),
    "empty-result": lambda: CannedServer(200, session_token_xml("<GetSessionTokenResult></GetSessionTokenResult>"),
                                         "text/xml"),
    "no-token": lambda: CannedServer(200, session_token_xml(credentials_xml(
        AccessKeyId="ASIAEXAMPLEEXAMPLE", SecretAccessKey="s" * 40, Expiration="2031-01-01T00:00:00Z")), "text/xml"),
    "bad-date": lambda: CannedServer(200, session_token_xml(credentials_xml(
        AccessKeyId="ASIAEXAMPLEEXAMPLE", SecretAccessKey="s" * 40, SessionToken="t" * 40,
        Expiration="not a date")), "text/xml"),
    "html-403": lambda: CannedServer(403, b"<html><body>Forbidden by the proxy</body></html>", "text/html"),
    "html-500": lambda: CannedServer(500, b"<html><body>oops</body></html>", "text/html"),
}


@pytest.fixture(scope="module")
def servers():
    made = {name: make() for name, make in SERVERS.items()}
    yield {name: server.url for name, server in made.items()}
    for server in made.values():
        server.close()
