"""Which shells get hats' live prompt: bash, zsh and fish on PATH, each reading hats' startup files.

Each startup file is package data (tui/child/shells/); the shell itself checks it parses
(bash -n, zsh -n, fish --no-execute), without running it or the user's own startup files.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import resources

from ..child.prompt import SHELLS, shell_kind
from . import Finding, note, ok, problem

STARTUP_FILES = {"bash": ("hats.bash",), "zsh": ("hats.zshenv", "hats.zsh"), "fish": ("hats.fish",)}
PARSE_ONLY = {"bash": ("--norc", "-n"), "zsh": ("-f", "-n"), "fish": ("--no-config", "--no-execute")}
PARSE_TIMEOUT_SECONDS = 10


def shell_findings() -> list[Finding]:
    findings = [_shell(kind, files) for kind, files in STARTUP_FILES.items()]
    user_shell = os.environ.get("SHELL", "")
    if user_shell:
        kind = shell_kind(user_shell)
        how = ("the live prompt" if kind in STARTUP_FILES
               else "a badge set once at start (sh has no per-prompt hook)")
        findings.append(note("shell", f"SHELL={user_shell}: a hats subshell is {kind}, with {how}"))
    return findings


def _shell(kind: str, files: tuple[str, ...]) -> Finding:
    topic = f"shell {kind}"
    program = shutil.which(kind)
    if program is None:
        return note(topic, "not on PATH")
    for name in files:
        failure = _parse_failure(program, kind, name)
        if failure:
            return problem(topic, f"{program} cannot read hats' startup file {name}: {failure}")
    startup = f"startup file{'s' if len(files) > 1 else ''} {', '.join(files)}"
    return ok(topic, f"{program}: the live prompt works (hats' {startup} read without error)")


def _parse_failure(program: str, kind: str, name: str) -> str | None:
    """Why the shell cannot read the startup file, or None when it parses."""
    startup = SHELLS / name
    if not startup.is_file():
        return f"it is missing from hats' package ({SHELLS})"
    with resources.as_file(startup) as path:
        try:
            done = subprocess.run([program, *PARSE_ONLY[kind], str(path)], capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL, timeout=PARSE_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            return f"no answer in {PARSE_TIMEOUT_SECONDS} s"
        except OSError as exc:
            return exc.strerror or str(exc)
    if done.returncode == 0:
        return None
    lines = (done.stderr or done.stdout).strip().splitlines()
    return lines[0][:200] if lines else f"exit status {done.returncode}"
