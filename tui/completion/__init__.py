"""`hats completion bash|zsh|fish`: the shell's tab-completion script for hats.

Each script is a thin hook: at every TAB it hands the words typed after `hats` (one a line, on
stdin: words may start with `-` or be `--`) to the hidden `hats completion --complete`, which
walks hats' own parser (words.py) and prints the completions one a line. So a new
subcommand or option completes without touching the scripts, and its errors never reach the
terminal (stderr goes to /dev/null; a broken config completes nothing).
"""

from __future__ import annotations

import sys
from pathlib import Path


SCRIPTS = {"bash": "hats.bash", "zsh": "_hats", "fish": "hats.fish"}  # in scripts/, shipped as package data


def script(shell: str) -> str:
    return (Path(__file__).parent / "scripts" / SCRIPTS[shell]).read_text(encoding="utf-8")


def add_parser(commands) -> None:
    import argparse

    completion = commands.add_parser("completion", help="print the tab-completion script for bash, zsh or fish")
    completion.add_argument("shell", nargs="?", choices=tuple(SCRIPTS))
    completion.add_argument("--complete", action="store_true", help=argparse.SUPPRESS)  # the scripts' hook
    completion.set_defaults(handler=cmd_completion)


def cmd_completion(args) -> int:
    from ..errors import UsageError
    from ..output import write_out

    if args.complete:
        from .words import candidates

        words = sys.stdin.read().split("\n")[:-1] if sys.stdin else []
        found = candidates(words)
        if args.shell == "bash":  # bash puts a candidate on the line as it is: quoted here
            import shlex

            found = [shlex.quote(candidate) for candidate in found]
        write_out("".join(f"{candidate}\n" for candidate in found))
    elif args.shell is None:
        raise UsageError("completion needs a shell: hats completion bash, zsh or fish")
    else:
        write_out(script(args.shell))
    return 0
