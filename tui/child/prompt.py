"""A role-scoped interactive shell that keeps the user's own setup.

The user's startup files run as usual (aliases, functions, virtualenv, theme);
then a badge goes in FRONT of their prompt, in the account's colour:

    [2:prod-admin 333333333333 42m] user@host:~$

depth (shown from 2 up) : profile : account alias or id : time left, worked out
at every prompt from HATS_EXPIRES_EPOCH (`expired` once past). bash, zsh and
fish get it live; sh, dash and other POSIX shells get it once, when the shell
starts (they have no per-prompt hook). A production account's badge is red and
the shell opens with a one-line warning on stderr.

The generated startup files hold no secrets: they read the environment when
they run. `prepared_shell` makes them in a private directory and removes it
when the shell is done, so spawn the shell with `run_child`, not `exec_child`.

starship users: hats sets AWS_VAULT and AWS_CREDENTIAL_EXPIRATION, which
starship's aws module reads, so it can show the profile and time left too:

    # ~/.config/starship.toml
    [aws]
    format = 'on [$symbol$profile( \\[$duration\\])]($style) '
    expiration_symbol = 'expired'

    [env_var.HATS_DEPTH]
    format = '[hats:$env_value]($style) '
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from .colors import AccountColor
from ..credentials import parse_iso
from ..display import printable
from ..profiles import Profile

Launch = tuple[list[str], dict[str, str]]  # a shell's argv and environment

# What prompt_env and shell_launch add. A plain `hats exec -- cmd` should drop
# inherited ones, or a command run inside a hats shell sees the outer colour.
PROMPT_VARIABLES = ("HATS_COLOR", "HATS_ACCOUNT_LABEL", "HATS_PRODUCTION", "HATS_EXPIRES_EPOCH", "AWS_VAULT")
POSIX_SHELLS = ("sh", "dash", "ash", "ksh", "ksh93", "mksh", "pdksh", "oksh", "yash", "posh")
SHELLS = resources.files("tui.child") / "shells"  # the startup files, package data a shell linter can read


def prompt_env(profile: Profile, label: str | None, color: AccountColor) -> dict[str, str]:
    """What the badge shows, for the shells and for the user's own prompt or starship.

    Every key is always set, so values left by an outer hats shell are replaced.
    The names are the config's text: escaped here, so an ESC or a bidi override
    in an alias never reaches the terminal raw, whichever shell or prompt shows it.
    """
    return {
        "HATS_COLOR": color.ansi,
        "HATS_ACCOUNT_LABEL": printable(label or ""),
        "HATS_PRODUCTION": "1" if color.is_production else "0",
        "AWS_VAULT": printable(profile.name),  # starship's aws module shows it
    }


def shell_kind(shell: str) -> str:
    """bash, zsh, fish, or sh for every other shell."""
    name = Path(shell).name.lstrip("-")
    for kind in ("bash", "zsh", "fish"):
        if name == kind or (name.startswith(kind) and not name[len(kind):].isalpha()):
            return kind
    return "sh"


def shell_launch(shell: str, env: Mapping[str, str], workdir: Path) -> tuple[list[str], dict[str, str]]:
    """The argv and environment of the user's interactive shell, with the badge.

    `env` is the child environment (credentials, HATS_*, prompt_env);
    `workdir` an empty private directory for the generated startup files.
    """
    env = _with_clock_and_depth(env)
    return _LAUNCHERS[shell_kind(shell)](shell, env, workdir)


@contextmanager
def prepared_shell(shell: str, env: Mapping[str, str]) -> Iterator[tuple[list[str], dict[str, str]]]:
    """shell_launch in a fresh 0700 directory that is removed afterwards."""
    workdir = Path(tempfile.mkdtemp(prefix="hats-shell-"))
    try:
        yield shell_launch(shell, env, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _with_clock_and_depth(parent: Mapping[str, str]) -> dict[str, str]:
    env = dict(parent)
    depth = env.get("HATS_DEPTH", "")
    env["HATS_DEPTH"] = str(int(depth) + 1 if depth.isdigit() else 1)
    env.pop("HATS_EXPIRES_EPOCH", None)
    try:
        if env.get("HATS_EXPIRES"):
            env["HATS_EXPIRES_EPOCH"] = str(int(parse_iso(env["HATS_EXPIRES"]).timestamp()))
    except ValueError:
        pass
    return env


def _bash(shell: str, env: dict[str, str], workdir: Path) -> Launch:
    rcfile = _write(workdir / "bashrc", "hats.bash")
    return [shell, "--rcfile", str(rcfile), "-i"], env


# zsh reads $ZDOTDIR/.zshenv then $ZDOTDIR/.zshrc, taking ZDOTDIR afresh for
# each: the user's own ZDOTDIR is in force while their files run, ours between.
def _zsh(shell: str, env: dict[str, str], workdir: Path) -> Launch:
    zdotdir = workdir / "zdotdir"
    zdotdir.mkdir()
    _write(zdotdir / ".zshenv", "hats.zshenv")
    _write(zdotdir / ".zshrc", "hats.zsh")
    env.pop("HATS_USER_ZDOTDIR", None)
    if "ZDOTDIR" in env:
        env["HATS_USER_ZDOTDIR"] = env["ZDOTDIR"]
    env["ZDOTDIR"] = str(zdotdir)
    return [shell, "-i"], env


# --init-command runs after config.fish and conf.d, so the user's fish_prompt
# (defined there or autoloaded from functions/) exists and can be copied.
def _fish(shell: str, env: dict[str, str], workdir: Path) -> Launch:
    init = _write(workdir / "init.fish", "hats.fish")
    return [shell, "-i", "--init-command", f"source {_fish_quote(str(init))}"], env


def _sh(shell: str, env: dict[str, str], workdir: Path) -> Launch:
    env.pop("HATS_USER_ENV", None)
    if env.get("ENV"):
        env["HATS_USER_ENV"] = env["ENV"]
    env["ENV"] = str(_write(workdir / "env.sh", "hats.sh"))
    # -i only where it surely means "interactive"; other shells are on a terminal anyway.
    posix = Path(shell).name.lstrip("-") in POSIX_SHELLS
    return ([shell, "-i"] if posix else [shell]), env


_LAUNCHERS = {"bash": _bash, "zsh": _zsh, "fish": _fish, "sh": _sh}


def _write(path: Path, script: str) -> Path:
    """Copy the startup file `script` from tui/child/shells/ to `path`."""
    path.write_text((SHELLS / script).read_text(encoding="utf-8"), encoding="utf-8")
    return path


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"
