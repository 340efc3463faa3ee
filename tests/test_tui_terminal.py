"""The TUI in a real terminal: tmux runs `hats`, keys come from send-keys.

Pilot cannot take this path: App.suspend() needs a real terminal. Here a
person's whole round trip happens on a tmux pane of fixed size: pick a role,
type the MFA code in the modal, get a subshell with the role's badge, let the
AWS CLI prove whose credentials it has, `exit` back into the app, `q` out.

The pane's process gets exactly `hats.env` (plus what tmux itself sets for a
terminal: TERM, TMUX, ...): the tmux server is started with that environment
and nothing else, on its own socket, with no config file. No secret is
written anywhere for this: the key is in the keyring, the code is typed.
Every screen the test looks at is kept and scanned for secrets at the end.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal as signal_module
import subprocess
import sys
import time
from pathlib import Path

from tests.conftest import DEV

WIDTH, HEIGHT = 120, 35
WAIT = 20.0  # seconds, for each thing the test waits to see
ROLE_ARN = f"arn:aws:sts::{DEV}:assumed-role/auditor/jan-work"
# What tmux adds to a pane's environment, as any terminal would.
TERMINAL_VARIABLES = {"TERM", "TMUX", "TMUX_PANE", "TERM_PROGRAM", "TERM_PROGRAM_VERSION", "PWD", "COLORTERM"}



class Pane:
    """One tmux server on a private socket, one session, one pane; every capture is kept."""

    def __init__(self, env: dict[str, str], cwd: Path):
        assert shutil.which("tmux"), "this test needs tmux (`apt-get install tmux`; .ci/run installs it)"
        self.socket = f"hats-test-{secrets.token_hex(4)}"
        self.env = env
        self.cwd = cwd
        self.target = "hats:0.0"
        self.captures: list[str] = []

    def tmux(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        # The same environment for every call: tmux takes PATH for a new pane
        # from the client that asks for it.
        done = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args], env=self.env,
                              capture_output=True, text=True, timeout=10, stdin=subprocess.DEVNULL)
        if check and done.returncode != 0:
            raise AssertionError(f"tmux {' '.join(args)} failed: {done.stderr.strip()}")
        return done

    def start(self, argv: list[str]) -> None:
        # A placeholder first, so the options are in force before the real command starts.
        self.tmux("new-session", "-d", "-s", "hats", "-x", str(WIDTH), "-y", str(HEIGHT),
                  "-c", str(self.cwd), "cat")
        self.tmux("set-option", "-g", "default-terminal", "tmux-256color")
        self.tmux("set-option", "-g", "remain-on-exit", "on")
        self.tmux("set-option", "-g", "history-limit", "0")
        self.tmux("respawn-pane", "-k", "-t", self.target, "-c", str(self.cwd), *argv)

    def stop(self) -> None:
        path = self.tmux("display-message", "-p", "#{socket_path}", check=False).stdout.strip()
        self.tmux("kill-server", check=False)
        if path.endswith(self.socket):
            Path(path).unlink(missing_ok=True)  # tmux leaves its socket behind

    def capture(self) -> str:
        screen = self.tmux("capture-pane", "-p", "-t", self.target).stdout
        self.captures.append(screen)
        return screen

    def show(self, name: str) -> str:
        return self.tmux("display-message", "-p", "-t", self.target, f"#{{{name}}}").stdout.strip()

    @property
    def pid(self) -> int:
        return int(self.show("pane_pid"))

    def send(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", self.target, *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", self.target, "-l", text)

    def wait_for(self, what: str, test, timeout: float = WAIT) -> str:
        """Poll the screen until `test(screen)` holds; fail with the last screen."""
        deadline = time.monotonic() + timeout
        while True:
            screen = self.capture()
            if test(screen):
                return screen
            if self.show("pane_dead") == "1":
                raise AssertionError(f"hats exited (status {self.show('pane_dead_status')}) while waiting for "
                                     f"{what}; the screen:\n{screen}")
            if time.monotonic() > deadline:
                raise AssertionError(f"waited {timeout:.0f}s for {what}; the screen:\n{screen}")
            time.sleep(0.1)

    def wait_for_text(self, text: str, timeout: float = WAIT) -> str:
        return self.wait_for(repr(text), lambda screen: text in screen, timeout)

    def wait_for_exit(self, timeout: float = WAIT) -> int:
        """The exit status of the pane's process, once tmux has reaped it."""
        deadline = time.monotonic() + timeout
        dead_since = None
        while True:
            dead, status, signal = self.show("pane_dead"), self.show("pane_dead_status"), self.show("pane_dead_signal")
            if dead == "1" and (status or signal):
                break
            if dead == "1":
                # The pane closes on EOF a moment before tmux reaps the child (tmux/tmux#4841).
                # tmux's libutempter sets SIGCHLD to SIG_DFL while its helper runs, on that very
                # EOF; a child that exits in that window is never reaped (tmux/tmux#311). A
                # SIGCHLD to our own server makes it look again, as that issue suggests.
                dead_since = dead_since or time.monotonic()
                if time.monotonic() - dead_since > 0.5 and _state(self.pid) == "Z":
                    print("tmux lost the SIGCHLD of hats: sending it one")
                    os.kill(int(self.tmux("display-message", "-p", "#{pid}").stdout), signal_module.SIGCHLD)
            if time.monotonic() > deadline:
                raise AssertionError(f"hats did not exit within {timeout:.0f}s (pane_dead={dead}); "
                                     f"the screen:\n{self.capture()}")
            time.sleep(0.1)
        assert not signal, f"hats was killed by signal {signal}; the screen:\n{self.capture()}"
        self.capture()
        return int(status)


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return "gone"


def footer(screen: str) -> str:
    lines = [line for line in screen.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def tree_has_focus(screen: str) -> bool:
    """The footer shows the tree's own binding (Enter: Shell) only while the tree has the focus."""
    return "⏎ Shell" in footer(screen)


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(kid) for kid in (task / "children").read_text().split()]
    return found


def environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().decode(errors="replace")
    return dict(entry.split("=", 1) for entry in raw.split("\0") if "=" in entry)


def secret_values(environ: dict[str, str]) -> set[str]:
    return {value for name, value in environ.items()
            if value and any(word in name for word in ("SECRET", "TOKEN", "PASSPHRASE"))}


def keyring_secrets() -> set[str]:
    """Every secret hats keeps in the Secret Service: the key and every cached session."""
    import secretstorage

    found = set()
    with secretstorage.dbus_init() as connection:
        for item in secretstorage.get_default_collection(connection).search_items({"service": "hats"}):
            value = item.get_secret().decode()
            try:
                data = json.loads(value)
            except ValueError:
                found.add(value)
                continue
            if isinstance(data, dict):
                found |= {v for k, v in data.items() if isinstance(v, str) and v
                          and any(word in k.lower() for word in ("secret", "token"))}
            else:
                found.add(value)
    return found


def test_pick_a_role_type_the_code_use_the_shell_and_come_back(hats, world):
    started = time.monotonic()
    hats.add_key()
    (hats.home / ".bashrc").write_text("PS1='mine$ '\nunset HISTFILE\n")
    env = {**hats.env, "SHELL": "/bin/bash"}
    pane = Pane(env, hats.home)
    seen: set[str] = set()  # what this run's secrets are: the subshell's environment, then the keyring
    try:
        pane.start([sys.executable, "-m", "tui"])
        app_pid = pane.pid
        unexpected = set(environ_of(app_pid).items()) - set(env.items())
        assert {name for name, _ in unexpected} <= TERMINAL_VARIABLES, unexpected

        pane.wait_for("the profile tree", lambda s: "profiles" in s and "jan-work" in s and "prod-admin" in s)

        # `/` opens the filter and focuses it, Enter hands the keys back to the tree, its cursor on
        # auditor, not on jan-work kept above it. "/auditor" goes in one burst, as a paste or a fast
        # typist sends it: every key after / reaches the filter, none the tree's one-key bindings
        # (a: add, o: console).
        pane.type("/auditor")
        pane.wait_for("the filtered tree", lambda s: "○ auditor" in s and "prod-admin" not in s)
        # the footer follows a focus change a frame or more later, so wait for it too
        pane.wait_for("the filter to have the focus", lambda s: not tree_has_focus(s) and "○ auditor" in s)
        pane.send("Enter")
        pane.wait_for("the tree to have the focus", tree_has_focus)
        pane.wait_for_text("chain to auditor")
        assert f"arn:aws:iam::{DEV}:role/auditor" in pane.captures[-1]
        pane.send("Enter")

        # The keyring opens in a worker after the tree is drawn, and nothing on screen says when
        # it is open: an Enter before that only earns "The keyring is not open yet.", and a
        # person presses again. So does the test, once a second at most.
        deadline = time.monotonic() + WAIT
        while True:
            screen = pane.wait_for("the MFA modal", lambda s: "MFA code for" in s or "keyring is not open yet" in s)
            if "MFA code for" in screen:
                break
            assert time.monotonic() < deadline, f"the keyring never opened; the screen:\n{screen}"
            time.sleep(1)
            if "MFA code for" not in pane.capture():
                print("Enter came before the keyring was open: pressing it again")
                pane.send("Enter")
        assert world.serial in screen
        pane.type(world.code())
        pane.send("Enter")

        # The app hands the terminal over: its screen is gone, the user's prompt wears the badge.
        prompt = pane.wait_for("the subshell's prompt", lambda s: "mine$" in s and "[auditor" in s)
        assert "MFA code for" not in prompt and "profiles" not in prompt, "the app's screen is still up"
        shells = [pid for pid in children(app_pid) if Path(f"/proc/{pid}/comm").read_text().strip() == "bash"]
        assert len(shells) == 1, children(app_pid)
        shell_env = environ_of(shells[0])
        assert shell_env["HATS_PROFILE"] == "auditor"
        seen |= secret_values(shell_env)

        pane.type("aws sts get-caller-identity --output text --query Arn")
        pane.send("Enter")
        pane.wait_for_text(ROLE_ARN)
        pane.wait_for("the next prompt", lambda s: s.count("mine$") >= 2)

        pane.type("exit")
        pane.send("Enter")
        back = pane.wait_for("the app again", lambda s: "profiles" in s and "shell in auditor exited with 0" in s)
        assert "mine$" not in back, "the shell's screen shows through the app"

        pane.send("q")
        assert pane.wait_for_exit() == 0
    finally:
        pane.stop()

    seen |= keyring_secrets()
    world.secrets.update(seen)
    assert world.secret in seen and len(seen) >= 5, \
        "expected the key's secret, the MFA and role sessions' secrets and tokens, the server's token"
    leaks = [(number, secret[:4] + "...") for number, screen in enumerate(pane.captures)
             for secret in seen | {world.secret} if shows(screen, secret)]
    assert leaks == [], f"secrets on screen in captures {leaks}"
    print(f"\n{len(pane.captures)} screens checked; the test took {time.monotonic() - started:.1f}s")


def shows(screen: str, secret: str, piece: int = 16) -> bool:
    """Whether any part of the secret is on the screen, even wrapped over lines or inside a box."""
    piece = min(piece, len(secret))
    return any(secret[start:start + piece] in screen for start in range(len(secret) - piece + 1))


def test_an_auto_typed_key_lands_in_its_fields_and_the_secret_is_never_shown(hats, world):
    """A password manager types the key id, Tab, the secret and Enter in one burst; the Tab must
    move the focus before the secret arrives, so the secret lands in the masked field."""
    pane = Pane(hats.env, hats.home)
    try:
        pane.start([sys.executable, "-m", "tui"])
        pane.wait_for_text("Enter opens a shell")  # the keyring is open: `a` can act
        pane.send("a")
        pane.wait_for_text("Access key for jan-work")
        pane.send(world.key_id, "Tab", world.secret, "Enter")  # one send-keys call: one burst
        screen = pane.wait_for_text(f"Stored the key {world.key_id} for jan-work")
        assert "Access key for" not in screen
        pane.send("q")
        assert pane.wait_for_exit() == 0
    finally:
        pane.stop()
    # the key the burst stored is the right one: STS takes it
    done = hats.run("exec", "jan-work", "--mfa-token", world.code(), "--",
                    "aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text")
    assert done.returncode == 0 and done.stdout.strip().endswith(":user/jan-work"), done.stderr
    leaks = [number for number, screen in enumerate(pane.captures) if shows(screen, world.secret)]
    assert leaks == [], f"the secret is on screen in captures {leaks}"


def test_a_commands_output_stays_until_a_key_is_pressed(hats, world):
    """`!` runs one command; like lazygit, its output stays on the bare terminal until a key."""
    hats.add_key()
    pane = Pane(hats.env, hats.home)
    try:
        pane.start([sys.executable, "-m", "tui"])
        pane.wait_for_text("Enter opens a shell")  # the keyring is open
        pane.send("!")
        pane.wait_for_text("Run in jan-work")
        pane.type("echo hats-said-$((6*7))")
        pane.send("Enter")
        pane.wait_for_text("MFA code for jan-work")
        pane.type(world.code())
        pane.send("Enter")
        pane.wait_for("the command's output", lambda s: "hats-said-42" in s and "press any key" in s)
        time.sleep(1.5)
        held = pane.capture()
        assert "hats-said-42" in held and "exited with 0: press any key to return to hats" in held, held
        assert "profiles" not in held, "the app came back by itself"
        pane.send("q")  # any key: this one goes to the prompt, it must not quit the app
        back = pane.wait_for("the app again", lambda s: "profiles" in s and "echo in jan-work exited with 0" in s)
        assert "hats-said-42" not in back
        pane.send("q")
        assert pane.wait_for_exit() == 0
    finally:
        pane.stop()


def test_filter_and_enter_in_one_burst_open_the_role_typed(hats, world):
    """/dev-infra, Enter, Enter sent at once: the cursor is on dev-infra, not on the base user or
    the role kept above it for context, so the second Enter asks the code for dev-infra."""
    with open(hats.home / ".aws/config", "a") as config:
        config.write(f"\n[profile dev-infra]\nsource_profile = dev-hop\nrole_arn = arn:aws:iam::{DEV}:role/dev-infra\n")
    hats.add_key()
    pane = Pane(hats.env, hats.home)
    try:
        pane.start([sys.executable, "-m", "tui"])
        pane.wait_for_text("Enter opens a shell")  # the keyring is open
        pane.send("/", "d", "e", "v", "-", "i", "n", "f", "r", "a", "Enter", "Enter")
        screen = pane.wait_for_text("MFA code for dev-infra")
        assert world.serial in screen
        pane.send("Escape")
        pane.wait_for_text("MFA cancelled")
        pane.send("q")
        assert pane.wait_for_exit() == 0
    finally:
        pane.stop()
