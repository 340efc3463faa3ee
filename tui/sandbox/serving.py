"""A WSGI app served on loopback in a background thread: the life cycle every sandbox server shares."""
from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .loopback import LOOPBACK


class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args, **kwargs):  # a request line can carry codes and states in its query
        pass


class LoopbackServer:
    """start()/stop() and a context manager around `self.wsgi` on host:port (port 0 = any free port)."""

    handler: type[WSGIRequestHandler] = QuietHandler

    def __init__(self, host: str, port: int, name: str):
        if host not in LOOPBACK:
            raise ValueError(f"{type(self).__name__} trusts whoever calls it: serve it on loopback only, not {host}")
        self.host, self.port, self.name = host, port, name
        self.url = ""
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    def wsgi(self, environ, start_response):
        raise NotImplementedError

    def start(self):
        server = make_server(self.host, self.port, self.wsgi, threaded=True, request_handler=self.handler)
        self._server, self.port = server, server.server_port
        self.url = f"http://{self.host}:{self.port}"
        self._thread = threading.Thread(target=server.serve_forever, name=self.name, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            if self._thread:
                self._thread.join()
            self._server = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
