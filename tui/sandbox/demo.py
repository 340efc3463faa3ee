"""`hats demo`: the whole of hats, offline, IAM Identity Center too, in a sandbox that touches nothing of yours.

    hats demo               the TUI on the sandbox; its status line shows the MFA code
    hats demo --print-env   `export` lines for a second terminal (hats, hats sso login acme, aws);
                            keeps the sandbox up until Ctrl-C
    hats demo --code        inside the sandbox (a second terminal): the current MFA code

What the sandbox is, all of it in one temporary directory removed at the end
(also on Ctrl-C, SIGTERM and SIGHUP):

* a local STS, IAM and S3 on 127.0.0.1 (tui.sandbox.localsts: moto with AWS's MFA and
  role-chain checks), answering the AWS CLI as well as hats;
* a local IAM Identity Center on 127.0.0.1 beside it (tui.sandbox.identity_center: sign-in and
  portal, its role credentials minted in that STS), the sso-session `acme`;
* an organisation modelled on a real one:

      111111111111 acme-identity  user jan-work with a virtual MFA device (a real TOTP)
      222222222222 acme-dev       security-auditor (its trust policy demands MFA),
                                  dev-infra-admin
      333333333333 acme-prod      prod-gateway (trusts acme-identity, demands MFA),
                                  prod-admin and prod-readonly (trust prod-gateway's account)

  and in the Identity Center's portal, signed in to as jan:

      222222222222 acme-dev       AdministratorAccess (profile acme-dev.AdministratorAccess,
                                  and dev-deployer, a role chained from it), ReadOnly
      444444444444 acme-sandbox   PowerUser: in the portal only, no profile in the config

  with a few S3 buckets in each account, so `aws s3 ls` tells them apart;
* HOME, XDG dirs, TMPDIR, an AWS config, an empty credentials file, and the
  encrypted file keyring (HATS_BACKEND=file) with a fixed demo passphrase,
  holding jan-work's sandbox key. The key goes nowhere else: no plaintext file;
* AWS_ENDPOINT_URL at the local STS, so the AWS CLI in a subshell asks it for
  STS and S3; AWS_ENDPOINT_URL_SSO_OIDC and AWS_ENDPOINT_URL_SSO at the local
  Identity Center; HATS_SIGNIN_URL at a loopback stand-in for the console sign-in
  endpoint, so `o` / `hats login` send nothing to AWS either;
* HATS_SSO_BROWSER at a scripted browser (tui.sandbox.browser) that approves the
  sign-in, so `hats sso login acme` needs no one to click. Only the SSO sign-in
  uses it: `o` / `hats login` open your own browser, as outside the demo.

Every AWS_* and HATS_* variable of yours is removed from the demo's
environment, so nothing of your real HOME, keyring or AWS config is read or
written. The sandbox's variables go into os.environ and so to every child.

The sandbox itself is tui/sandbox/home.py (Sandbox), its organisation the ACME
spec there, made by the world builder (tui/sandbox/world.py).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

from .demo_options import add_demo_options
from .home import SSO_SESSION, Sandbox, seconds_left

READY = "# the hats demo sandbox is up"


# -- the command ------------------------------------------------------------------
@contextmanager
def signals_end_the_demo(on_signal: Callable[[int], bool] | None = None) -> Iterator[None]:
    """SIGINT, SIGTERM and SIGHUP end the demo through the `finally` that cleans up.

    `on_signal(signum)` is asked first and returns True when it took care of
    it: while the TUI runs, it asks the app to quit, so Textual gives the
    terminal back. Otherwise SIGINT is KeyboardInterrupt, the others SystemExit.
    """
    def handler(signum: int, frame: FrameType | None) -> None:
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
    state: dict[str, Any] = {}  # the app, once there is one: a signal asks it to quit

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
                app = HatsApp(backend="file", banner=sandbox.banner, vault_opener=sandbox.opened_vault)
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
              f"prints the MFA code and `hats sso login {SSO_SESSION}` signs in to its Identity Center",
              file=sys.stderr)
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
    parser = parser or argparse.ArgumentParser(prog="hats demo", description=(__doc__ or "").split("\n\n")[0])
    return add_demo_options(parser)


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
