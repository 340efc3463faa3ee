"""Hardening: whatever a user throws at hats, it answers in one line and changes nothing.

The corpus below is bad input given to the real `hats` command (a subprocess
in its own HOME, as in tests/test_exec.py), each case with the one stderr line
(exact, or a regex when marked "re:") and the exit code it must give. For
every case:

* no traceback, the expected non-zero exit code, nothing on stdout;
* stderr is one line starting with "hats: " (argparse usage errors are the
  exception: exit 2, usage first, the expected error line last);
* nothing changed: not the keyring items, not a file under HOME (size, mtime,
  content), and no STS call was made unless the case is about STS.

The cases run against a HOME that already holds a key and cached sessions
(jan-work's MFA session and auditor's role session), so a run that loses or
rewrites anything shows. Lock files under the state dir are the one thing a
run may create: empty coordination files, checked to be exactly that.

Then faults (a write that fails half-way, an STS that never answers, a kill
in the middle of a write) and concurrency (20 cold `hats exec` at once).
"""

from __future__ import annotations

import errno
import hashlib
import http.server
import json
import os
import random
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

from tests.conftest import DEV, IDENTITY, PROD, Hats, config_text, hats_env, wipe_secret_service

PASSPHRASE = "correct horse battery staple"
FILE_BACKEND = {"HATS_BACKEND": "file", "HATS_FILE_PASSPHRASE": PASSPHRASE}
STS_NS = "https://sts.amazonaws.com/doc/2011-06-15/"
AUDITOR = f"arn:aws:iam::{DEV}:role/auditor"
LONG = f"arn:aws:iam::{DEV}:role/long"
UNTRUSTED = f"arn:aws:iam::{DEV}:role/hardening-untrusted"  # trusts the prod account, not identity
LOCKS = ".local/state/hats/locks/"
VAULT = ".local/share/hats/vault.json"


# -- servers that are not a working STS -----------------------------------
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


# -- homes that already hold a key and sessions ---------------------------
@dataclass
class Home:
    hats: Hats
    backend: str

    @property
    def root(self) -> Path:
        return self.hats.home

    @property
    def config(self) -> Path:
        return self.root / ".aws/config"

    @property
    def credentials(self) -> Path:
        return self.root / ".aws/credentials"

    @property
    def vault(self) -> Path:
        return self.root / VAULT


def season(home: Home) -> None:
    """A key and two cached sessions: jan-work's MFA session and auditor's role session."""
    world = home.hats.world
    home.config.write_text(config_text(world.serial))
    home.credentials.unlink(missing_ok=True)
    home.hats.add_key()
    done = home.hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true")
    assert done.returncode == 0, done.stderr


def make_home(root: Path, world, backend_env: dict[str, str], backend: str) -> Home:
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    (home / "tmp").mkdir()
    made = Home(Hats(home, hats_env(home, world, backend_env), world), backend)
    season(made)
    return made


@pytest.fixture(scope="module")
def untrusted_role(world):
    try:
        world.sts.create_role(DEV, "hardening-untrusted", PROD)
    except RuntimeError:  # made already, by an earlier module of this session
        pass
    return UNTRUSTED


@pytest.fixture(scope="module")
def ss_home(tmp_path_factory, world, secret_service, untrusted_role):
    wipe_secret_service()
    return make_home(tmp_path_factory.mktemp("hardening-ss"), world,
                     {"HATS_BACKEND": "secret-service", **secret_service.env}, "secret-service")


@pytest.fixture(scope="module")
def file_home(tmp_path_factory, world, untrusted_role):
    return make_home(tmp_path_factory.mktemp("hardening-file"), world, FILE_BACKEND, "file")


SEASONED_ITEMS = {"index", "key/jan-work", "session/session/jan-work", "session/role/auditor"}


def ready(home: Home) -> Home:
    """The seasoned state, put back if another test (or a bug) took it away."""
    home.config.write_text(config_text(home.hats.world.serial))
    home.credentials.unlink(missing_ok=True)
    if home.backend == "secret-service" and set(keyring_items()) != SEASONED_ITEMS:
        wipe_secret_service()
        season(home)
    if home.backend == "file":  # each case a first run: the passphrase is asked, not a kept key used
        assert home.hats.run("lock").returncode == 0
    return home


# -- what must not change -------------------------------------------------
def keyring_items() -> dict[str, str]:
    """Every hats item in the Secret Service, by name (read in-process, not through hats)."""
    import secretstorage

    with secretstorage.dbus_init() as connection:
        collection = secretstorage.get_default_collection(connection)
        items: dict[str, str] = {}
        for item in collection.search_items({"service": "hats"}):
            name = item.get_attributes().get("username", "?")
            assert name not in items, f"two keyring items named {name}"
            items[name] = item.get_secret().decode()
        return items


def set_keyring_item(name: str, value: str) -> None:
    from keyring.backends.SecretService import Keyring

    Keyring().set_password("hats", name, value)


def disk(root: Path) -> tuple[dict[str, tuple], list[str]]:
    """Files under HOME (size, mtime, digest), and anything odd in the lock directory."""
    files, odd_locks = {}, []
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            continue
        relative = path.relative_to(root).as_posix()
        info = path.stat()
        if relative.startswith(LOCKS):
            if info.st_size or not relative.endswith(".lock"):
                odd_locks.append(f"{relative} ({info.st_size} bytes)")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        files[relative] = (info.st_size, info.st_mtime_ns, digest)
    return files, odd_locks


def state(home: Home) -> dict:
    files, _ = disk(home.root)
    snapshot = {"files": files}
    if home.backend == "secret-service":
        snapshot["keyring"] = keyring_items()
    return snapshot


def differences(before: dict, after: dict) -> list[str]:
    found = []
    for part in before:
        old, new = before[part], after[part]
        for name in sorted(set(old) | set(new)):
            if name not in new:
                found.append(f"{part}: {name} went away")
            elif name not in old:
                found.append(f"{part}: {name} appeared")
            elif old[name] != new[name]:
                found.append(f"{part}: {name} changed")
    return found


# -- the corpus -------------------------------------------------------------
@dataclass
class Case:
    id: str
    args: tuple[str, ...]
    code: int
    message: str  # the stderr line; "re:" + a regex for it. <config>, <vault>, <url>... are filled in
    config: str | bytes | None = None  # replaces ~/.aws/config
    extra: str = ""  # appended to the seasoned config
    credentials: str | bytes | None = None
    env: dict[str, str] = field(default_factory=dict)
    home: str = "ss"  # "ss": the Secret Service home; "file": the encrypted-file home
    server: str | None = None  # AWS_ENDPOINT_URL points at this server of SERVERS
    sts: bool = False  # may the run call the (real, local) STS at all
    locked: bool = False  # the keyring is locked during the run
    damage: tuple[str, str] | None = None  # (item, value) put in the keyring before the run
    vault: Callable[[bytes], bytes] | None = None  # damages the encrypted file before the run
    usage: bool = False  # an argparse error: usage text, then `message` as the last line
    seconds: float | None = None  # the answer must come within this many seconds


def profile(name: str, **settings: str) -> str:
    return f"\n[profile {name}]\n" + "".join(f"{key} = {value}\n" for key, value in settings.items())


def role(name: str, **settings: str) -> str:
    return profile(name, **{"role_arn": AUDITOR, "source_profile": "jan-work", **settings})


def yubi(command: str) -> str:
    """A role over an hour (assumed from the key, the code on that call) whose code comes from a command."""
    return profile("yubi", source_profile="jan-work", role_arn=LONG, duration_seconds="7200",
                   mfa_serial="<serial>", mfa_process=command)


def vault_json(change: Callable[[dict], object]) -> Callable[[bytes], bytes]:
    def damage(good: bytes) -> bytes:
        document = json.loads(good)
        change(document)
        return json.dumps(document).encode()
    return damage


EXEC_R = ("exec", "r", "--", "true")
EXEC_AUDITOR = ("exec", "auditor", "--", "true")
RENEW_MFA = ("exec", "jan-work", "--renew", "--mfa-token", "<code>", "--", "true")  # one GetSessionToken
NOT_UTF8 = "hats: <config>: not UTF-8 text (byte {})"
KEY_ENV = {"AWS_ACCESS_KEY_ID": "<key_id>", "AWS_SECRET_ACCESS_KEY": "<secret>"}
SIX_DIGITS = "hats: an MFA code is 6 digits"
LOCKED = "hats: the secret-service keyring is locked: unlock it and try again"
NO_BUS = r"re:hats: cannot (read|write) the secret-service keyring: .*(D-Bus|session bus|DBUS_SESSION_BUS_ADDRESS).*"
NOT_A_VAULT = "hats: <vault> is not a hats encrypted keyring"
DAMAGED_KEY_FILE = ("hats: the key of profile 'jan-work' in <vault> is damaged: "
                    "run `hats add jan-work` to replace it or `hats remove jan-work`")
UNREADABLE = r"re:hats: GetSessionToken for profile 'jan-work': STS sent an answer hats cannot read \(.+\)"

CASES = [
    # -- malformed INI, duplicates, encodings: the whole file is refused, naming it
    Case("ini-duplicate-section", ("list",), 2, "hats: <config>: section [profile a] appears twice (line 3)",
         config="[profile a]\nregion = x\n[profile a]\nregion = y\n"),
    Case("ini-duplicate-default-section", EXEC_AUDITOR, 2, "hats: <config>: section [default] appears twice (line 4)",
         config="[default]\nregion = x\n\n[default]\nregion = y\n"),
    Case("ini-duplicate-key", EXEC_AUDITOR, 2, "hats: <config>: key 'region' appears twice in [profile a] (line 3)",
         config="[profile a]\nregion = x\nregion = y\n"),
    Case("ini-setting-before-any-section", ("list",), 2, "hats: <config>: line 1 comes before any [section] header",
         config="region = x\n[profile a]\n"),
    Case("ini-empty-section-name", ("list",), 2, "hats: <config>: line 1 comes before any [section] header",
         config="[]\nregion = x\n"),
    Case("ini-unclosed-first-header", ("list",), 2,
         r"re:hats: <config>: (line 1 comes before any \[section\] header|cannot parse line 1: it is not a \[section\], a key = value or a comment)",
         config="[profile a\nregion = x\n"),
    Case("ini-unclosed-later-header", ("list",), 2, "hats: <config>: cannot parse line 2: it is not a [section], a key = value or a comment",
         config="[profile a]\n[profile b\n"),
    Case("ini-line-without-equals", EXEC_AUDITOR, 2, "hats: <config>: cannot parse line 2: it is not a [section], a key = value or a comment",
         config="[profile a]\nregion\n"),
    Case("ini-key-without-name", EXEC_AUDITOR, 2, "hats: <config>: cannot parse line 2: it is not a [section], a key = value or a comment",
         config="[profile a]\n= nothing\n"),
    Case("credentials-duplicate-section", ("list",), 2,
         "hats: <credentials>: section [jan-work] appears twice (line 4)",
         credentials="[jan-work]\naws_access_key_id = AKIAEXAMPLEEXAMPLE1\n\n[jan-work]\n"),
    Case("credentials-duplicate-key", EXEC_AUDITOR, 2,
         "hats: <credentials>: key 'aws_access_key_id' appears twice in [jan-work] (line 3)",
         credentials="[jan-work]\naws_access_key_id = AKIAEXAMPLEEXAMPLE1\naws_access_key_id = AKIAEXAMPLEEXAMPLE2\n"),
    Case("credentials-key-before-any-section", EXEC_AUDITOR, 2,
         "hats: <credentials>: line 1 comes before any [section] header",
         credentials="aws_access_key_id = AKIAEXAMPLEEXAMPLE1\n"),
    Case("config-latin1-comment", ("list",), 2, NOT_UTF8.format(5), config=b"# caf\xe9\n[profile a]\n"),
    Case("config-invalid-utf8-value", EXEC_AUDITOR, 2, NOT_UTF8.format(21),
         config=b"[profile a]\nregion = \xff\xfe\n"),
    Case("config-utf16", EXEC_AUDITOR, 2, NOT_UTF8.format(0), config="[profile a]\nregion = x\n".encode("utf-16")),
    Case("credentials-latin1-secret", EXEC_AUDITOR, 2, "hats: <credentials>: not UTF-8 text (byte 38)",
         credentials=b"[jan-work]\naws_secret_access_key = caf\xe9\n"),

    # -- one broken profile: its chain is refused, by name, before any STS call
    Case("source-cycle-of-two", ("exec", "loop-a", "--", "true"), 2,
         "hats: source_profile cycle: loop-a -> loop-b -> loop-a"),
    Case("source-cycle-of-three", ("exec", "x1", "--", "true"), 2,
         "hats: source_profile cycle: x1 -> x2 -> x3 -> x1",
         extra=role("x1", source_profile="x2") + role("x2", source_profile="x3") + role("x3", source_profile="x1")),
    Case("source-cycle-behind-a-role", EXEC_R, 2, "hats: source_profile cycle: x1 -> x2 -> x3 -> x1",
         extra=role("r", source_profile="x1") + role("x1", source_profile="x2") + role("x2", source_profile="x3")
         + role("x3", source_profile="x1")),
    Case("include-cycle-of-two", ("exec", "i1", "--", "true"), 2, "hats: include_profile cycle: i1 -> i2 -> i1",
         extra=role("i1", include_profile="i2") + profile("i2", include_profile="i1")),
    Case("include-cycle-of-three", ("exec", "i1", "--", "true"), 2,
         "hats: include_profile cycle: i1 -> i2 -> i3 -> i1",
         extra=role("i1", include_profile="i2") + profile("i2", include_profile="i3")
         + profile("i3", include_profile="i1")),
    Case("include-itself", ("exec", "i1", "--", "true"), 2, "hats: include_profile cycle: i1 -> i1",
         extra=role("i1", include_profile="i1")),
    Case("include-missing-profile", ("exec", "i1", "--", "true"), 2,
         "hats: profile 'i1' include_profile: missing profile 'ghost'", extra=role("i1", include_profile="ghost")),
    Case("source-profile-missing", EXEC_R, 2, "hats: profile 'r' has source_profile 'ghost', which is not defined",
         extra=role("r", source_profile="ghost")),
    Case("role-without-source", EXEC_R, 2, "hats: profile 'r' has role_arn but no source_profile or credential_source",
         extra=profile("r", role_arn=AUDITOR)),
    Case("role-arn-short-account", EXEC_R, 2,
         "hats: profile 'r': role_arn 'arn:aws:iam::2222:role/x' is not an IAM role ARN",
         extra=role("r", role_arn="arn:aws:iam::2222:role/x")),
    Case("role-arn-of-a-user", EXEC_R, 2,
         f"hats: profile 'r': role_arn 'arn:aws:iam::{DEV}:user/x' is not an IAM role ARN",
         extra=role("r", role_arn=f"arn:aws:iam::{DEV}:user/x")),
    Case("role-arn-empty", EXEC_R, 2, "hats: profile 'r': role_arn '' is not an IAM role ARN",
         extra=role("r", role_arn="")),
    Case("role-arn-with-a-space", EXEC_R, 2,
         f"hats: profile 'r': role_arn 'arn:aws:iam::{DEV}:role/a b' is not an IAM role ARN",
         extra=role("r", role_arn=f"arn:aws:iam::{DEV}:role/a b")),
    Case("mfa-arn-short-account", EXEC_R, 2,
         "hats: profile 'r': mfa_serial 'arn:aws:iam::111:mfa/x' is not an MFA device ARN or serial",
         extra=role("r", mfa_serial="arn:aws:iam::111:mfa/x")),
    Case("mfa-arn-is-a-role", EXEC_R, 2,
         f"hats: profile 'r': mfa_serial 'arn:aws:iam::{IDENTITY}:role/x' is not an MFA device ARN or serial",
         extra=role("r", mfa_serial=f"arn:aws:iam::{IDENTITY}:role/x")),
    Case("mfa-serial-words", EXEC_R, 2,
         "hats: profile 'r': mfa_serial 'my yubikey' is not an MFA device ARN or serial",
         extra=role("r", mfa_serial="my yubikey")),
    *[Case(f"duration-{name}", EXEC_R, 2,
           f"hats: profile 'r': duration_seconds = {text!r} is not a number of seconds from 900 to 43200",
           extra=role("r", duration_seconds=text))
      for name, text in [("text", "1h"), ("too-small", "899"), ("too-large", "43201"), ("negative", "-900"),
                         ("fraction", "1800.0"), ("superscript", "\u00b2"), ("empty", "")]],
    Case("credential-source-empty-environment", EXEC_R, 1,
         "hats: profile 'r': credential_source = Environment: the environment (AWS_ACCESS_KEY_ID): "
         "no credentials there",
         extra=profile("r", role_arn=AUDITOR, credential_source="Environment")),
    Case("credential-source-and-source-profile", EXEC_R, 2,
         "hats: profile 'r' has both source_profile and credential_source; botocore takes only one",
         extra=profile("r", role_arn=AUDITOR, credential_source="Environment", source_profile="jan-work")),
    Case("credential-source-unknown", EXEC_R, 2,
         "hats: profile 'r': credential_source 'Nope' is not one of Environment, Ec2InstanceMetadata, EcsContainer",
         extra=profile("r", role_arn=AUDITOR, credential_source="Nope")),
    Case("credential-process-as-the-base", ("exec", "cp", "--", "true"), 1,
         "hats: profile 'cp': credential_process printed something that is not JSON",
         extra=profile("cp", credential_process="echo junk")),
    Case("credential-process-as-a-source", EXEC_R, 1,
         "hats: profile 'cp': credential_process printed something that is not JSON",
         extra=profile("cp", credential_process="echo junk") + role("r", source_profile="cp")),
    Case("unknown-profile", ("exec", "nope", "--", "true"), 2, "hats: profile 'nope' is not in <config>"),
    Case("unknown-profile-export", ("export", "nope"), 2, "hats: profile 'nope' is not in <config>"),
    Case("chained-role-over-an-hour", ("exec", "prod-long", "--mfa-token", "<code>", "--", "true"), 2,
         r"re:hats: profile 'prod-long' asks for 7200 s, but it is assumed from 'dev-hop''?s session "
         r"and AWS caps chained roles at 3600 s"),

    # -- MFA codes of the wrong shape: refused before STS sees them
    *[Case(f"mfa-token-{name}", ("exec", "dev-admin", "--mfa-token", code, "--", "true"), 4, SIX_DIGITS)
      for name, code in [("five-digits", "12345"), ("letters", "abcdef"), ("seven-digits", "1234567"),
                         ("empty", ""), ("inner-space", "123 456"), ("fullwidth-digits", "１２３４５６"),
                         ("arabic-indic-digits", "١٢٣٤٥٦")]],
    Case("mfa-process-prints-junk", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process did not print a 6-digit code", extra=yubi("echo junk")),
    Case("mfa-process-prints-fullwidth-digits", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process did not print a 6-digit code", extra=yubi("echo １２３４５６")),
    Case("mfa-process-fails", ("exec", "yubi", "--", "true"), 4, "hats: profile 'yubi': mfa_process exited with 3",
         extra=yubi("sh -c 'exit 3'")),
    Case("mfa-process-missing", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process failed: [Errno 2] No such file or directory: 'no-such-command-xyz'",
         extra=yubi("no-such-command-xyz")),
    Case("mfa-process-unbalanced-quote", ("exec", "yubi", "--", "true"), 4,
         "hats: profile 'yubi': mfa_process failed: No closing quotation", extra=yubi("echo 'oops")),
    Case("mfa-needed-without-a-terminal", ("exec", "long", "--", "true"), 1,
         "hats: cannot prompt without a terminal: Enter MFA code for <serial>"),

    # -- the keyring: locked, missing, unknown, or holding damaged items
    Case("keyring-locked-list", ("list",), 3, LOCKED, locked=True),
    Case("keyring-locked-exec", EXEC_AUDITOR, 3, LOCKED, locked=True),
    Case("keyring-locked-add", ("add", "jan-work", "--env"), 3, LOCKED, locked=True, env=KEY_ENV),
    Case("keyring-locked-clear", ("clear",), 3, LOCKED, locked=True),
    Case("keyring-no-bus-list", ("list",), 3, NO_BUS, env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=<root>/no-bus"}),
    Case("keyring-no-bus-exec", EXEC_AUDITOR, 3, NO_BUS, env={"DBUS_SESSION_BUS_ADDRESS": "unix:path=<root>/no-bus"}),
    Case("keyring-no-bus-add", ("add", "jan-work", "--env"), 3, NO_BUS,
         env={**KEY_ENV, "DBUS_SESSION_BUS_ADDRESS": "unix:path=<root>/no-bus"}),
    Case("keyring-empty-bus-address", ("list",), 3, NO_BUS, env={"DBUS_SESSION_BUS_ADDRESS": ""}),
    Case("backend-unknown-flag", ("--backend", "plaintext", "list"), 2,
         "hats: --backend 'plaintext' is not a keyring backend: choose one of secret-service, macos, windows, file"),
    Case("backend-unknown-env", EXEC_AUDITOR, 2,
         "hats: HATS_BACKEND='kwallet' is not a keyring backend: choose one of secret-service, macos, windows, file",
         env={"HATS_BACKEND": "kwallet"}),
    # A damaged index is rebuilt and a damaged session renewed: tests/test_vault_repair.py.
    Case("keyring-key-not-json", RENEW_MFA, 3,
         "hats: the key of profile 'jan-work' in the secret-service keyring is damaged: "
         "run `hats add jan-work` to replace it or `hats remove jan-work`", damage=("key/jan-work", "garbage")),

    # -- the encrypted file: wrong or no passphrase, damaged as a whole or item by item
    Case("file-wrong-passphrase-exec", EXEC_AUDITOR, 3, "hats: wrong passphrase for the encrypted keyring <vault>",
         home="file", env={"HATS_FILE_PASSPHRASE": "wrong"}),
    Case("file-wrong-passphrase-list", ("list",), 3, "hats: wrong passphrase for the encrypted keyring <vault>",
         home="file", env={"HATS_FILE_PASSPHRASE": "wrong"}),
    Case("file-no-passphrase-no-terminal", ("list",), 1,
         "hats: cannot prompt without a terminal: Passphrase for the encrypted keyring <vault>",
         home="file", env={"HATS_FILE_PASSPHRASE": ""}),
    *[Case(f"file-{name}", EXEC_AUDITOR, 3, NOT_A_VAULT, home="file", vault=damage) for name, damage in [
        ("not-json", lambda good: b"{not json"),
        ("truncated", lambda good: good[:len(good) // 2]),
        ("empty", lambda good: b""),
        ("binary", lambda good: b"\xff\xfe\x00\x01" + good),
        ("a-json-list", lambda good: b"[]"),
        ("other-format", vault_json(lambda d: d.update(format="keyrings.cryptfile"))),
        ("items-null", vault_json(lambda d: d.update(items=None))),
        ("no-check-item", vault_json(lambda d: d["items"].pop("\0check"))),
        ("no-salt", vault_json(lambda d: d.pop("salt"))),
        ("salt-not-base64", vault_json(lambda d: d.update(salt="!!"))),
        ("kdf-garbage", vault_json(lambda d: d.update(kdf={"iterations": "x"}))),
    ]],
    *[Case(f"file-key-item-{name}", RENEW_MFA, 3, DAMAGED_KEY_FILE, home="file", vault=damage)
      for name, damage in [
        ("swapped", vault_json(lambda d: d["items"].update({"key/jan-work": d["items"]["session/role/auditor"]}))),
        ("not-base64", vault_json(lambda d: d["items"].update({"key/jan-work": "!!!not base64"}))),
        ("too-short", vault_json(lambda d: d["items"].update({"key/jan-work": "AAAA"}))),
        ("a-number", vault_json(lambda d: d["items"].update({"key/jan-work": 5}))),
    ]],

    # -- an STS that refuses, never answers, or answers garbage
    Case("sts-refuses-untrusting-role", ("exec", "untrusted", "--", "true"), 5,
         f"hats: AssumeRole for profile 'untrusted' refused: AccessDenied: User: arn:aws:iam::{IDENTITY}:user/jan-work "
         f"is not authorized to perform: sts:AssumeRole on resource: {UNTRUSTED}",
         extra=role("untrusted", role_arn=UNTRUSTED), sts=True),
    Case("sts-refuses-missing-role", ("exec", "ghost-role", "--", "true"), 5,
         f"hats: AssumeRole for profile 'ghost-role' refused: AccessDenied: User: arn:aws:iam::{IDENTITY}:user/jan-work "
         f"is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::{DEV}:role/no-such-role",
         extra=role("ghost-role", role_arn=f"arn:aws:iam::{DEV}:role/no-such-role"), sts=True),
    Case("sts-never-answers", RENEW_MFA, 5,
         'hats: GetSessionToken for profile \'jan-work\': cannot get an answer from <url>: '
         'Read timeout on endpoint URL: "<url>/"', server="silent", seconds=10),
    Case("sts-port-closed", RENEW_MFA, 5,
         'hats: GetSessionToken for profile \'jan-work\': cannot get an answer from <url>: '
         'Could not connect to the endpoint URL: "<url>/"', server="closed", seconds=10),
    *[Case(f"sts-answers-{name}", RENEW_MFA, 5, UNREADABLE, server=name)
      for name in ["junk-text", "junk-html", "empty", "binary", "no-result", "empty-result", "no-token", "bad-date"]],
    Case("sts-answers-html-403", RENEW_MFA, 5, "hats: GetSessionToken for profile 'jan-work' refused: 403: Forbidden",
         server="html-403"),
    Case("sts-answers-html-500", RENEW_MFA, 5,
         "hats: GetSessionToken for profile 'jan-work' refused: 500: Internal Server Error", server="html-500"),
    Case("sts-endpoint-not-a-url", RENEW_MFA, 2, "re:hats: (?!.*sent an answer).*endpoint.*'not a url'.*",
         env={"AWS_ENDPOINT_URL": "not a url"}),
    Case("sts-endpoint-broken-ipv6", RENEW_MFA, 2, r"re:hats: (?!.*sent an answer).*endpoint.*'http://\[::1'.*",
         env={"AWS_ENDPOINT_URL": "http://[::1"}),

    # -- HATS_* variables: a bad value is one line naming it, before anything happens
    *[Case(f"setting-{variable.lower()[5:].replace('_', '-')}-{name}", EXEC_AUDITOR, 2,
           f"hats: {variable}='{text}' is not a whole number of seconds from {low} to {high}",
           env={variable: text})
      for variable, low, high in [("HATS_SESSION_DURATION", 900, 129600), ("HATS_REFRESH_MARGIN", 0, 3000),
                                  ("HATS_FILE_UNLOCKED_SECONDS", 0, 604800)]
      for name, text in [("text", "soon"), ("superscript", "\u00b2"), ("negative", "-1"), ("fraction", "1.5")]],
    Case("setting-session-duration-below-awss-minimum", EXEC_AUDITOR, 2,
         "hats: HATS_SESSION_DURATION=100 is below AWS's 900 s minimum for an MFA session (GetSessionToken): "
         "use a whole number of seconds from 900 to 129600", env={"HATS_SESSION_DURATION": "100"}),
    Case("setting-session-duration-above-awss-maximum", RENEW_MFA, 2,
         "hats: HATS_SESSION_DURATION=129601 is above AWS's 129600 s maximum for an MFA session (GetSessionToken): "
         "use a whole number of seconds from 900 to 129600", env={"HATS_SESSION_DURATION": "129601"}),
    Case("setting-refresh-margin-huge", EXEC_AUDITOR, 2,
         "hats: HATS_REFRESH_MARGIN='99999999999999999999999999' is above the maximum of 3000 s: "
         "use a whole number of seconds from 0 to 3000", env={"HATS_REFRESH_MARGIN": "99999999999999999999999999"}),
    Case("setting-refresh-margin-not-below-the-duration", EXEC_AUDITOR, 2,
         "hats: HATS_REFRESH_MARGIN=900 is not less than the session duration of 900 s (HATS_SESSION_DURATION): "
         "every new session would count as used up at once",
         env={"HATS_REFRESH_MARGIN": "900", "HATS_SESSION_DURATION": "900"}),
    Case("setting-file-unlocked-seconds-over-a-week", ("list",), 2,
         "hats: HATS_FILE_UNLOCKED_SECONDS=604801 is above the maximum of 604800 s: "
         "use a whole number of seconds from 0 to 604800", home="file", env={"HATS_FILE_UNLOCKED_SECONDS": "604801"}),
    *[Case(f"setting-prod-pattern-{name}", ("exec", "prod-admin", "--", "true"), 2,
           f"hats: HATS_PROD_PATTERN='{shown}' is not a valid regular expression ({reason}); "
           "production accounts could not be marked", env={"HATS_PROD_PATTERN": text})
      for name, text, shown, reason in [
        ("unbalanced", "prod(", "prod(", "missing ), unterminated subpattern at position 4"),
        ("bad-class", "[prod", "[prod", "unterminated character set at position 0"),
        ("with-an-escape", "\x1b[", "\\x1b[", "unterminated character set at position 1")]],

    # -- `hats exec`: the command cannot be run
    Case("exec-empty-command", ("exec", "auditor", "--", ""), 127, "hats: command not found: ''"),
    Case("exec-missing-command", ("exec", "auditor", "--", "no-such-command-xyz"), 127,
         "hats: command not found: no-such-command-xyz"),
    Case("exec-not-executable", ("exec", "auditor", "--", "<config>"), 126, "hats: permission denied: <config>"),
    Case("exec-missing-command-served", ("exec", "auditor", "--server", "--", "no-such-command-xyz"), 127,
         "hats: command not found: no-such-command-xyz"),

    # -- the command line itself
    Case("exec-without-a-profile", ("exec",), 2, "hats exec: error: the following arguments are required: profile",
         usage=True),
    Case("export-unknown-format", ("export", "auditor", "--format", "yaml"), 2,
         "hats export: error: argument --format: invalid choice: 'yaml' (choose from 'env', 'json')", usage=True),
    Case("unknown-command", ("bogus",), 2, r"re:hats: error: argument COMMAND: invalid choice: 'bogus' \(choose from .+\)",
         usage=True),
    Case("command-after-dashes-for-list", ("list", "--", "env"), 2,
         "hats: error: only `hats exec` takes a command after --", usage=True),
    Case("mfa-token-without-a-value", ("exec", "auditor", "--mfa-token"), 2,
         "hats exec: error: argument --mfa-token: expected one argument", usage=True),
    Case("login-duration-text", ("login", "auditor", "--duration", "1h"), 2,
         "hats login: error: argument --duration: invalid int value: '1h'", usage=True),
    Case("add-bad-key-id", ("add", "jan-work", "--env"), 1,
         "hats: that is not an access key id (like AKIAIOSFODNN7EXAMPLE)",
         env={"AWS_ACCESS_KEY_ID": "not-a-key", "AWS_SECRET_ACCESS_KEY": "x" * 40}),
    Case("add-secret-with-a-space", ("add", "jan-work", "--env"), 1, "hats: that is not a secret access key",
         env={"AWS_ACCESS_KEY_ID": "<key_id>", "AWS_SECRET_ACCESS_KEY": "two words" + "x" * 30}),
    Case("add-without-a-secret", ("add", "jan-work", "--env"), 1,
         "hats: --env needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY set",
         env={"AWS_ACCESS_KEY_ID": "<key_id>", "AWS_SECRET_ACCESS_KEY": ""}),
    Case("add-temporary-credentials", ("add", "jan-work", "--env"), 1,
         "hats: the environment holds temporary credentials; hats add stores long-term keys",
         env={**KEY_ENV, "AWS_SESSION_TOKEN": "token"}),
    Case("add-to-a-role", ("add", "auditor", "--env"), 1,
         "hats: profile 'auditor' is a role (role_arn); add the key to its base profile", env=KEY_ENV),
    Case("remove-unknown-key", ("remove", "nobody"), 1, "hats: no key stored for profile 'nobody'"),
    *[Case(f"add-name-{name}", ("add", text, "--env"), 2, message, env=KEY_ENV) for name, text, message in [
        ("empty", "", "hats: a profile name cannot be empty or only spaces"),
        ("spaces", "  \t ", "hats: a profile name cannot be empty or only spaces"),
        *[(name, text, f"hats: the profile name '{shown}' holds control, format or bidi characters")
          for name, text, shown in [("escape", "jan\x1b]0;pwned\x07", "jan\\x1b]0;pwned\\x07"),
                                    ("newline", "jan\nwork", "jan\\x0awork"),
                                    ("bidi-override", "dorp\u202e", "dorp\\u202e"),
                                    ("zero-width", "jan\u200bwork", "jan\\u200bwork")]]]],
    Case("unknown-profile-escaped", ("exec", "no\x1b[2Jpe", "--", "true"), 2,
         "hats: profile 'no\\x1b[2Jpe' is not in <config>"),
]


def test_the_corpus_is_big_and_named_uniquely():
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


def fill(text: str, values: dict[str, str], regex: bool = False) -> str:
    for name, value in values.items():
        text = text.replace(f"<{name}>", re.escape(value) if regex else value)
    return text


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_one_line_and_changes_nothing(case: Case, request, world, servers):
    home = ready(request.getfixturevalue("file_home" if case.home == "file" else "ss_home"))
    values = {"config": str(home.config), "credentials": str(home.credentials), "vault": str(home.vault),
              "serial": world.serial, "root": str(home.root), "key_id": world.key_id, "secret": world.secret,
              "url": servers[case.server] if case.server else ""}
    if case.config is not None:
        home.config.write_bytes(case.config if isinstance(case.config, bytes) else case.config.encode())
    elif case.extra:
        with open(home.config, "a") as config:
            config.write(fill(case.extra, values))
    if case.credentials is not None:
        home.credentials.write_bytes(
            case.credentials if isinstance(case.credentials, bytes) else case.credentials.encode())
    restore = prepare_damage(case, home)
    try:
        before = state(home)
        env = {name: fill(value, values) for name, value in case.env.items()}
        if case.server:
            env["AWS_ENDPOINT_URL"] = values["url"]
        args = [fill(arg, {**values, "code": world.code()}) for arg in case.args]
        secret_service = request.getfixturevalue("secret_service") if case.locked else None
        world.sts.reset_calls()
        if secret_service:
            secret_service.lock()
        try:
            started = time.monotonic()
            done = home.hats.run(*args, env=env, timeout=60)
            elapsed = time.monotonic() - started
        finally:
            if secret_service:
                secret_service.unlock()
        calls = [call["action"] for call in world.sts.calls]
        after = state(home)
        _, odd_locks = disk(home.root)
    finally:
        restore()
    message = fill(case.message[3:], values, regex=True) if case.message.startswith("re:") else fill(case.message, values)
    problems = judge(case, done, message, case.message.startswith("re:"))
    problems += differences(before, after)
    problems += [f"lock directory holds {odd}" for odd in odd_locks]
    if calls and not case.sts:
        problems.append(f"STS was called: {calls}")
    if case.seconds is not None and elapsed >= case.seconds:
        problems.append(f"took {elapsed:.1f} s, more than {case.seconds} s")
    assert problems == [], (f"{case.id}: {'; '.join(problems)}\n--- exit {done.returncode}, stderr ---\n"
                            f"{done.stderr[-3000:]}--- stdout ---\n{done.stdout[:500]}")


def prepare_damage(case: Case, home: Home) -> Callable[[], None]:
    """Damage the keyring or the encrypted file as the case asks; returns what puts it back."""
    if case.damage:
        item, value = case.damage
        good = keyring_items()[item]
        set_keyring_item(item, value)
        return lambda: set_keyring_item(item, good)
    if case.vault:
        good = home.vault.read_bytes()
        home.vault.write_bytes(case.vault(good))
        return lambda: home.vault.write_bytes(good)
    return lambda: None


def judge(case: Case, done: subprocess.CompletedProcess, message: str, regex: bool) -> list[str]:
    problems = []
    lines = done.stderr.splitlines()
    if "Traceback" in done.stderr:
        problems.append("a traceback")
    if done.returncode != case.code:
        problems.append(f"exit {done.returncode}, wanted {case.code}")
    if done.stdout:
        problems.append("output on stdout")
    if case.usage:
        if not done.stderr.startswith("usage: hats"):
            problems.append("no usage text")
        wanted_line = lines[-1] if lines else ""
    else:
        if len(lines) != 1 or not done.stderr.endswith("\n"):
            problems.append(f"stderr is {len(lines)} lines, wanted one")
        if not done.stderr.startswith("hats: "):
            problems.append("stderr does not start with 'hats: '")
        wanted_line = lines[0] if lines else ""
    matched = re.fullmatch(message, wanted_line) if regex else wanted_line == message
    if not matched:
        problems.append(f"message {wanted_line!r}, wanted {'/' + message + '/' if regex else repr(message)}")
    return problems


# -- a 50 MB config ---------------------------------------------------------
FIFTY_MB = 50 * 1024 * 1024


def fifty_mb(kind: str, serial: str) -> str:
    head = config_text(serial)
    if kind == "one-long-value":
        return head + "\n[profile huge]\nregion = " + "x" * FIFTY_MB + "\n"
    if kind == "comments":
        line = "# " + "c" * 1000 + "\n"
        return head + line * (FIFTY_MB // len(line))
    block = "\n[profile p{:07d}]\nrole_arn = arn:aws:iam::222222222222:role/r{}\nsource_profile = jan-work\n"
    count = FIFTY_MB // len(block.format(0, 0))
    return head + "".join(block.format(i, i) for i in range(count))


@pytest.mark.parametrize("kind", ["one-long-value", "comments", "half-a-million-profiles"])
def test_a_50_mb_config_gets_a_quick_answer(kind, ss_home, world):
    home = ready(ss_home)
    home.config.write_text(fifty_mb(kind, world.serial))
    problems = []
    try:
        before = state(home)
        for args in (("list", "--json"), EXEC_AUDITOR):
            started = time.monotonic()
            try:
                done = home.hats.run(*args, timeout=30)
            except subprocess.TimeoutExpired:
                problems.append(f"{' '.join(args)}: no answer within 30 s")
                continue
            elapsed = time.monotonic() - started
            if elapsed >= 10:
                problems.append(f"{' '.join(args)}: answered in {elapsed:.1f} s, wanted under 10 s")
            if "Traceback" in done.stderr:
                problems.append(f"{' '.join(args)}: a traceback")
            if done.returncode == 0:
                if args[0] == "list":
                    rows = {row["profile"] for row in json.loads(done.stdout)}
                    if "auditor" not in rows:
                        problems.append("list: auditor missing from the listing")
            elif done.returncode != 2 or not re.fullmatch(f"hats: {re.escape(str(home.config))}: .+\n", done.stderr):
                problems.append(f"{' '.join(args)}: exit {done.returncode}, stderr {done.stderr[-300:]!r}")
        problems += differences(before, state(home))
    finally:
        home.config.write_text(config_text(world.serial))
    assert problems == []


# -- odd but harmless input works -------------------------------------------
UNKNOWN_KEYS = f"""
[profile odd]
source_profile = jan-work
role_arn = {AUDITOR}
sso_start_url = https://example.awsapps.com/start
cli_pager =
totally_unknown_key = 42
hats_future_setting = yes
s3 =
  max_concurrent_requests = 20
  signature_version = s3v4

[sso-session corp]
sso_region = eu-west-1

[services local]
sts =
  endpoint_url = http://127.0.0.1:1

[plugins]
cli_legacy_plugin_path = /nowhere

[preview]
cloudfront = true

[something else entirely]
key = value
"""


def test_unknown_keys_and_sections_are_ignored(hats, world):
    hats.add_key()
    with open(hats.home / ".aws/config", "a") as config:
        config.write(UNKNOWN_KEYS)
    (hats.home / ".aws/credentials").write_text(
        "[other]\naws_access_key_id = AKIAEXAMPLEEXAMPLE1\naws_secret_access_key = secretsecretsecret\n"
        "aws_security_token = old\nmetadata_service_timeout = 5\n")
    done = hats.run("exec", "odd", "--mfa-token", world.code(), "--", "true")
    assert (done.returncode, done.stderr) == (0, "")
    assert world.sts.count("AssumeRole") == 1
    listed = hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["profile"]: row for row in json.loads(listed.stdout)}
    assert rows["odd"]["chain"] == ["jan-work", "odd"] and rows["odd"]["problem"] is None
    assert rows["other"]["key"] == "file"


# -- faults -------------------------------------------------------------------
def _enospc(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _half_then_enospc(document, out, *args, **kwargs):
    text = json.dumps(document)
    out.write(text[:len(text) // 2])
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def _interrupt(*args, **kwargs):
    raise KeyboardInterrupt


FAULTS = {
    "replace-fails": (os, "replace", _enospc),
    "fsync-fails": (os, "fsync", _enospc),
    "disk-full-half-way": (json, "dump", _half_then_enospc),
    "interrupted-before-replace": (os, "replace", _interrupt),
}


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_write_that_fails_half_way_leaves_the_encrypted_file_intact(fault, tmp_path, monkeypatch):
    from tui.credentials import Credentials
    from tui.errors import VaultError
    from tui.store.encrypted_file import EncryptedFileStore
    from tui.store.vault import Vault

    path = tmp_path / "hats" / "vault.json"
    old, new = Credentials("AKIAOLDOLDOLDOLDOLD1", "o" * 40), Credentials("AKIANEWNEWNEWNEWNEW1", "n" * 40)
    vault = Vault(EncryptedFileStore(path, lambda: PASSPHRASE), lock_dir=tmp_path / "locks")
    vault.set_key("jan-work", old)
    before = path.read_bytes()

    module, name, replacement = FAULTS[fault]
    with monkeypatch.context() as patch:
        patch.setattr(module, name, replacement)
        expected = KeyboardInterrupt if replacement is _interrupt else VaultError
        with pytest.raises(expected) as raised:
            vault.set_key("jan-work", new)
    if expected is VaultError:
        assert str(raised.value).startswith(f"cannot write the encrypted keyring {path}") and "\n" not in str(raised.value)
    assert path.read_bytes() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["vault.json"], "a temporary file was left behind"
    reopened = Vault(EncryptedFileStore(path, lambda: PASSPHRASE), lock_dir=tmp_path / "locks")
    assert reopened.get_key("jan-work") == old
    assert reopened.profiles_with_keys() == ["jan-work"]


class LockingBackend:
    """A Secret Service backend whose keyring gets locked just before the n-th write."""

    def __init__(self, real, secret_service, at_write: int):
        self.real, self.secret_service, self.at_write, self.writes = real, secret_service, at_write, 0

    def get_password(self, *args):
        return self.real.get_password(*args)

    def delete_password(self, *args):
        return self.real.delete_password(*args)

    def set_password(self, *args):
        self.writes += 1
        if self.writes == self.at_write:
            self.secret_service.lock()
        return self.real.set_password(*args)


@pytest.mark.parametrize("at_write", [1, 2], ids=["the-item", "the-index"])
def test_a_keyring_locked_half_way_through_a_write_keeps_the_old_entry(at_write, secret_service, tmp_path):
    from keyring.backends.SecretService import Keyring

    from tui.credentials import Credentials
    from tui.errors import VaultError
    from tui.store.keyring_store import KeyringStore
    from tui.store.vault import Vault

    wipe_secret_service()
    old, new = Credentials("AKIAOLDOLDOLDOLDOLD1", "o" * 40), Credentials("AKIANEWNEWNEWNEWNEW1", "n" * 40)
    vault = Vault(KeyringStore(Keyring(), "secret-service"), lock_dir=tmp_path / "locks")
    vault.set_key("jan-work", old)
    before = keyring_items()
    flaky = Vault(KeyringStore(LockingBackend(Keyring(), secret_service, at_write), "secret-service"),
                  lock_dir=tmp_path / "locks")
    try:
        with pytest.raises(VaultError, match="locked"):
            flaky.set_key("ops", new) if at_write == 2 else flaky.set_key("jan-work", new)
    finally:
        secret_service.unlock()
    after = keyring_items()
    assert after["index"] == before["index"] and after["key/jan-work"] == before["key/jan-work"]
    assert vault.get_key("jan-work") == old and vault.profiles_with_keys() == ["jan-work"]
    wipe_secret_service()


def test_an_sts_that_never_answers_is_a_clear_error_within_10_seconds(hats, world, servers):
    hats.add_key()
    silent = servers["silent"]
    for args in (RENEW_MFA, ("exec", "dev-admin", "--", "true")):
        if args[1] == "dev-admin":  # an MFA session in the cache: the silent call is the AssumeRole
            assert hats.run("exec", "auditor", "--mfa-token", world.code(), "--", "true").returncode == 0
        args = [arg.replace("<code>", world.code()) for arg in args]
        started = time.monotonic()
        done = hats.run(*args, env={"AWS_ENDPOINT_URL": silent})
        elapsed = time.monotonic() - started
        action = "AssumeRole" if args[1] == "dev-admin" else "GetSessionToken"
        assert elapsed < 10, f"{action}: {elapsed:.1f} s"
        assert done.returncode == 5 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
        assert done.stderr.startswith(f"hats: {action} for profile '{args[1]}': cannot get an answer from {silent}")


def test_a_kill_in_the_middle_of_a_write_leaves_a_vault_that_opens(tmp_path, world):
    """SIGKILL at random moments of `hats add`: the file always opens and holds one whole key."""
    from tui.store.encrypted_file import EncryptedFileStore

    hats = Hats(tmp_path / "home", hats_env(tmp_path / "home", world, FILE_BACKEND), world)
    (hats.home / ".aws").mkdir(parents=True)
    (hats.home / "tmp").mkdir()
    (hats.home / ".aws/config").write_text(config_text(world.serial))
    hats.add_key()
    keys = {world.key_id: world.secret, "AKIAOTHEROTHEROTHER1": "x" * 40}
    vault = hats.home / VAULT
    chance = random.Random(6)
    for round_ in range(8):
        key_id = list(keys)[round_ % 2]
        child = subprocess.Popen([sys.executable, "-m", "tui", "add", "jan-work", "--env"],
                                 env={**hats.env, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": keys[key_id]},
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        time.sleep(chance.uniform(0.2, 1.2))
        child.send_signal(signal.SIGKILL)
        child.wait()
        store = EncryptedFileStore(vault, lambda: PASSPHRASE)
        stored = json.loads(store.get("key/jan-work"))
        assert keys.get(stored["AccessKeyId"]) == stored["SecretAccessKey"], f"round {round_}: a garbled key"
        assert "jan-work" in json.loads(store.get("index"))["keys"]
    listed = hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr


# -- concurrency ----------------------------------------------------------------
ROLES = ["auditor", "dev-admin", "dev-hop", "prod-hop", "prod-admin"]


def only_waiting_lines(stderr: str) -> bool:
    """A run that waited longer than a moment for another's renewal or mfa_process says so, and nothing else."""
    waiting = r"hats: waiting for (sessions of '[\w-]+' being renewed in|the mfa_process of) hats exec [\w-]+ \(pid \d+\)"
    return all(re.fullmatch(waiting, line) for line in stderr.splitlines())


def test_twenty_cold_execs_behind_one_mfa_device_make_one_get_session_token(any_hats, world):
    any_hats.add_key()
    world.sts.reset_calls()
    code = world.code()
    targets = ROLES * 4
    barrier = threading.Barrier(len(targets))

    def run(role):
        barrier.wait()
        return any_hats.run("exec", role, "--mfa-token", code, "--", "true", timeout=120)

    with ThreadPoolExecutor(len(targets)) as pool:
        results = list(pool.map(run, targets))
    failures = [(role, done.returncode, done.stderr[-500:]) for role, done in zip(targets, results)
                if done.returncode != 0 or not only_waiting_lines(done.stderr)]
    assert failures == []
    assert world.sts.count("GetSessionToken") == 1
    assert world.sts.count("AssumeRole") == len(ROLES)  # every role once; the shared hops reused

    listed = any_hats.run("list", "--json")
    assert listed.returncode == 0, listed.stderr
    rows = {row["profile"]: row for row in json.loads(listed.stdout)}
    for name in ROLES:
        assert [s["kind"] for s in rows[name]["sessions"]] == ["role"], name
    assert [s["kind"] for s in rows["jan-work"]["sessions"]] == ["session"]
    assert sum(len(row["sessions"]) for row in rows.values()) == len(ROLES) + 1
    # The cache behind the index is whole: every role runs again from it, without STS.
    world.sts.reset_calls()
    for name in ROLES:
        again = any_hats.run("exec", name, "--", "true")
        assert (again.returncode, again.stderr) == (0, ""), name
    assert world.sts.calls == []


def test_twenty_cold_execs_ask_for_one_code(any_hats, world):
    """No --mfa-token: the code comes from mfa_process, which counts how often it is asked."""
    any_hats.add_key()
    asked = any_hats.home / "asked"
    script = any_hats.home / "code.py"
    script.write_text(f"import pyotp\nopen({str(asked)!r}, 'a').write('asked\\n')\n"
                      f"print(pyotp.TOTP({world.totp_secret!r}).now())\n")
    config = any_hats.home / ".aws/config"
    config.write_text(config.read_text().replace(
        "[profile jan-work]\n", f"[profile jan-work]\nmfa_process = {sys.executable} {script}\n", 1))
    world.sts.reset_calls()
    targets = ROLES * 4
    barrier = threading.Barrier(len(targets))

    def run(role):
        barrier.wait()
        return any_hats.run("exec", role, "--", "true", timeout=120)

    with ThreadPoolExecutor(len(targets)) as pool:
        results = list(pool.map(run, targets))
    failures = [(role, done.returncode, done.stderr[-500:]) for role, done in zip(targets, results)
                if done.returncode != 0 or not only_waiting_lines(done.stderr)]
    assert failures == []
    assert asked.read_text().count("asked") == 1
    assert world.sts.count("GetSessionToken") == 1 and world.sts.count("AssumeRole") == len(ROLES)
