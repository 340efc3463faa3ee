"""Starting the child: a command, or the user's shell, in the role."""

from __future__ import annotations

import os
import signal

from .errors import HatsError

FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGHUP)


class ChildError(HatsError):
    exit_code = 127


def _cannot_start(argv: list[str], exc: OSError) -> ChildError:
    """127 and 126, as shells say a command is missing or not executable."""
    if isinstance(exc, FileNotFoundError):
        return ChildError(f"command not found: {argv[0]}")
    error = ChildError(f"permission denied: {argv[0]}")
    error.exit_code = 126
    return error


def exec_child(argv: list[str], env: dict[str, str]) -> None:
    """Become the child: its exit code and signals are hats' without any relay."""
    try:
        os.execvpe(argv[0], argv, env)
    except (FileNotFoundError, PermissionError) as exc:
        raise _cannot_start(argv, exc) from None


def run_child(argv: list[str], env: dict[str, str]) -> int:
    """Run the child and wait; Ctrl-C goes to it alone, SIGTERM/SIGHUP are passed on.

    Returns its exit code, or 128 + the signal that killed it, as shells do.
    """
    import subprocess  # here: `hats exec` with a command becomes it instead

    try:
        child = subprocess.Popen(argv, env=env)
    except (FileNotFoundError, PermissionError) as exc:
        raise _cannot_start(argv, exc) from None
    previous = {sig: signal.signal(sig, lambda number, _: child.send_signal(number)) for sig in FORWARDED_SIGNALS}
    previous[signal.SIGINT] = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = child.wait()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    return 128 - code if code < 0 else code
