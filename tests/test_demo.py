"""`hats demo`: the offline sandbox, end to end, and the screenshot script.

Every sandbox here runs in a process of its own (`python -m tui.sandbox.demo ...` or a
small script): moto's state is global to a process, and the session's `world`
LocalSTS must not be reset under the other tests. TMPDIR points each demo at
a directory of the test's, so "every temporary file is removed" is checked by
that directory being empty afterwards.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyotp
import pytest

from tui.sandbox.demo import READY  # the line that ends the export block
from tui.sandbox.home import DEV, LOOPBACK, PROD, SANDBOX

REPO = Path(__file__).resolve().parents[1]

# What an SVG must never show: the token prefixes of the local STS and of moto, and
# any 40-character run of a secret key's alphabet.
TOKEN_PREFIXES = ("IQoJb3JpZ2luX2VjE", "FQoGZXIvYXdzE")
KEYLIKE = re.compile(r"[A-Za-z0-9/+]{40}")

# Put first on PYTHONPATH, this sitecustomize makes every Python process of a test (the sandbox,
# hats, the scripted browser, the aws CLI) write each host it looks up or connects to into a log.
NET_LOG_SITE = """\
import os, sys
_log = os.environ.get("DEMO_TEST_NET_LOG")
def _note(event, args):
    if event == "socket.getaddrinfo":
        line = f"resolve {args[0]!r}"
    elif event == "socket.connect" and isinstance(args[1], tuple):  # AF_INET and AF_INET6, not AF_UNIX
        line = f"connect {args[1][0]!r}"
    else:
        return
    with open(_log, "a") as log:
        log.write(line + "\\n")
if _log:
    sys.addaudithook(_note)
"""


def base_env(tmp: Path, **extra: str) -> dict[str, str]:
    """A user's environment, with decoys the demo must not use: AWS and HATS variables, a real HOME."""
    keep = {name: os.environ[name] for name in ("PATH", "LANG", "LC_ALL", "TERM") if name in os.environ}
    real_home = tmp / "real-home"
    (real_home / ".aws").mkdir(parents=True, exist_ok=True)
    (real_home / ".aws/config").write_text("[profile jan-work]\nregion = ap-south-1\n")
    (tmp / "tmp").mkdir(exist_ok=True)
    return {**keep, "HOME": str(real_home), "TMPDIR": str(tmp / "tmp"), "PYTHONPATH": str(REPO),
            "AWS_PROFILE": "real-profile", "AWS_ACCESS_KEY_ID": "AKIAREALUSERKEY00000",
            "AWS_SECRET_ACCESS_KEY": "real-secret-that-the-demo-must-not-see",
            "AWS_ENDPOINT_URL_STS": "https://sts.example.invalid", "HATS_BACKEND": "secret-service",
            **extra}


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


class PrintEnv:
    """`python -m tui.sandbox.demo --print-env` running; its variables parsed.

    Every Python process it and its second terminal start notes the hosts it contacts in `net_log`.
    """

    def __init__(self, tmp: Path, **extra: str):
        self.tmp = tmp
        site = tmp / "net-log-site"
        site.mkdir(parents=True)
        (site / "sitecustomize.py").write_text(NET_LOG_SITE)
        self.net_log = tmp / "net.log"
        self.outer = base_env(tmp, PYTHONPATH=f"{site}{os.pathsep}{REPO}", DEMO_TEST_NET_LOG=str(self.net_log),
                              **extra)
        self.real_home_before = tree(Path(self.outer["HOME"]))
        self.process = subprocess.Popen([sys.executable, "-m", "tui.sandbox.demo", "--print-env"], env=self.outer,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                        stdin=subprocess.DEVNULL, start_new_session=True, cwd=REPO)
        self.lines = []
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))
            if line.startswith(READY):
                break
        else:
            raise AssertionError(f"--print-env ended early: {self.process.stderr.read()}")
        self.exports: dict[str, str] = {}
        self.unset: set[str] = set()
        for line in self.lines:
            words = shlex.split(line, comments=True)
            if words[:1] == ["export"]:
                name, value = words[1].split("=", 1)
                self.exports[name] = value
            elif words[:1] == ["unset"]:
                self.unset.update(words[1:])
        self.root = Path(self.exports["HOME"]).parent

    @property
    def env(self) -> dict[str, str]:
        """What a second terminal has after pasting the lines."""
        env = {name: value for name, value in self.outer.items() if name not in self.unset}
        return {**env, **self.exports}

    def hats(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "tui", *args], env={**self.env, **(env or {})},
                              capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
                              start_new_session=True, cwd=REPO, check=False)

    def contacted(self) -> set[str]:
        """Every host a process of the sandbox or of its second terminal looked up or connected to."""
        lines = self.net_log.read_text().splitlines() if self.net_log.exists() else []
        return {line.split(" ", 1)[1].strip("'") for line in lines}

    def assert_only_loopback_contacted(self) -> None:
        contacted = self.contacted()
        assert "127.0.0.1" in contacted, "the network log is empty: the audit hook did not run"
        assert contacted <= {*LOOPBACK, "None"}, contacted - {*LOOPBACK, "None"}

    def code(self) -> str:
        return pyotp.TOTP(self.exports["HATS_DEMO_MFA_SECRET"]).now()

    def stop(self, sig: int = signal.SIGINT) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=20)
        finally:
            self.process.stdout.close()
            self.process.stderr.close()


@pytest.fixture
def sandbox(tmp_path):
    running = PrintEnv(tmp_path)
    yield running
    running.stop(signal.SIGKILL)


def test_print_env_joins_a_second_terminal_to_a_sandbox_that_answers_as_each_role(sandbox):
    env = sandbox.exports
    assert sandbox.root.parent == sandbox.tmp / "tmp"
    assert {"AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_ENDPOINT_URL_STS"} <= sandbox.unset
    assert env["HATS_BACKEND"] == "file" and env["HATS_FILE_DIR"].startswith(str(sandbox.root))
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", env["AWS_ENDPOINT_URL"])
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/federation", env["HATS_SIGNIN_URL"])
    assert not {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"} & set(env)

    wrong = f"{(int(sandbox.code()) + 500_000) % 1_000_000:06d}"
    refused = sandbox.hats("exec", "security-auditor", "--mfa-token", wrong, "--", "true")
    assert refused.returncode != 0 and "invalid MFA one time pass code" in refused.stderr

    done = sandbox.hats("exec", "security-auditor", "--mfa-token", sandbox.code(), "--",
                        "aws", "sts", "get-caller-identity", "--output", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"] == f"arn:aws:sts::{DEV}:assumed-role/security-auditor/jan-work"

    # the MFA session is cached: production, two roles on, needs no new code
    done = sandbox.hats("exec", "prod-admin", "--", "aws", "sts", "get-caller-identity", "--output", "json")
    assert json.loads(done.stdout)["Arn"] == f"arn:aws:sts::{PROD}:assumed-role/prod-admin/jan-prod", done.stderr

    buckets = {}
    for profile in ("prod-admin", "dev-infra-admin", "security-auditor"):
        done = sandbox.hats("exec", profile, "--", "aws", "s3", "ls")
        assert done.returncode == 0, done.stderr
        buckets[profile] = sorted(line.split()[-1] for line in done.stdout.splitlines())
    assert buckets["prod-admin"] == ["acme-prod-backups", "acme-prod-customer-uploads", "acme-prod-terraform-state"]
    assert buckets["dev-infra-admin"] == buckets["security-auditor"] == [
        "acme-dev-artifacts", "acme-dev-scratch", "acme-dev-terraform-state"]

    # the console sign-in goes to the sandbox's stand-in, not to AWS
    done = sandbox.hats("login", "prod-admin", "--stdout")
    assert done.returncode == 0, done.stderr
    url = done.stdout.strip()
    assert url.startswith(env["HATS_SIGNIN_URL"] + "?Action=login&")
    import urllib.request

    with urllib.request.urlopen(url, timeout=10) as page:
        assert b"hats demo" in page.read()

    code = subprocess.run([sys.executable, "-m", "tui.sandbox.demo", "--code"], env=sandbox.env, capture_output=True,
                          text=True, cwd=REPO, check=False).stdout.strip()
    assert re.fullmatch(r"\d{6}", code)

    # the key is only in the encrypted keyring; no file of the sandbox holds it in plain text
    assert Path(env["AWS_SHARED_CREDENTIALS_FILE"]).read_text() == ""
    for path in sandbox.root.rglob("*"):
        if path.is_file():
            text = path.read_text(errors="replace")
            assert "SecretAccessKey" not in text and "aws_secret_access_key" not in text, path

    assert sandbox.stop(signal.SIGINT) == 0
    assert not sandbox.root.exists()
    assert tree(sandbox.tmp / "tmp") == []
    assert tree(Path(sandbox.outer["HOME"])) == sandbox.real_home_before
    sandbox.assert_only_loopback_contacted()


@pytest.fixture
def sso_sandbox(tmp_path):
    """The print-env sandbox with a decoy $BROWSER of the user's that notes the URLs it is given."""
    decoy, opened = tmp_path / "decoy-browser", tmp_path / "decoy-browser.log"
    decoy.write_text(f'#!/bin/sh\necho "$1" >> {shlex.quote(str(opened))}\n')
    decoy.chmod(0o755)
    running = PrintEnv(tmp_path, BROWSER=f"{decoy} %s")
    running.decoy_opened = opened
    yield running
    running.stop(signal.SIGKILL)


def test_the_sandbox_identity_center_signs_in_offline_through_the_scripted_browser_only(sso_sandbox):
    sandbox, env = sso_sandbox, sso_sandbox.exports
    assert env["AWS_ENDPOINT_URL_SSO_OIDC"] == env["AWS_ENDPOINT_URL_SSO"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", env["AWS_ENDPOINT_URL_SSO"])
    assert "tui/sandbox/browser.py" in env["HATS_SSO_BROWSER"] and "BROWSER" not in env

    browser_log = sandbox.tmp / "browser.log"
    done = sandbox.hats("sso", "login", "acme", env={"HATS_SANDBOX_BROWSER_LOG": str(browser_log)})
    assert done.returncode == 0, done.stderr
    assert "Signed in to sso-session 'acme'" in done.stderr
    visited = browser_log.read_text()  # the scripted browser clicked Allow on the sandbox's pages
    assert f"GET {env['AWS_ENDPOINT_URL_SSO']}/authorize?" in visited
    assert f"POST {env['AWS_ENDPOINT_URL_SSO']}/consent 302" in visited
    assert not sandbox.decoy_opened.exists()  # the user's $BROWSER was not asked

    done = sandbox.hats("sso", "list", "acme")
    assert done.returncode == 0, done.stderr
    rows = {tuple(line.split()[:2]) + (line.split()[-1],) for line in done.stdout.splitlines()[1:]}
    assert rows == {(DEV, "acme-dev", "AdministratorAccess"), (DEV, "acme-dev", "ReadOnly"),
                    (SANDBOX, "acme-sandbox", "PowerUser")}
    assert SANDBOX not in Path(env["AWS_CONFIG_FILE"]).read_text()  # in the portal only

    done = sandbox.hats("exec", "acme-dev.AdministratorAccess", "--", "aws", "sts", "get-caller-identity",
                        "--output", "json")
    assert done.returncode == 0, done.stderr
    assert re.fullmatch(rf"arn:aws:sts::{DEV}:assumed-role/AWSReservedSSO_AdministratorAccess_[0-9a-f]{{16}}/jan",
                        json.loads(done.stdout)["Arn"])
    done = sandbox.hats("exec", "dev-deployer", "--", "aws", "sts", "get-caller-identity", "--output", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["Arn"].startswith(f"arn:aws:sts::{DEV}:assumed-role/dev-deployer/")

    # the console sign-in keeps the user's $BROWSER: it opens the sandbox's stand-in there
    done = sandbox.hats("login", "acme-dev.AdministratorAccess", env={"HATS_SANDBOX_BROWSER_LOG": str(browser_log)})
    assert done.returncode == 0, done.stderr
    assert sandbox.decoy_opened.read_text().startswith(env["HATS_SIGNIN_URL"] + "?Action=login&")
    assert "/federation" not in browser_log.read_text()

    assert sandbox.stop(signal.SIGINT) == 0
    assert not sandbox.root.exists()
    sandbox.assert_only_loopback_contacted()


def test_sigterm_and_sighup_end_the_sandbox_and_remove_it(tmp_path):
    for number, sig in enumerate((signal.SIGTERM, signal.SIGHUP)):
        running = PrintEnv(tmp_path / str(number))
        assert running.root.exists()
        assert running.stop(sig) == 128 + sig
        assert not running.root.exists() and tree(running.tmp / "tmp") == []


SANDBOX_SCRIPT = """
import json, os, sys
from tui.sandbox.home import Sandbox
before = dict(os.environ)
report = {}
try:
    with Sandbox() as sandbox:
        report["root"] = str(sandbox.root)
        sandbox.apply_environ()
        report["home"] = os.environ["HOME"]
        report["aws_profile_gone"] = "AWS_PROFILE" not in os.environ
        plain = [str(p) for p in sandbox.root.rglob("*") if p.is_file()
                 and any(s.encode() in p.read_bytes() for s in sandbox.secrets())]
        report["plaintext_secrets"] = plain
        report["code_ok"] = sandbox.code().isdigit() and "demo MFA code" in sandbox.banner()
        raise KeyboardInterrupt
except KeyboardInterrupt:
    report["interrupted"] = True
report["environ_restored"] = dict(os.environ) == before
print(json.dumps(report))
"""


def test_the_sandbox_context_restores_environ_and_removes_everything_even_when_interrupted(tmp_path):
    env = base_env(tmp_path)
    done = subprocess.run([sys.executable, "-c", SANDBOX_SCRIPT], env=env, capture_output=True, text=True,
                          timeout=60, cwd=REPO, check=False)
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["interrupted"] and report["environ_restored"] and report["aws_profile_gone"]
    assert report["home"].startswith(report["root"]) and report["code_ok"]
    assert report["plaintext_secrets"] == []
    assert not Path(report["root"]).exists() and tree(tmp_path / "tmp") == []


needs_tmux = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")


class Terminal:
    """A tmux pane of its own (private socket, its own config) running one command.

    The command runs under `sh`, which prints its exit status: tmux 3.3a at times
    leaves an exited pane process unreaped, with no pane_dead_status.
    """

    def __init__(self, env: dict[str, str], cwd: Path, argv: list[str], size=(120, 34)):
        self.socket = str(cwd / "tmux.sock")  # in the test's directory: nothing is left in /tmp
        self.env = env
        self.conf = cwd / "tmux.conf"
        self.conf.write_text("set -g default-terminal tmux-256color\nset -g remain-on-exit on\n"
                             "set -g history-limit 1000\nset -g status off\n")
        wrapped = ["sh", "-c", '"$@"; echo "[exit status $?]"', "sh", *argv]
        self.tmux("new-session", "-d", "-s", "demo", "-x", str(size[0]), "-y", str(size[1]), "-c", str(cwd),
                  shlex.join(wrapped))

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-S", self.socket, "-f", str(self.conf), *args], env=self.env,
                              capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL, check=False)
        assert done.returncode == 0, f"tmux {args[0]}: {done.stderr}"
        return done.stdout

    def show(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", "demo", f"#{{{name}}}").strip()

    @property
    def pid(self) -> int:
        """The command's pid (the child of the wrapping sh)."""
        shell = self.show("pane_pid")
        kids = [int(kid) for task in Path(f"/proc/{shell}/task").iterdir()
                for kid in (task / "children").read_text().split()]
        assert len(kids) == 1, kids
        return kids[0]

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "demo")

    def everything(self) -> str:
        """The screen and the lines scrolled off it."""
        return self.tmux("capture-pane", "-p", "-S", "-", "-t", "demo")

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "demo", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "demo", "-l", text)

    def wait_for(self, what, timeout: float = 30) -> str:
        """Until the screen holds `what` (a string, or a function of the screen)."""
        test = what if callable(what) else (lambda screen: what in screen)
        deadline = time.monotonic() + timeout
        while True:
            screen = self.screen()
            if test(screen):
                return screen
            assert time.monotonic() < deadline, f"waited {timeout} s for {what!r}; the screen:\n{screen}"
            time.sleep(0.1)

    def exit_status(self, timeout: float = 30) -> int:
        self.wait_for(lambda _: "[exit status" in self.everything(), timeout)
        return int(re.search(r"\[exit status (\d+)\]", self.everything()).group(1))

    def stop(self) -> None:
        subprocess.run(["tmux", "-S", self.socket, "kill-server"], env=self.env, capture_output=True,
                       stdin=subprocess.DEVNULL, check=False)


@needs_tmux
def test_the_demo_tui_shows_the_code_refuses_a_wrong_one_and_opens_a_shell_in_the_role(tmp_path):
    env = base_env(tmp_path, SHELL="/bin/bash")
    banner = re.compile(r"demo MFA code (\d{6}) \((\d+) s left\)")
    pane = Terminal(env, tmp_path, [sys.executable, "-m", "tui.sandbox.demo"])
    try:
        screen = pane.wait_for(lambda s: banner.search(s) and "security-auditor" in s)
        # the cursor starts on the tree's first row; count the rows down to the role in the left pane
        rows = screen.splitlines()[1:]
        for _ in range(next(n for n, row in enumerate(rows) if "○ security-auditor" in row[:60])):
            pane.send("j")
        pane.wait_for("chain to security-auditor")
        for _ in range(50):  # Enter before the keyring is open only says so
            pane.send("Enter")
            if "MFA code for" in pane.wait_for(lambda s: "MFA code for" in s or "not open yet" in s):
                break
            time.sleep(0.2)
        code = banner.search(pane.screen()).group(1)
        pane.type(f"{(int(code) + 500_000) % 1_000_000:06d}")
        pane.send("Enter")
        pane.wait_for("invalid MFA one time")  # the modal wraps the rest
        pane.type(banner.search(pane.screen()).group(1))
        pane.send("Enter")
        pane.wait_for("[security-auditor acme-dev")
        pane.type("aws sts get-caller-identity --query Arn --output text; aws s3 ls; echo HOME=$HOME")
        pane.send("Enter")
        screen = pane.wait_for("HOME=/")
        assert f"arn:aws:sts::{DEV}:assumed-role/security-auditor/jan-work" in screen
        assert "acme-dev-terraform-state" in screen and "acme-prod" not in screen
        assert f"HOME={tmp_path / 'tmp'}/hats-demo-" in screen.replace("\n", "")
        pane.type("exit")
        pane.send("Enter")
        pane.wait_for("shell in security-auditor exited with 0")
        pane.send("q")
        assert pane.exit_status() == 0
        assert "sandbox is stopped" in pane.everything()
    finally:
        pane.stop()
    assert tree(tmp_path / "tmp") == []


@needs_tmux
def test_sigterm_ends_the_tui_demo_gives_the_terminal_back_and_removes_the_sandbox(tmp_path):
    env = base_env(tmp_path)
    pane = Terminal(env, tmp_path, [sys.executable, "-m", "tui.sandbox.demo"])
    try:
        pane.wait_for("demo MFA code")
        os.kill(pane.pid, signal.SIGTERM)
        assert pane.exit_status() == 128 + signal.SIGTERM
        # the terminal is given back: off the alternate screen, the demo's last words on it
        assert pane.show("alternate_on") == "0"
        assert "sandbox is stopped" in pane.everything()
    finally:
        pane.stop()
    assert tree(tmp_path / "tmp") == []


@needs_tmux
def test_the_screenshot_script_writes_six_svgs_with_no_secret_in_them(tmp_path):
    env = base_env(tmp_path)
    out = tmp_path / "shots"
    done = subprocess.run([sys.executable, str(REPO / "scripts/screenshots.py"), "--out", str(out)], env=env,
                          capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in out.iterdir()) == ["filter.svg", "main.svg", "mfa.svg", "prompt.svg",
                                                      "sessions.svg", "sso.svg"]
    from scripts.screenshots import svg_text

    for path in out.iterdir():
        svg = path.read_text()
        text = svg_text(svg)
        assert text.strip(), path
        for shown in (svg, text, text.replace("\n", "")):
            assert not any(prefix in shown for prefix in TOKEN_PREFIXES), path
            assert "real-secret-that-the-demo-must-not-see" not in shown
        assert not KEYLIKE.search(text) and not KEYLIKE.search(text.replace("\n", "")), (path, KEYLIKE.search(text))
    assert "assumed-role/prod-admin/jan-prod" in svg_text((out / "prompt.svg").read_text())
    assert "MFA code for" in svg_text((out / "mfa.svg").read_text())
    assert tree(tmp_path / "tmp") == []
