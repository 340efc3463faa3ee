"""Tab completion: `hats completion bash|zsh|fish`, installed as a user would, in real shells on a pty.

The `hats` on the shells' PATH is a wrapper running this checkout's `python -m tui`; each shell
has a HOME of its own holding the AWS config and the installed script.
"""

from __future__ import annotations

import io
import os
import subprocess
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pexpect
import pytest

REPO = Path(__file__).resolve().parents[1]
SHELLS = ["bash", "zsh", "fish"]
CONFIG = """\
[default]
region = eu-west-1

[profile dev-admin]
region = eu-west-1

[profile dev-readonly]
region = eu-west-1

[profile prod-admin]
region = us-east-1

[profile "team x"]
region = us-east-1

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[sso-session lab]
sso_start_url = https://lab.awsapps.com/start
sso_region = eu-west-1
"""
CREDENTIALS = "[ci-bot]\naws_access_key_id = AKIAEXAMPLEEXAMPLE12\naws_secret_access_key = not-a-real-secret\n"
BROKEN = "region = eu-west-1\n[profile dev-admin]\n"  # a setting before any [section]
# Each shell's startup file installs the script the way the README says.
STARTUP = {
    "bash": (".bashrc", "eval \"$(hats completion bash)\"\nPS1='ready$ '\n"),
    "zsh": (".zshrc", "fpath=(~/.zfunc $fpath)\nautoload -Uz compinit\ncompinit\nPROMPT='ready%# '\n"),
    "fish": (".config/fish/config.fish", "function fish_prompt\n    echo -n 'ready> '\nend\n"),
}
INSTALLED = {"zsh": ".zfunc/_hats", "fish": ".config/fish/completions/hats.fish"}  # bash: eval'd in .bashrc


@pytest.fixture
def home(tmp_path) -> Path:
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws/config").write_text(CONFIG)
    (home / ".aws/credentials").write_text(CREDENTIALS)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "hats").write_text(f"#!/bin/sh\nexec '{sys.executable}' -m tui \"$@\"\n")
    (bin_dir / "hats").chmod(0o755)
    return home


def shown(name: str) -> str:
    """`name` as a regex, as the terminal shows it: fish underlines what was typed, in escapes between."""
    return r"(?:\x1b[\[(][0-9;]*[A-Za-z])*".join(map(re.escape, name))


def user_env(home: Path) -> dict[str, str]:
    keep = {name: os.environ[name] for name in ("LANG", "LC_ALL") if name in os.environ}
    return {**keep, "HOME": str(home), "TERM": "xterm-256color", "PYTHONPATH": str(REPO),
            "PATH": f"{home.parent / 'bin'}:{os.environ['PATH']}", "XDG_CONFIG_HOME": str(home / ".config"),
            "XDG_DATA_HOME": str(home / ".local/share")}


def hats(home: Path, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run([str(home.parent / "bin/hats"), *args], input=stdin, capture_output=True, text=True,
                          env=user_env(home), timeout=60)


def complete(home: Path, *words: str) -> list[str]:
    """What the scripts' hook prints for `hats WORDS<TAB>` (the last word is the one being completed)."""
    done = hats(home, "completion", "--complete", stdin="".join(f"{word}\n" for word in words))
    assert done.returncode == 0 and done.stderr == ""
    return done.stdout.splitlines()


def install(shell: str, home: Path) -> None:
    startup, text = STARTUP[shell]
    (home / startup).parent.mkdir(parents=True, exist_ok=True)
    (home / startup).write_text(text)
    if shell in INSTALLED:
        script = hats(home, "completion", shell)
        assert script.returncode == 0
        (home / INSTALLED[shell]).parent.mkdir(parents=True, exist_ok=True)
        (home / INSTALLED[shell]).write_text(script.stdout)


@contextmanager
def interactive(shell: str, home: Path) -> Iterator[pexpect.spawn]:
    """The shell, interactive on a pty, at its first prompt; all it writes kept in `child.logfile_read`."""
    install(shell, home)
    argv = {"bash": ["-i"], "zsh": ["-i"], "fish": ["-i"]}[shell]
    child = pexpect.spawn(shell, argv, env=user_env(home), encoding="utf-8", timeout=30, dimensions=(24, 200))
    child.logfile_read = io.StringIO()
    try:
        child.expect_exact("ready")
        yield child
    finally:
        child.close(force=True)


def words_after_tab(shell: str, home: Path, typed: str) -> tuple[list[str], str]:
    """The words of the command line after typing `typed` and TAB, as the shell reads them, and all
    the terminal showed. They are read back by going to the line's start (Ctrl-A) and making it a printf."""
    with interactive(shell, home) as child:
        child.send(typed + "\t")
        child.send("\x01printf '[%s]' \x05; echo ' <END'\r")  # Ctrl-A, printf '[%s]' ...the line...; echo
        child.expect(r"((?:\[[^]\r\n\x1b]*\])+) <END\r?\n")
        return re.findall(r"\[([^\]]*)\]", child.match.group(1)), child.logfile_read.getvalue()


# In real shells, installed as a user would -------------------------------------------------------

@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize(("typed", "completed"), [
    ("hats exec dev-r", ["hats", "exec", "dev-readonly"]),  # a profile name
    ("hats exe", ["hats", "exec"]),  # a subcommand
    ("hats exec dev-admin --ren", ["hats", "exec", "dev-admin", "--renew"]),  # an option
    ("hats sso login co", ["hats", "sso", "login", "corp"]),  # an sso-session name
    ("hats exec team", ["hats", "exec", "team x"]),  # a name with a space: one word, quoted
])
def test_tab_completes_the_word(shell, home, typed, completed):
    words, _ = words_after_tab(shell, home, typed)
    assert words == completed


@pytest.mark.parametrize("shell", SHELLS)
def test_tab_lists_the_profiles_starting_with_what_was_typed(shell, home):
    with interactive(shell, home) as child:
        child.send("hats exec dev-\t")  # nothing to add: zsh and fish list what could follow
        if shell == "bash":
            child.expect_exact("\x07")  # bash rings, and lists at the next TAB
            child.send("\t")
        child.expect(shown("dev-admin"))
        child.expect(shown("dev-readonly"))
        child.send("\x03")  # Ctrl-C: drop the line
        child.sendline("echo done-$((6*7))" if shell != "fish" else "echo done-(math 6 \\* 7)")
        child.expect_exact("done-42")
        assert "prod-admin" not in child.logfile_read.getvalue() and "ci-bot" not in child.logfile_read.getvalue()


@pytest.mark.parametrize("shell", SHELLS)
def test_a_broken_config_still_completes_its_names_and_prints_nothing(shell, home):
    (home / ".aws/config").write_text(BROKEN)
    words, terminal = words_after_tab(shell, home, "hats exec dev")
    assert words == ["hats", "exec", "dev-admin"]  # `hats exec` is the one to say what is wrong
    assert "hats:" not in terminal and "Traceback" not in terminal


# The hook the scripts call ----------------------------------------------------------------------

def test_profile_names_are_the_configs(home):
    assert complete(home, "exec", "") == ["ci-bot", "default", "dev-admin", "dev-readonly", "prod-admin", "team x"]
    assert complete(home, "login", "--stdout", "dev") == ["dev-admin", "dev-readonly"]


def test_sso_commands_complete_sso_session_names(home):
    for action in ("login", "logout", "list", "populate"):
        assert complete(home, "sso", action, "") == ["corp", "lab"]
    assert complete(home, "sso", "lo") == ["login", "logout"]


def test_every_subcommand_of_the_parser_is_offered(home):
    from tui.cli import SUBCOMMANDS

    assert complete(home, "") == sorted(SUBCOMMANDS)
    assert complete(home, "--backend", "file", "ex") == ["exec", "export"]


def test_options_and_their_choices_complete(home):
    assert complete(home, "export", "--f") == ["--format"]
    assert complete(home, "export", "--format", "") == ["env", "json"]
    assert complete(home, "export", "--format", "json", "p") == ["prod-admin"]
    assert complete(home, "exec", "--mfa-token", "") == []  # a code is no profile
    assert complete(home, "completion", "") == ["bash", "fish", "zsh"]


def test_nothing_is_offered_after_the_profile_or_after_dashes(home):
    assert complete(home, "exec", "dev-admin", "") == []
    assert complete(home, "exec", "dev-admin", "--", "") == []
    assert complete(home, "lock", "") == []


def test_names_follow_the_config_as_it_changes(home):
    assert complete(home, "exec", "q") == []
    (home / ".aws/config").write_text(CONFIG + "[profile qa-admin]\nregion = eu-west-1\n")
    assert complete(home, "exec", "q") == ["qa-admin"]
    (home / ".aws/credentials").write_text(CREDENTIALS + "[qa-bot]\naws_access_key_id = AKIAEXAMPLEEXAMPLE34\n")
    assert complete(home, "exec", "q") == ["qa-admin", "qa-bot"]
    (home / ".aws/config").write_text(BROKEN)
    assert complete(home, "exec", "") == ["ci-bot", "dev-admin", "qa-bot"]
    (home / ".aws/config").unlink()
    assert complete(home, "exec", "") == ["ci-bot", "qa-bot"]


def test_a_broken_config_gives_the_names_of_its_headers_and_no_error(home):
    (home / ".aws/config").write_text(BROKEN + "[sso-session corp]\nsso_region = eu-west-1\n[no-profile]\n"
                                      "[profile \"team y\"]\n  indented = x\n")
    assert complete(home, "exec", "") == ["ci-bot", "dev-admin", "team y"]  # [no-profile] is no profile to botocore
    assert complete(home, "sso", "login", "") == ["corp"]


def test_an_unreadable_config_completes_the_credentials_only(home):
    (home / ".aws/config").write_bytes(b"\xff\xfe[profile dev-admin]\n")
    assert complete(home, "exec", "") == ["ci-bot"]


def test_a_shell_must_be_named(home):
    done = hats(home, "completion")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == "hats: completion needs a shell: hats completion bash, zsh or fish\n"
    refused = hats(home, "completion", "tcsh")
    assert refused.returncode == 2 and "invalid choice: 'tcsh'" in refused.stderr and "Traceback" not in refused.stderr
