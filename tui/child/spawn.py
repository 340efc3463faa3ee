"""Starting the child: a command, or the user's shell, in the role."""

from __future__ import annotations

import errno
import os
from types import FrameType

from ..display import printable
from ..errors import HatsError


class ChildError(HatsError):
    exit_code = 127


def _cannot_start(argv: list[str], exc: Exception) -> ChildError:
    """127 and 126, as shells say a command is missing or cannot be run."""
    name = printable(argv[0]) if argv else ""
    number = getattr(exc, "errno", None)
    if not name or number in (errno.ENOENT, errno.ENOTDIR):
        return ChildError(f"command not found: '{name}'" if not name else f"command not found: {name}")
    if number == errno.E2BIG:
        text = (f"cannot run {name}: its arguments and environment, with the credentials added, "
                "are more than the system takes (E2BIG)")
    elif number == errno.EACCES:
        text = f"permission denied: {name}"
    else:
        text = f"cannot run {name}: {getattr(exc, 'strerror', None) or exc}"
    error = ChildError(text)
    error.exit_code = 126
    return error


def exec_child(argv: list[str], env: dict[str, str]) -> None:
    """Become the child: its exit code and signals are hats' without any relay."""
    try:
        os.execvpe(argv[0], argv, env)
    except (OSError, ValueError) as exc:  # ValueError: an empty command name, or a NUL in it
        raise _cannot_start(argv, exc) from None


def run_child(argv: list[str], env: dict[str, str]) -> int:
    """Run the child and wait; Ctrl-C goes to it alone, SIGTERM/SIGHUP are passed on.

    Returns its exit code, or 128 + the signal that killed it, as shells do.
    """
    import signal  # here, as subprocess: `hats exec` with a command becomes it instead
    import subprocess

    # SIGTERM/SIGHUP are caught before the child starts, so one sent the moment it runs is not lost
    # (exec gives the child the default handlers back); SIGINT is ignored only once it has started,
    # since an ignored signal would be inherited.
    started: list[subprocess.Popen] = []
    arrived: list[int] = []

    def forward(number: int, _frame: FrameType | None) -> None:
        if started:
            started[0].send_signal(number)
        else:
            arrived.append(number)

    previous = {sig: signal.signal(sig, forward) for sig in (signal.SIGTERM, signal.SIGHUP)}
    try:
        try:
            started.append(subprocess.Popen(argv, env=env))
        except (OSError, ValueError) as exc:
            raise _cannot_start(argv, exc) from None
        child = started[0]
        previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
        for number in arrived:
            child.send_signal(number)
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
