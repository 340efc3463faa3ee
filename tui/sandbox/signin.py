"""The console sign-in endpoint, played on loopback: the demo's `o` and `hats login` reach no AWS."""

from __future__ import annotations

from html import escape
from http.server import BaseHTTPRequestHandler
from urllib.parse import parse_qs, urlsplit

from .loopback import StandInServer, reply

PAGE = ("<!doctype html><title>hats demo</title><h1>hats demo</h1><p>On AWS this link signs you in to "
        "<code>{where}</code> as the role you picked. The sandbox has no console: this page is all there is.</p>")


class SigninStandIn(StandInServer):
    """getSigninToken answers a token; the login URL, opened in a browser, shows a page saying
    what AWS would do. Requests are neither logged nor kept: they carry the session's keys."""

    record = False

    @property
    def url(self) -> str:
        return super().url + "/federation"

    def answer(self, request: BaseHTTPRequestHandler, method: str) -> None:
        query = parse_qs(urlsplit(request.path).query)
        action = query.get("Action", [""])[0]
        if method != "GET":
            reply(request, 404, "")
        elif action == "getSigninToken":
            reply(request, 200, '{"SigninToken": "hats-demo-signin-token"}', "application/json")
        elif action == "login":
            where = escape(query.get("Destination", ["the AWS console"])[0])
            reply(request, 200, PAGE.format(where=where), "text/html; charset=utf-8")
        else:
            reply(request, 404, "")
