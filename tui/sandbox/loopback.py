"""The base of the small http.server stand-ins (the metadata endpoints, the console sign-in):
a threaded server on a free port of 127.0.0.1, and the helper that writes one whole answer.
The WSGI servers (LocalSTS, the Identity Center) share serving.LoopbackServer instead."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TypeVar

Server = TypeVar("Server", bound="StandInServer")
LOOPBACK = ("127.0.0.1", "localhost", "::1")  # the only hosts the sandbox serves on or lets a client reach


def reply(request: BaseHTTPRequestHandler, status: int, body: str | bytes, content_type: str = "text/plain") -> None:
    """One whole HTTP answer from a BaseHTTPRequestHandler."""
    data = body.encode() if isinstance(body, str) else body
    request.send_response(status)
    request.send_header("Content-Type", content_type)
    request.send_header("Content-Length", str(len(data)))
    request.end_headers()
    request.wfile.write(data)


class StandInServer:
    """Serves `answer(request, method)` for GET and PUT on a free port of 127.0.0.1, in a thread.

    `requests` holds (method, path) of each request, unless `record` is off: a query that
    carries keys must not be kept.
    """

    record = True

    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=type(self).__name__, daemon=True)
        self._running = False

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def start(self: Server) -> Server:
        self._thread.start()
        self._running = True
        return self

    def stop(self) -> None:
        """Stop serving and free the port. Safe to call twice."""
        if self._running:
            self._httpd.shutdown()
            self._thread.join()
            self._running = False
        self._httpd.server_close()

    def __enter__(self: Server) -> Server:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        reply(request, 404, "")

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:  # tests and the demo print nothing
                pass

            def do_GET(self) -> None:
                server._serve(self, "GET")

            def do_PUT(self) -> None:
                server._serve(self, "PUT")

        return Handler

    def _serve(self, request: BaseHTTPRequestHandler, method: str) -> None:
        if self.record:
            self.requests.append((method, request.path))
        self.answer(request, method)
