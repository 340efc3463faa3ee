#!/usr/bin/env python3
"""A scripted browser for $BROWSER: it signs in on the local Identity Center as a person would.

    BROWSER="python -m tui.sandbox.browser %s"    (or the path of this file, which is executable)

It returns at once, as a browser launcher does, and visits the URL in a detached process of
its own (`--foreground` visits in this one): GET the URL, follow redirects (also the one to
the client's 127.0.0.1 loopback redirect_uri), and where a page asks to Allow or Deny, submit
its form with the person's answer.  Standard library only, so it runs by path too.

HATS_SANDBOX_BROWSER       approve (the default), deny, ignore (opens and walks away: visits
                           nothing), or fail (the browser cannot start: exit 1 at once)
HATS_SANDBOX_BROWSER_LOG   a file to append one line to per request: method, URL, status;
                           the query's code and state are redacted
"""
from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from urllib.error import HTTPError, URLError
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit
from urllib.request import HTTPRedirectHandler, ProxyHandler, Request, build_opener

MODES = ("approve", "deny", "ignore", "fail")
SECRET_PARAMS = ("code", "state")
MAX_HOPS = 10


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # each hop is followed, and logged, by visit()
        return None


class _FormFinder(HTMLParser):
    """The first form on a page: its action and hidden fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form" and self.action is None:
            self.action = found.get("action", "")
        elif tag == "input" and found.get("type") == "hidden" and "name" in found:
            self.fields[found["name"]] = found.get("value", "")


def redact(url: str) -> str:
    parts = urlsplit(url)
    query = [(k, "REDACTED" if k in SECRET_PARAMS else v) for k, v in parse_qsl(parts.query, keep_blank_values=True)]
    return urlunsplit(parts._replace(query=urlencode(query, safe=":/,")))


def _log(line: str) -> None:
    path = os.environ.get("HATS_SANDBOX_BROWSER_LOG")
    if path:
        with open(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600), "a") as log:
            log.write(line + "\n")


def _fetch(url: str, data: bytes | None) -> tuple[int, str | None, str]:
    """(status, Location header, body) of one request, redirects not followed, no proxy ever."""
    opener = build_opener(ProxyHandler({}), _NoRedirect)
    try:
        with opener.open(Request(url, data), timeout=10) as reply:
            return reply.status, reply.headers.get("Location"), reply.read().decode(errors="replace")
    except HTTPError as reply:
        return reply.code, reply.headers.get("Location"), reply.read().decode(errors="replace")


def visit(url: str, decision: str) -> int:
    """Follow `url` to its end, answering the first Allow/Deny form with `decision`; the last status."""
    data: bytes | None = None
    answered = False
    for _ in range(MAX_HOPS):
        try:
            status, location, body = _fetch(url, data)
        except (URLError, OSError) as problem:
            _log(f"{'POST' if data else 'GET'} {redact(url)} failed: {getattr(problem, 'reason', problem)}")
            return 0
        _log(f"{'POST' if data else 'GET'} {redact(url)} {status}")
        data = None
        if location and status in (301, 302, 303, 307, 308):
            url = urljoin(url, location)
            continue
        form = _FormFinder()
        form.feed(body)
        if status != 200 or form.action is None or answered:
            return status
        url, data, answered = urljoin(url, form.action), urlencode({**form.fields, "decision": decision}).encode(), True
    return 0


def main(argv: list[str]) -> int:
    foreground = argv[:1] == ["--foreground"]
    args = argv[1:] if foreground else argv
    mode = os.environ.get("HATS_SANDBOX_BROWSER", "approve")
    if len(args) != 1 or mode not in MODES:
        print(f"usage: HATS_SANDBOX_BROWSER={'|'.join(MODES)} browser.py [--foreground] URL", file=sys.stderr)
        return 2
    url = args[0]
    if mode == "fail":
        print("the sandbox browser was told to fail (HATS_SANDBOX_BROWSER=fail)", file=sys.stderr)
        return 1
    if mode == "ignore":
        _log(f"IGNORED {redact(url)}")
        return 0
    if not foreground:
        subprocess.Popen([sys.executable, os.path.abspath(__file__), "--foreground", url], start_new_session=True,
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return 0
    status = visit(url, "allow" if mode == "approve" else "deny")
    return 0 if 0 < status < 400 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
