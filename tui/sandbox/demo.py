"""`hats demo`: the whole of hats, offline, in a sandbox that touches nothing of yours.

    hats demo               the TUI on the sandbox; its status line shows the MFA code
    hats demo --print-env   `export` lines for a second terminal; keeps the sandbox up until Ctrl-C
    hats demo --code        inside the sandbox (a second terminal): the current MFA code

What the sandbox is, all of it in one temporary directory removed at the end
(also on Ctrl-C, SIGTERM and SIGHUP):

* a local STS, IAM and S3 on 127.0.0.1 (tui.sandbox.localsts: moto with AWS's MFA and
  role-chain checks), answering the AWS CLI as well as hats;
* an organisation modelled on a real one:

      111111111111 acme-identity  user jan-work with a virtual MFA device (a real TOTP)
      222222222222 acme-dev       security-auditor (its trust policy demands MFA),
                                  dev-infra-admin
      333333333333 acme-prod      prod-gateway (trusts acme-identity, demands MFA),
                                  prod-admin and prod-readonly (trust prod-gateway's account)

  with a few S3 buckets in each account, so `aws s3 ls` tells them apart;
* HOME, XDG dirs, TMPDIR, an AWS config, an empty credentials file, and the
  encrypted file keyring (HATS_BACKEND=file) with a fixed demo passphrase,
  holding jan-work's sandbox key. The key goes nowhere else: no plaintext file;
* AWS_ENDPOINT_URL at the local STS, so the AWS CLI in a subshell asks it for
  STS and S3; HATS_SIGNIN_URL at a loopback stand-in for the console sign-in
  endpoint, so `o` / `hats login` send nothing to AWS either.

Every AWS_* and HATS_* variable of yours is removed from the demo's
environment, so nothing of your real HOME, keyring or AWS config is read or
written. The sandbox's variables go into os.environ and so to every child.

For scripts and tests (one Sandbox per process: moto's state is global):

    with Sandbox() as sandbox:
        sandbox.env, sandbox.sts, sandbox.serial, sandbox.code(), sandbox.config_path
        subprocess.run([...], env=sandbox.child_env())
"""

from __future__ import annotations

import argparse
import os
import shlex
import shutil
import signal
import sys
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path

IDENTITY, DEV, PROD = "111111111111", "222222222222", "333333333333"
ACCOUNTS = {IDENTITY: "acme-identity", DEV: "acme-dev", PROD: "acme-prod"}
USER = "jan-work"
PASSPHRASE = "hats demo sandbox"  # the demo keyring's: it guards a sandbox key only
BUCKETS = {
    IDENTITY: ("acme-identity-cloudtrail",),
    DEV: ("acme-dev-artifacts", "acme-dev-terraform-state", "acme-dev-scratch"),
    PROD: ("acme-prod-backups", "acme-prod-customer-uploads", "acme-prod-terraform-state"),
}
# (account, role, trusted account, MFA in the trust policy)
ROLES = (
    (DEV, "security-auditor", IDENTITY, True),
    (DEV, "dev-infra-admin", IDENTITY, False),
    (PROD, "prod-gateway", IDENTITY, True),
    (PROD, "prod-admin", PROD, False),
    (PROD, "prod-readonly", PROD, False),
)
LOOPBACK = ("127.0.0.1", "localhost", "::1")
READY = "# the hats demo sandbox is up"
TOTP_STEP = 30


def config_text(serial: str) -> str:
    return f"""\
# The hats demo's AWS config: a sandbox, served by a local STS on 127.0.0.1.
# hats_account_alias names the account in the app and in the shell prompt.

[profile {USER}]
mfa_serial = {serial}
region = eu-west-1
hats_account_alias = {ACCOUNTS[IDENTITY]}

[profile security-auditor]
source_profile = {USER}
role_arn = arn:aws:iam::{DEV}:role/security-auditor
region = eu-west-1
hats_account_alias = {ACCOUNTS[DEV]}

[profile dev-infra-admin]
source_profile = {USER}
role_arn = arn:aws:iam::{DEV}:role/dev-infra-admin
region = eu-central-1
hats_account_alias = {ACCOUNTS[DEV]}

# Production: a gateway role first, then the role that does the work.
[profile prod-gateway]
source_profile = {USER}
role_arn = arn:aws:iam::{PROD}:role/prod-gateway
region = us-east-1
hats_account_alias = {ACCOUNTS[PROD]}

[profile prod-admin]
source_profile = prod-gateway
role_arn = arn:aws:iam::{PROD}:role/prod-admin
role_session_name = jan-prod
region = us-east-1
hats_account_alias = {ACCOUNTS[PROD]}

[profile prod-readonly]
source_profile = prod-gateway
role_arn = arn:aws:iam::{PROD}:role/prod-readonly
region = us-east-1
hats_account_alias = {ACCOUNTS[PROD]}
"""


BASHRC = """\
# The hats demo's HOME: your own ~/.bashrc is not read in the sandbox.
PS1='demo:\\w$ '
"""
ZSHRC = """\
# The hats demo's HOME: your own ~/.zshrc is not read in the sandbox.
PROMPT='demo:%~%# '
"""


class Sandbox:
    """The demo's world: a temporary directory, a local STS, a keyring, the environment.

    Attributes once started: root, home, config_path, credentials_path,
    keyring_dir, sts (the LocalSTS), serial (the MFA device's ARN), key_id,
    vault (the demo keyring, open), env (what the sandbox sets), removed (the
    caller's AWS_*/HATS_* names it unsets), timings (seconds spent starting).
    `seed` makes moto's ids (role ids, ...) the same on every run, for screenshots.
    """

    def __init__(self, passphrase: str = PASSPHRASE, seed: int | None = None, parent: str | None = None):
        self.passphrase, self.seed, self.parent = passphrase, seed, parent
        self.root: Path | None = None
        self.sts = None
        self.signin = None
        self.vault = None
        self.env: dict[str, str] = {}
        self.removed: tuple[str, ...] = ()
        self.timings: dict[str, float] = {}
        self._saved_environ: dict[str, str] | None = None
        self._totp_secret = self._secret = ""

    # -- life ---------------------------------------------------------------
    def start(self) -> Sandbox:
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def _start(self) -> None:
        began = time.perf_counter()
        self.root = Path(tempfile.mkdtemp(prefix="hats-demo-", dir=self.parent))
        self.home = self.root / "home"
        self.config_path = self.home / ".aws" / "config"
        self.credentials_path = self.home / ".aws" / "credentials"
        self.keyring_dir = self.root / "keyring"
        for folder in (self.home / ".aws", self.root / "config", self.root / "data", self.root / "state",
                       self.root / "cache", self.root / "tmp"):
            folder.mkdir(parents=True, mode=0o700)
        from .localsts import LocalSTS  # moto: the bulk of the start-up time

        self.timings["import"] = time.perf_counter() - began
        self.sts = LocalSTS().start()
        if self.seed is not None:
            from moto.moto_api._internal import mock_random

            mock_random.seed(self.seed)
        self._build_world()
        self.signin = _SigninStandIn().start()
        self.timings["world"] = time.perf_counter() - began - self.timings["import"]
        self.config_path.write_text(config_text(self.serial))
        self.credentials_path.write_text("")
        (self.home / ".bashrc").write_text(BASHRC)
        (self.home / ".zshrc").write_text(ZSHRC)
        self.env = self._environment()
        self.removed = tuple(sorted(name for name in os.environ
                                    if name.startswith(("AWS_", "HATS_")) and name not in self.env))
        self._store_key()
        self.timings["total"] = time.perf_counter() - began

    def _build_world(self) -> None:
        sts = self.sts
        self.key_id, self._secret = sts.create_user(IDENTITY, USER)
        self.serial, self._totp_secret = sts.create_mfa_device(IDENTITY, USER, USER)
        for account, name, trusted, mfa in ROLES:
            sts.create_role(account, name, trusted, require_mfa=mfa)
        for account, names in BUCKETS.items():
            for name in names:
                sts.create_bucket(account, name)

    def _environment(self) -> dict[str, str]:
        root = self.root
        no_proxy = ",".join(dict.fromkeys(
            [*filter(None, os.environ.get("NO_PROXY", os.environ.get("no_proxy", "")).split(",")), *LOOPBACK]))
        return {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_DATA_HOME": str(root / "data"),
            "XDG_STATE_HOME": str(root / "state"),
            "XDG_CACHE_HOME": str(root / "cache"),
            "TMPDIR": str(root / "tmp"),
            "AWS_CONFIG_FILE": str(self.config_path),
            "AWS_SHARED_CREDENTIALS_FILE": str(self.credentials_path),
            "AWS_ENDPOINT_URL": self.sts.url,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_PAGER": "",
            "HATS_BACKEND": "file",
            "HATS_FILE_DIR": str(self.keyring_dir),
            "HATS_FILE_PASSPHRASE": self.passphrase,
            "HATS_FILE_UNLOCKED_SECONDS": "0",  # the passphrase is at hand: leave no key in the kernel
            "HATS_STATE_DIR": str(root / "state" / "hats"),
            "HATS_SIGNIN_URL": self.signin.url,
            "HATS_DEMO_MFA_SECRET": self._totp_secret,  # for `hats demo --code` in a second terminal
            "NO_PROXY": no_proxy,
            "no_proxy": no_proxy,
        }

    def _store_key(self) -> None:
        """jan-work's key into the demo keyring, as `hats add` would; nowhere else."""
        from ..credentials import long_term_key
        from ..store.encrypted_file import EncryptedFileStore
        from ..store.vault import Vault

        store = EncryptedFileStore(self.keyring_dir / "vault.json", lambda: self.passphrase)
        self.vault = Vault(store, lock_dir=Path(self.env["HATS_STATE_DIR"]) / "locks")
        self.vault.set_key(USER, long_term_key(self.key_id, self._secret))

    def close(self) -> None:
        """Stop the servers, put os.environ back, remove every file. Safe to call twice."""
        try:
            for server in (self.signin, self.sts):
                if server is not None:
                    server.stop()
            self.signin = self.sts = None
        finally:
            self.restore_environ()
            if self.root is not None:
                shutil.rmtree(self.root, ignore_errors=True)

    __enter__ = start

    def __exit__(self, *exc) -> None:
        self.close()

    # -- the environment ----------------------------------------------------
    def child_env(self, base: dict[str, str] | None = None) -> dict[str, str]:
        """`base` (default os.environ) without the caller's AWS_*/HATS_* variables, plus the sandbox's."""
        base = dict(os.environ if base is None else base)
        kept = {name: value for name, value in base.items() if not name.startswith(("AWS_", "HATS_"))}
        return {**kept, **self.env}

    def apply_environ(self) -> None:
        """Make os.environ the sandbox's (for this process and all its children) until close()."""
        if self._saved_environ is None:
            self._saved_environ = dict(os.environ)
        for name in self.removed:
            os.environ.pop(name, None)
        os.environ.update(self.env)

    def restore_environ(self) -> None:
        if self._saved_environ is not None:
            os.environ.clear()
            os.environ.update(self._saved_environ)
            self._saved_environ = None

    def export_lines(self) -> str:
        lines = [f"unset {name}" for name in self.removed]
        lines += [f"export {name}={shlex.quote(value)}" for name, value in self.env.items()]
        return "\n".join(lines) + "\n"

    # -- the MFA device -------------------------------------------------------
    def code(self, at: float | None = None) -> str:
        """The MFA device's current code (a real TOTP the local STS checks)."""
        return self.sts.totp(self.serial, at)

    def banner(self) -> str:
        return banner_text(self.code(), seconds_left())

    def secrets(self) -> set[str]:
        """What must never show on a screen or in a file: for checks by scripts and tests."""
        return {self._secret, self._totp_secret}


def seconds_left(now: float | None = None) -> int:
    """How long the current TOTP code stays the current one."""
    now = time.time() if now is None else now
    return TOTP_STEP - int(now) % TOTP_STEP


def banner_text(code: str, left: int) -> str:
    return f"demo MFA code {code} ({left} s left)"


class _SigninStandIn:
    """The console sign-in endpoint, played on loopback: `o` and `hats login` reach no AWS.

    getSigninToken answers a token; the login URL, opened in a browser, shows a
    page saying what AWS would do. Requests are never logged: they carry the
    session's keys.
    """

    def __init__(self):
        self.server = self.thread = None
        self.url = ""

    def start(self) -> _SigninStandIn:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                from html import escape
                from urllib.parse import parse_qs, urlsplit

                query = parse_qs(urlsplit(self.path).query)
                action = query.get("Action", [""])[0]
                if action == "getSigninToken":
                    body, kind = b'{"SigninToken": "hats-demo-signin-token"}', "application/json"
                elif action == "login":
                    where = escape(query.get("Destination", ["the AWS console"])[0])
                    body = (f"<!doctype html><title>hats demo</title><h1>hats demo</h1><p>On AWS this link "
                            f"signs you in to <code>{where}</code> as the role you picked. The sandbox has "
                            f"no console: this page is all there is.</p>").encode()
                    kind = "text/html; charset=utf-8"
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):  # the query holds the session's keys: log nothing
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}/federation"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1},
                                       name="demo-signin", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.thread.join()
            self.server = None


# -- the command ------------------------------------------------------------------
@contextmanager
def signals_end_the_demo(on_signal=None):
    """SIGINT, SIGTERM and SIGHUP end the demo through the `finally` that cleans up.

    `on_signal(signum)` is asked first and returns True when it took care of
    it: while the TUI runs, it asks the app to quit, so Textual gives the
    terminal back. Otherwise SIGINT is KeyboardInterrupt, the others SystemExit.
    """
    def handler(signum, frame):
        if on_signal is not None and on_signal(signum):
            return
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise SystemExit(128 + signum)

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def run_demo(print_env: bool = False) -> int:
    """`hats demo`: the sandbox, then the TUI on it (or --print-env and wait); cleaned up at the end."""
    _require_demo_extra()
    state: dict = {}

    def quit_app(signum: int) -> bool:
        app = state.get("app")
        if app is None:
            return False
        import asyncio

        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return False
        loop.call_soon_threadsafe(app.exit, 128 + signum)
        return True

    code, started = 0, False
    try:
        with signals_end_the_demo(quit_app), Sandbox() as sandbox:
            started = True
            sandbox.apply_environ()
            if print_env:
                code = _serve_env(sandbox)
            else:
                from ..app import HatsApp

                # the app takes the sandbox's open vault: its key is derived once (Argon2, ~0.2 s)
                app = HatsApp(backend="file", banner=sandbox.banner,
                              vault_opener=lambda backend, passphrase=None: sandbox.vault)
                state["app"] = app
                code = app.run() or 0
    except KeyboardInterrupt:
        code = 130
    finally:
        if started:
            print("hats demo: the sandbox is stopped and its files are removed.", file=sys.stderr)
    return code


def _serve_env(sandbox: Sandbox) -> int:
    tty = sys.stderr.isatty()
    try:
        sys.stdout.write(sandbox.export_lines())
        sys.stdout.write(f"{READY}: paste the lines above into another terminal; Ctrl-C here ends it\n")
        sys.stdout.flush()
        print(f"hats demo: sandbox in {sandbox.root}; in the other terminal, `hats demo --code` "
              f"prints the MFA code", file=sys.stderr)
        while True:
            if tty:
                print(f"\r{sandbox.banner()} ", end="", file=sys.stderr, flush=True)
            time.sleep(1)
    except KeyboardInterrupt:
        if tty:
            print(file=sys.stderr)
        return 0


def print_code() -> int:
    """`hats demo --code`: the sandbox's current MFA code, in a terminal that joined it."""
    secret = os.environ.get("HATS_DEMO_MFA_SECRET")
    if not secret:
        print("hats demo: not in a demo sandbox (run `hats demo --print-env` and paste its lines)",
              file=sys.stderr)
        return 1
    import pyotp

    print(pyotp.TOTP(secret).now())
    print(f"({seconds_left()} s left)", file=sys.stderr)
    return 0


def _require_demo_extra() -> None:
    from ..errors import HatsError

    missing = [name for name in ("moto", "pyotp", "werkzeug") if _absent(name)]
    if missing:
        raise HatsError(f"hats demo needs {', '.join(missing)}: pip install 'aws-hats[demo]'")
    if shutil.which("aws") is None:
        print("hats demo: the AWS CLI is not on PATH; the demo runs, but `aws` in its shells will not "
              "(pip install 'aws-hats[demo]' brings it)", file=sys.stderr)


def _absent(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is None


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(prog="hats demo", description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--print-env", action="store_true",
                      help="print `export` lines for a second terminal, keep the sandbox up until Ctrl-C")
    what.add_argument("--code", action="store_true",
                      help="print the sandbox's current MFA code (in a terminal that joined the sandbox)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(sys.argv[1:] if argv is None else argv)
    from ..errors import HatsError

    try:
        return print_code() if args.code else run_demo(print_env=args.print_env)
    except HatsError as error:
        print(f"hats: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
