#!/usr/bin/env python3
"""Screenshots of hats, made from the demo sandbox: `python scripts/screenshots.py [--out DIR]`.

Writes to screenshots/ (or DIR):

    main.svg       the main screen, the chain to prod-admin highlighted
    mfa.svg        the MFA modal, a code half typed
    sessions.svg   the sessions pane with its countdowns, after a shell in security-auditor
    filter.svg     the fuzzy filter in use
    sso.svg        an IAM Identity Center sign-in: the acme session with its portal's accounts
                   and roles (the portal-only acme-sandbox.PowerUser highlighted), and the
                   sign-in in the sessions pane
    prompt.svg     the coloured subshell prompt of the production account, from a real
                   terminal: `hats exec prod-admin` in tmux, captured with its escapes and
                   rendered with rich

The app runs headless (Textual's run_test) at a fixed size with a frozen clock,
and the banner that shows the demo's live MFA code shows a placeholder. The
sessions are real (the engine resolves the roles with the demo's TOTP code);
their expiries are then restaged relative to the frozen clock, so the
countdowns read the same on every run. The SSO sign-in is real too (`hats sso
list acme`, through the sandbox's scripted browser, which also keeps the
portal's copy the tree is drawn from); its access token's expiry is restaged
the same way. The real terminal has a real clock: for
prompt.svg the MFA session's end is pinned 2h14m30s ahead, so the badge reads
2h14m. moto is seeded, so the role ids in the prompt's `aws sts
get-caller-identity` are the same too. Re-running the script reproduces the
files byte for byte (with the same Textual, rich and tmux).

No secret may appear in a screenshot: every file is checked against the
sandbox's secret key, TOTP seed and every cached session's secret and token
before it is written, and the script fails if one shows; for sso.svg also
every token and client secret the Identity Center issued and the vault keeps.
Needs tmux for prompt.svg.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import io
import re
import shutil
import subprocess
import sys
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tui.sandbox.home import Sandbox  # noqa: E402 - importable once the repo is on the path

SIZE = (120, 34)
FROZEN = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
SEED = 20260302
BANNER = "demo MFA code ······"
NAMES = ("main.svg", "mfa.svg", "sessions.svg", "filter.svg", "prompt.svg", "sso.svg")
# time left on each cached session at the frozen moment: green, amber (< 10 min), red (< 5 min)
LEFT = {
    "jan-work": timedelta(hours=3, minutes=41, seconds=12),
    "security-auditor": timedelta(minutes=52, seconds=7),
    "dev-infra-admin": timedelta(minutes=8, seconds=45),
    "prod-gateway": timedelta(minutes=31, seconds=2),
    "prod-admin": timedelta(minutes=31, seconds=5),
    "prod-readonly": timedelta(minutes=2, seconds=40),
}
SSO_SESSION = "acme"
SSO_HIGHLIGHT = "acme-sandbox.PowerUser"  # in the portal only: no profile in the config
SSO_LEFT = timedelta(hours=7, minutes=48, seconds=20)  # the access token's time left
PROMPT_SIZE = (104, 16)
PROMPT_LEFT = timedelta(hours=2, minutes=14, seconds=30)  # the prompt shows 2h14m
WAIT = 30.0


class SecretShown(Exception):
    pass


class Shots:
    def __init__(self, sandbox: Sandbox, out: Path):
        self.sandbox, self.out = sandbox, out
        self.written: list[Path] = []

    # -- what may not be shown --------------------------------------------------
    def secrets(self) -> set[str]:
        from tui.store.backends import open_vault

        found = set(self.sandbox.secrets())
        vault = open_vault("file")
        for entry in vault.sessions():
            session = vault.get_session(entry.kind, entry.profile)
            if session:
                found |= {session.credentials.secret_access_key, session.credentials.session_token or ""}
        for sign_in in vault.sign_ins():
            token = vault.get_token(sign_in.key)
            if token:
                found |= {token.access_token, token.refresh_token or "", token.client.client_secret}
        return {secret for secret in found if secret}

    def write(self, name: str, svg: str, secrets: set[str]) -> None:
        check(name, svg, secrets)
        path = self.out / name
        path.write_text(svg, encoding="utf-8")
        self.written.append(path)


def svg_text(svg: str) -> str:
    """The characters an SVG shows, in document order, one text element per line."""
    parts = re.findall(r"<text[^>]*>(.*?)</text>", svg, flags=re.DOTALL)
    return "\n".join(html.unescape(re.sub(r"<[^>]+>", "", part)).replace("\xa0", " ") for part in parts)


def check(name: str, content: str, secrets: set[str]) -> None:
    for haystack in (content, svg_text(content), svg_text(content).replace("\n", "")):
        for secret in secrets:
            if secret in haystack or (len(secret) >= 24 and secret[:16] in haystack):
                raise SecretShown(f"{name} would show a secret ({secret[:4]}…): not written")


# -- the app, headless ----------------------------------------------------------------
def make_app():
    from tui.app import HatsApp

    app = HatsApp(backend="file", clock=lambda: FROZEN, banner=lambda: BANNER)
    app.spawn = lambda argv, env, hold=False: 0  # a shell "ran" and exited: the headless driver cannot suspend
    return app


async def settle(pilot, app, seconds: float = 0.2) -> None:
    await pilot.pause(seconds)
    await asyncio.wait_for(app.workers.wait_for_complete(), timeout=30)
    await pilot.pause(0.05)


async def highlight(pilot, app, name: str) -> None:
    if not app.main.tree.select_profile(name):
        raise RuntimeError(f"{name} is not in the tree")
    await pilot.pause()


async def still(pilot, app) -> str:
    """The screen as it stands: banner drawn, no blinking cursor caught half-way."""
    from textual.widgets import Input

    for box in app.screen.query(Input):
        box.cursor_blink = False
    app.tick()
    await pilot.pause(0.1)
    return app.export_screenshot()


async def shoot_mfa(shots: Shots) -> None:
    from tui.screens.mfa import MfaScreen

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "security-auditor")
        await pilot.press("enter")
        for _ in range(100):
            await pilot.pause(0.05)
            if isinstance(app.screen, MfaScreen):
                break
        else:
            raise RuntimeError("the MFA modal did not open")
        await pilot.press(*"274")
        svg = await still(pilot, app)
        await pilot.press("escape")
        await settle(pilot, app)
    shots.write("mfa.svg", svg, shots.secrets())


async def shoot_app(shots: Shots) -> None:
    secrets = shots.secrets()
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, "prod-admin")
        shots.write("main.svg", await still(pilot, app), secrets)

        await highlight(pilot, app, "security-auditor")
        await pilot.press("enter")  # its session is cached: no code, straight to the (stand-in) shell
        await settle(pilot, app, 0.5)
        shots.write("sessions.svg", await still(pilot, app), secrets)

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await pilot.press("slash", *"prdadm")
        await pilot.pause(0.2)
        shots.write("filter.svg", await still(pilot, app), secrets)


async def shoot_sso(shots: Shots) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot, app)
        await highlight(pilot, app, SSO_HIGHLIGHT)
        shots.write("sso.svg", await still(pilot, app), shots.secrets())


# -- sessions -----------------------------------------------------------------------
def resolve_sessions(sandbox: Sandbox) -> None:
    """Real sessions, from the local STS, with the demo device's current code."""
    from tui.mfa import FixedToken
    from tui.profiles import load
    from tui.engine import Engine
    from tui.store.backends import open_vault

    engine = Engine(load(), open_vault("file"), FixedToken(sandbox.code()))
    for name in ("security-auditor", "dev-infra-admin", "prod-admin", "prod-readonly"):
        engine.credentials(name)


def restage_expiries(now: datetime = FROZEN, left: dict[str, timedelta] = LEFT) -> None:
    """Move the cached sessions' expiries to fixed distances from `now`."""
    from tui.credentials import Credentials
    from tui.store.backends import open_vault

    vault = open_vault("file")
    for entry in vault.sessions():
        if entry.profile in left:
            session = vault.get_session(entry.kind, entry.profile)
            made = session.credentials
            credentials = Credentials(made.access_key_id, made.secret_access_key, made.session_token,
                                      now + left[entry.profile])
            vault.put_session(session._replace(credentials=credentials))


def sign_in(sandbox: Sandbox) -> None:
    """`hats sso list acme`: signs in through the scripted browser and keeps the portal's copy."""
    env = {**sandbox.child_env(), "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "tui", "sso", "list", SSO_SESSION], env=env, capture_output=True,
                          text=True, timeout=WAIT * 2, stdin=subprocess.DEVNULL, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"hats sso list {SSO_SESSION}: {done.stderr.strip()}")


def restage_sign_ins(now: datetime = FROZEN, left: timedelta = SSO_LEFT) -> None:
    """Move the sign-ins' access-token expiries to a fixed distance from `now`."""
    from tui.store.backends import open_vault

    vault = open_vault("file")
    for entry in vault.sign_ins():
        token = vault.get_token(entry.key)
        if token:
            vault.put_token(entry.key, replace(token, expires=now + left))


# -- the prompt, in a real terminal ---------------------------------------------------
class Tmux:
    """One tmux server on a socket in the sandbox, in the sandbox's environment."""

    def __init__(self, sandbox: Sandbox):
        self.socket = str(sandbox.root / "tmp" / "tmux.sock")  # goes with the sandbox
        self.env = sandbox.child_env()
        self.env["PYTHONPATH"] = str(REPO)
        self.conf = sandbox.root / "tmp" / "tmux.conf"
        self.conf.write_text("set -g default-terminal tmux-256color\nset -g history-limit 0\n"
                             "set -g status off\n")

    def __call__(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, "-f", str(self.conf), *args], env=self.env,
                              capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"tmux {args[0]}: {done.stderr.strip()}")
        return done.stdout

    def wait_for(self, text: str, count: int = 1) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            if self("capture-pane", "-p", "-t", "shot").count(text) >= count:
                return
            time.sleep(0.1)
        raise RuntimeError(f"tmux: no {text!r} after {WAIT} s:\n{self('capture-pane', '-p', '-t', 'shot')}")

    def stop(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], env=self.env, capture_output=True,
                       stdin=subprocess.DEVNULL, check=False)


def capture_prompt(sandbox: Sandbox) -> str:
    """`hats exec prod-admin` in bash in tmux; the pane with its colours, as ANSI text."""
    if shutil.which("tmux") is None:
        raise RuntimeError("prompt.svg needs tmux (apt-get install tmux)")
    rc = sandbox.root / "tmp" / "outer-bashrc"
    python = sys.executable
    rc.write_text(". ~/.bashrc\n"
                  f"command -v hats >/dev/null || hats() {{ {python} -m tui \"$@\"; }}\n")
    # The badge counts down to the MFA session's end (the served role renews until then);
    # pinned half a minute past a whole minute, it reads the same on every run.
    restage_expiries(datetime.now(timezone.utc).replace(microsecond=0), {"jan-work": PROMPT_LEFT})
    tmux = Tmux(sandbox)
    width, height = PROMPT_SIZE
    badge = "[prod-admin acme-prod"
    try:
        tmux("new-session", "-d", "-s", "shot", "-x", str(width), "-y", str(height), "-c", str(sandbox.home),
             "bash", "--rcfile", str(rc), "-i")
        tmux.wait_for("demo:~$")
        tmux("send-keys", "-t", "shot", "hats exec prod-admin", "Enter")
        tmux.wait_for(badge)
        tmux("send-keys", "-t", "shot", "aws sts get-caller-identity", "Enter")
        tmux.wait_for('"Arn"')
        tmux.wait_for(badge, 2)
        tmux("send-keys", "-t", "shot", "aws s3api list-buckets --query 'Buckets[].Name' --output text",
             "Enter")
        tmux.wait_for("acme-prod-terraform-state")
        tmux.wait_for(badge, 3)
        time.sleep(0.3)
        screen = tmux("capture-pane", "-e", "-p", "-t", "shot")
        tmux("send-keys", "-t", "shot", "exit", "Enter")
    finally:
        tmux.stop()
    lines = [line.rstrip() for line in screen.rstrip("\n").split("\n")]
    while lines and not _visible(lines[-1]):
        lines.pop()
    return "\n".join(lines)


def _visible(line: str) -> str:
    return re.sub(r"\x1b\[[0-9;]*m", "", line).strip()


def render_terminal(text: str, title: str) -> str:
    from rich.console import Console
    from rich.text import Text

    console = Console(record=True, width=PROMPT_SIZE[0], file=io.StringIO(), force_terminal=True,
                      color_system="256", legacy_windows=False)
    console.print(Text.from_ansi(text), end="")
    return console.export_svg(title=title)


# -- all of it ------------------------------------------------------------------------
def make_all(out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    with Sandbox(seed=SEED) as sandbox:
        sandbox.apply_environ()
        shots = Shots(sandbox, out)
        asyncio.run(shoot_mfa(shots))
        resolve_sessions(sandbox)
        pane = capture_prompt(sandbox)  # while the roles' expiries are real: no renewal, no code
        shots.write("prompt.svg", render_terminal(pane, "hats exec prod-admin"), shots.secrets())
        restage_expiries()
        asyncio.run(shoot_app(shots))
        sign_in(sandbox)
        restage_sign_ins()
        asyncio.run(shoot_sso(shots))
    return shots.written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the SVG screenshots of hats from the demo sandbox.")
    parser.add_argument("--out", type=Path, default=REPO / "screenshots",
                        help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        written = make_all(args.out)
    except SecretShown as error:
        print(f"screenshots: {error}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    print(f"{len(written)} screenshots in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
