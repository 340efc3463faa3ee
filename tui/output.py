"""What every command prints: one line on stderr, its output on stdout, and what a closed or gone reader means."""

from __future__ import annotations

import os
import sys

from .display import printable
from .errors import HatsError, UsageError

READER_GONE = 128 + 13  # 128 + SIGPIPE: what a shell reports for `yes | head`, quietly


class ReaderGone(Exception):
    """Whoever read our output went away (`hats list | head`): stop, quietly."""


def say(text: str) -> None:
    """One line on stderr; whatever config text it quotes is shown escaped, so it stays one line."""
    print(f"hats: {printable(text)}", file=sys.stderr)


def require_terminal(what: str) -> None:
    """A full-screen app on a pipe writes escape codes into it and spins: refuse at once."""
    if not (is_terminal(sys.stdin) and is_terminal(sys.stdout)):
        raise UsageError(f"{what} needs a terminal on stdin and stdout; in scripts use "
                         "`hats list`, `hats exec` or `hats export`")


def is_terminal(stream) -> bool:
    try:
        return stream is not None and stream.isatty()
    except ValueError:  # closed
        return False


def write_out(text: str) -> None:
    """The command's output on stdout, flushed: a closed or failing stdout is one line, a gone reader quiet."""
    out = stdout()
    try:
        out.write(text)
        out.flush()
    except BrokenPipeError:
        forget_stdout()
        raise ReaderGone from None
    except OSError as exc:
        forget_stdout()
        raise HatsError(f"cannot write to standard output: {exc.strerror or exc}") from None


def stdout():
    """sys.stdout, when there is one: Python sets it to None when started with >&-."""
    if sys.stdout is None:
        raise HatsError("standard output is closed (>&-): nowhere to print to")
    return sys.stdout


def forget_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's last flush does not fail again."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass
